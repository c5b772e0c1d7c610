"""Robot keywords for Open vSwitch on the lab's hypervisor, on OVSDB transactions (ovsdbapp)."""

from __future__ import annotations

import re
import shlex

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
from netvirt.validate import Mtu, VlanId, VlanOrZero

# ovs-ofctl flow syntax: fields, values, actions; nothing a shell would act on.
FLOW_RE = re.compile(r"^[A-Za-z0-9_.:,=/ ()-]{1,512}$")


@library(scope="GLOBAL", auto_keywords=False, converters=validate.CONVERTERS)
class OVSLibrary:
    """Robot keywords for Open vSwitch on the lab's hypervisor, on OVSDB transactions (ovsdbapp).

    = Evidence =
    Each configuration keyword logs the ovs-vsctl command a QA engineer would have typed for
    it and, after the change, ``ovs-vsctl show`` from the hypervisor. ovs-appctl/ovs-ofctl
    are used only where OVSDB has nothing (dpif/show, flows, version).

    = Bad input =
    Unknown bridges or ports, names with shell metacharacters, and interfaces that
    ovs-vswitchd cannot open fail with a message naming them; OVSDB is left as it was.
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
        """Close the OVSDB connection (done by the suite teardown).

        Example: | 断开OVSDB |
        """
        if self._ovs:
            self._ovs.close()
            self._ovs = None
        self._vswitchd_binary = None

    @keyword("设置OVS全局配置")
    def set_other_config(self, **values: str) -> None:
        """Set ``Open_vSwitch . other_config`` keys, e.g. dpdk-init, pmd-cpu-mask, dpdk-socket-mem.

        Example: | 设置OVS全局配置 | dpdk-init=true | pmd-cpu-mask=0x2 |
        """
        self._change(self.ovs.set_other_config, values)

    @keyword("删除OVS全局配置")
    def remove_other_config(self, *keys: str) -> None:
        """Remove ``other_config`` keys of the Open_vSwitch table.

        Example: | 删除OVS全局配置 | dpdk-socket-mem |
        """
        self._change(self.ovs.remove_other_config, *keys)

    @keyword("获取OVS全局配置")
    def get_other_config(self) -> dict:
        """Return and log ``other_config`` as ``ovs-vsctl list Open_vSwitch | grep other_config`` shows it.

        Example: | ${cfg}= | 获取OVS全局配置 |
        """
        config = self.ovs.other_config()
        text = ", ".join(f'{k}="{v}"' for k, v in sorted(config.items()))
        evidence.pre("ovs-vsctl list Open_vSwitch | grep other_config", f"other_config        : {{{text}}}")
        return config

    @keyword("记下OVS全局配置")
    def remember_other_config(self) -> dict:
        """Remember ``Open_vSwitch . other_config`` as it is now, for `恢复OVS全局配置`; return it.

        Example: | 记下OVS全局配置 |
        """
        self._other_config_before = self.get_other_config()
        return dict(self._other_config_before)

    @keyword("恢复OVS全局配置")
    def restore_other_config(self) -> None:
        """Put ``Open_vSwitch . other_config`` back to what `记下OVS全局配置` remembered: keys added since are
        removed, keys changed or removed since are set back. Nothing remembered: nothing to do.

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
        """Add ``bridge`` with ``datapath_type`` (netdev: the userspace datapath of OVS-DPDK).

        Example: | 添加网桥 | ovsbr0 | datapath_type=netdev |
        """
        self._change(self.ovs.add_bridge, bridge, datapath_type)

    @keyword("删除网桥")
    def delete_bridge(self, bridge: str, missing_ok: bool = False) -> None:
        """Delete ``bridge`` and its ports; with ``missing_ok`` a bridge that does not exist is no error.

        Example: | 删除网桥 | ovsbr1 | missing_ok=True |
        """
        if missing_ok and bridge not in self.ovs.bridges():
            return
        self._change(self.ovs.delete_bridge, bridge)

    @keyword("添加端口")
    def add_port(self, bridge: str, port: str, type: PortType = PortType.system, **options: str) -> None:
        """Add ``port`` to ``bridge`` with interface ``type`` and interface ``options``.

        Fails, and leaves OVSDB as it was, if ovs-vswitchd cannot open the interface.

        Example: | 添加端口 | ovsbr0 | dpdkvhostuser0 | type=dpdkvhostuser | n_rxq=2 |
        """
        self._change(self.ovs.add_port, bridge, port, type, options)

    @keyword("添加DPDK物理端口")
    def add_dpdk_port(self, bridge: str, port: str, pci: str, **options: str) -> None:
        """Add the hypervisor NIC at ``pci`` to ``bridge`` as a ``type=dpdk`` port named ``port``.

        The lab says what ``dpdk-devargs`` means for that PCI address.

        Example: | 添加DPDK物理端口 | ovsbr0 | dpdkp1 | 0005:01:00.0 | n_rxq=2 |
        """
        lab = seam.current()
        devargs = lab.dpdk_devargs(pci)
        self._change(self.ovs.add_port, bridge, port, PortType.dpdk, {"dpdk-devargs": devargs, **options})
        # The NIC's speed from the lab description, for policer rates where OVS reports no link_speed.
        self._nic_speed_bps[port] = lab.spec.host(lab.spec.hypervisor).nic(pci).speed_mbps * 1_000_000

    @keyword("添加vhost-user客户端端口")
    def add_vhostuser_client_port(self, bridge: str, port: str, socket: str, **options: str) -> None:
        """Add a ``dpdkvhostuserclient`` port that connects to the socket a VM listens on (QEMU in server mode).

        ``socket`` is the socket's name in the hypervisor's vhost socket directory; OVS reconnects to it
        by itself after ovs-vswitchd restarts (unlike dpdkvhostuser, where QEMU is the client).

        Example: | 添加vhost-user客户端端口 | ovsbr2 | vhuclient0 | vhuclient0.sock |
        """
        path = seam.current().vhost_socket_path(validate.ovs_name(socket, "vhost-user 套接字"))
        self._change(
            self.ovs.add_port, bridge, port, PortType.dpdkvhostuserclient, {"vhost-server-path": path, **options}
        )

    @keyword("删除端口")
    def delete_port(self, port: str, missing_ok: bool = False) -> None:
        """Delete ``port`` from its bridge; with ``missing_ok`` a port that does not exist is no error.

        Example: | 删除端口 | dpdkp1 | missing_ok=True |
        """
        if missing_ok and port not in self.ovs.snapshot()["ports"]:
            return
        self._change(self.ovs.delete_port, port)

    @keyword("设置接口选项")
    def set_interface_options(self, interface: str, **options: str) -> None:
        """Set ``options`` of ``interface`` (n_rxq, n_rxq_desc, vhost-server-path ...).

        Example: | 设置接口选项 | dpdkvhostuser0 | n_rxq=2 |
        """
        self._change(self.ovs.set_interface, interface, options)

    @keyword("设置接口MTU请求")
    def set_mtu_request(self, interface: str, mtu: Mtu) -> None:
        """Set ``mtu_request`` of ``interface`` (68..9702 on a DPDK port, OVS-DPDK's limit; 68..65535 on a
        kernel one) and check what it did: OVS reports that ``mtu``,
        the interface has no ``error``, and its link, if it was up, is up again. Otherwise fails within
        seconds naming the port and what ovs-vswitchd logged about it meanwhile (e.g. ``unsupported MTU``,
        ``Frame size (9018) > device max frame size (1518)``).

        Example: | 设置接口MTU请求 | dpdkvhostuser0 | 4000 |
        """
        lab = seam.current()
        size = self._hv("stat", "-c", "%s", lab.ovs_log_path, check=False)
        offset = int(size.stdout.strip()) if size.ok and size.stdout.strip().isdigit() else None
        try:
            self._change(self.ovs.set_mtu_request, interface, mtu)
        except OvsError as err:
            raise OvsError(f"{err}。{self._log_since(offset, interface, lab.ovs_log_path)}") from None

    def _log_since(self, offset: int | None, interface: str, path: str) -> str:
        """ovs-vswitchd's warnings and errors since byte ``offset`` of its log that concern ``interface``
        or an MTU / frame size, for an error message."""
        if offset is None:
            return f"读不到 ovs-vswitchd 日志 {path}（实验环境参数 ovs_log）"
        result = self._hv("tail", "-c", f"+{offset + 1}", path, check=False)
        lines = [
            line.strip()
            for line in result.stdout.splitlines()
            if re.search(r"\|(WARN|ERR|EMER)\|", line)
            and "not configurable" not in line  # n_rxq on a vhost-user port, logged on every change
            and (interface in line or re.search(r"mtu|frame size", line, re.IGNORECASE))
        ]
        if not lines:
            return f"ovs-vswitchd 日志 {path} 中没有相关的告警或错误行"
        return f"ovs-vswitchd 日志 {path}：" + " | ".join(lines[-5:])

    @keyword("设置接口端口号请求")
    def set_ofport_request(self, interface: str, ofport: int) -> None:
        """Set ``ofport_request`` of ``interface`` (the record's flow variant of 5.4.8.1).

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
        """Set the VLAN mode of ``port``: access, trunk, native-tagged, native-untagged or dot1q-tunnel.

        VLAN IDs must be 1..4094 (``cvlans`` may hold 0 for untagged frames, as in the record).

        Example: | 设置端口VLAN | dpdkvhostuser0 | dot1q-tunnel | tag=100 | cvlans=[0, 10] | qinq_ethtype=802.1q |
        """
        self._change(self.ovs.set_port_vlan, port, mode, tag, trunks or [], cvlans or [], qinq_ethtype)

    @keyword("清除端口VLAN")
    def clear_port_vlan(self, port: str) -> None:
        """Remove the VLAN settings of ``port`` (vlan_mode, tag, trunks, cvlans, qinq-ethtype).

        Example: | 清除端口VLAN | dpdkvhostuser0 |
        """
        self._change(self.ovs.clear_port_vlan, port)

    @keyword("设置端口出口限速")
    def set_egress_policer(self, port: str, cir: int, cbs: int) -> None:
        """Limit what leaves ``port`` with an egress-policer QoS: ``cir`` bytes/s, ``cbs`` bytes.

        Example: | 设置端口出口限速 | dpdkp1 | 625000000 | 2048 |
        """
        self._change(self.ovs.set_egress_policer, port, cir, cbs, self._nic_speed_bps.get(port))

    @keyword("清除端口出口限速")
    def clear_egress_policer(self, port: str) -> None:
        """Remove the QoS of ``port`` (and the QoS row).

        Example: | 清除端口出口限速 | dpdkp1 |
        """
        self._change(self.ovs.clear_qos, port)

    @keyword("设置接口入口限速")
    def set_ingress_policing(self, interface: str, rate: int, burst: int = 0) -> None:
        """Police what enters ``interface``: ``rate`` and ``burst`` in kbit/s (0 turns it off).

        Example: | 设置接口入口限速 | dpdkp1 | 5000000 | 500000 |
        """
        self._change(self.ovs.set_ingress_policing, interface, rate, burst, self._nic_speed_bps.get(interface))

    @keyword("策略器参数")
    def policer_parameters(self, rate_bps: int, udp_payload: int = 1400) -> dict:
        """Turn a rate in bit/s into OVS policer settings and the UDP goodput iperf3 should then report.

        Returns ``cir`` (bytes/s) and ``cbs`` (bytes) for egress-policer, ``ingress_kbps`` and
        ``burst_kbps`` for ingress policing, and ``udp_goodput_bps``: policers count whole Ethernet
        frames (14 header bytes + IP + UDP + payload) while iperf3 counts payload only.

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
        """Skip the test unless every unlimited ``测量吞吐量`` result reached ``factor`` × ``rate_bps``.

        A limit the path cannot even carry proves nothing about the policer.

        Example: | 路径带宽应足以检验限速 | ${base_in} | ${base_out} | rate_bps=${rate} |
        """
        slow = [m["mean_bps"] for m in measurements if m["mean_bps"] < factor * rate_bps]
        if slow:
            raise SkipExecution(
                f"不限速时路径只有 {min(slow) / 1e6:.1f} Mbit/s，不到限速 {rate_bps / 1e6:g} Mbit/s 的 "
                f"{factor} 倍：本实验环境无法检验限速"
            )

    @keyword("流表应已命中")
    def flow_should_have_packets(self, flows: list, match: str) -> None:
        """Fail unless a flow whose match contains ``match`` counted packets (from 查看流表).

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
        """Add an OpenFlow rule with ``ovs-ofctl add-flow`` on the hypervisor.

        Example: | 添加流表 | ovsbr0 | in_port=2,actions=output:3 |
        """
        self.ovs.ports(check_name("网桥", bridge))  # names the bridge if it does not exist
        evidence.command(self._hv("ovs-ofctl", "add-flow", bridge, self._flow(flow)))

    @keyword("删除流表")
    def delete_flows(self, bridge: str, match: str | None = None) -> None:
        """Delete the flows of ``bridge`` matching ``match`` (all flows if none is given).

        Example: | 删除流表 | ovsbr0 |
        """
        self.ovs.ports(check_name("网桥", bridge))
        argv = ["ovs-ofctl", "del-flows", bridge] + ([self._flow(match)] if match else [])
        evidence.command(self._hv(*argv))

    @keyword("恢复默认流表")
    def restore_normal_flow(self, bridge: str) -> None:
        """Delete every flow of ``bridge`` and put back the NORMAL flow (without it no port forwards).

        Example: | 恢复默认流表 | ovsbr0 |
        """
        self.delete_flows(bridge)
        self.add_flow(bridge, "priority=0,actions=NORMAL")

    @keyword("查看流表")
    def dump_flows(self, bridge: str) -> list:
        """Run and log ``ovs-ofctl dump-flows``; return the flows (match, actions, n_packets ...).

        With ``--names`` (ports by name, as the record shows them); an ovs-ofctl without it (OVS before
        2.8) is run without, and ``in_port`` numbers are given their names from OVSDB's ``ofport``, as
        the log says.

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
        """Return the OVSDB configuration (bridges, ports, interfaces, QoS; no counters) to compare later.

        Example: | ${before}= | 获取OVSDB配置快照 |
        """
        return self.ovs.snapshot()

    @keyword("获取接口状态")
    def interface_state(self, interface: str) -> dict:
        """Return ``interface``'s OVSDB state: type, options, ofport, error, mtu, link_state, statistics.

        Example: | ${iface}= | 获取接口状态 | dpdkvhostuser0 |
        """
        return self.ovs.interface(interface)

    @keyword("接口链路状态应为")
    def link_state_should_be(self, interface: str, expected: str) -> None:
        """Fail unless OVSDB reports ``link_state`` ``expected`` (up/down) for ``interface``.

        Example: | 接口链路状态应为 | dpdkvhostuser0 | up |
        """
        state = self.ovs.interface(interface)["link_state"]
        logger.info(f"{interface} link_state={state}")
        if state != expected:
            raise AssertionError(f"接口 {interface} 的 link_state 是 {state}，期望 {expected}")

    @keyword("获取vswitchd崩溃记录")
    def vswitchd_crashes(self) -> list:
        """Return the crashes the ovs-vswitchd monitor logged (``N crashes: pid P died, killed (...)``) and log them.

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

    @keyword("获取vswitchd进程号")
    def vswitchd_pid(self) -> int:
        """Return the pid of ovs-vswitchd on the hypervisor (from its pidfile in OVS_RUNDIR).

        Example: | ${pid}= | 获取vswitchd进程号 |
        """
        result = self._hv("ovs-appctl", "version")
        pid = self._hv("cat", f"{seam.current().spec.ovs_rundir}/ovs-vswitchd.pid").stdout.strip()
        logger.info(f"{result.stdout.strip()}；pid {pid}")
        return int(pid)

    @keyword("重启ovs-vswitchd")
    def restart_vswitchd(self) -> None:
        """Restart ovs-vswitchd on the hypervisor (as ovs-ctl restart would) and wait until it answers.

        vhost-user server ports (dpdkvhostuser) lose their guests' connection over a restart; client
        ports (dpdkvhostuserclient) are reconnected by OVS (the record's troubleshooting note).

        Example: | 重启ovs-vswitchd |
        """
        seam.current().restart_vswitchd()
        self.disconnect()
        self.show_ovs()

    @keyword("显示OVS配置")
    def show_ovs(self) -> str:
        """Run and log ``ovs-vsctl show`` on the hypervisor; return its output.

        Example: | ${show}= | 显示OVS配置 |
        """
        result = self._hv("ovs-vsctl", "show")
        evidence.command(result)
        return result.stdout

    @keyword("获取数据通路信息")
    def dpif_show(self) -> dict:
        """Run and log ``ovs-appctl dpif/show``; return its ports by name (type, ofport, configured queues, mtu).

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
        """Fail unless OVS reports ``expected`` rx queues configured on ``port``.

        Read from the Interface ``status`` column (``n_rxq``/``n_txq``, OVS 3.3 on) where OVS reports
        them, else from ``dpif/show`` (``configured_rx_queues``, what older OVS such as the record's 2.8.4
        prints there); the log says which source was read.

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
        """Run and log ``ovs-appctl dpif-netdev/pmd-rxq-show``; return the PMD threads with their rx queues.

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
        """Judge NUMA locality on the hypervisor; return a summary for the test message.

        Every rx queue in ``pmd-rxq-show`` must be polled by a PMD on its port's NUMA node: a DPDK NIC's
        node from ``/sys/bus/pci/devices/<pci>/numa_node`` (-1: no NUMA information) or OVS's
        ``status:numa_id``; a vhost-user port's node (where the guest's memory is) from ``status:numa``
        or, on OVS 2.8, from the ``vHost Device ... numa node N`` line of ovs-vswitchd's log. Every dpdk
        and vhost-user port must be polled; PMDs must be on nodes the host has
        (``/sys/devices/system/node/online``), and ``dpdk-socket-mem``, when set, must give memory to
        every node in use. Fails naming the port, its node and the PMD's node; skips when a port's node
        cannot be known on a host with several nodes. A one-node host is said so in the summary.

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
        """Return ``port:queue`` for every rx queue in ``pmds`` (from 获取PMD队列分布).

        Example: | ${queues}= | PMD轮询的队列 | ${pmds} |
        """
        return [f"{q['port']}:{q['queue_id']}" for pmd in pmds for q in pmd["queues"]]

    @keyword("获取OVS版本")
    def ovs_version(self) -> dict:
        """Return and log the hypervisor's OVS and DPDK versions, each with where it was read.

        OVSDB first (``ovs_version``, which ovs-ctl writes; ``dpdk_version``, which ovs-vswitchd writes from
        OVS 2.10); where a column is absent from the schema (the record's OVS 2.8.4) or empty: the running
        ovs-vswitchd's ``--version`` (``DPDK x`` on DPDK builds from OVS 2.9), its log (``Using DPDK x``
        from 2.9, EAL's ``RTE Version`` when ``dpdk-extra`` gives ``-v``), then the ``rte_version.h`` of
        the DPDK OVS was built with, named by the lab parameter ``dpdk_version_header``. Keys:
        ``ovs_version``, ``dpdk_version`` (empty when unknown), ``dpdk_initialized``, ``ovs_version_source``,
        ``dpdk_version_source`` (where read, or what was tried).

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
        """Return the DPDK version in ``versions`` (from 获取OVS版本); skip the test, saying what was tried,
        when it could not be read (an OVS 2.8 without ``dpdk_version_header``, for one).

        Example: | ${dpdk}= | 获取DPDK版本 | ${ovs} |
        """
        if not versions.get("dpdk_version"):
            raise SkipExecution(
                f"读不到 DPDK 版本，无法检查 dpdk 的版本要求：{versions.get('dpdk_version_source', '')}。"
                "在实验环境参数 dpdk_version_header 中给出编译 OVS 所用 DPDK 的 rte_version.h 即可检查"
            )
        logger.info(f"DPDK 版本 {versions['dpdk_version']}（读自 {versions['dpdk_version_source']}）")
        return versions["dpdk_version"]
