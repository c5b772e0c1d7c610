"""Robot keywords to build, inspect and remove the lab named by ``${LAB}``."""

from __future__ import annotations

from robot.api import SkipExecution, logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn

from netvirt import emulation, evidence, health, seam, verdicts
from netvirt.labspec import CAPABILITIES, NO_DEFAULT, PARAM_KINDS, PARAMS, LabDescriptionError, LabSpec


@library(scope="GLOBAL", auto_keywords=False, listener="SELF")
class LabLibrary:
    """搭建、查看和拆除实验环境的关键字，并按实验环境的能力决定检查能否进行。

    实验环境由变量 ``${LAB}`` 指定（见下面的“选择实验环境”）。

    对应记录“服务器配置”和“测试示意图”：Host A、Host B（Hypervisor）、它们的网卡与对端、VM01、VM02。

    = 选择实验环境 =
    用例集导入 ``variables/embedded_lab.py`` （默认：在本机上搭出记录中的拓扑）。真实实验环境在命令行上选择，
    它覆盖默认值： ``robot -V variables/record_lab.py suites/5.4_网络虚拟化`` 。

    = 内嵌实验环境与真实实验环境 =
    - 内嵌实验环境：`搭建实验环境` 在本机上搭出整个拓扑（主机的网络命名空间与 sshd、OVS-DPDK、libvirtd、
      虚拟机用的大页、模拟的 SR-IOV 网卡），`拆除实验环境` 把它们全部删除，`实验环境应无残留` 检查确实删干净了。
      同一实验环境 id 同时只能由一次运行使用（本机上对该 id 加锁）。
    - 真实实验环境：不搭建任何东西。`搭建实验环境` 检查每台主机都能经 SSH 登录，并记下各主机网卡的状态（PROMISC、
      MTU、地址）；`拆除实验环境` 把网卡恢复成这个样子并关闭会话。同一套服务器同时只能由一次运行使用（经 SSH 在
      Hypervisor 上加所有者锁）。

    = 依赖模拟行为的判定 =
    本库同时是一个 listener：用例驱动了实验环境只是模拟的东西（内嵌实验环境的 SR-IOV 网卡）时，无论结果如何，
    用例都会得到标签 ``emulated-nic`` ，消息末尾多一行 ``【模拟】本判定依赖本机模拟的行为……`` ；日志、
    报告和生成的测试记录里都看得到。用例失败时，消息中还会列出实验环境中不再应答的部分（如 ovs-vswitchd 没有运行）；
    其中有虚拟机（没有在运行，或经 SSH 不应答）时，用例得到标签 ``guest-silent`` （ ``run-chapter.sh`` 据此在新的
    实验环境上重跑失败的用例）。

    = 能力 =
    实验环境在记录的基本能力之外还能做什么，是一个声明的集合（实验环境描述中的 ``capabilities`` ，
    名字取自 ``netvirt.labspec.CAPABILITIES`` ： ``msix_interrupts`` 、 ``sriov_passthrough`` 、 ``host_vlan`` ）。
    不在其中的名字，无论写在描述里还是传给这些关键字，都会失败。实验环境做不到的检查用 `要求实验环境具备` 让用例
    SKIP 并写明原因，绝不在没有检查的情况下 PASS。
    """

    ROBOT_LISTENER_API_VERSION = 3

    def start_test(self, data, result) -> None:
        emulation.begin()

    def end_test(self, data, result) -> None:
        if result.failed and (lab := seam.existing()) is not None:
            # A failed ping does not say whether ovs-vswitchd died: name the parts that do not answer.
            try:
                # A locked guest's console is kept beside output.xml: the lab's directory goes at teardown.
                parts = health.survey(lab, keep_dir=evidence.output_dir())
                found = health.describe(parts)
                if any(part.vm and not part.ok for part in parts):
                    result.tags.add(health.GUEST_SILENT)
            except Exception as err:  # noqa: BLE001 - the survey must not hide the test's own failure
                found = f"实验环境状态无法检查：{err}"
            if found:
                result.message = f"{result.message}\n{found}" if result.message else found
        emulation.declare(result)

    @keyword("搭建实验环境")
    def set_up_lab(self) -> None:
        """准备实验环境：内嵌实验环境在本机上搭建出来；真实实验环境检查每台主机都能经 SSH 登录。

        先把实验环境描述记入日志（同 `记录实验环境` ）。搭建前先清除同一实验环境被中断的上一次运行留下的东西。
        从这里到 `拆除实验环境` 结束，本次运行拥有这个实验环境，搭建失败也一样（内嵌实验环境：
        本机上对实验环境 id 加锁；真实实验环境：在改动任何东西之前，经 SSH 在 Hypervisor 上加所有者锁）。
        用例集变量 ``${实验环境归本次运行}`` 表示这一点：另一次运行正拥有该实验环境时它为假（错误消息写明是谁），
        用例集终程据此不去改动那次运行的实验环境。

        Example: | 搭建实验环境 |
        """
        lab = seam.current()
        self.log_lab_description()
        for note in lab.notes():
            evidence.lab_note(note)
        BuiltIn().set_suite_variable("${实验环境归本次运行}", True)
        try:
            lab.setup()
        except seam.LabInUseError:
            BuiltIn().set_suite_variable("${实验环境归本次运行}", False)
            raise

    @keyword("拆除实验环境")
    def tear_down_lab(self) -> None:
        """拆除实验环境：内嵌实验环境删除它的一切（命名空间、进程、虚拟机 domain、大页、文件）；
        真实实验环境把主机网卡恢复成搭建时的状态、关闭会话并释放所有者锁。

        本次运行不拥有该实验环境时不改动它。放在用例集终程。

        Example: | 拆除实验环境 |
        """
        seam.current().teardown()

    @keyword("实验环境应无残留")
    def lab_should_leave_nothing(self) -> None:
        """内嵌实验环境拆除后仍有东西留在本机上时失败，并逐条列出残留（真实实验环境没有要检查的，总是通过）。

        Example: | 实验环境应无残留 |
        """
        leftovers = seam.current().leftovers()
        if leftovers:
            raise AssertionError("实验环境有残留：\n" + "\n".join(leftovers))

    @keyword("记录实验环境")
    def log_lab_description(self) -> None:
        """把实验环境描述按记录“服务器配置”的样子以表格记入日志：主机（角色、管理地址、网卡、PCI、对端、
        SR-IOV 与最大 VF 数、速率）和虚拟机（vCPU、内存、大页、管理地址、vNIC）；再按类别记下实验环境参数：
        规格值、测试方法、对实验环境能力的适配，以及每个要求的合格判据（本次运行据以判定的值）。

        同时把网卡型号、实验环境类型和能力写入顶层用例集的元数据，供判定汇总表使用。

        Example: | 记录实验环境 |
        """
        spec = seam.current().spec
        # For the verdict table (netvirt.verdicts): which NICs and capabilities this run's verdicts rest on.
        models = sorted({n.model for h in spec.hosts for n in h.nics if n.model})
        builtin = BuiltIn()
        builtin.set_suite_metadata(verdicts.NIC_MODEL_METADATA, ", ".join(models) or "未声明", top=True)
        builtin.set_suite_metadata(verdicts.LAB_KIND_METADATA, spec.kind, top=True)
        builtin.set_suite_metadata(
            verdicts.CAPABILITIES_METADATA, ", ".join(sorted(spec.capabilities)) or "无", top=True
        )
        evidence.table(
            ["主机", "角色", "管理地址", "网卡", "PCI", "对端", "SR-IOV (max VFs)", "速率 Mb/s"],
            [
                (h.name, h.role, h.mgmt, n.name, n.pci, n.peer or "-", f"{n.sriov} ({n.max_vfs})", n.speed_mbps)
                for h in spec.hosts
                for n in h.nics
            ],
            title=f"实验环境：{spec.name}（{spec.kind}）",
        )
        evidence.table(
            ["VM", "vCPU", "内存 MiB", "大页 KiB", "管理地址", "vNIC"],
            [
                (
                    v.name,
                    v.vcpus,
                    v.memory_mib,
                    v.hugepage_kib,
                    v.mgmt,
                    ", ".join(f"{n.name}:{n.kind}:{n.port or ''}" for n in v.vnics),
                )
                for v in spec.vms
            ],
        )
        self._log_params(spec)

    @staticmethod
    def _log_params(spec: LabSpec) -> None:
        """The lab parameters by kind (``labspec.PARAMS``); a criterion the description leaves out is shown too."""

        def rows(kind: str, requirement: str | None = None) -> list[tuple]:
            found = []
            for key, param in PARAMS.items():
                if param.kind != kind or requirement is not None and param.requirement != requirement:
                    continue
                if key in spec.params:
                    shown = spec.params[key]
                elif param.default not in (None, NO_DEFAULT):
                    shown = f"{param.default}（默认）"
                elif kind == "criterion":
                    shown = "未设置"
                else:
                    continue
                found.append((key, param.requirement or "全部", "None" if shown is None else shown, param.meaning))
            return found

        headers = ["参数", "要求", "值", "含义"]
        for kind in ("spec", "method", "emulated-lab"):
            if found := rows(kind):
                evidence.table(headers, found, title=f"实验环境参数：{PARAM_KINDS[kind]}")
        for requirement in spec.requirements():
            evidence.table(headers, rows("criterion", requirement), title=f"合格判据：{requirement}")

    @keyword("实验环境参数")
    def lab_parameter(self, name: str, default: object = None) -> object:
        """返回实验环境描述中参数 ``name`` 的值（ ``params`` 中的键，如 ``pmd_cpu_mask`` ）；
        描述中没有该参数时返回 ``default`` ，不给 ``default`` 时返回声明的默认值（ ``netvirt.labspec.PARAMS`` ）。
        未声明的参数名使关键字失败，并给出最接近的参数名。

        Example: | ${mask}= | 实验环境参数 | pmd_cpu_mask |
        """
        spec = seam.current().spec
        if default is not None and name in PARAMS and name not in spec.params:
            return default
        return spec.param(name)

    @keyword("网卡PCI地址")
    def nic_pci(self, host: str, nic: str) -> str:
        """返回实验环境描述中主机 ``host`` 的网卡 ``nic`` 的 PCI 地址。

        主机或网卡不在描述中时失败。

        Example: | ${pci}= | 网卡PCI地址 | hostb | enP5p1s0 |
        """
        return seam.current().spec.host(host).nic(nic).pci

    @staticmethod
    def _has(capability: str) -> bool:
        if capability not in CAPABILITIES:
            known = "、".join(CAPABILITIES)
            raise LabDescriptionError(f"没有名为 {capability!r} 的实验环境能力（已声明的能力：{known}）")
        return capability in seam.current().spec.capabilities

    @keyword("实验环境具备")
    def lab_has(self, capability: str) -> bool:
        """返回实验环境是否具备能力 ``capability`` （已声明的能力名之一），并在日志中说明。

        未知的能力名使关键字失败。要让实验环境做不到的检查不被执行，用 `要求实验环境具备` ：
        用例随之以 SKIP 结束并写明原因，而不是未经检查就通过。

        Example: | ${msix}= | 实验环境具备 | msix_interrupts |
        """
        has = self._has(capability)
        logger.info(f"实验环境{'具备' if has else '不具备'}能力 {capability}：{CAPABILITIES[capability]}")
        return has

    @keyword("要求实验环境具备")
    def require(self, capability: str, reason: str) -> None:
        """实验环境不具备能力 ``capability`` 时，以 ``reason`` （加上缺少的能力及其含义）让当前用例 SKIP；
        未知的能力名使关键字失败。

        Example: | 要求实验环境具备 | msix_interrupts | 虚拟网卡没有 MSI-X，中断分布无法检查 |
        """
        if not self._has(capability):
            raise SkipExecution(f"{reason}（实验环境不具备 {capability}：{CAPABILITIES[capability]}）")
