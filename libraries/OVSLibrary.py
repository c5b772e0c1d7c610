"""Robot keywords for Open vSwitch on the lab's hypervisor, on OVSDB transactions (ovsdbapp).

= Evidence =
Each configuration keyword logs the ovs-vsctl command a QA engineer would have typed for
it and, after the change, ``ovs-vsctl show`` from the hypervisor. ovs-appctl/ovs-ofctl
are used only where OVSDB has nothing (dpif/show, flows, version).

= Bad input =
Unknown bridges or ports, names with shell metacharacters, and interfaces that
ovs-vswitchd cannot open fail with a message naming them; OVSDB is left as it was.
"""

from __future__ import annotations

from robot.api import logger
from robot.api.deco import keyword, library

from netvirt import evidence, seam
from netvirt.ovs import DatapathType, Ovs, OvsError, PortType
from netvirt.parsers.ovs import parse_dpif_show, parse_pmd_rxq_show


@library(scope="GLOBAL", auto_keywords=False)
class OVSLibrary:
    def __init__(self):
        self._ovs: Ovs | None = None

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
                logger.info(f"等效命令：{self.ovs.last_command}")
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

    @keyword("添加网桥")
    def add_bridge(self, bridge: str, datapath_type: DatapathType = DatapathType.netdev) -> None:
        """Add ``bridge`` with ``datapath_type`` (netdev: the userspace datapath of OVS-DPDK).

        Example: | 添加网桥 | ovsbr0 | datapath_type=netdev |
        """
        self._change(self.ovs.add_bridge, bridge, datapath_type)

    @keyword("删除网桥")
    def delete_bridge(self, bridge: str) -> None:
        """Delete ``bridge`` and its ports.

        Example: | 删除网桥 | ovsbr1 |
        """
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
        devargs = seam.current().dpdk_devargs(pci)
        self._change(self.ovs.add_port, bridge, port, PortType.dpdk, {"dpdk-devargs": devargs, **options})

    @keyword("删除端口")
    def delete_port(self, port: str) -> None:
        """Delete ``port`` from its bridge.

        Example: | 删除端口 | dpdkp1 |
        """
        self._change(self.ovs.delete_port, port)

    @keyword("设置接口选项")
    def set_interface_options(self, interface: str, **options: str) -> None:
        """Set ``options`` of ``interface`` (n_rxq, n_rxq_desc, vhost-server-path ...).

        Example: | 设置接口选项 | dpdkvhostuser0 | n_rxq=2 |
        """
        self._change(self.ovs.set_interface, interface, options)

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
        """Fail unless dpif/show reports ``configured_rx_queues=expected`` for ``port``.

        Example: | 端口接收队列数应为 | dpdkvhostuser0 | 2 |
        """
        ports = self.dpif_show()
        if port not in ports:
            raise AssertionError(f"dpif/show 中没有端口 {port}（现有：{', '.join(sorted(ports))}）")
        found = ports[port]["config"].get("configured_rx_queues")
        if found != expected:
            raise AssertionError(f"端口 {port} 的 configured_rx_queues={found}，期望 {expected}")

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
                (p["core_id"], p["numa_id"], q["port"], q["queue_id"], "enabled" if q["enabled"] else "disabled")
                for p in pmds
                for q in p["queues"]
            ],
            title="PMD 与接收队列",
        )
        return pmds

    @keyword("PMD轮询的队列")
    def polled_queues(self, pmds: list) -> list:
        """Return ``port:queue`` for every rx queue in ``pmds`` (from 获取PMD队列分布).

        Example: | ${queues}= | PMD轮询的队列 | ${pmds} |
        """
        return [f"{q['port']}:{q['queue_id']}" for pmd in pmds for q in pmd["queues"]]

    @keyword("获取OVS版本")
    def ovs_version(self) -> dict:
        """Return the OVS and DPDK versions recorded in OVSDB, and log them.

        Example: | ${v}= | 获取OVS版本 |
        """
        system = self.ovs.system()
        evidence.pre("OVS 版本", "\n".join(f"{k}: {v}" for k, v in system.items()))
        return system
