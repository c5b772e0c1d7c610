"""The lab seam: what a lab offers the keyword libraries, and the lab of this run.

Keyword libraries ask the current lab how to reach a host, where OVSDB and libvirt listen,
what a PCI address means to DPDK, how a guest boots, how a VF setting reaches its NIC, and
what the lab left behind. No keyword and no suite asks *which* lab it is on. ``current()``
returns the lab of this Robot run, built from the ``${LAB}`` variable (a validated ``LabSpec``)
on first use.

This module is the interface only: it imports no implementation. ``from_spec`` finds the
implementation by the description's kind in ``KINDS`` (a module and class name, imported when a
lab of that kind is made): ``netvirt.reallab.RealLab`` for real servers and
``netvirt.embedded.adapter.EmbeddedLab`` for the lab built on this machine. Implementations import
this module, never the other way (``tests/unit/test_import_graph.py`` checks it).
"""

from __future__ import annotations

import importlib
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from netvirt.labspec import LabDescriptionError, LabSpec, Vm

if TYPE_CHECKING:
    from netvirt.domain import DomainProfile
    from netvirt.sriov import SriovNic
    from netvirt.ssh import SshSession
    from netvirt.vm import Hypervisor

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("NETVIRT_CACHE", REPO / ".cache"))

Progress = Callable[[str], None]

# The implementation of each lab kind: "module:class", imported when a lab of that kind is made.
KINDS = {
    "real": "netvirt.reallab:RealLab",
    "embedded": "netvirt.embedded.adapter:EmbeddedLab",
}


class LabInUseError(RuntimeError):
    """Another run owns this lab: nothing of it was changed; the message names the owner."""


class Lab(ABC):
    """What every lab offers the keyword libraries."""

    def __init__(self, spec: LabSpec, progress: Progress = print):
        self.spec = spec
        self.progress = progress

    # -- ownership and life ----------------------------------------------------------------------
    @abstractmethod
    def setup(self) -> None:
        """Own the lab (``LabInUseError`` naming the owner, before anything changed) and make it ready."""

    @abstractmethod
    def teardown(self) -> None:
        """Put back what the run changed and give the lab up (the last step of the run)."""

    def leftovers(self) -> list[str]:
        """What of this lab is still on the machine after its teardown (a real lab leaves nothing to check)."""
        return []

    def notes(self) -> list[str]:
        """What this lab emulates instead of having it, for the log."""
        return []

    # -- hosts -----------------------------------------------------------------------------------
    @abstractmethod
    def session(self, host: str) -> SshSession:
        """The SSH session to a host or guest of the description, opened on first use."""

    @abstractmethod
    def forget_session(self, host: str) -> None:
        """Close the session to ``host``; the next ``session`` opens a new one."""

    @abstractmethod
    def close_sessions(self) -> None:
        """Close every connection of this lab (SSH, OVSDB relay, libvirt)."""

    # -- Open vSwitch on the hypervisor ----------------------------------------------------------
    @property
    @abstractmethod
    def ovsdb_remote(self) -> str:
        """An OVSDB connection string reachable from this process (unix:, tcp: or ssl:)."""

    @abstractmethod
    def ovs_command(self, *argv: str) -> str:
        """The command line for an OVS tool on the hypervisor (ovs-appctl, ovs-ofctl, ovs-vsctl)."""

    @property
    @abstractmethod
    def ovs_log_path(self) -> str:
        """ovs-vswitchd's log file on the hypervisor."""

    @property
    @abstractmethod
    def ovs_ctl_path(self) -> str:
        """ovs-ctl on the hypervisor."""

    @abstractmethod
    def vhost_socket_path(self, name: str) -> str:
        """Where a vhost-user socket called ``name`` lives on the hypervisor."""

    @abstractmethod
    def restart_vswitchd(self) -> None:
        """Restart ovs-vswitchd on the hypervisor, keeping ovsdb-server and its database."""

    @abstractmethod
    def dpdk_devargs(self, pci: str) -> str:
        """What ``options:dpdk-devargs`` must say for the hypervisor NIC at ``pci`` (or named ``pci``)."""

    # -- VMs -------------------------------------------------------------------------------------
    @property
    @abstractmethod
    def hypervisor(self) -> Hypervisor:
        """The lab's one libvirt connection (every library that drives VMs shares it)."""

    @abstractmethod
    def domain_name(self, vm: Vm) -> str:
        """The libvirt domain name of ``vm``."""

    @abstractmethod
    def qemu_log_path(self, vm: Vm) -> str:
        """libvirt's log of ``vm``'s QEMU on the hypervisor (its command line, and why it stopped)."""

    @abstractmethod
    def domain_profile(self, vm: Vm) -> DomainProfile:
        """How ``vm`` boots on this lab."""

    @abstractmethod
    def prepare_vm(self, vm: Vm) -> None:
        """Anything the lab must provide before the domain starts."""

    @abstractmethod
    def release_vm(self, vm: Vm) -> None:
        """Undo ``prepare_vm``."""

    def boot_crash_restarts(self) -> int:
        """How often a guest whose emulator crashed before the guest was first ready is started again. A real
        lab's QEMU crashing is a finding: 0. A lab whose emulator is known to crash at boot now and then (the
        embedded lab's TCG) gives a number; each restart is a warning in the log, with QEMU's log."""
        return 0

    def console_tail(self, vm: Vm, lines: int = 15) -> str | None:
        """The last ``lines`` of ``vm``'s serial console where the lab keeps it, else None."""
        return None

    # -- SR-IOV ----------------------------------------------------------------------------------
    @abstractmethod
    def sriov_nic(self, host: str, pf: str) -> SriovNic:
        """The SR-IOV NIC ``pf`` (name or PCI address) of ``host``: a VF backend (``netvirt.sriov.SriovNic``)."""


_current: Lab | None = None


def implementation(kind: str) -> type[Lab]:
    """The lab class for a description's ``kind`` (imported on first use)."""
    try:
        module, _, name = KINDS[kind].partition(":")
    except KeyError:
        raise LabDescriptionError(f"实验环境类型 {kind!r} 不支持（可用：{', '.join(KINDS)}）") from None
    return getattr(importlib.import_module(module), name)


def from_spec(spec: LabSpec, progress: Progress = print) -> Lab:
    if not isinstance(spec, LabSpec):
        raise LabDescriptionError(
            f"${{LAB}} is not a lab description (got {type(spec).__name__}); load one with -V variables/<lab>.py"
        )
    return implementation(spec.kind)(spec, progress)


def current() -> Lab:
    """The lab of this run, created from the Robot variable ``${LAB}`` on first use."""
    global _current
    if _current is None:
        from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

        try:
            spec = BuiltIn().get_variable_value("${LAB}")
        except RobotNotRunningError:
            spec = None
        if spec is None:
            raise LabDescriptionError("没有选择实验环境：用 -V variables/embedded_lab.py 或 variables/record_lab.py")
        _current = from_spec(spec, _robot_progress)
    return _current


def existing() -> Lab | None:
    """The lab of this run if one was created already (for listeners: they must not create one)."""
    return _current


def use(lab: Lab | None) -> None:
    """Make ``lab`` the current lab (tests and benchmarks that build one themselves)."""
    global _current
    _current = lab


def _robot_progress(message: str) -> None:
    from robot.api import logger

    logger.info(message, also_console=True)


__all__ = ["KINDS", "Lab", "LabInUseError", "current", "existing", "from_spec", "implementation", "use"]
