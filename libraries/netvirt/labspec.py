"""Lab description: the schema every lab (embedded or real) is written in.

A lab description is plain data (a dict, as a Robot variable file would hold it).
``load_lab`` turns it into frozen dataclasses and rejects anything malformed at load
time, naming the field: ``hosts[1].nics[0].pci: '05:01.0' is not a PCI address``.

Secrets never live in a description: a host names the *environment variables* that
hold its password or key file, and they are read only when a connection is made.
"""

from __future__ import annotations

import copy
import difflib
import ipaddress
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from netvirt import validate

# Hosts and VMs are named like netdevs but must start with a letter or digit; interface names, PCI and MAC
# addresses follow netvirt.validate's rules.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$")
ENV_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")
ROLES = ("peer", "hypervisor")
KINDS = ("embedded", "real")
VNIC_KINDS = ("vhostuser", "hostdev", "ethernet")


@dataclass(frozen=True)
class NicModel:
    """How an SR-IOV NIC behaves where the record's verdicts depend on it.

    A real lab names its NICs' model so that a FAIL can be explained in the record's terms; the
    embedded lab's emulated NIC behaves as its model says (``netvirt.embedded.nicemu``).
    """

    name: str
    description: str
    vf_auto_follows_pf: bool  # a VF in link-state auto goes down with the PF (kernel's ip-link(8))
    vst_qinq: bool  # a VST VF (vf N vlan V) adds its tag to frames the guest tagged itself (QinQ)

    def behaviour(self) -> str:
        """The model's behaviour in the record's terms, in one line."""
        link = (
            "link-state auto 的 VF 跟随 PF 的链路" if self.vf_auto_follows_pf else "link-state auto 的 VF 不随 PF 断开"
        )
        qinq = "VST 的 VF 支持 QinQ" if self.vst_qinq else "VST 的 VF 不支持 QinQ"
        return f"{link}，{qinq}"


NIC_MODELS = {
    model.name: model
    for model in (
        NicModel(
            "cx4-ofed4.3",
            "Mellanox ConnectX-4（MT4115，固件 12.22.1002，mlx5_core / OFED 4.3-3.0.2），记录中的网卡："
            "link-state auto 的 VF 不随 PF 断开；VST 的 VF 不支持 QinQ（OFED 4.4 起支持）",
            vf_auto_follows_pf=False,
            vst_qinq=False,
        ),
        NicModel(
            "spec-conformant",
            "符合内核文档的 SR-IOV 网卡：link-state auto 的 VF 跟随 PF 的链路；"
            "VST 的 VF 为客户机已带标签的帧再加一层（QinQ）",
            vf_auto_follows_pf=True,
            vst_qinq=True,
        ),
    )
}

# What a lab can do beyond the record's basics; suites ask for them by these names
# (``要求实验环境具备``), and a description that names another fails when it is loaded.
CAPABILITIES = {
    "msix_interrupts": "虚拟机网卡使用 MSI-X 中断（每个队列一个中断向量）",
    "sriov_passthrough": "VF 经 VFIO 直通给虚拟机（真实 PCI 设备）",
    "host_vlan": "Host A/Host B 的内核有 8021q 模块（主机上可建 VLAN 子接口）",
}


class LabDescriptionError(ValueError):
    """A lab description is malformed; the message names the field."""


# -- lab parameters ---------------------------------------------------------------------------
# ``params`` of a description, declared: every key is of one kind, has a rule its value must follow, the
# requirement of the record it serves and a meaning. ``load_lab`` refuses a key not declared here (naming the
# closest one) and a value against its rule; ``LabSpec`` offers the values by kind (``spec_values``,
# ``method``, ``emulated``, ``criteria(requirement)``) and ``记录实验环境`` logs them so.

PARAM_KINDS = {
    "spec": "规格值（实验环境的配置与路径）",
    "method": "测试方法（时长、轮数、帧长、发送速率、搜索设置）",
    "criterion": "合格判据（按要求判定所依据的值）",
    "emulated-lab": "对实验环境能力的适配（按本实验环境能承载的缩放或限定记录的值；像记录那样的实验环境不设）",
}
VM_ARCHES = ("x86_64", "aarch64")
# The 7.3 paths (netvirt.perf.topology.Scenario without its baseline) and the latency statistics a criterion
# may bound (PerfLibrary.LATENCY_KEYS); tests/unit/test_labspec_params.py keeps them equal.
PERF_SCENARIOS = ("p2p", "pvp", "vm2vm", "sriov", "sriov_vm2vm")
LATENCY_STATISTICS = ("min_us", "avg_us", "max_us", "p50_us", "p90_us", "p99_us", "p999_us", "jitter_us", "ipdv_us")
PERF_GENERATORS = ("auto", "trafgen", "iperf3", "trex", "pktgen")
FRAME_MIN, FRAME_MAX = 64, 9728  # Ethernet's smallest frame (RFC 2544) .. OVS-DPDK's largest (MTU 9702 + 26)


Problem = tuple[str, Any, str]  # where inside the value (".pvp.64", "[2]" or ""), the wrong value, what was expected


@dataclass(frozen=True)
class Rule:
    """What a parameter's value must be: ``expected`` says it in Chinese, ``test`` decides on the value's shape
    and ``inner`` (containers) finds the first wrong item inside it."""

    expected: str
    test: Callable[[Any], bool]
    inner: Callable[[Any], Problem | None] | None = None

    def problem(self, value: Any) -> Problem | None:
        """None when ``value`` follows the rule, else where it does not, the wrong part and what was expected."""
        if not self.test(value):
            return "", value, self.expected
        return self.inner(value) if self.inner else None

    def __call__(self, value: Any) -> bool:
        return self.problem(value) is None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(
    low: float,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    unit: str = "",
) -> Rule:
    kind = "整数" if integer else "数"
    lower = f"{low:g} <{'' if low_open else '='}"
    upper = "" if high is None else f" <{'' if high_open else '='} {high:g}"
    expected = f"{kind}（{lower} x{upper}{'，' + unit if unit else ''}）"

    def test(value: Any) -> bool:
        if not _is_number(value) or integer and not isinstance(value, int):
            return False
        if value < low or low_open and value == low:
            return False
        return high is None or value < high or not high_open and value == high

    return Rule(expected, test)


def _text(pattern: str | None = None, what: str = "非空字符串") -> Rule:
    regex = re.compile(pattern) if pattern else None
    return Rule(what, lambda v: isinstance(v, str) and bool(v) and (regex is None or bool(regex.fullmatch(v))))


def _choice(*options: str) -> Rule:
    return Rule(f"{' / '.join(options)} 之一", lambda v: v in options)


def _optional(rule: Rule) -> Rule:
    return Rule(f"None（不设置）或{rule.expected}", lambda v: True, lambda v: None if v is None else rule.problem(v))


def _either(first: Rule, second: Rule) -> Rule:
    expected = f"{first.expected}，或{second.expected}"

    def inner(value: Any) -> Problem | None:
        problems = [first.problem(value), second.problem(value)]
        if None in problems:
            return None
        inside = [p for p in problems if p[0]]  # the rule whose shape the value has names the wrong item
        return inside[0] if inside else ("", value, expected)

    return Rule(expected, lambda v: True, inner)


def _list(item: Rule) -> Rule:
    def inner(value: list) -> Problem | None:
        for i, x in enumerate(value):
            if found := item.problem(x):
                return f"[{i}]{found[0]}", found[1], found[2]
        return None

    return Rule(f"非空列表，每项为{item.expected}", lambda v: isinstance(v, list) and bool(v), inner)


def _mapping(key: Rule, value: Rule, what: str = "字典") -> Rule:
    def inner(mapping: dict) -> Problem | None:
        for k, x in mapping.items():
            if key.problem(k):
                return " 中的键", k, key.expected
            if found := value.problem(x):
                return f".{k}{found[0]}", found[1], found[2]
        return None

    return Rule(f"{what}（键为{key.expected}，值为{value.expected}）", lambda v: isinstance(v, dict), inner)


PATH = _text(r"/\S*", "绝对路径（以 / 开头）")
FRAME = _number(FRAME_MIN, FRAME_MAX, integer=True, unit="帧长，字节")
SECONDS = _number(0, 3600, low_open=True, unit="秒")
COUNT = _number(1, 100, integer=True)
RATIO = _number(0, 1, high_open=True, unit="比例，0.005 即 0.5 %")
PCT = _number(0, 100, low_open=True, unit="%")
PPS = _number(0, low_open=True, unit="帧/秒")
# A frame size as a dictionary key: JSON (a description in a .json file) has only string keys, so "64" too.
FRAME_KEY = Rule(
    f'{FRAME.expected}（JSON 中的键可写作 "64"）',
    lambda v: FRAME(int(v)) if isinstance(v, str) and v.isdigit() else FRAME(v),
)
PCT_BY_FRAME = _mapping(FRAME_KEY, PCT, "按帧长的线速百分比")
VM_NAME = _text(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,14}", "虚拟机名")
SCENARIO = _choice(*PERF_SCENARIOS)


@dataclass(frozen=True)
class Param:
    """One key of ``params``: its kind (``PARAM_KINDS``), rule, requirement ("" for the whole lab), meaning and
    the value its reader uses when a description leaves it out (``NO_DEFAULT``: none, the reader needs it)."""

    key: str
    kind: str
    rule: Rule
    requirement: str
    meaning: str
    default: Any = None


NO_DEFAULT = object()


def _declare(*params: Param) -> dict[str, Param]:
    for p in params:
        assert p.kind in PARAM_KINDS, p
    return {p.key: p for p in params}


PARAMS: dict[str, Param] = _declare(
    # -- spec values: how the lab is configured, where its programs and files are
    Param(
        "pmd_cpu_mask",
        "spec",
        _text(r"(0[xX])?[0-9a-fA-F]*[1-9a-fA-F][0-9a-fA-F]*", "十六进制 CPU 掩码（如 0x2、FF00000000），非零"),
        "5.4.1",
        "OVS 的 pmd-cpu-mask：PMD 线程所用的 CPU",
        NO_DEFAULT,
    ),
    Param(
        "dpdk_socket_mem",
        "spec",
        _optional(_text(r"\d+(,\d+)*", "逗号分隔的每个 NUMA 节点的 MB 数（如 4096 或 1024,1024）")),
        "5.4.1",
        "OVS 的 dpdk-socket-mem：每个 NUMA 节点预分配的大页内存；None 时不设置",
    ),
    Param("ovs_ctl", "spec", PATH, "", "ovs-ctl 脚本的路径（OVS 从源码安装时）；不设时按 OVS 的运行目录推出"),
    Param("ovs_log", "spec", PATH, "", "ovs-vswitchd 日志的路径；不设时按 OVS 的运行目录推出"),
    Param(
        "dpdk_version_header", "spec", PATH, "5.1.1", "编译 OVS 所用 DPDK 的 rte_version.h（OVS 2.8 不记录 DPDK 版本）"
    ),
    Param(
        "dpdk_devargs",
        "spec",
        _mapping(_text(validate.PCI.pattern, "PCI 地址"), _text(), "按 PCI 地址"),
        "",
        "Hypervisor 网卡的 options:dpdk-devargs（不是它的 PCI 地址时）",
        {},
    ),
    Param(
        "owner_lock", "spec", PATH, "", "真实实验环境在 Hypervisor 上的所有者锁文件（不设时 /run/netvirt-robot.lock）"
    ),
    Param("qemu_emulator", "spec", PATH, "", "虚拟机的 QEMU 程序", "/usr/bin/qemu-system-x86_64"),
    Param("vm_arch", "spec", _choice(*VM_ARCHES), "", "虚拟机的架构", "x86_64"),
    Param(
        "vm_machine",
        "spec",
        _text(r"[a-z0-9][a-z0-9._-]*", "QEMU 机器类型（如 q35、virt）"),
        "",
        "虚拟机的机器类型",
        "q35",
    ),
    Param("vm_gic_version", "spec", _optional(_choice("2", "3", "host")), "", "Arm 虚拟机的中断控制器 GIC 版本"),
    Param("vm_loader", "spec", _optional(PATH), "", "虚拟机的 UEFI 固件（如 AAVMF_CODE.fd）；不设时不用 UEFI"),
    Param("vm_nvram_template", "spec", _optional(PATH), "", "UEFI 固件的变量存储模板（如 AAVMF_VARS.fd）"),
    Param("vm_images", "spec", _mapping(VM_NAME, PATH, "按虚拟机"), "", "每台虚拟机的磁盘镜像", {}),
    Param("vm_mgmt_network", "spec", _optional(_text()), "", "虚拟机管理网卡所接的 libvirt 网络", "default"),
    Param("trex_dir", "spec", PATH, "7.3.5.1", "Host A 上 TRex 的目录", "/opt/trex/current"),
    Param("pktgen_binary", "spec", _text(r"\S+", "程序名或路径"), "7.3.5.1", "Host A 上的 pktgen-dpdk 程序", "pktgen"),
    # -- method: how a requirement is measured
    Param(
        "policer_offered_load",
        "method",
        _text(validate.RATE.pattern, "iperf3 的速率（数字加可选的 K/M/G，如 16M）"),
        "5.4.8.1",
        "检验限速时 iperf3 UDP 的发送速率（-b），应高于限速",
        NO_DEFAULT,
    ),
    Param("sriov_rate_protocol", "method", _choice("udp", "tcp"), "5.4.8.2", "测量 VF 限速所用的协议", "udp"),
    Param(
        "rate_check_duration",
        "method",
        _number(1, 3600, integer=True, unit="秒"),
        "5.4.8",
        "检验限速时每次 iperf3 测量的时长（-t；记录没有写明，缺省取 iperf 的缺省 10 秒）",
        10,
    ),
    Param("vf_link_timeout", "method", SECONDS, "5.4.2.1", "等待虚拟机中 VF 链路跟随 PF 变化的最长时间", 10),
    Param(
        "netperf_duration",
        "method",
        _number(1, 3600, integer=True, unit="秒"),
        "待解决问题 netperf",
        "每次 netperf 的时长（-l）",
        30,
    ),
    Param(
        "netperf_rounds", "method", COUNT, "待解决问题 netperf", "OVS-DPDK 与 Linux bridge 两条路径交替测量的轮数", 5
    ),
    Param("netperf_compare_repeat", "method", COUNT, "待解决问题 netperf", "作对比的其余场景各测的次数", 5),
    Param(
        "perf_generator",
        "method",
        _choice(*PERF_GENERATORS),
        "7.3.5.1",
        "流量发生器（auto：已安装的最好的一个）",
        "auto",
    ),
    Param(
        "perf_frame_sizes",
        "method",
        _list(FRAME),
        "7.3.5.1",
        "p2p 场景所测的帧长",
        [64, 128, 256, 512, 1024, 1280, 1518, 9000],
    ),
    Param("perf_vm_frame_sizes", "method", _list(FRAME), "7.3.5.1", "经虚拟机的场景所测的帧长", [64]),
    Param(
        "perf_mtu",
        "method",
        _number(validate.MTU_MIN, validate.OVS_DPDK_MTU.high, integer=True),
        "7.3.5.1",
        "p2p 路径的 MTU（巨型帧需要 9000）",
        1500,
    ),
    Param("perf_trial_duration", "method", SECONDS, "7.3.5.1", "NDR/PDR 搜索中每次试验的时长", 1),
    Param(
        "perf_duration_sum", "method", _optional(SECONDS), "7.3.5.1", "判定一个负载所用试验的总时长（None：一次试验）"
    ),
    Param("perf_exceed_ratio", "method", RATIO, "7.3.5.1", "判定一个负载时允许超标的试验比例", 0.0),
    Param("perf_pdr_loss_ratio", "method", RATIO, "7.3.5.1", "PDR 允许的丢包率", 0.005),
    Param(
        "perf_relative_width",
        "method",
        _number(0, 1, low_open=True, high_open=True),
        "7.3.5.1",
        "MLRsearch 的相对精度（上下界之差 / 上界）",
        0.005,
    ),
    Param("perf_min_load_pps", "method", PPS, "7.3.5.1", "搜索的负载下限", 10_000),
    Param("perf_search_timeout", "method", _number(0, low_open=True, unit="秒"), "7.3.5.1", "一次搜索的最长时间", 600),
    Param("perf_quality_frame_size", "method", FRAME, "7.3.6.1", "转发质量所测的帧长", 64),
    Param("perf_quality_loads", "method", _list(PCT), "7.3.6.1", "转发质量的负载点（PDR 的百分比）", [10, 50, 90, 100]),
    Param("perf_quality_duration", "method", SECONDS, "7.3.6.1", "每个负载点的测量时长", 10),
    Param("perf_probe_pps", "method", PPS, "7.3.6.1", "测时延的探测帧速率", 1000),
    # -- acceptance criteria: what a requirement's verdict is judged against
    Param(
        "policer_rate_bps",
        "criterion",
        _number(1, integer=True, unit="bit/s"),
        "5.4.8.1",
        "限速值：设到策略器上，限速后的吞吐量应接近它（记录为 5 Gbit/s）",
        NO_DEFAULT,
    ),
    Param(
        "perf_ndr_criteria",
        "criterion",
        _mapping(SCENARIO, PCT_BY_FRAME, "按场景"),
        "7.3.5.1",
        "各场景各帧长的 NDR 至少为线速的百分之几",
        {},
    ),
    Param(
        "perf_ndr_min_pct_line_rate",
        "criterion",
        PCT_BY_FRAME,
        "7.3.5.1",
        "p2p 的 NDR 至少为线速的百分之几（perf_ndr_criteria 没有 p2p 时用）",
        {},
    ),
    Param("perf_quality_judged_up_to_pct", "criterion", PCT, "7.3.6.1", "只判定不超过 PDR 的这个百分比的负载点", 90),
    Param(
        "perf_quality_max_loss_ratio",
        "criterion",
        _optional(RATIO),
        "7.3.6.1",
        "转发质量允许的丢包率（None：等于 PDR 的丢包率）",
    ),
    Param(
        "perf_latency_max_us",
        "criterion",
        _mapping(_choice(*LATENCY_STATISTICS), _number(0, low_open=True, unit="µs"), "按时延统计量"),
        "7.3.6.1",
        "时延统计量的上限（µs）",
        {},
    ),
    # -- adaptations to a lab that cannot do what the record's servers did
    Param(
        "perf_max_load_pps",
        "emulated-lab",
        _optional(_either(PPS, _mapping(SCENARIO, PPS, "按场景"))),
        "7.3.5.1",
        "搜索的负载上限：流量发生器在本实验环境上能发出的帧率（None：线速）",
    ),
    Param(
        "sriov_vf_rate_scale",
        "emulated-lab",
        _optional(_number(0, low_open=True)),
        "5.4.8.2",
        "记录的 VF 速率乘以这个系数（None：网卡线速 / 记录的 56000 Mb/s）",
    ),
    Param(
        "vm_boot",
        "emulated-lab",
        _mapping(VM_NAME, _mapping(_text(), Rule("任意值", lambda v: True)), "按虚拟机"),
        "",
        "虚拟机的其他启动方式（DomainProfile 的字段：kernel、initrd、cmdline、domain_type ...）",
        {},
    ),
)


class Params(Mapping):
    """A description's ``params``, read-only: a value is handed out as a copy, so no reader changes the lab."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] | None = None):
        self._values = dict(values or {})

    def __getitem__(self, key: str) -> Any:
        return copy.deepcopy(self._values[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Params({self._values!r})"

    def __reduce__(self):
        return (Params, (self._values,))


def closest_param(key: str) -> str | None:
    """The declared key closest to ``key`` (a misspelling's intended key), or None."""
    found = difflib.get_close_matches(key, PARAMS, n=1, cutoff=0.6)
    return found[0] if found else None


def _check_params(values: dict, source: str) -> Params:
    for key, value in values.items():
        if key in CAPABILITIES:
            raise LabDescriptionError(f"lab.params.{key}: a capability goes in lab.capabilities, not in params")
        param = PARAMS.get(key)
        if param is None:
            near = closest_param(str(key))
            hint = f"最接近的已知参数是 {near}" if near else "没有相近的已知参数"
            raise LabDescriptionError(
                f"{source}：lab.params 中的 {key!r} 不是已知的实验环境参数（{hint}；全部参数见 netvirt.labspec.PARAMS）"
            )
        found = param.rule.problem(value)
        if found:
            where, bad, expected = found
            what = "" if where.endswith(" 中的键") else " 的值"
            raise LabDescriptionError(
                f"{source}：lab.params.{key}{where}{what} {bad!r} 不合要求，应为：{expected}（{key}：{param.meaning}）"
            )
    return Params(values)


def _caller_file() -> str:
    """The file that called ``load_lab`` (a variables file), relative to the working directory when inside it."""
    path = sys._getframe(2).f_code.co_filename
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


@dataclass(frozen=True)
class Credentials:
    user: str
    password_env: str | None = None
    key_file_env: str | None = None
    key_file: str | None = None
    # The hosts' SSH keys are checked against this file (a real lab must name one); None: any key is
    # accepted, for the embedded lab, whose hosts get fresh keys on its own isolated network every run.
    known_hosts: str | None = None
    # Add a host missing from known_hosts with the key it shows (and save it there): only when the user
    # asks for it. A host whose key differs from the recorded one is refused either way.
    trust_on_first_use: bool = False

    def password(self) -> str | None:
        return os.environ.get(self.password_env) if self.password_env else None

    def private_key(self) -> str | None:
        if self.key_file:
            return self.key_file
        return os.environ.get(self.key_file_env) if self.key_file_env else None

    def __repr__(self) -> str:  # never show where secrets live beyond the variable names
        return f"Credentials(user={self.user!r}, password_env={self.password_env!r})"


@dataclass(frozen=True)
class Nic:
    name: str
    pci: str
    peer: str | None = None
    sriov: bool = False
    max_vfs: int = 0
    speed_mbps: int = 10000
    model: str | None = None  # a key of NIC_MODELS, for SR-IOV NICs


@dataclass(frozen=True)
class Host:
    name: str
    role: str
    mgmt: str
    ssh: Credentials
    nics: tuple[Nic, ...] = ()

    def nic(self, name: str) -> Nic:
        for nic in self.nics:
            if nic.name == name or nic.pci == name:
                return nic
        known = ", ".join(n.name for n in self.nics) or "无"
        raise LabDescriptionError(f"主机 {self.name} 没有网卡 {name}（现有：{known}）")


@dataclass(frozen=True)
class VNic:
    name: str
    kind: str
    mac: str
    port: str | None = None
    queues: int = 1
    # vhost-user: who owns the socket. "client" = QEMU connects to OVS's dpdkvhostuser port; "server"
    # = QEMU listens and OVS's dpdkvhostuserclient port connects (and reconnects after a restart).
    mode: str = "client"


@dataclass(frozen=True)
class Vm:
    name: str
    vcpus: int
    memory_mib: int
    hugepage_kib: int
    mgmt: str
    mgmt_mac: str
    vnics: tuple[VNic, ...] = ()


@dataclass(frozen=True)
class LabSpec:
    name: str
    kind: str
    lab_id: str
    mgmt_network: str
    hosts: tuple[Host, ...]
    hypervisor: str
    ovsdb: str
    ovs_rundir: str
    libvirt_uri: str
    vms: tuple[Vm, ...]
    # Read-only (``Params``), of the keys declared in ``PARAMS``; new code reads them by kind (below).
    params: Mapping[str, Any] = field(default_factory=Params)
    capabilities: frozenset[str] = frozenset()
    # ``ovsdb`` is a unix socket on the hypervisor, reached through its SSH session (no TCP listener).
    ovsdb_over_ssh: bool = False

    def host(self, name: str) -> Host:
        for host in self.hosts:
            if host.name.lower() == name.lower():
                return host
        for vm in self.vms:
            if vm.name.lower() == name.lower():
                return Host(vm.name, "guest", vm.mgmt, self.host(self.hypervisor).ssh)
        known = ", ".join([h.name for h in self.hosts] + [v.name for v in self.vms])
        raise LabDescriptionError(f"实验环境 {self.name} 中没有主机 {name}（现有：{known}）")

    def vm(self, name: str) -> Vm:
        for vm in self.vms:
            if vm.name.lower() == name.lower():
                return vm
        known = ", ".join(v.name for v in self.vms) or "无"
        raise LabDescriptionError(f"实验环境 {self.name} 中没有虚拟机 {name}（现有：{known}）")

    # -- the parameters by kind (PARAMS) ------------------------------------------------------------
    def param(self, key: str) -> Any:
        """The value of parameter ``key``, or its declared default when the description leaves it out
        (None when it declares none); a key not declared in ``PARAMS`` fails naming the closest one."""
        if key not in PARAMS:
            near = closest_param(key)
            hint = f"最接近的已知参数是 {near}" if near else "没有相近的已知参数"
            raise LabDescriptionError(f"没有实验环境参数 {key!r}（{hint}；全部参数见 netvirt.labspec.PARAMS）")
        if key in self.params:
            return self.params[key]
        default = PARAMS[key].default
        return None if default is NO_DEFAULT else copy.deepcopy(default)

    def _of_kind(self, kind: str, requirement: str | None = None) -> dict[str, Any]:
        """The parameters of ``kind`` (of ``requirement`` and its sub-requirements when given), in the order
        of ``PARAMS``: the description's value, else the declared default (None: not set, the reader decides)."""
        values = {}
        for key, param in PARAMS.items():
            if param.kind != kind:
                continue
            if requirement is not None and not (
                param.requirement == requirement or param.requirement.startswith(requirement + ".")
            ):
                continue
            values[key] = self.param(key)
        return values

    @property
    def spec_values(self) -> dict[str, Any]:
        """The spec values (kind ``spec``): how the lab is configured, where its programs and files are."""
        return self._of_kind("spec")

    @property
    def method(self) -> dict[str, Any]:
        """The method settings (kind ``method``): durations, rounds, frame sizes, offered loads, search."""
        return self._of_kind("method")

    @property
    def emulated(self) -> dict[str, Any]:
        """The adaptations to what this lab can carry (kind ``emulated-lab``)."""
        return self._of_kind("emulated-lab")

    def criteria(self, requirement: str) -> dict[str, Any]:
        """The acceptance criteria of ``requirement`` (``"7.3.5.1"``; ``"7.3"`` gives those of 7.3.x too)."""
        return self._of_kind("criterion", requirement)

    def requirements(self) -> list[str]:
        """The requirements that have acceptance criteria, in the record's order."""
        found = {PARAMS[k].requirement for k in PARAMS if PARAMS[k].kind == "criterion"}
        return sorted(found, key=lambda r: [int(p) if p.isdigit() else p for p in r.split(".")])


# -- validation -------------------------------------------------------------------------------


def _get(data: dict, key: str, where: str, kind: type | tuple[type, ...] = str, default: Any = ...) -> Any:
    if not isinstance(data, dict):
        raise LabDescriptionError(f"{where}: expected a mapping, got {type(data).__name__}")
    if key not in data:
        if default is ...:
            raise LabDescriptionError(f"{where}.{key}: missing")
        return default
    value = data[key]
    if value is None and default is None:
        return None
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise LabDescriptionError(f"{where}.{key}: expected {names}, got {value!r}")
    return value


def _match(value: str, pattern: re.Pattern, where: str, what: str) -> str:
    if not pattern.match(value):
        raise LabDescriptionError(f"{where}: {value!r} is not {what}")
    return value


def _choice(value: str, choices: tuple[str, ...], where: str) -> str:
    if value not in choices:
        raise LabDescriptionError(f"{where}: {value!r} is not one of {', '.join(choices)}")
    return value


def _positive(value: int, where: str, upper: int) -> int:
    if not 0 < value <= upper:
        raise LabDescriptionError(f"{where}: {value} is outside 1..{upper}")
    return value


def _address(value: str, where: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise LabDescriptionError(f"{where}: {value!r} is not an IP address") from None
    return value


def _credentials(data: dict, where: str) -> Credentials:
    creds = Credentials(
        user=_get(data, "user", where),
        password_env=_get(data, "password_env", where, default=None),
        key_file_env=_get(data, "key_file_env", where, default=None),
        key_file=_get(data, "key_file", where, default=None),
        known_hosts=_get(data, "known_hosts", where, default=None),
        trust_on_first_use=_get(data, "trust_on_first_use", where, bool, default=False),
    )
    if creds.trust_on_first_use and not creds.known_hosts:
        raise LabDescriptionError(f"{where}.trust_on_first_use: needs known_hosts, the file new host keys go to")
    for attr in ("password_env", "key_file_env"):
        value = getattr(creds, attr)
        if value is not None:
            _match(value, ENV_RE, f"{where}.{attr}", "an environment variable name")
    if "password" in data or "key" in data:
        raise LabDescriptionError(f"{where}: secrets are not written in a description; name an env variable")
    if not (creds.password_env or creds.key_file_env or creds.key_file):
        raise LabDescriptionError(f"{where}: needs password_env, key_file_env or key_file")
    return creds


def _nic(data: dict, where: str) -> Nic:
    nic = Nic(
        name=_match(_get(data, "name", where), validate.NETDEV_NAME, f"{where}.name", "an interface name"),
        pci=_match(_get(data, "pci", where), validate.PCI, f"{where}.pci", "a PCI address (dddd:bb:dd.f)"),
        peer=_get(data, "peer", where, default=None),
        sriov=_get(data, "sriov", where, bool, default=False),
        max_vfs=_get(data, "max_vfs", where, int, default=0),
        speed_mbps=_positive(_get(data, "speed_mbps", where, int, default=10000), f"{where}.speed_mbps", 800000),
        model=_get(data, "model", where, default=None),
    )
    if nic.model is not None:
        _choice(nic.model, tuple(NIC_MODELS), f"{where}.model")
    if nic.sriov and nic.max_vfs < 1:
        raise LabDescriptionError(f"{where}.max_vfs: an SR-IOV NIC needs max_vfs >= 1")
    if nic.peer is not None and nic.peer.count(":") != 1:
        raise LabDescriptionError(f"{where}.peer: {nic.peer!r} is not 'host:nic'")
    return nic


def _host(data: dict, where: str) -> Host:
    return Host(
        name=_match(_get(data, "name", where), NAME_RE, f"{where}.name", "a host name"),
        role=_choice(_get(data, "role", where), ROLES, f"{where}.role"),
        mgmt=_address(_get(data, "mgmt", where), f"{where}.mgmt"),
        ssh=_credentials(_get(data, "ssh", where, dict), f"{where}.ssh"),
        nics=tuple(_nic(n, f"{where}.nics[{i}]") for i, n in enumerate(_get(data, "nics", where, list, []))),
    )


def _vnic(data: dict, where: str) -> VNic:
    return VNic(
        name=_match(_get(data, "name", where), validate.NETDEV_NAME, f"{where}.name", "an interface name"),
        kind=_choice(_get(data, "kind", where), VNIC_KINDS, f"{where}.kind"),
        mac=_match(_get(data, "mac", where).lower(), validate.MAC, f"{where}.mac", "a MAC address"),
        port=_get(data, "port", where, default=None),
        queues=_positive(_get(data, "queues", where, int, default=1), f"{where}.queues", 16),
        mode=_choice(_get(data, "mode", where, default="client"), ("client", "server"), f"{where}.mode"),
    )


def _vm(data: dict, where: str) -> Vm:
    vm = Vm(
        name=_match(_get(data, "name", where), NAME_RE, f"{where}.name", "a VM name"),
        vcpus=_positive(_get(data, "vcpus", where, int), f"{where}.vcpus", 256),
        memory_mib=_positive(_get(data, "memory_mib", where, int), f"{where}.memory_mib", 4 << 20),
        hugepage_kib=_positive(_get(data, "hugepage_kib", where, int), f"{where}.hugepage_kib", 16 << 20),
        mgmt=_address(_get(data, "mgmt", where), f"{where}.mgmt"),
        mgmt_mac=_match(_get(data, "mgmt_mac", where).lower(), validate.MAC, f"{where}.mgmt_mac", "a MAC address"),
        vnics=tuple(_vnic(n, f"{where}.vnics[{i}]") for i, n in enumerate(_get(data, "vnics", where, list, []))),
    )
    if (vm.memory_mib * 1024) % vm.hugepage_kib:
        raise LabDescriptionError(
            f"{where}.memory_mib: {vm.memory_mib} MiB is not a multiple of the hugepage size {vm.hugepage_kib} KiB"
        )
    return vm


def _check_access(lab: LabSpec) -> None:
    """A real lab is reached without opening it to the network: SSH host keys checked, OVSDB not on TCP."""
    if not re.match(r"^(unix|tcp|ssl):.", lab.ovsdb):
        raise LabDescriptionError(f"lab.ovsdb: {lab.ovsdb!r} is not an OVSDB connection string (unix:, tcp:, ssl:)")
    if lab.ovsdb_over_ssh and not re.match(r"^unix:/", lab.ovsdb):
        raise LabDescriptionError(
            f"lab.ovsdb: with ovsdb_over_ssh it is the hypervisor's unix socket, not {lab.ovsdb!r}"
        )
    if lab.kind != "real":
        return
    if not lab.ovsdb_over_ssh:
        raise LabDescriptionError(
            f"lab.ovsdb: a real lab's OVSDB is reached through the hypervisor's SSH session (ovsdb_over_ssh: true,"
            f" ovsdb: unix:<its db.sock>), not {lab.ovsdb!r}: a ptcp: listener lets anyone on the network"
            " change the switch"
        )
    for i, host in enumerate(lab.hosts):
        if not host.ssh.known_hosts:
            raise LabDescriptionError(
                f"hosts[{i}].ssh.known_hosts: missing; a real lab's SSH host keys are checked against a known_hosts"
                " file (add trust_on_first_use: true to record the keys of hosts not in it yet)"
            )


def load_lab(data: dict, source: str | None = None) -> LabSpec:
    """Validate a lab description and return it as a ``LabSpec``.

    ``source`` names the description in the messages about its ``params`` (default: the file that called
    ``load_lab``, a variables file).

    Example: ``load_lab(embedded_lab.description("nv1"))``.
    """
    where = "lab"
    source = source or _caller_file()
    hosts = tuple(_host(h, f"hosts[{i}]") for i, h in enumerate(_get(data, "hosts", where, list)))
    vms = tuple(_vm(v, f"vms[{i}]") for i, v in enumerate(_get(data, "vms", where, list, [])))
    lab = LabSpec(
        name=_get(data, "name", where),
        kind=_choice(_get(data, "kind", where), KINDS, "lab.kind"),
        lab_id=_match(
            _get(data, "lab_id", where),
            re.compile(r"^[a-z][a-z0-9]{1,5}$"),
            "lab.lab_id",
            "a lab id (2-6 lowercase letters/digits, starting with a letter)",
        ),
        mgmt_network=_get(data, "mgmt_network", where),
        hosts=hosts,
        hypervisor=_get(data, "hypervisor", where),
        ovsdb=_get(data, "ovsdb", where),
        ovs_rundir=_get(data, "ovs_rundir", where),
        libvirt_uri=_get(data, "libvirt_uri", where),
        vms=vms,
        params=_check_params(_get(data, "params", where, dict, {}), source),
        capabilities=frozenset(
            _choice(c, tuple(CAPABILITIES), f"lab.capabilities[{i}]")
            for i, c in enumerate(_get(data, "capabilities", where, list, []))
        ),
        ovsdb_over_ssh=_get(data, "ovsdb_over_ssh", where, bool, default=False),
    )
    _check_access(lab)
    for key in ("vm_images", "vm_boot"):
        for name in lab.params.get(key, {}):
            if name not in (v.name for v in vms):
                known = ", ".join(v.name for v in vms) or "无"
                raise LabDescriptionError(
                    f"{source}：lab.params.{key} 中的 {name!r} 不是本实验环境的虚拟机（现有：{known}）"
                )
    if lab.kind == "embedded":
        for i, host in enumerate(hosts):
            for j, nic in enumerate(host.nics):
                if nic.sriov and nic.model is None:
                    raise LabDescriptionError(
                        f"hosts[{i}].nics[{j}].model: the embedded lab emulates this SR-IOV NIC and needs its model"
                        f" (one of {', '.join(NIC_MODELS)})"
                    )
    try:
        net = ipaddress.ip_network(lab.mgmt_network)
    except ValueError:
        raise LabDescriptionError(f"lab.mgmt_network: {lab.mgmt_network!r} is not a network") from None
    if lab.kind == "embedded" and not net.subnet_of(ipaddress.ip_network("198.18.0.0/15")):
        raise LabDescriptionError("lab.mgmt_network: the embedded lab's management network must be in 198.18.0.0/15")
    names = [h.name for h in hosts] + [v.name for v in vms]
    if len(set(n.lower() for n in names)) != len(names):
        raise LabDescriptionError(f"lab.hosts/vms: duplicate names in {names}")
    if lab.hypervisor not in (h.name for h in hosts):
        raise LabDescriptionError(f"lab.hypervisor: {lab.hypervisor!r} is not one of the hosts")
    for i, host in enumerate(hosts):
        for j, nic in enumerate(host.nics):
            if nic.peer:
                peer_host, peer_nic = nic.peer.split(":")
                try:
                    lab.host(peer_host).nic(peer_nic)
                except LabDescriptionError as err:
                    raise LabDescriptionError(f"hosts[{i}].nics[{j}].peer: {err}") from None
    return lab
