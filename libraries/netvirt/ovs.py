"""Open vSwitch configuration through OVSDB transactions (ovsdbapp), not ovs-vsctl strings.

Every change is one transaction; ``vsctl`` renders the ovs-vsctl command line a QA engineer
would have typed for it, so the log reads like the record. After a change that adds or
re-types interfaces, ovs-vswitchd is given time to apply it and an interface it could not
open (ofport -1, the ``error`` column) is an error with that text, and the change is
rolled back: plain ovs-vsctl would only log such a failure and exit 0.
"""

from __future__ import annotations

import enum
import re
import shlex
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ovsdbapp.backend.ovs_idl import connection, idlutils
from ovsdbapp.schema.open_vswitch import impl_idl

from netvirt import validate
from netvirt.waiting import WaitTimeout, wait_until

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
VALUE_RE = re.compile(r"^[A-Za-z0-9_.,:=/ +@-]{0,256}$")


class OvsError(RuntimeError):
    """An OVS operation failed or was refused; the message names the thing and the value."""


class PortType(enum.Enum):
    """Interface types the record uses (``system`` is the empty type of ovs-vsctl)."""

    system = ""
    internal = "internal"
    dpdk = "dpdk"
    dpdkvhostuser = "dpdkvhostuser"
    dpdkvhostuserclient = "dpdkvhostuserclient"
    patch = "patch"


class DatapathType(enum.Enum):
    netdev = "netdev"
    system = "system"


class VlanMode(enum.Enum):
    access = "access"
    trunk = "trunk"
    native_tagged = "native-tagged"
    native_untagged = "native-untagged"
    dot1q_tunnel = "dot1q-tunnel"


def check_name(kind: str, name: str) -> str:
    """``name`` if OVS keeps it as the name of a ``kind`` (网桥, 端口, 接口)."""
    return validate.ovs_name(name, kind)


def check_map(kind: str, values: dict[str, object]) -> dict[str, str]:
    checked = {}
    for key, value in values.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if not KEY_RE.match(key) or not VALUE_RE.match(text):
            raise OvsError(f"{kind} {key}={text!r} 含有不允许的字符")
        checked[key] = text
    return checked


def _vlan_list(values: Iterable[int], what: str, allow_zero: bool = False) -> list[int]:
    return [validate.vlan(vid, what, allow_zero) for vid in values]


def vsctl(*words: str) -> str:
    """Render an ovs-vsctl command line; ``--`` separates sub-commands as ovs-vsctl does."""
    return "ovs-vsctl " + " ".join(w if w == "--" else shlex.quote(w) for w in words)


def map_words(column: str, values: dict[str, str]) -> list[str]:
    return [f"{column}:{key}={shlex.quote(value) if ' ' in value else value}" for key, value in values.items()]


VHOST_TYPES = ("dpdkvhostuser", "dpdkvhostuserclient")


# -- NUMA locality of PMD threads (5.4.1.2) ---------------------------------------------------------
def parse_node_list(text: str) -> list[int]:
    """Parse a kernel node/CPU list such as ``/sys/devices/system/node/online``: ``'0-1,3'`` -> ``[0, 1, 3]``."""
    nodes: set[int] = set()
    for piece in text.strip().split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", piece.strip())
        if not match:
            raise ValueError(f"NUMA 节点列表 {text.strip()!r} 无法解析：期望 '0' 或 '0-1,3' 这样的格式")
        first, last = int(match[1]), int(match[2] or match[1])
        nodes.update(range(first, last + 1))
    return sorted(nodes)


def parse_socket_mem(text: str) -> dict[int, int]:
    """Parse ``other_config:dpdk-socket-mem`` (MB per NUMA node, node 0 first): ``'4096'`` -> ``{0: 4096}``."""
    values = [v.strip() for v in text.split(",")]
    if not all(re.fullmatch(r"\d+", v) for v in values):
        raise ValueError(f"dpdk-socket-mem={text!r} 无法解析：期望逗号分隔的每节点 MB 数，如 '4096' 或 '1024,1024'")
    return {node: int(mb) for node, mb in enumerate(values)}


@dataclass(frozen=True)
class PortNuma:
    """The NUMA node of a port polled by PMDs, and where it was read (None: unknown)."""

    port: str
    type: str
    numa: int | None
    source: str


def port_numa(
    port: str,
    port_type: str,
    status: dict[str, str],
    sysfs: tuple[str, str] | None = None,
    logged: dict[str, int] | None = None,
    socket: str | None = None,
) -> PortNuma:
    """Decide the NUMA node of ``port`` from what the hypervisor tells.

    - a PCI NIC: ``sysfs`` = (path, content of ``/sys/bus/pci/devices/<pci>/numa_node``), -1 meaning the
      platform gives no NUMA information; then OVS's Interface ``status:numa_id`` (DPDK's view);
    - a vhost-user port: ``status:numa`` (OVS 2.9 on: the node of the guest's memory, once connected),
      else the ``vHost Device '<socket>' has been added on numa node N`` line of ovs-vswitchd's log
      (``logged``, by socket path; OVS 2.8 has no status for vhost-user ports).

    Example: ``port_numa("dpdkvhostuser0", "dpdkvhostuser", {"numa": "0", "status": "connected"})``
    """
    tried: list[str] = []
    if sysfs is not None:
        path, text = sysfs
        value = text.strip()
        if re.fullmatch(r"-?\d+", value) and int(value) >= 0:
            return PortNuma(port, port_type, int(value), f"{path} = {value}")
        tried.append(f"{path} = {value or '（空）'}（无 NUMA 信息）")
    for key in ("numa", "numa_id"):
        value = status.get(key, "")
        if re.fullmatch(r"-?\d+", value):
            if int(value) >= 0:
                source = "；".join([*tried, f"OVSDB Interface status:{key} = {value}"])
                return PortNuma(port, port_type, int(value), source)
            tried.append(f"status:{key} = {value}（无 NUMA 信息）")
    if port_type in VHOST_TYPES:
        if status.get("status") == "disconnected":
            tried.append("vhost-user 未连接（status:status=disconnected）")
        if socket and logged and socket in logged:
            node = logged[socket]
            return PortNuma(port, port_type, node, f"ovs-vswitchd.log: vHost Device '{socket}' ... numa node {node}")
        tried.append(f"ovs-vswitchd.log 中没有 {socket or port} 的 'vHost Device ... numa node' 记录")
    return PortNuma(port, port_type, None, "；".join(tried) or "OVSDB 状态中没有 NUMA 信息")


@dataclass
class NumaJudgement:
    """What 5.4.1.2 found: one row per polled rx queue, failures, what could not be judged, notes."""

    nodes: list[int]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    HEADERS = ("端口", "类型", "端口 NUMA", "端口 NUMA 来源", "队列", "PMD core", "PMD NUMA", "判定")

    @property
    def single_node(self) -> bool:
        return len(self.nodes) == 1

    def summary(self) -> str:
        """One paragraph for the test message: verdict first, then what was checked."""
        ports = sorted({row[0] for row in self.rows})
        pmd_nodes = sorted({row[6] for row in self.rows})
        checked = (
            f"已检查 {len(self.rows)} 个接收队列（端口 {', '.join(ports) or '无'}），"
            f"轮询它们的 PMD 在 NUMA 节点 {', '.join(map(str, pmd_nodes)) or '无'}"
        )
        head = "NUMA 不一致：" + "；".join(self.failures) if self.failures else "PMD 与端口在同一 NUMA 节点"
        sources = {row[0]: row[3] for row in self.rows}
        origin = "端口所在节点读自：" + "；".join(f"{port} ← {source}" for port, source in sorted(sources.items()))
        parts = [head, checked, *([origin] if sources else []), *self.notes]
        if self.unchecked:
            parts.append("无法判断：" + "；".join(self.unchecked))
        return "。".join(parts)


def judge_pmd_numa(
    pmds: list[dict[str, Any]],
    ports: dict[str, PortNuma],
    nodes: list[int],
    socket_mem: dict[int, int] | None = None,
    socket_mem_text: str | None = None,
) -> NumaJudgement:
    """Judge NUMA locality: every rx queue of ``ports`` polled by a PMD on the port's node, PMDs on
    nodes the host has, and ``dpdk-socket-mem`` giving memory to every node PMDs and ports use.

    ``pmds`` come from ``parse_pmd_rxq_show``; ``ports`` are the PMD-polled ports (dpdk, vhost-user)
    with their nodes (``port_numa``); ``nodes`` are the hypervisor's online NUMA nodes. On a
    one-node host a port whose node is unknown is on that node: nothing else exists.

    Example: ``judge_pmd_numa(parse_pmd_rxq_show(text), {"p0": port_numa("p0", "dpdk", status)}, [0])``
    """
    verdict = NumaJudgement(nodes=sorted(nodes))
    only = verdict.nodes[0] if verdict.single_node else None
    polled: dict[str, int] = {}
    for pmd in pmds:
        if pmd["numa_id"] not in verdict.nodes:
            verdict.failures.append(
                f"PMD（core {pmd['core_id']}）报告 NUMA 节点 {pmd['numa_id']}，"
                f"而 Hypervisor 的 NUMA 节点只有 {', '.join(map(str, verdict.nodes))}"
            )
        for queue in pmd["queues"]:
            name = queue["port"]
            polled[name] = polled.get(name, 0) + 1
            where = ports.get(name) or PortNuma(name, "?", None, "不在被检查的端口中")
            node, source = where.numa, where.source
            if node is None and only is not None:
                node, source = only, f"单 NUMA 节点 {only}（{source}）"
            if node is None:
                result = "无法判断"
                verdict.unchecked.append(f"端口 {name} 的 NUMA 节点未知（{source}）")
            elif node != pmd["numa_id"]:
                result = "FAIL"
                verdict.failures.append(
                    f"端口 {name} 在 NUMA 节点 {node}，其接收队列 {queue['queue_id']} "
                    f"却由 NUMA 节点 {pmd['numa_id']} 上的 PMD（core {pmd['core_id']}）轮询"
                )
            else:
                result = "PASS"
            verdict.rows.append(
                (name, where.type, node, source, queue["queue_id"], pmd["core_id"], pmd["numa_id"], result)
            )
    for name, where in sorted(ports.items()):
        if where.numa is not None and where.numa not in verdict.nodes:
            verdict.failures.append(
                f"端口 {name} 报告 NUMA 节点 {where.numa}（{where.source}），"
                f"而 Hypervisor 的 NUMA 节点只有 {', '.join(map(str, verdict.nodes))}"
            )
        if name not in polled:
            node = where.numa if where.numa is not None else "未知"
            verdict.failures.append(
                f"端口 {name}（NUMA 节点 {node}）的接收队列没有任何 PMD 轮询（该节点上没有可用的 PMD？见 pmd-cpu-mask）"
            )
    used = {row[6] for row in verdict.rows} | {p.numa for p in ports.values() if p.numa is not None}
    if socket_mem is None:
        verdict.notes.append("dpdk-socket-mem 未设置：DPDK 按需在各节点分配内存，没有按节点预分配可检查")
    else:
        for node in sorted(used):
            if socket_mem.get(node, 0) <= 0:
                verdict.failures.append(
                    f"NUMA 节点 {node} 上有 PMD 或端口，但 dpdk-socket-mem={socket_mem_text} 没有给该节点分配内存"
                )
        extra = [n for n, mb in socket_mem.items() if mb > 0 and n not in verdict.nodes]
        given = ", ".join(f"节点 {n}: {mb} MB" for n, mb in sorted(socket_mem.items()))
        verdict.notes.append(f"dpdk-socket-mem={socket_mem_text}（{given}）")
        if extra:
            verdict.failures.append(f"dpdk-socket-mem={socket_mem_text} 给不存在的 NUMA 节点 {extra} 分配了内存")
    if verdict.single_node:
        verdict.notes.append(
            f"Hypervisor 只有一个 NUMA 节点（node {only}）：PMD、端口和内存都在这一个节点上，不存在跨 NUMA 分配"
            "（记录的注：本系统为单socket，所以分配的CPU和Mem并不存在跨numa node问题）；"
            f"已确认每个 PMD 与每个端口都在节点 {only}"
        )
    return verdict


def queue_counts(status: dict[str, str], dpif_config: dict[str, Any] | None) -> tuple[int | None, int | None, str]:
    """Rx and tx queue counts of a port, and where they were read.

    OVS 3.3 on reports ``n_rxq``/``n_txq`` in the Interface ``status`` column and no longer prints
    ``configured_rx_queues`` in ``dpif/show``; older versions (the record's 2.8.4) have only the latter.

    Example: ``queue_counts({"n_rxq": "2", "n_txq": "2"}, None)`` -> ``(2, 2, 'OVSDB Interface status n_rxq/n_txq')``
    """
    if re.fullmatch(r"\d+", status.get("n_rxq", "")):
        txq = status.get("n_txq", "")
        return int(status["n_rxq"]), int(txq) if txq.isdigit() else None, "OVSDB Interface status n_rxq/n_txq"
    config = dpif_config or {}
    rxq, txq = config.get("configured_rx_queues"), config.get("configured_tx_queues")
    if isinstance(rxq, int):
        source = "ovs-appctl dpif/show configured_rx_queues/configured_tx_queues"
        return rxq, txq if isinstance(txq, int) else None, source
    return None, None, "OVSDB status 没有 n_rxq，dpif/show 没有 configured_rx_queues"


class Ovs:
    """One OVSDB connection (unix:, tcp: or ssl:) with the keyword operations on it."""

    def __init__(self, remote: str, timeout: float = 10):
        self.remote = remote
        self.timeout = timeout
        self._api: impl_idl.OvsdbIdl | None = None
        self.last_command = ""
        self.schema_version = ""

    @property
    def api(self) -> impl_idl.OvsdbIdl:
        if self._api is None:
            try:
                helper = idlutils.get_schema_helper(self.remote, "Open_vSwitch")
            except Exception as err:  # ovs raises plain Exceptions for unreachable servers
                raise OvsError(f"无法连接 OVSDB（{self.remote}）：{err}") from None
            helper.register_all()
            self.schema_version = helper.schema_json.get("version", "")
            idl = connection.OvsdbIdl(self.remote, helper)
            # ovsdbapp keeps one connection per backend *class*; a class of our own per Ovs object
            # lets one process talk to several OVSDBs (two labs, a restarted server).
            backend = type("LabOvsdbIdl", (impl_idl.OvsdbIdl,), {"_ovsdb_connection": None})
            self._api = backend(connection.Connection(idl=idl, timeout=self.timeout))
        return self._api

    def close(self) -> None:
        if self._api is not None:
            self._api.ovsdb_connection.stop()
            self._api = None

    # -- reading --------------------------------------------------------------------------------
    def _rows(self, table: str):
        return list(self.api.tables[table].rows.values())

    def has_column(self, table: str, column: str) -> bool:
        """Whether the server's schema has ``table.column`` (OVS 2.8's has no ``dpdk_version``, for one)."""
        return column in self.api.tables[table].columns

    def _get(self, row, table: str, column: str, default: Any = None) -> Any:
        """``row.column``, or ``default`` where this OVS's schema has no such column (never AttributeError)."""
        return getattr(row, column) if self.has_column(table, column) else default

    def _optional(self, row, table: str, column: str) -> Any:
        """The value of an optional (0..1) column: None when unset or absent from the schema."""
        return (self._get(row, table, column, []) or [None])[0]

    def require_columns(self, table: str, *columns: str, what: str) -> None:
        """Refuse, naming the column and the schema, an operation this OVS's schema cannot store."""
        missing = [c for c in columns if not self.has_column(table, c)]
        if missing:
            names = "、".join(f"{table}.{c}" for c in missing)
            schema = self.schema_version or "（版本未知）"
            raise OvsError(f"该 OVS 的 OVSDB 模式 {schema} 没有 {names} 列：无法{what}（OVS 版本过旧）")

    def _row(self, table: str, name: str):
        for row in self._rows(table):
            if row.name == name:
                return row
        known = ", ".join(sorted(r.name for r in self._rows(table))) or "无"
        kind = {"Bridge": "网桥", "Port": "端口", "Interface": "接口"}[table]
        raise OvsError(f"{kind} {name} 不存在（现有：{known}）")

    def bridges(self) -> list[str]:
        return sorted(r.name for r in self._rows("Bridge"))

    def ports(self, bridge: str) -> list[str]:
        return sorted(p.name for p in self._row("Bridge", bridge).ports)

    def other_config(self) -> dict[str, str]:
        return dict(self._rows("Open_vSwitch")[0].other_config)

    def system(self) -> dict[str, str | None]:
        """Versions OVSDB records: ``ovs_version`` (written by ovs-ctl), ``dpdk_version`` and
        ``dpdk_initialized`` (written by ovs-vswitchd from OVS 2.10, schema 7.16). None: the column is
        absent from this OVS's schema or empty; ``schema`` is the schema's version.

        Example: ``Ovs("unix:/usr/local/var/run/openvswitch/db.sock").system()["dpdk_version"]``
        """
        row = self._rows("Open_vSwitch")[0]
        initialized = self._get(row, "Open_vSwitch", "dpdk_initialized")
        return {
            "ovs_version": self._optional(row, "Open_vSwitch", "ovs_version") or None,
            "dpdk_version": self._optional(row, "Open_vSwitch", "dpdk_version") or None,
            "dpdk_initialized": None if initialized is None else str(initialized).lower(),
            "schema": self.schema_version,
        }

    def port(self, name: str) -> dict[str, object]:
        row = self._row("Port", check_name("端口", name))
        return {
            "name": row.name,
            "vlan_mode": self._optional(row, "Port", "vlan_mode"),
            "tag": self._optional(row, "Port", "tag"),
            "trunks": list(row.trunks),
            "cvlans": list(self._get(row, "Port", "cvlans", [])),  # OVS 2.8 on (dot1q-tunnel)
            "other_config": dict(row.other_config),
            "interfaces": sorted(i.name for i in row.interfaces),
        }

    def snapshot(self) -> dict[str, object]:
        """The configuration a test or keyword may change (no counters), to compare before and after."""
        ovs = self._rows("Open_vSwitch")[0]
        return {
            "other_config": dict(ovs.other_config),
            "bridges": {b.name: sorted(p.name for p in b.ports) for b in self._rows("Bridge")},
            "ports": {p.name: self.port(p.name) for p in self._rows("Port")},
            "interfaces": {
                i.name: {k: v for k, v in self.interface(i.name).items() if k not in ("statistics", "link_state")}
                for i in self._rows("Interface")
            },
            "qos": len(self._rows("QoS")),
        }

    def interfaces_of_type(self, *types: str) -> list[str]:
        """Names of the interfaces whose ``type`` is one of ``types`` (e.g. dpdk, dpdkvhostuser)."""
        return sorted(r.name for r in self._rows("Interface") if r.type in types)

    def interface_status(self, name: str) -> dict[str, str]:
        """The Interface ``status`` column (numa, n_rxq, driver_name ...: what ovs-vswitchd reports)."""
        return dict(self._get(self._row("Interface", name), "Interface", "status", {}))

    def interface(self, name: str) -> dict[str, object]:
        row = self._row("Interface", name)
        return {
            "name": row.name,
            "type": row.type,
            "options": dict(row.options),
            "ofport": self._optional(row, "Interface", "ofport"),
            "error": self._optional(row, "Interface", "error"),
            "mtu": self._optional(row, "Interface", "mtu"),
            "mtu_request": self._optional(row, "Interface", "mtu_request"),  # OVS 2.6 on
            "link_state": self._optional(row, "Interface", "link_state"),
            "link_speed": self._optional(row, "Interface", "link_speed"),  # bit/s, where OVS reports one
            "statistics": dict(row.statistics),
            "ingress_policing_rate": row.ingress_policing_rate,
        }

    # -- writing --------------------------------------------------------------------------------
    def _commit(
        self, command_line: str, commands: Iterable, check_ifaces: Iterable[str] = (), undo: Iterable = ()
    ) -> None:
        self.last_command = command_line
        ovs = self._rows("Open_vSwitch")[0]
        if ovs.cur_cfg < ovs.next_cfg:
            raise OvsError(
                f"ovs-vswitchd 没有应用之前的配置（cur_cfg={ovs.cur_cfg} < next_cfg={ovs.next_cfg}）：它可能没有运行"
            )
        try:
            with self.api.transaction(check_error=True) as txn:
                for command in commands:
                    txn.add(command)
        except OvsError:
            raise
        except Exception as err:
            raise OvsError(f"OVSDB 事务失败：{command_line}\n{err}") from None
        self._wait_applied()
        failed = {}
        for name in check_ifaces:
            iface = self.interface(name)
            if iface["ofport"] in (None, -1) or iface["error"]:
                failed[name] = iface["error"] or "ofport=-1"
        if failed:
            undo = list(undo)
            if undo:
                with self.api.transaction(check_error=True) as txn:
                    for command in undo:
                        txn.add(command)
            detail = "; ".join(f"{name}: {error}" for name, error in failed.items())
            raise OvsError(f"ovs-vswitchd 无法打开接口（已撤销该配置）：{detail}\n命令：{command_line}")

    def _wait_applied(self) -> None:
        def applied() -> bool:
            ovs = self._rows("Open_vSwitch")[0]
            return ovs.cur_cfg >= ovs.next_cfg

        try:
            wait_until(applied, self.timeout, 0.02, "ovs-vswitchd 应用配置")
        except WaitTimeout:
            raise OvsError(f"ovs-vswitchd 在 {self.timeout:.0f} 秒内没有应用配置：它可能没有运行或已崩溃") from None

    def set_other_config(self, values: dict[str, object]) -> None:
        values = check_map("other_config", values)
        self._commit(
            vsctl("set", "Open_vSwitch", ".", *map_words("other_config", values)),
            [self.api.db_set("Open_vSwitch", ".", ("other_config", values))],
        )

    def remove_other_config(self, *keys: str) -> None:
        check_map("other_config", dict.fromkeys(keys, ""))
        self._commit(
            vsctl("remove", "Open_vSwitch", ".", "other_config", *keys),
            [self.api.db_remove("Open_vSwitch", ".", "other_config", *keys, if_exists=True)],
        )

    def add_bridge(self, name: str, datapath_type: DatapathType = DatapathType.netdev) -> None:
        check_name("网桥", name)
        if name in self.bridges():
            raise OvsError(f"网桥 {name} 已经存在")
        self._commit(
            vsctl("add-br", name, "--", "set", "bridge", name, f"datapath_type={datapath_type.value}"),
            [self.api.add_br(name, may_exist=False, datapath_type=datapath_type.value)],
            check_ifaces=[name],
            undo=[self.api.del_br(name)],
        )

    def delete_bridge(self, name: str) -> None:
        self._row("Bridge", check_name("网桥", name))
        self._commit(vsctl("del-br", name), [self.api.del_br(name, if_exists=False)])

    def add_port(
        self, bridge: str, port: str, port_type: PortType = PortType.system, options: dict[str, object] | None = None
    ) -> None:
        self._row("Bridge", check_name("网桥", bridge))
        check_name("端口", port)
        if port_type in (PortType.system, PortType.internal):
            # OVSDB would keep a longer name while the kernel's netdev is cut to 15 characters.
            validate.netdev_name(port, "端口名")
        if port in (p.name for p in self._rows("Port")):
            raise OvsError(f"端口 {port} 已经存在")
        options = check_map("options", options or {})
        words = ["add-port", bridge, port]
        columns: dict[str, object] = {}
        if port_type is not PortType.system or options:
            words += ["--", "set", "Interface", port]
        if port_type is not PortType.system:
            words.append(f"type={port_type.value}")
            columns["type"] = port_type.value
        if options:
            words += map_words("options", options)
            columns["options"] = options
        self._commit(
            vsctl(*words),
            [self.api.add_port(bridge, port, may_exist=False, **columns)],
            check_ifaces=[port],
            undo=[self.api.del_port(port, bridge=bridge)],
        )

    def delete_port(self, port: str) -> None:
        self._row("Port", check_name("端口", port))
        self._commit(vsctl("del-port", port), [self.api.del_port(port, if_exists=False)])

    def set_interface(self, name: str, options: dict[str, object] | None = None, **columns: object) -> None:
        """Set interface ``options`` and plain columns (mtu_request, ofport_request, ingress_policing_*)."""
        row = self._row("Interface", check_name("接口", name))
        self.require_columns("Interface", *columns, what=f"设置接口 {name} 的 {'、'.join(columns)}")
        words, changes, undo = ["set", "Interface", name], [], []
        if options:
            options = check_map("options", options)
            words += map_words("options", options)
            changes.append(("options", options))
            undo.append(("options", dict(row.options)))
        for column, value in columns.items():
            words.append(f"{column}={value}")
            changes.append((column, value))
            undo.append((column, getattr(row, column)))
        self._commit(
            vsctl(*words),
            [self.api.db_set("Interface", name, *changes)],
            check_ifaces=[name],
            undo=[self.api.db_set("Interface", name, *undo)],
        )

    # -- ports: VLANs, QoS, policing, MTU ---------------------------------------------------------
    def set_port_vlan(
        self,
        port: str,
        mode: VlanMode,
        tag: int | None = None,
        trunks: Iterable[int] = (),
        cvlans: Iterable[int] = (),
        qinq_ethtype: str | None = None,
    ) -> None:
        """Set a port's VLAN mode, tag, trunks and, for dot1q-tunnel, cvlans and the outer TPID."""
        row = self._row("Port", check_name("端口", port))
        trunks = _vlan_list(trunks, "trunks VLAN")
        cvlans = _vlan_list(cvlans, "cvlans VLAN", allow_zero=True)  # 0: untagged frames, as in the record
        if tag is not None:
            tag = validate.vlan(tag, "tag")
        if (
            mode in (VlanMode.access, VlanMode.dot1q_tunnel, VlanMode.native_tagged, VlanMode.native_untagged)
            and tag is None
        ):
            raise OvsError(f"vlan_mode={mode.value} 需要 tag")
        if qinq_ethtype not in (None, "802.1q", "802.1ad"):
            raise OvsError(f"qinq-ethtype {qinq_ethtype!r} 只能是 802.1q 或 802.1ad")
        self.require_columns("Port", "vlan_mode", what=f"设置端口 {port} 的 VLAN 模式")
        has_cvlans = self.has_column("Port", "cvlans")  # OVS 2.8 on, with dot1q-tunnel
        if cvlans or mode is VlanMode.dot1q_tunnel:
            self.require_columns("Port", "cvlans", what=f"设置端口 {port} 的 dot1q-tunnel/cvlans（OVS 2.8 起）")
        modes = self.api.tables["Port"].columns["vlan_mode"].type.key.enum
        if modes is not None and mode.value not in {atom.value for atom in modes.values}:
            raise OvsError(f"该 OVS 的 OVSDB 模式 {self.schema_version} 不支持 vlan_mode={mode.value}")
        words = ["set", "port", port, f"vlan_mode={mode.value}"]
        changes: list[tuple[str, object]] = [("vlan_mode", mode.value)]
        undo: list[tuple[str, object]] = [
            ("vlan_mode", row.vlan_mode),
            ("tag", row.tag),
            ("trunks", row.trunks),
            *([("cvlans", row.cvlans)] if has_cvlans else []),
            ("other_config", dict(row.other_config)),
        ]
        changes.append(("tag", [] if tag is None else tag))
        if tag is not None:
            words.append(f"tag={tag}")
        changes.append(("trunks", trunks))
        if trunks:
            words.append("trunks=" + ",".join(map(str, trunks)))
        if has_cvlans:
            changes.append(("cvlans", cvlans))
        if cvlans:
            words.append("cvlans=" + ",".join(map(str, cvlans)))
        if qinq_ethtype:
            words.append(f"other-config:qinq-ethtype={qinq_ethtype}")
            changes.append(("other_config", {**row.other_config, "qinq-ethtype": qinq_ethtype}))
        self._commit(
            vsctl(*words), [self.api.db_set("Port", port, *changes)], undo=[self.api.db_set("Port", port, *undo)]
        )

    def clear_port_vlan(self, port: str) -> None:
        self._row("Port", check_name("端口", port))
        columns = [c for c in ("vlan_mode", "tag", "trunks", "cvlans") if self.has_column("Port", c)]
        self._commit(
            vsctl("clear", "port", port, *columns),
            [self.api.db_clear("Port", port, column) for column in columns]
            + [self.api.db_remove("Port", port, "other_config", "qinq-ethtype", if_exists=True)],
        )

    def set_egress_policer(self, port: str, cir_bytes: int, cbs_bytes: int, speed_bps: int | None = None) -> None:
        """egress-policer QoS on ``port``: ``cir`` in bytes/s, ``cbs`` in bytes (the record: 625000000 / 2048).

        ``speed_bps``: the port's speed where OVS reports no ``link_speed`` (the NIC's, from the lab)."""
        self._row("Port", check_name("端口", port))
        for name, value in (("cir", cir_bytes), ("cbs", cbs_bytes)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise OvsError(f"egress-policer {name}={value!r} 必须是正整数")
        self._check_rate(port, cir_bytes * 8, f"egress-policer cir={cir_bytes} 字节/秒", speed_bps)
        self.clear_qos(port)
        config = {"cir": str(cir_bytes), "cbs": str(cbs_bytes)}
        line = vsctl(
            "set",
            "port",
            port,
            "qos=@newqos",
            "--",
            "--id=@newqos",
            "create",
            "qos",
            "type=egress-policer",
            *map_words("other-config", config),
        )
        with self.api.transaction(check_error=True) as txn:
            qos = txn.add(self.api.db_create("QoS", type="egress-policer", other_config=config))
            txn.add(self.api.db_set("Port", port, ("qos", qos)))
        self.last_command = line
        self._wait_applied()

    def clear_qos(self, port: str) -> None:
        row = self._row("Port", check_name("端口", port))
        if not row.qos:
            return
        qos_uuid = row.qos[0].uuid
        self._commit(
            vsctl("clear", "port", port, "qos") + f" -- destroy qos {qos_uuid}",
            [self.api.db_clear("Port", port, "qos"), self.api.db_destroy("QoS", qos_uuid)],
        )

    def qos(self, port: str) -> dict[str, object]:
        row = self._row("Port", check_name("端口", port))
        if not row.qos:
            return {}
        return {"type": row.qos[0].type, "other_config": dict(row.qos[0].other_config)}

    def set_ingress_policing(
        self, interface: str, rate_kbps: int, burst_kbps: int = 0, speed_bps: int | None = None
    ) -> None:
        """ingress_policing_rate/burst in kbit/s (0 turns policing off); ``speed_bps`` as for the egress policer."""
        for name, value in (("rate", rate_kbps), ("burst", burst_kbps)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise OvsError(f"ingress_policing_{name}={value!r} 必须是非负整数（kbps）")
        self._check_rate(interface, rate_kbps * 1000, f"ingress_policing_rate={rate_kbps} kbps", speed_bps)
        self.set_interface(interface, ingress_policing_rate=rate_kbps, ingress_policing_burst=burst_kbps)

    def _check_rate(self, port: str, bits_per_second: int, what: str, speed_bps: int | None = None) -> None:
        """A policer rate above the port's speed limits nothing: refuse it, naming both. The speed is OVSDB's
        ``link_speed`` where OVS reports one, else ``speed_bps`` (the NIC's speed in the lab description)."""
        row = self._row("Port", check_name("端口", port))
        for iface in row.interfaces:
            speed, source = self._optional(iface, "Interface", "link_speed"), "OVSDB link_speed"
            if not speed and speed_bps:
                speed, source = speed_bps, "实验环境描述中网卡的速率"
            if isinstance(speed, int) and speed > 0 and bits_per_second > speed:
                raise OvsError(
                    f"{port} 的 {what}（{bits_per_second / 1e9:g} Gbit/s）超过端口 {iface.name} 的链路速率 "
                    f"{speed / 1e9:g} Gbit/s（{source}）：这样的限速不起作用"
                )

    def set_mtu_request(self, interface: str, mtu: int, timeout: float = 5, settle: float = 2.0) -> None:
        """Request ``mtu`` and check what it did: the interface reports that ``mtu``, has no ``error``, and
        a link that was up is up again within ``settle`` seconds. Anything else fails at once, after
        putting the previous ``mtu_request`` back (OVS would otherwise retry the bad one on every change).

        A datapath that refuses the MTU (DPDK logs "unsupported MTU") leaves the ``mtu`` column unchanged;
        one that accepts it and then cannot run with it (a PMD whose largest frame is smaller: DPDK's
        net_af_packet logs "Frame size (9018) > device max frame size (1518)") shows the new ``mtu`` with
        the link down or an ``error``. A port whose link was down before (a vhost-user port without its
        VM) is judged on ``mtu`` and ``error`` only.
        """
        self.set_mtu_requests([interface], mtu, timeout, settle)

    def set_mtu_requests(self, interfaces: Iterable[str], mtu: int, timeout: float = 5, settle: float = 2.0) -> None:
        """``set_mtu_request`` for several interfaces in one transaction, watched side by side (one settle
        window for all, not one each). If any of them goes wrong, every one gets its previous
        ``mtu_request`` back and the error names each that went wrong."""
        interfaces = list(dict.fromkeys(interfaces))
        if not interfaces:
            raise OvsError("没有给出要设置 mtu_request 的接口")
        self.require_columns("Interface", "mtu_request", what=f"设置接口 {'、'.join(interfaces)} 的 mtu_request")
        rows = {name: self.interface(check_name("接口", name)) for name in interfaces}
        for name, row in rows.items():
            limit = validate.OVS_DPDK_MTU if row["type"].startswith("dpdk") else validate.KERNEL_MTU
            mtu = validate.mtu(mtu, limit, f"接口 {name} 的 mtu_request")
        words = [w for name in interfaces for w in ("--", "set", "Interface", name, f"mtu_request={mtu}")][1:]
        self._commit(vsctl(*words), [self.api.db_set("Interface", name, ("mtu_request", mtu)) for name in interfaces])
        before = {name: row["link_state"] for name, row in rows.items()}
        problems = self._mtu_problems(mtu, before, timeout, settle)
        if not problems:
            return
        undone, undo, words = [], [], []
        for name, row in rows.items():
            previous = row["mtu_request"]
            if isinstance(previous, int):
                undo.append(self.api.db_set("Interface", name, ("mtu_request", previous)))
                words += ["--", "set", "Interface", name, f"mtu_request={previous}"]
                undone.append(f"已把 {name} 的 mtu_request 恢复为 {previous}")
            else:
                undo.append(self.api.db_clear("Interface", name, "mtu_request"))
                words += ["--", "clear", "Interface", name, "mtu_request"]
                undone.append(f"已清除 {name} 的 mtu_request")
        self._commit(vsctl(*words[1:]), undo)
        raise OvsError("；".join(problems.values()) + "；" + "，".join(undone))

    def _mtu_problems(self, mtu: int, before: dict[str, object], timeout: float, settle: float) -> dict[str, str]:
        """What went wrong, per interface, after ``mtu_request=mtu`` on each of ``before``'s interfaces
        (their link states before); empty when nothing did."""
        deadline = time.monotonic() + timeout
        shown: dict[str, float] = {}  # when each interface's mtu column first showed the MTU
        problems: dict[str, str] = {}
        pending = list(before)
        while pending:
            now = time.monotonic()
            for name in list(pending):
                row = self.interface(name)
                problem = ""
                if row["error"]:
                    problem = f"接口 {name} 的 mtu_request={mtu} 使端口失效：{row['error']}"
                elif name not in shown:
                    if row["mtu"] == mtu:
                        shown[name] = now
                    elif now > deadline:
                        problem = f"接口 {name} 的 mtu_request={mtu} 没有生效（mtu 仍为 {row['mtu']}）"
                # The datapath reconfigures the port after the column shows the MTU: watch it settle.
                elif row["mtu"] != mtu:
                    problem = f"接口 {name} 的 mtu_request={mtu} 没有保持（mtu 变为 {row['mtu']}）"
                else:
                    link_ok = before[name] != "up" or row["link_state"] == "up"
                    elapsed = now - shown[name]
                    if link_ok and elapsed >= settle / 2:
                        pending.remove(name)
                    elif elapsed > settle:
                        problem = (
                            f"接口 {name} 的 mtu_request={mtu} 后链路断开（link_state 由 up 变为 {row['link_state']}）"
                        )
                if problem:
                    problems[name] = problem
                    pending.remove(name)
            if pending:
                time.sleep(0.1)
        return problems
