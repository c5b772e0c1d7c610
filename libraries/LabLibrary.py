"""Robot keywords to build, inspect and remove the lab named by ``${LAB}``."""

from __future__ import annotations

from robot.api import SkipExecution, logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn

from netvirt import emulation, evidence, health, seam, verdicts
from netvirt.labspec import CAPABILITIES, LabDescriptionError


@library(scope="GLOBAL", auto_keywords=False, listener="SELF")
class LabLibrary:
    """Robot keywords to build, inspect and remove the lab named by ``${LAB}``.

    = Choosing a lab =
    The suites import ``variables/embedded_lab.py`` (the default: the record's topology
    built on this machine). A real lab is chosen on the command line, which overrides it:
    ``robot -V variables/record_lab.py suites/5.4_网络虚拟化``.

    = Verdicts on emulated behaviour =
    The library is also a listener: a test that drove something the lab only emulates (the
    embedded lab's SR-IOV NICs) gets the tag ``emulated-nic`` and a last line in its message,
    ``【模拟】本判定依赖本机模拟的行为……``, whatever its status; the log, the report and the
    generated test record show both.

    = Capabilities =
    What a lab can do beyond the record's basics is a declared set (``capabilities`` in the lab
    description, names from ``netvirt.labspec.CAPABILITIES``: ``msix_interrupts``,
    ``sriov_passthrough``, ``host_vlan``). A name that is not one of them fails, in the description
    and in these keywords alike.
    """

    ROBOT_LISTENER_API_VERSION = 3

    def start_test(self, data, result) -> None:
        emulation.begin()

    def end_test(self, data, result) -> None:
        if result.failed and (lab := seam.existing()) is not None:
            # A failed ping does not say whether ovs-vswitchd died: name the parts that do not answer.
            try:
                found = health.problems(lab)
            except Exception as err:  # noqa: BLE001 - the survey must not hide the test's own failure
                found = f"实验环境状态无法检查：{err}"
            if found:
                result.message = f"{result.message}\n{found}" if result.message else found
        emulation.declare(result)

    @keyword("搭建实验环境")
    def set_up_lab(self) -> None:
        """Build the lab (embedded) or check that every host answers over SSH (real lab).

        Bring-up first removes whatever a killed run of the same lab left behind. The run owns the lab
        from here to the end of `拆除实验环境`, a failed bring-up included (the embedded lab: a lock on its
        lab id; a real lab: an owner lock on the hypervisor, taken over SSH before anything is changed):
        the suite variable ``${实验环境归本次运行}`` says so, and is false when another run owns the lab
        (the error names it), so that the suite teardown changes nothing in that run's lab.

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
        """Remove the embedded lab (namespaces, processes, domains, hugepages, files) or close sessions.

        Example: | 拆除实验环境 |
        """
        seam.current().teardown()

    @keyword("实验环境应无残留")
    def lab_should_leave_nothing(self) -> None:
        """Fail if anything of the embedded lab is still on the machine (a real lab has nothing to check).

        Example: | 实验环境应无残留 |
        """
        leftovers = seam.current().leftovers()
        if leftovers:
            raise AssertionError("实验环境有残留：\n" + "\n".join(leftovers))

    @keyword("记录实验环境")
    def log_lab_description(self) -> None:
        """Log the lab description as the record's server tables: hosts, NICs and VMs.

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

    @keyword("实验环境参数")
    def lab_parameter(self, name: str, default: object = None) -> object:
        """Return a spec parameter of the lab description (``params``), or ``default``.

        Example: | ${mask}= | 实验环境参数 | pmd_cpu_mask |
        """
        return seam.current().spec.params.get(name, default)

    @keyword("网卡PCI地址")
    def nic_pci(self, host: str, nic: str) -> str:
        """Return the PCI address of ``host``'s NIC ``nic`` from the lab description.

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
        """Return whether the lab has ``capability`` (one of the declared capability names).

        An unknown name fails. To leave out a check the lab cannot make, use `要求实验环境具备`:
        the test then ends SKIP with the reason, it never passes without the check.

        Example: | ${msix}= | 实验环境具备 | msix_interrupts |
        """
        has = self._has(capability)
        logger.info(f"实验环境{'具备' if has else '不具备'}能力 {capability}：{CAPABILITIES[capability]}")
        return has

    @keyword("要求实验环境具备")
    def require(self, capability: str, reason: str) -> None:
        """Skip the current test with ``reason`` unless the lab has ``capability``; an unknown name fails.

        Example: | 要求实验环境具备 | msix_interrupts | 虚拟网卡没有 MSI-X，中断分布无法检查 |
        """
        if not self._has(capability):
            raise SkipExecution(f"{reason}（实验环境不具备 {capability}：{CAPABILITIES[capability]}）")
