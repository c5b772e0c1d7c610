"""Robot keywords for Open vSwitch on the lab's hypervisor, on OVSDB transactions (ovsdbapp)."""

from __future__ import annotations

import re
import shlex
import time

from robot.api import SkipExecution, logger
from robot.api.deco import keyword, library

from netvirt import evidence, seam, validate
from netvirt.ovs import (
    VHOST_TYPES,
    DatapathType,
    Ovs,
    OvsError,
    PortNuma,
    PortType,
    VlanMode,
    check_name,
    judge_pmd_numa,
    parse_node_list,
    parse_socket_mem,
    port_numa,
    queue_counts,
)
from netvirt.parsers.ovs import (
    name_flow_ports,
    parse_dpif_show,
    parse_dump_flows,
    parse_pmd_rxq_show,
    parse_vhost_numa_log,
    parse_vswitchd_crashes,
)
from netvirt.parsers.versions import (
    dpdk_version_from_header,
    dpdk_version_from_log,
    dpdk_version_from_vswitchd,
    extract_version,
)
from netvirt.traffic import throughput
from netvirt.validate import Mtu, VlanId, VlanOrZero

# ovs-ofctl flow syntax: fields, values, actions; nothing a shell would act on.
FLOW_RE = re.compile(r"^[A-Za-z0-9_.:,=/ ()-]{1,512}$")


@library(scope="GLOBAL", auto_keywords=False, converters=validate.CONVERTERS, listener=validate.ConversionMessages())
class OVSLibrary:
    """Hypervisor（Host B）上 Open vSwitch 的关键字：配置、端口、VLAN、限速、流表、MTU、PMD 与版本。

    涵盖全局配置、网桥、端口与接口、VLAN、限速、流表、MTU、队列、PMD 与 NUMA、版本。

    对应记录“测试前准备 / 启动并配置OVS”以及 5.4.1（OVS-DPDK、NUMA 感知）、5.4.2.2、5.4.4（多队列）、5.4.6.1（
    MTU）、5.4.7.1（VLAN 透传）、5.4.8.1（限速）和“Troubleshooting”中的 OVS 重启。

    = 怎样改配置 =
    配置类关键字不调用 ovs-vsctl，而是经 OVSDB 事务（ovsdbapp）修改，再等 ovs-vswitchd 应用（ ``cur_cfg`` 追上
    ``next_cfg`` ）。修改前先确认 ovs-vswitchd 在运行（ ``ovs-appctl version`` 有应答），否则失败且不改 OVSDB。
    新加的端口或接口 ovs-vswitchd 打不开（ ``ofport`` 为 -1 或 ``error`` 列非空）时，这次修改被撤销，
    关键字失败并写出 ``error`` 。ovs-appctl、ovs-ofctl 只用于 OVSDB 里没有的东西（dpif/show、pmd-rxq-show、流表、
    版本）。

    = 证据 =
    每个配置类关键字在日志中记下 QA 工程师会为它敲的等价 ovs-vsctl 命令，修改后再执行并记录 Hypervisor 上的
    ``ovs-vsctl show`` 。

    = 错误输入 =
    不存在的网桥或端口、含 shell 元字符的名字、超出范围的 VLAN 或 MTU、超过端口速率的限速、含不允许字符的流表：
    关键字失败并写明出错的名字或值，OVSDB 保持原样。

    = 内嵌实验环境与真实实验环境 =
    - 真实实验环境：OVSDB 经 Hypervisor 的 SSH 会话转发到它的 unix 套接字（实验环境描述中的 ``ovsdb_over_ssh`` ），
      或直接连 tcp:/ssl:；ovs-appctl 等命令经 SSH 在 Hypervisor 上执行（带 ``OVS_RUNDIR`` ）；
      `重启ovs-vswitchd` 用 ``ovs-ctl --no-ovsdb-server restart`` 。支持记录中的 OVS 2.8.4 及更新版本：
      新版本有的列或选项（ ``dpdk_version`` 、 ``status:n_rxq`` 、 ``ovs-ofctl --names`` 等）没有时，
      关键字改用旧版本的来源，并在日志中说明。
    - 内嵌实验环境：本机上真实运行 ovsdb-server 和带 DPDK 的 ovs-vswitchd（在 Hypervisor 的网络命名空间里），
      关键字与真实实验环境完全相同；只有记录中的物理网卡是模拟的，DPDK 以 vdev（virtio-user，接到模拟网卡的
      eswitch）使用它，见 `添加DPDK物理端口`。
    """

    def __init__(self):
        self._ovs: Ovs | None = None
        self._vswitchd_binary: str | None = None
        self._nic_speed_bps: dict[str, int] = {}  # DPDK port -> its NIC's speed in the lab description
        self._other_config_before: dict[str, str] | None = None  # 记下OVS全局配置

    @property
    def ovs(self) -> Ovs:
        remote = seam.current().ovsdb_remote
        if self._ovs is None or self._ovs.remote != remote:
            self._ovs = Ovs(remote)
        return self._ovs

    def _hv(self, *argv: str, check: bool = True):
        lab = seam.current()
        result = lab.session(lab.spec.hypervisor).run(lab.ovs_command(*argv))
        if check and not result.ok:
            raise OvsError(f"{' '.join(argv)} 失败：{(result.stderr or result.stdout).strip()}")
        return result

    def _change(self, operation, *args, **kwargs) -> None:
        # Refuse before touching OVSDB: a change that no vswitchd applies would linger in it.
        if not self._hv("ovs-appctl", "version", check=False).ok:
            raise OvsError("ovs-vswitchd 没有运行（ovs-appctl version 无应答）：配置没有修改")
        try:
            operation(*args, **kwargs)
        finally:
            if self.ovs.last_command:
                evidence.equivalent(self.ovs.last_command)
                self.ovs.last_command = ""
        self.show_ovs()

    @keyword("断开OVSDB")
    def disconnect(self) -> None:
        """关闭到 OVSDB 的连接（由用例集终程调用）；下一个 OVS 关键字会重新连接。

        Example: | 断开OVSDB |
        """
        if self._ovs:
            self._ovs.close()
            self._ovs = None
        self._vswitchd_binary = None

    @keyword("设置OVS全局配置")
    def set_other_config(self, **values: str) -> None:
        """设置 ``Open_vSwitch`` 表 ``other_config`` 列中的键，如 dpdk-init、pmd-cpu-mask、dpdk-socket-mem。

        对应记录“启动并配置OVS”中的 ``ovs-vsctl set Open_vSwitch . other_config:dpdk-init=true`` 等。
        参数以 ``键=值`` 给出，可以一次给多个。ovs-vswitchd 没有运行时失败，不改 OVSDB。要在用例后复原，
        先用 `记下OVS全局配置`。

        Example: | 设置OVS全局配置 | dpdk-init=true | pmd-cpu-mask=0x2 |
        """
        self._change(self.ovs.set_other_config, values)

    @keyword("删除OVS全局配置")
    def remove_other_config(self, *keys: str) -> None:
        """删除 ``Open_vSwitch`` 表 ``other_config`` 列中的键 ``keys`` 。

        Example: | 删除OVS全局配置 | dpdk-socket-mem |
        """
        self._change(self.ovs.remove_other_config, *keys)

    @keyword("获取OVS全局配置")
    def get_other_config(self) -> dict:
        """返回 ``other_config`` （字典），并按 ``ovs-vsctl list Open_vSwitch | grep other_config`` 的样子记入日志。

        Example: | ${cfg}= | 获取OVS全局配置 |
        """
        config = self.ovs.other_config()
        text = ", ".join(f'{k}="{v}"' for k, v in sorted(config.items()))
        evidence.pre("ovs-vsctl list Open_vSwitch | grep other_config", f"other_config        : {{{text}}}")
        return config

    @keyword("记下OVS全局配置")
    def remember_other_config(self) -> dict:
        """记下此刻的 ``Open_vSwitch`` 表 ``other_config`` ，供 `恢复OVS全局配置` 使用；返回它（字典）。

        Example: | 记下OVS全局配置 |
        """
        self._other_config_before = self.get_other_config()
        return dict(self._other_config_before)

    @keyword("恢复OVS全局配置")
    def restore_other_config(self) -> None:
        """把 ``Open_vSwitch`` 表 ``other_config`` 恢复成 `记下OVS全局配置` 记下的样子：之后新增的键删除，
        之后改过或删掉的键设回原值。

        没有记下过就什么也不做。

        Example: | 恢复OVS全局配置 |
        """
        before = self._other_config_before
        if before is None:
            return
        now = self.ovs.other_config()
        added = [key for key in now if key not in before]
        changed = {key: value for key, value in before.items() if now.get(key) != value}
        if added:
            self._change(self.ovs.remove_other_config, *added)
        if changed:
            self._change(self.ovs.set_other_config, changed)
        self._other_config_before = None

    @keyword("添加网桥")
    def add_bridge(self, bridge: str, datapath_type: DatapathType = DatapathType.netdev) -> None:
        """添加网桥 ``bridge`` ，数据通路类型为 ``datapath_type`` （默认 netdev，即 OVS-DPDK 的用户态数据通路；
        也可为 system）。

        对应记录中的 ``ovs-vsctl add-br ovsbr0 -- set bridge ovsbr0 datapath_type=netdev`` 。
        网桥已存在或 ovs-vswitchd 无法创建它时失败。

        Example: | 添加网桥 | ovsbr0 | datapath_type=netdev |
        """
        self._change(self.ovs.add_bridge, bridge, datapath_type)

    @keyword("删除网桥")
    def delete_bridge(self, bridge: str, missing_ok: bool = False) -> None:
        """删除网桥 ``bridge`` 及其全部端口。

        ``missing_ok`` 为真时，网桥不存在也不算错误（用于清理）；否则不存在的网桥使关键字失败。

        Example: | 删除网桥 | ovsbr1 | missing_ok=True |
        """
        if missing_ok and bridge not in self.ovs.bridges():
            return
        self._change(self.ovs.delete_bridge, bridge)

    @keyword("添加端口")
    def add_port(self, bridge: str, port: str, type: PortType = PortType.system, **options: str) -> None:
        """把端口 ``port`` 加到网桥 ``bridge`` ，接口类型为 ``type`` （system、internal、dpdk、dpdkvhostuser、
        dpdkvhostuserclient 等）， ``键=值`` 形式的其余参数写入接口的 ``options`` 列。

        对应记录中的
        ``ovs-vsctl add-port ovsbr0 dpdkvhostuser0 -- set Interface dpdkvhostuser0 type=dpdkvhostuser`` 。检查：
        端口已存在时失败；system、internal 端口的名字须是合法的内核网络设备名（最多 15 个字符）；
        ovs-vswitchd 打不开该接口时，添加被撤销，关键字失败并写出接口的 ``error`` 。

        Example: | 添加端口 | ovsbr0 | dpdkvhostuser0 | type=dpdkvhostuser | n_rxq=2 |
        """
        self._change(self.ovs.add_port, bridge, port, type, options)

    @keyword("添加DPDK物理端口")
    def add_dpdk_port(self, bridge: str, port: str, pci: str, **options: str) -> None:
        """把 Hypervisor 上 PCI 地址为 ``pci`` 的网卡作为 ``type=dpdk`` 的端口 ``port`` 加到网桥 ``bridge`` ，
        其余 ``键=值`` 参数写入 ``options`` 。

        对应记录 5.4.2.2、5.4.6.1 中“以 dpdk 方式添加到 ovsbr0”。 ``dpdk-devargs`` 由实验环境决定：
        真实实验环境是网卡的 PCI 地址（或实验环境参数 ``dpdk_devargs`` 为它给出的值）；内嵌实验环境的网卡是模拟的，
        DPDK 以 vdev（virtio-user）接到模拟网卡的 eswitch。网卡在实验环境描述中的速率被记下，
        供限速关键字在 OVS 不报告 ``link_speed`` 时检查限速值。ovs-vswitchd 打不开该网卡时，添加被撤销，关键字失败。

        Example: | 添加DPDK物理端口 | ovsbr0 | dpdkp1 | 0005:01:00.0 | n_rxq=2 |
        """
        lab = seam.current()
        devargs = lab.dpdk_devargs(pci)
        self._change(self.ovs.add_port, bridge, port, PortType.dpdk, {"dpdk-devargs": devargs, **options})
        # The NIC's speed from the lab description, for policer rates where OVS reports no link_speed.
        self._nic_speed_bps[port] = lab.spec.host(lab.spec.hypervisor).nic(pci).speed_mbps * 1_000_000

    @keyword("添加vhost-user客户端端口")
    def add_vhostuser_client_port(self, bridge: str, port: str, socket: str, **options: str) -> None:
        """添加 ``dpdkvhostuserclient`` 端口 ``port`` ：OVS 作为客户端连接虚拟机（QEMU 作为 server）监听的套接字。

        ``socket`` 是该套接字在 Hypervisor 的 vhost 套接字目录中的文件名（不含路径），
        写入 ``options:vhost-server-path`` 。ovs-vswitchd 重启后 OVS 会自己重新连接（dpdkvhostuser 端口则是 QEMU 作
        客户端，重启后断开），见记录“Troubleshooting / OVS异常重启导致vhostuser不通”。
        其余 ``键=值`` 参数写入 ``options`` 。

        Example: | 添加vhost-user客户端端口 | ovsbr2 | vhuclient0 | vhuclient0.sock |
        """
        path = seam.current().vhost_socket_path(validate.ovs_name(socket, "vhost-user 套接字"))
        self._change(
            self.ovs.add_port, bridge, port, PortType.dpdkvhostuserclient, {"vhost-server-path": path, **options}
        )

    @keyword("删除端口")
    def delete_port(self, port: str, missing_ok: bool = False) -> None:
        """把端口 ``port`` 从它所在的网桥删除（ ``ovs-vsctl del-port`` ）。

        ``missing_ok`` 为真时，端口不存在也不算错误；否则不存在的端口使关键字失败。

        Example: | 删除端口 | dpdkp1 | missing_ok=True |
        """
        if missing_ok and port not in self.ovs.snapshot()["ports"]:
            return
        self._change(self.ovs.delete_port, port)

    @keyword("设置接口选项")
    def set_interface_options(self, interface: str, **options: str) -> None:
        """设置接口 ``interface`` 的 ``options`` 列（n_rxq、n_rxq_desc、vhost-server-path 等），
        参数以 ``键=值`` 给出。

        对应记录“启动并配置OVS”和 5.4.4 中的 ``ovs-vsctl set Interface dpdkvhostuser0 options:n_rxq=2`` 。

        Example: | 设置接口选项 | dpdkvhostuser0 | n_rxq=2 |
        """
        self._change(self.ovs.set_interface, interface, options)

    @keyword("设置接口MTU请求")
    def set_mtu_request(self, interface: str, mtu: Mtu) -> None:
        """设置接口 ``interface`` 的 ``mtu_request`` 并检查结果，对应记录 5.4.6.1。

        ``mtu`` 的范围：DPDK 端口 68..9702（OVS-DPDK 的上限），内核端口 68..65535。设置后检查：
        OVS 报告的 ``mtu`` 等于设置值、接口的 ``error`` 为空、原来 up 的链路重新 up。否则在几秒内失败，
        消息写明端口以及这段时间 ovs-vswitchd 日志中与它有关的告警或错误（如 ``unsupported MTU`` 、
        ``Frame size (9018) > device max frame size (1518)`` ）。

        Example: | 设置接口MTU请求 | dpdkvhostuser0 | 4000 |
        """
        self.set_mtu_requests(mtu, interface)

    @keyword("设置多个接口MTU请求")
    def set_mtu_requests(self, mtu: Mtu, *interfaces: str) -> None:
        """把 ``interfaces`` 中每个接口的 ``mtu_request`` 都设为 ``mtu`` ：一个 OVSDB 事务（等同于一条用 ``--``
        连接的 ovs-vsctl 命令），再同时检查每个接口，检查内容同 `设置接口MTU请求` 。

        记录 5.4.6.1 对网桥、物理口和两个 vhost-user 口逐个设置；一起设置只等一次端口重新配置，结果相同。
        任何一个接口出问题时，全部接口的 ``mtu_request`` 都恢复原值，消息写明每个出问题的接口。

        Example: | 设置多个接口MTU请求 | 4000 | ovsbr0 | dpdkp1 | dpdkvhostuser0 | dpdkvhostuser1 |
        """
        lab = seam.current()
        size = self._hv("stat", "-c", "%s", lab.ovs_log_path, check=False)
        offset = int(size.stdout.strip()) if size.ok and size.stdout.strip().isdigit() else None
        try:
            self._change(self.ovs.set_mtu_requests, interfaces, mtu)
        except OvsError as err:
            raise OvsError(f"{err}。{self._log_since(offset, interfaces, lab.ovs_log_path)}") from None

    def _log_since(self, offset: int | None, interfaces: tuple[str, ...], path: str) -> str:
        """ovs-vswitchd's warnings and errors since byte ``offset`` of its log that concern one of
        ``interfaces`` or an MTU / frame size, for an error message."""
        if offset is None:
            return f"读不到 ovs-vswitchd 日志 {path}（实验环境参数 ovs_log）"
        result = self._hv("tail", "-c", f"+{offset + 1}", path, check=False)
        lines = [
            line.strip()
            for line in result.stdout.splitlines()
            if re.search(r"\|(WARN|ERR|EMER)\|", line)
            and "not configurable" not in line  # n_rxq on a vhost-user port, logged on every change
            and (any(name in line for name in interfaces) or re.search(r"mtu|frame size", line, re.IGNORECASE))
        ]
        if not lines:
            return f"ovs-vswitchd 日志 {path} 中没有相关的告警或错误行"
        return f"ovs-vswitchd 日志 {path}：" + " | ".join(lines[-5:])

    @keyword("设置接口端口号请求")
    def set_ofport_request(self, interface: str, ofport: int) -> None:
        """设置接口 ``interface`` 的 ``ofport_request`` （OpenFlow 端口号，1..65279），用于记录 5.4.8.1 中按端口号写
        流表的做法。

        Example: | 设置接口端口号请求 | dpdkvhostuser0 | 2 |
        """
        ofport = validate.integer(ofport, "ofport_request", 1, 65279)  # 65280 and above are OpenFlow's reserved ports
        self._change(self.ovs.set_interface, interface, ofport_request=ofport)

    @keyword("设置端口VLAN")
    def set_port_vlan(
        self,
        port: str,
        mode: VlanMode,
        tag: VlanId = None,
        trunks: list[VlanId] = None,
        cvlans: list[VlanOrZero] = None,
        qinq_ethtype: str | None = None,
    ) -> None:
        """设置端口 ``port`` 的 VLAN： ``mode`` 为 access、trunk、native-tagged、native-untagged 或 dot1q-tunnel。

        参数： ``tag`` 为端口的 VLAN（1..4094；access、native-*、dot1q-tunnel 需要）； ``trunks`` 为允许的 VLAN 列表
        （1..4094）； ``cvlans`` 为 dot1q-tunnel 允许的内层 VLAN（可含 0，表示不带标签的帧，与记录一致）；
        ``qinq_ethtype`` 为 802.1q 或 802.1ad。
        对应记录 5.4.7.1 中的 ``ovs-vsctl set port ... vlan_mode=dot1q-tunnel tag=100 cvlans=0,10`` 。

        Example: | 设置端口VLAN | dpdkvhostuser0 | dot1q-tunnel | tag=100 | cvlans=[0, 10] | qinq_ethtype=802.1q |
        """
        self._change(self.ovs.set_port_vlan, port, mode, tag, trunks or [], cvlans or [], qinq_ethtype)

    @keyword("清除端口VLAN")
    def clear_port_vlan(self, port: str) -> None:
        """清除端口 ``port`` 的 VLAN 设置（vlan_mode、tag、trunks、cvlans、qinq-ethtype）。

        Example: | 清除端口VLAN | dpdkvhostuser0 |
        """
        self._change(self.ovs.clear_port_vlan, port)

    @keyword("设置端口出口限速")
    def set_egress_policer(self, port: str, cir: int, cbs: int) -> None:
        """用 egress-policer 类型的 QoS 限制从端口 ``port`` 发出的流量： ``cir`` 单位字节/秒， ``cbs`` 单位字节。

        对应记录 5.4.8.1 中“限制 dpdkp1 的出口速率为 5G bps，cir 的单位为 Bps”。检查：两个值须为正整数；
        限速高于端口速率（OVSDB 的 ``link_speed`` ，没有时取实验环境描述中网卡的速率）时失败，因为这样的限速不起作
        用。

        Example: | 设置端口出口限速 | dpdkp1 | 625000000 | 2048 |
        """
        self._change(self.ovs.set_egress_policer, port, cir, cbs, self._nic_speed_bps.get(port))

    @keyword("清除端口出口限速")
    def clear_egress_policer(self, port: str) -> None:
        """去掉端口 ``port`` 的 QoS（并删除 QoS 记录）。

        Example: | 清除端口出口限速 | dpdkp1 |
        """
        self._change(self.ovs.clear_qos, port)

    @keyword("设置接口入口限速")
    def set_ingress_policing(self, interface: str, rate: int, burst: int = 0) -> None:
        """限制进入接口 ``interface`` 的流量： ``rate`` 和 ``burst`` 单位 kbit/s（ ``ingress_policing_rate`` /
        ``ingress_policing_burst`` ；rate 为 0 即取消）。

        对应记录 5.4.8.1 中“限制入口速率 5G bps，ingress_policing_rate 单位为 k bps”。检查：两个值须为非负整数；
        限速高于端口速率（同 `设置端口出口限速` ）时失败。

        Example: | 设置接口入口限速 | dpdkp1 | 5000000 | 500000 |
        """
        self._change(self.ovs.set_ingress_policing, interface, rate, burst, self._nic_speed_bps.get(interface))

    @keyword("策略器参数")
    def policer_parameters(self, rate_bps: int, udp_payload: int = 1400) -> dict:
        """把以 bit/s 给出的速率 ``rate_bps`` 换算成 OVS 限速参数，以及限速后 iperf3 应报告的 UDP 有效吞吐。

        返回： ``cir`` （字节/秒）和 ``cbs`` （字节）用于 egress-policer； ``ingress_kbps`` 和 ``burst_kbps`` 用于入
        口限速； ``udp_goodput_bps`` ：限速器按整个以太网帧计数（14 字节帧头 + IP + UDP + 载荷），而 iperf3 只计载
        荷。桶深取 50 ms 的流量（至少一帧）。 ``udp_payload`` 为 UDP 载荷字节数（18..8972，默认 1400）。
        ``rate_bps`` 须为正。参数表记入日志。

        Example: | ${p}= | 策略器参数 | 50000000 |
        """
        if rate_bps <= 0 or not 18 <= udp_payload <= 8972:
            raise ValueError(f"rate_bps={rate_bps} 必须为正，udp_payload={udp_payload} 必须在 18..8972")
        frame = udp_payload + 8 + 20 + 14
        # A bucket of 50 ms of traffic: a sender's bursts do not overflow it (tokens would be lost and
        # the rate come out low), and what it lets through at once adds at most ~1 % over a 5 s run.
        burst_bytes = max(frame, rate_bps // 8 // 20)
        params = {
            "cir": rate_bps // 8,
            "cbs": burst_bytes,
            "ingress_kbps": rate_bps // 1000,
            "burst_kbps": burst_bytes * 8 // 1000,
            "udp_goodput_bps": rate_bps * udp_payload // frame,
        }
        evidence.table(["参数", "值"], list(params.items()), title=f"限速 {rate_bps / 1e6:g} Mbit/s 的策略器参数")
        return params

    @keyword("路径带宽应足以检验限速")
    def path_must_exceed_rate(self, *measurements: dict, rate_bps: int, factor: float = 1.5) -> None:
        """除非每个不限速时的 `测量吞吐量` 结果（ ``measurements`` ）都达到 ``factor`` × ``rate_bps`` ，
        否则让用例 SKIP。

        路径本身连这个速率都承载不了，限速是否生效就无从判断：这时用例以 SKIP 结束并写明测得的速率，
        而不是 PASS 或 FAIL。 ``rate_bps`` 须以 ``rate_bps=`` 给出； ``factor`` 默认 1.5。规则与
        `不限速吞吐量应足以检验限速` 相同（ ``netvirt.traffic.throughput.headroom`` ），结果以表格记录。

        Example: | 路径带宽应足以检验限速 | ${base_in} | ${base_out} | rate_bps=${rate} |
        """
        check = throughput.headroom([m["mean_bps"] for m in measurements], rate_bps, factor)  # as TrafficLibrary's
        check.log()
        if check.reason:
            raise SkipExecution(check.reason)

    @keyword("流表应已命中")
    def flow_should_have_packets(self, flows: list, match: str) -> None:
        """检查 ``flows`` （`查看流表` 的结果）中匹配条件含 ``match`` 的流命中过报文（ ``n_packets`` 大于 0）。

        没有这样的流时失败并列出现有的流；有但都没有命中时也失败。

        Example: | 流表应已命中 | ${flows} | in_port=dpdkvhostuser0 |
        """
        hits = [f for f in flows if match in f["match"]]
        if not hits:
            raise AssertionError(f"没有匹配 {match} 的流（现有：{'; '.join(f['match'] for f in flows) or '无'}）")
        if not any(f["n_packets"] > 0 for f in hits):
            raise AssertionError(f"匹配 {match} 的流没有命中任何报文")

    def _flow(self, flow: str) -> str:
        if not FLOW_RE.match(flow):
            raise OvsError(f"流表 {flow!r} 含有不允许的字符")
        return flow

    @keyword("添加流表")
    def add_flow(self, bridge: str, flow: str) -> None:
        """在 Hypervisor 上用 ``ovs-ofctl add-flow`` 给网桥 ``bridge`` 添加一条 OpenFlow 流。

        对应记录 5.4.8.1 的流表写法。网桥不存在时失败； ``flow`` 只能含流表语法中的字符（字母、数字和
        ``_.:,=/ ()-`` ），否则失败。命令及其输出记入日志。

        Example: | 添加流表 | ovsbr0 | in_port=2,actions=output:3 |
        """
        self.ovs.ports(check_name("网桥", bridge))  # names the bridge if it does not exist
        evidence.command(self._hv("ovs-ofctl", "add-flow", bridge, self._flow(flow)))

    @keyword("删除流表")
    def delete_flows(self, bridge: str, match: str | None = None) -> None:
        """删除网桥 ``bridge`` 上匹配 ``match`` 的流（ ``ovs-ofctl del-flows`` ；不给 ``match`` 则删除全部流）。

        注意：删除全部流后端口之间不再转发，需要时用 `恢复默认流表` 。

        Example: | 删除流表 | ovsbr0 |
        """
        self.ovs.ports(check_name("网桥", bridge))
        argv = ["ovs-ofctl", "del-flows", bridge] + ([self._flow(match)] if match else [])
        evidence.command(self._hv(*argv))

    @keyword("恢复默认流表")
    def restore_normal_flow(self, bridge: str) -> None:
        """删除网桥 ``bridge`` 的全部流，再加回默认的 NORMAL 流（ ``priority=0,actions=NORMAL`` ；没有它端口都不
        通）。

        对应记录中“清除 flow 后加回默认 flow，否则端口都不通”。

        Example: | 恢复默认流表 | ovsbr0 |
        """
        self.delete_flows(bridge)
        self.add_flow(bridge, "priority=0,actions=NORMAL")

    @keyword("查看流表")
    def dump_flows(self, bridge: str) -> list:
        """执行并记录 ``ovs-ofctl dump-flows`` ，返回网桥 ``bridge`` 的流（match、actions、n_packets 等）。

        带 ``--names`` 执行（端口以名字显示，与记录一致）；ovs-ofctl 不支持 ``--names`` （OVS 2.8 之前）时不带它执
        行，并按 OVSDB 的 ``ofport`` 把 ``in_port`` 的端口号换成名字，日志中会说明。

        Example: | ${flows}= | 查看流表 | ovsbr0 |
        """
        ports = self.ovs.ports(check_name("网桥", bridge))
        result = self._hv("ovs-ofctl", "--names", "dump-flows", bridge, check=False)  # names, as the record shows
        if result.ok or "--names" not in result.stderr:
            evidence.command(result)
            if not result.ok:
                said = (result.stderr or result.stdout).strip()
                raise OvsError(f"ovs-ofctl --names dump-flows {bridge} 失败：{said}")
            return parse_dump_flows(result.stdout)
        # OVS before 2.8: "ovs-ofctl: unrecognized option '--names'"; flows name ports by OpenFlow number.
        evidence.command(result)
        result = self._hv("ovs-ofctl", "dump-flows", bridge)
        evidence.command(result)
        ofports = {}
        for name in ports:
            try:
                ofports[name] = self.ovs.interface(name)["ofport"]
            except OvsError:  # a bond: its interfaces have names of their own
                continue
        mapping = ", ".join(f"{n}={o}" for n, o in ofports.items())
        logger.info(
            "该 OVS 的 ovs-ofctl 没有 --names（OVS 2.8 起才有）：流表按 OpenFlow 端口号输出，"
            f"in_port 按 OVSDB 的 ofport 换成端口名（{mapping}）；actions 保持端口号"
        )
        names = {ofport: name for name, ofport in ofports.items() if isinstance(ofport, int)}
        return name_flow_ports(parse_dump_flows(result.stdout), names)

    @keyword("获取OVSDB配置快照")
    def snapshot(self) -> dict:
        """返回 OVSDB 的配置（网桥、端口、接口、QoS；不含计数器），用于之后比较配置是否改变。

        Example: | ${before}= | 获取OVSDB配置快照 |
        """
        return self.ovs.snapshot()

    @keyword("获取接口状态")
    def interface_state(self, interface: str) -> dict:
        """返回接口 ``interface`` 在 OVSDB 中的状态：type、options、ofport、error、mtu、link_state、
        statistics 等（字典）。

        接口不存在时失败。

        Example: | ${iface}= | 获取接口状态 | dpdkvhostuser0 |
        """
        return self.ovs.interface(interface)

    @keyword("接口链路状态应为")
    def link_state_should_be(self, interface: str, expected: str) -> None:
        """检查 OVSDB 报告的接口 ``interface`` 的 ``link_state`` 为 ``expected`` （up 或 down），否则失败。

        Example: | 接口链路状态应为 | dpdkvhostuser0 | up |
        """
        state = self.ovs.interface(interface)["link_state"]
        logger.info(f"{interface} link_state={state}")
        if state != expected:
            raise AssertionError(f"接口 {interface} 的 link_state 是 {state}，期望 {expected}")

    @keyword("获取vswitchd崩溃记录")
    def vswitchd_crashes(self) -> list:
        """返回 ovs-vswitchd 的监控进程在日志中记下的崩溃（ ``N crashes: pid P died, killed (...)`` ），
        并以表格（时间、pid、原因）记入日志。

        读的是 ovs-vswitchd 日志的最后 4 MB。对应记录“待解决问题 / VM同时添加sriov和vhost-user导致OVS崩溃重启”。

        Example: | ${crashes}= | 获取vswitchd崩溃记录 |
        """
        lab = seam.current()
        result = self._hv("tail", "-c", "4000000", lab.ovs_log_path)
        crashes = parse_vswitchd_crashes(result.stdout)
        evidence.table(
            ["时间", "pid", "原因"],
            [(c["timestamp"], c["pid"], c["status"]) for c in crashes],
            title=f"{lab.ovs_log_path} 中的崩溃记录（{len(crashes)} 条）",
        )
        return crashes

    @keyword("记录vswitchd日志中端口的记录")
    def log_port_lines(self, port: str, lines: int = 40) -> list[str]:
        """把 ovs-vswitchd 日志最后 4 MB 中提到端口 ``port`` 的最后 ``lines`` 行（默认 40，1..1000）记入日志并返回，
        如 vhost-user 端口的连接、断开与重连（ ``vHost Device '...' has been added`` ）。

        用在用例终程里（如 `Run Keyword If Test Failed` ）：端口没有按期望连上时，日志说明 OVS 这一侧发生了什么。

        Example: | 记录vswitchd日志中端口的记录 | vhuclient1 |
        """
        name = validate.ovs_name(port)
        count = validate.integer(lines, "行数", 1, 1000)
        lab = seam.current()
        command = f"tail -c 4000000 {shlex.quote(lab.ovs_log_path)} | grep -F -e {shlex.quote(name)} | tail -n {count}"
        result = lab.session(lab.spec.hypervisor).run(command)
        if result.stderr.strip():  # grep finding nothing says nothing; tail not reading the log says this
            logger.warn(f"读不到 ovs-vswitchd 日志 {lab.ovs_log_path}：{result.stderr.strip()}")
        found = result.stdout.splitlines()
        evidence.pre(f"{lab.ovs_log_path} 中提到 {name} 的最后 {len(found)} 行", result.stdout or "（没有）")
        return found

    @keyword("获取vswitchd进程号")
    def vswitchd_pid(self) -> int:
        """返回 Hypervisor 上 ovs-vswitchd 的进程号（读 OVS_RUNDIR 中的 pidfile），并记录 ``ovs-appctl version`` 。

        ovs-vswitchd 没有应答时失败。可用来确认进程是否重启过。

        Example: | ${pid}= | 获取vswitchd进程号 |
        """
        result = self._hv("ovs-appctl", "version")
        pid = self._hv("cat", f"{seam.current().spec.ovs_rundir}/ovs-vswitchd.pid").stdout.strip()
        logger.info(f"{result.stdout.strip()}；pid {pid}")
        return int(pid)

    @keyword("观察期内ovs-vswitchd应保持运行")
    def vswitchd_should_keep_running(self, pid: int, seconds: float = 5) -> None:
        """在 ``seconds`` 秒的观察期内每 0.5 秒问一次进程号为 ``pid`` 的 ovs-vswitchd 是否还在应答
        （ ``ovs-appctl -t <OVS_RUNDIR>/ovs-vswitchd.<pid>.ctl version`` ：只有这个进程的控制套接字）。

        它崩溃、被监控进程重启成新的进程或被停掉时立即失败，消息给出出事的时刻和现在 pidfile 里的进程号；
        观察期内一直应答时通过。要确认的是一段时间里“没有发生”的事，所以观察期是固定的，发生了就不必等满。
        ``pid`` 通常来自 `获取vswitchd进程号` ， ``seconds`` 在 0.5..600 之间。

        Example: | 观察期内ovs-vswitchd应保持运行 | ${pid} | 5 |
        """
        pid = validate.integer(pid, "ovs-vswitchd 进程号", 1, 2**22)
        seconds = float(seconds)
        if not 0.5 <= seconds <= 600:
            raise ValueError(f"观察期 {seconds:g} 秒不在 0.5..600 之间")
        rundir = seam.current().spec.ovs_rundir
        control = f"{rundir}/ovs-vswitchd.{pid}.ctl"
        start = time.monotonic()
        asked = 0
        while True:
            result = self._hv("ovs-appctl", "-t", control, "version", check=False)
            asked += 1
            elapsed = time.monotonic() - start
            if not result.ok:
                now = self._hv("cat", f"{rundir}/ovs-vswitchd.pid", check=False).stdout.strip() or "无"
                raise AssertionError(
                    f"ovs-vswitchd（pid {pid}）在观察期的第 {elapsed:.1f} 秒不再应答"
                    f"（{(result.stderr or result.stdout).strip()}）；现在 pidfile 中的进程号：{now}"
                )
            if elapsed >= seconds:
                break
            time.sleep(min(0.5, seconds - elapsed))
        logger.info(f"ovs-vswitchd（pid {pid}）在 {seconds:g} 秒的观察期内一直应答（问了 {asked} 次）")

    @keyword("重启ovs-vswitchd")
    def restart_vswitchd(self) -> None:
        """在 Hypervisor 上重启 ovs-vswitchd（同 ovs-ctl restart，ovsdb-server 和数据库保留），
        然后重新连接并记录 ``ovs-vsctl show`` 。

        重启后 vhost-user server 端口（dpdkvhostuser）上的虚拟机连接断开，需要重启虚拟机；
        client 端口（dpdkvhostuserclient）由 OVS 自己重连（记录“Troubleshooting / OVS异常重启导致vhostuser不通”）。
        真实实验环境用 ``ovs-ctl --no-ovsdb-server restart`` ；内嵌实验环境停止并重新启动本机的 ovs-vswitchd 进程。

        Example: | 重启ovs-vswitchd |
        """
        seam.current().restart_vswitchd()
        self.disconnect()
        self.show_ovs()

    @keyword("显示OVS配置")
    def show_ovs(self) -> str:
        """在 Hypervisor 上执行并记录 ``ovs-vsctl show`` ，返回其输出。

        Example: | ${show}= | 显示OVS配置 |
        """
        result = self._hv("ovs-vsctl", "show")
        evidence.command(result)
        return result.stdout

    @keyword("获取数据通路信息")
    def dpif_show(self) -> dict:
        """执行并记录 ``ovs-appctl dpif/show`` ，返回按端口名索引的端口信息（type、ofport、config 中的队列数、mtu
        等）。

        Example: | ${ports}= | 获取数据通路信息 |
        | Should Be Equal As Integers | ${ports}[dpdkvhostuser0][config][configured_rx_queues] | 2 |
        """
        result = self._hv("ovs-appctl", "dpif/show")
        evidence.command(result)
        return {
            port["name"]: port
            for dp in parse_dpif_show(result.stdout)
            for ports in dp["bridges"].values()
            for port in ports
        }

    @keyword("端口接收队列数应为")
    def rx_queues_should_be(self, port: str, expected: int) -> None:
        """检查 OVS 报告的端口 ``port`` 配置的接收队列数为 ``expected`` ，对应记录 5.4.4（vNIC 多队列）。

        OVS 在接口的 ``status`` 列中报告 ``n_rxq`` / ``n_txq`` （OVS 3.3 起）时读它，
        否则读 ``dpif/show`` 的 ``configured_rx_queues`` （记录中的 OVS 2.8.4 等旧版本在那里显示）；
        日志中的表格写明读的是哪个来源。读不到或不相等时失败。

        Example: | 端口接收队列数应为 | dpdkvhostuser0 | 2 |
        """
        status = self.ovs.interface_status(check_name("端口", port))
        config = None
        if "n_rxq" not in status:
            ports = self.dpif_show()
            if port not in ports:
                raise AssertionError(f"dpif/show 中没有端口 {port}（现有：{', '.join(sorted(ports))}）")
            config = ports[port]["config"]
        rxq, txq, source = queue_counts(status, config)
        evidence.table(
            ["端口", "接收队列", "发送队列", "来源"],
            [(port, rxq, txq if txq is not None else "-", source)],
            title=f"{port} 的队列数",
            highlight=[] if rxq == expected else [(0, 1)],
        )
        if rxq is None:
            raise AssertionError(f"端口 {port} 的接收队列数读不到：{source}")
        if rxq != expected:
            raise AssertionError(f"端口 {port} 配置了 {rxq} 个接收队列（{source}），期望 {expected}")

    @keyword("获取PMD队列分布")
    def pmd_rxq_show(self) -> list:
        """执行并记录 ``ovs-appctl dpif-netdev/pmd-rxq-show`` ，返回各 PMD 线程及其轮询的接收队列。

        日志中另有表格：PMD core、NUMA、端口、队列、状态（OVS 2.12 之前不显示队列状态，所列队列都在被轮询）。

        Example: | ${pmds}= | 获取PMD队列分布 |
        """
        result = self._hv("ovs-appctl", "dpif-netdev/pmd-rxq-show")
        evidence.command(result)
        pmds = parse_pmd_rxq_show(result.stdout)
        evidence.table(
            ["PMD core", "NUMA", "端口", "队列", "状态"],
            [
                (p["core_id"], p["numa_id"], q["port"], q["queue_id"], q.get("state") or "未显示（OVS < 2.12）")
                for p in pmds
                for q in p["queues"]
            ],
            title="PMD 与接收队列"
            + (
                "（OVS 2.12 前不显示队列状态：所列队列都被轮询）"
                if any(q.get("state") is None for p in pmds for q in p["queues"])
                else ""
            ),
        )
        return pmds

    @keyword("PMD应与所轮询端口在同一NUMA节点")
    def pmd_numa_should_match(self) -> str:
        """判定 Hypervisor 上的 NUMA 亲和性（记录 5.4.1.2 “OVS支持numa感知”），返回一句结论供用例消息使用。

        检查：
        - ``pmd-rxq-show`` 中每个接收队列都由与其端口同一 NUMA 节点上的 PMD 轮询。
          DPDK 网卡的节点取自 ``/sys/bus/pci/devices/<pci>/numa_node`` （-1 表示没有 NUMA 信息）
          或 OVS 的 ``status:numa_id`` ；vhost-user 端口的节点（虚拟机内存所在的节点）取自 ``status:numa`` ，
          OVS 2.8 上取自 ovs-vswitchd 日志中的 ``vHost Device ... numa node N`` 行。
        - 每个 dpdk 和 vhost-user 端口都有 PMD 轮询；PMD 所在节点是主机现有的节点（
          ``/sys/devices/system/node/online`` ）；设置了 ``dpdk-socket-mem`` 时，每个用到的节点都分到了内存。

        结果以表格记入日志。不满足时失败并写明端口、它的节点和 PMD 的节点；主机有多个节点而某端口的节点无从得知时
        SKIP；只有一个节点的主机在结论中说明。

        Example: | ${summary}= | PMD应与所轮询端口在同一NUMA节点 |
        """
        lab = seam.current()
        hv = lab.session(lab.spec.hypervisor)
        config = self.get_other_config()
        pmds = self.pmd_rxq_show()
        online = hv.run(shlex.join(["cat", "/sys/devices/system/node/online"]))
        evidence.command(online)
        nodes, notes = [0], []
        if online.ok and online.stdout.strip():
            nodes = parse_node_list(online.stdout)
        else:
            notes.append("Hypervisor 没有 /sys/devices/system/node/online（内核无 NUMA 支持）：按单节点 0 判断")
        names = set(self.ovs.interfaces_of_type("dpdk", *VHOST_TYPES))
        names |= {q["port"] for pmd in pmds for q in pmd["queues"]}
        ports: dict[str, PortNuma] = {}
        logged: dict[str, int] | None = None
        for name in sorted(names):
            iface, status = self.ovs.interface(name), self.ovs.interface_status(name)
            sysfs, socket = None, None
            devargs = str(iface["options"].get("dpdk-devargs", "")).split(",")[0]
            if iface["type"] == "dpdk" and validate.PCI.match(devargs):
                path = f"/sys/bus/pci/devices/{devargs}/numa_node"
                read = hv.run(shlex.join(["cat", path]))
                evidence.command(read)
                sysfs = (path, read.stdout if read.ok else "不存在")
            if iface["type"] in VHOST_TYPES:
                socket = status.get("socket") or iface["options"].get("vhost-server-path")
                socket = socket or lab.vhost_socket_path(name)
                if "numa" not in status and logged is None:  # OVS 2.8: no status for vhost-user ports
                    log = self._hv("tail", "-c", "4000000", lab.ovs_log_path, check=False)
                    logged = parse_vhost_numa_log(log.stdout) if log.ok else {}
                    if not log.ok:
                        notes.append(f"读不到 ovs-vswitchd 日志 {lab.ovs_log_path}（实验环境参数 ovs_log）")
            ports[name] = port_numa(name, iface["type"], status, sysfs=sysfs, logged=logged, socket=socket)
        mem_text = config.get("dpdk-socket-mem")
        verdict = judge_pmd_numa(pmds, ports, nodes, parse_socket_mem(mem_text) if mem_text else None, mem_text)
        verdict.notes[:0] = notes
        evidence.table(
            list(verdict.HEADERS),
            verdict.rows,
            title=f"PMD 与端口的 NUMA 节点（Hypervisor 的 NUMA 节点：{', '.join(map(str, verdict.nodes))}）",
            highlight=[(i, 7) for i, row in enumerate(verdict.rows) if row[7] != "PASS"],
        )
        summary = verdict.summary()
        logger.info(summary)
        if verdict.failures:
            raise AssertionError(summary)
        if verdict.unchecked:
            raise SkipExecution(summary)
        return summary

    @keyword("PMD轮询的队列")
    def polled_queues(self, pmds: list) -> list:
        """返回 ``pmds`` （`获取PMD队列分布` 的结果）中每个接收队列的 ``端口:队列号`` 。

        Example: | ${queues}= | PMD轮询的队列 | ${pmds} |
        """
        return [f"{q['port']}:{q['queue_id']}" for pmd in pmds for q in pmd["queues"]]

    @keyword("获取OVS版本")
    def ovs_version(self) -> dict:
        """返回并记录 Hypervisor 上的 OVS 和 DPDK 版本，以及各自的读取来源（记录 5.4.1.1 的版本要求）。

        先读 OVSDB（ovs-ctl 写入的 ``ovs_version`` ；ovs-vswitchd 从 OVS 2.10 起写入的 ``dpdk_version`` ）。
        数据库模式中没有该列（记录中的 OVS 2.8.4）或为空时，依次读：正在运行的 ovs-vswitchd 的 ``--version`` （OVS
        2.9 起的 DPDK 版本会打印 ``DPDK x`` ）、它的日志（2.9 起的 ``Using DPDK x`` ， ``dpdk-extra`` 含 ``-v`` 时
        EAL 的 ``RTE Version`` ），最后是实验环境参数 ``dpdk_version_header`` 指定的、
        编译 OVS 所用 DPDK 的 ``rte_version.h`` 。

        返回的键： ``ovs_version`` 、 ``dpdk_version`` （读不到时为空）、 ``dpdk_initialized`` 、
        ``ovs_version_source`` 、 ``dpdk_version_source`` （读自哪里，或尝试过哪些来源）。读不到 OVS 版本时失败。

        Example: | ${v}= | 获取OVS版本 |
        """
        system = self.ovs.system()
        ovs, ovs_source = system["ovs_version"], "OVSDB Open_vSwitch ovs_version"
        dpdk, dpdk_source, tried = system["dpdk_version"], "OVSDB Open_vSwitch dpdk_version", []
        if not dpdk:
            tried.append(
                "OVSDB 的 dpdk_version 为空（DPDK 未初始化？）"
                if self.ovs.has_column("Open_vSwitch", "dpdk_version")
                else f"OVSDB 模式 {system['schema']} 没有 dpdk_version 列（OVS 2.10 起才有）"
            )
        if not (ovs and dpdk):
            binary = self._running_vswitchd()
            result = self._hv(binary, "--version", check=False)
            evidence.command(result)
            if not ovs and result.ok:
                ovs, ovs_source = str(extract_version(result.stdout, "ovs")), f"{binary} --version"
            if not dpdk:
                dpdk, dpdk_source = dpdk_version_from_vswitchd(result.stdout), f"{binary} --version"
                tried.append(f"{binary} --version 没有 DPDK 行（OVS 2.9 起才打印）")
        if not dpdk:
            dpdk, dpdk_source = self._dpdk_version_from_files(tried)
        if not ovs:
            raise OvsError(f"读不到 OVS 版本：OVSDB 的 ovs_version 为空，{self._running_vswitchd()} --version 也失败")
        versions = {
            "ovs_version": ovs,
            "dpdk_version": dpdk or "",
            "dpdk_initialized": system["dpdk_initialized"] or "",
            "ovs_version_source": ovs_source,
            "dpdk_version_source": dpdk_source if dpdk else "；".join(tried),
        }
        evidence.pre("OVS 版本", "\n".join(f"{k}: {v}" for k, v in versions.items() if v))
        return versions

    def _dpdk_version_from_files(self, tried: list[str]) -> tuple[str | None, str]:
        """DPDK's version from ovs-vswitchd's log, else from the lab's ``dpdk_version_header``; adds what
        did not tell it to ``tried``."""
        lab = seam.current()
        pattern = "Using DPDK [^ |]+|RTE Version: '[^']*'"
        log = self._hv("grep", "-a", "-o", "-E", pattern, lab.ovs_log_path, check=False)
        evidence.command(log)
        if version := dpdk_version_from_log(log.stdout):
            return version, lab.ovs_log_path
        tried.append(
            f"{lab.ovs_log_path} 中没有 'Using DPDK'（OVS 2.9 起）或 EAL 'RTE Version'（dpdk-extra 含 -v 时）行"
        )
        header = lab.spec.params.get("dpdk_version_header")
        if not header:
            tried.append("实验环境参数 dpdk_version_header（编译 OVS 所用 DPDK 的 rte_version.h）未设置")
            return None, ""
        read = self._hv("cat", str(header), check=False)
        evidence.command(read)
        if version := dpdk_version_from_header(read.stdout) if read.ok else None:
            return version, f"{header}（编译 OVS 所用 DPDK 的版本头文件，实验环境参数 dpdk_version_header）"
        tried.append(f"{header} 不可读或没有 RTE_VER_* 定义")
        return None, ""

    def _running_vswitchd(self) -> str:
        """The running ovs-vswitchd's binary (a source build's /usr/local/sbin one, Debian's DPDK one ...),
        from its pidfile in OVS_RUNDIR; ``ovs-vswitchd`` on PATH when that cannot be read."""
        if self._vswitchd_binary is None:
            self._vswitchd_binary = "ovs-vswitchd"
            pid = self._hv("cat", f"{seam.current().spec.ovs_rundir}/ovs-vswitchd.pid", check=False).stdout.strip()
            if pid.isdigit():
                exe = self._hv("readlink", f"/proc/{pid}/exe", check=False).stdout.strip()
                if exe.startswith("/") and not exe.endswith(" (deleted)"):
                    self._vswitchd_binary = exe
        return self._vswitchd_binary

    @keyword("获取DPDK版本")
    def dpdk_version(self, versions: dict) -> str:
        """返回 ``versions`` （`获取OVS版本` 的结果）中的 DPDK 版本。

        读不到时（如没有设置 ``dpdk_version_header`` 的 OVS 2.8）让用例 SKIP，并写明尝试过的来源和如何补上。

        Example: | ${dpdk}= | 获取DPDK版本 | ${ovs} |
        """
        if not versions.get("dpdk_version"):
            raise SkipExecution(
                f"读不到 DPDK 版本，无法检查 dpdk 的版本要求：{versions.get('dpdk_version_source', '')}。"
                "在实验环境参数 dpdk_version_header 中给出编译 OVS 所用 DPDK 的 rte_version.h 即可检查"
            )
        logger.info(f"DPDK 版本 {versions['dpdk_version']}（读自 {versions['dpdk_version_source']}）")
        return versions["dpdk_version"]
