"""The real lab: servers reached over SSH, with OVS and libvirt on the hypervisor (``kind: real``).

``SshLab`` is what every lab reached over SSH does (the embedded lab's adapter builds on it too):
sessions to hosts and guests, OVSDB (relayed through the hypervisor's SSH session when the
description says ``ovsdb_over_ssh``), OVS's paths from its run directory, the guests' boot from the
lab parameters, the lab's one libvirt connection, SR-IOV NICs through sysfs and rtnetlink.

``RealLab`` adds ownership: two runs against the same servers would undo each other's work, so a
run owns the lab from the first step of its suite setup to the last step of its teardown through
an owner lock on the hypervisor (``OwnerLock``), and a second run fails at setup naming the owner,
having changed nothing.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
import re
import shlex
import socket
import time
import uuid

import paramiko

from netvirt import hoststate, seam
from netvirt.domain import DomainProfile
from netvirt.labspec import LabDescriptionError, LabSpec, Vm
from netvirt.sriov import SriovNic
from netvirt.sriov_netlink import NetlinkNic
from netvirt.ssh import HostConnectionError, SshSession, UnixSocketForward
from netvirt.vm import Hypervisor

GUEST_HANDSHAKE_TIMEOUT = 60.0


class SshLab(seam.Lab):
    """A lab whose hosts and guests are reached over SSH, with OVS and libvirt on its hypervisor.

    Both kinds are: a real lab's servers, and the embedded lab's namespaces, each with its own sshd.
    """

    def __init__(self, spec: LabSpec, progress: seam.Progress = print):
        super().__init__(spec, progress)
        self._sessions: dict[str, SshSession] = {}
        self._ovsdb_forward: UnixSocketForward | None = None
        self._hypervisor: Hypervisor | None = None

    # -- hosts -----------------------------------------------------------------------------------
    def session(self, host: str) -> SshSession:
        """The SSH session to a host or guest of the description, opened on first use."""
        key = host.lower()
        if key not in self._sessions:
            target = self.spec.host(host)
            # A guest's sshd may take long for the key exchange (TCG, a busy hypervisor): the TCP connect
            # still fails fast, the handshake gets GUEST_HANDSHAKE_TIMEOUT.
            handshake = GUEST_HANDSHAKE_TIMEOUT if target.role == "guest" else None
            self._sessions[key] = SshSession(target.name, target.mgmt, target.ssh, handshake_timeout=handshake)
        return self._sessions[key]

    def forget_session(self, host: str) -> None:
        session = self._sessions.pop(host.lower(), None)
        if session:
            session.close()

    def close_sessions(self) -> None:
        if self._hypervisor is not None:
            self._hypervisor.close()
            self._hypervisor = None
        if self._ovsdb_forward is not None:
            self._ovsdb_forward.close()
            self._ovsdb_forward = None
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()

    def setup(self) -> None:
        """Make the lab ready: every host reachable over SSH; note its NICs' state for the teardown."""
        for host in self.spec.hosts:
            self.session(host.name).run("true", timeout=15)
        self.nics_found = {
            h.name: hoststate.snapshot(self.session(h.name), [n.name for n in h.nics]) for h in self.spec.hosts
        }

    def teardown(self) -> None:
        """Put back the hosts' NICs as setup found them (PROMISC, MTU, addresses), then close the sessions."""
        for host, found in getattr(self, "nics_found", {}).items():
            for attempt in (1, 2):  # the second on a new connection: the run's may be stuck
                try:
                    for line in hoststate.put_back(self.session(host), found):
                        self.progress(f"恢复网卡状态：{line}")
                    break
                except RuntimeError as err:  # HostConnectionError included: the teardown goes on
                    self.forget_session(host)
                    if attempt == 2:
                        self.progress(f"没能恢复主机 {host} 的网卡状态：{err}")
        self.close_sessions()

    # -- Open vSwitch on the hypervisor ----------------------------------------------------------
    @property
    def ovsdb_remote(self) -> str:
        """An OVSDB connection string reachable from this process (unix:, tcp: or ssl:).

        With ``ovsdb_over_ssh`` (a real lab) the description's ``unix:`` socket is on the hypervisor: a
        socket of this process relays each connection to it through the hypervisor's SSH session, so the
        lab needs no OVSDB listener on its network (``netvirt.ssh.UnixSocketForward``).
        """
        if not self.spec.ovsdb_over_ssh:
            return self.spec.ovsdb
        if self._ovsdb_forward is None:
            forward = UnixSocketForward(lambda: self.session(self.spec.hypervisor), self.spec.ovsdb[len("unix:") :])
            try:
                forward.check()
            except HostConnectionError as err:
                forward.close()
                raise HostConnectionError(f"Hypervisor 的 OVSDB 不可达：{err}") from None
            self._ovsdb_forward = forward
        return self._ovsdb_forward.remote

    def ovs_command(self, *argv: str) -> str:
        """The command line for an OVS tool on the hypervisor (ovs-appctl, ovs-ofctl, ovs-vsctl)."""
        return shlex.join(["env", f"OVS_RUNDIR={self.spec.ovs_rundir}", *argv])

    def _ovs_prefix(self) -> tuple[str, str]:
        """OVS's install prefixes as its run directory tells them: (data prefix, state prefix).

        A source build (``./configure`` default, the record's) keeps everything under one prefix:
        ``/usr/local/var/run/openvswitch`` -> ``/usr/local/share``, ``/usr/local/var/log``; a distribution's
        package runs in ``/var/run`` or ``/run`` with ``/usr/share`` and ``/var/log``.
        """
        match = re.fullmatch(r"(/.+)/var/run/openvswitch/?", self.spec.ovs_rundir)
        return (match[1], f"{match[1]}/var") if match else ("/usr", "/var")

    @property
    def ovs_log_path(self) -> str:
        """ovs-vswitchd's log file on the hypervisor: the lab parameter ``ovs_log``, else where an OVS
        with this run directory logs."""
        return self.spec.param("ovs_log") or f"{self._ovs_prefix()[1]}/log/openvswitch/ovs-vswitchd.log"

    @property
    def ovs_ctl_path(self) -> str:
        """ovs-ctl on the hypervisor: the lab parameter ``ovs_ctl``, else where an OVS with this run directory
        has it."""
        return self.spec.param("ovs_ctl") or f"{self._ovs_prefix()[0]}/share/openvswitch/scripts/ovs-ctl"

    def vhost_socket_path(self, name: str) -> str:
        """Where a vhost-user socket called ``name`` lives on the hypervisor (OVS's and QEMU's view alike)."""
        return f"{self.spec.ovs_rundir}/{name}"

    def restart_vswitchd(self) -> None:
        """Restart ovs-vswitchd on the hypervisor, keeping ovsdb-server and its database."""
        command = shlex.join([self.ovs_ctl_path, "--no-ovsdb-server", "restart"])
        result = self.session(self.spec.hypervisor).run(command)
        if not result.ok:
            raise RuntimeError(f"ovs-vswitchd 重启失败：{(result.stderr or result.stdout).strip()}")

    def dpdk_devargs(self, pci: str) -> str:
        """What ``options:dpdk-devargs`` must say for the hypervisor NIC at ``pci``: its PCI address, or what
        the lab parameter ``dpdk_devargs`` gives for it (a NIC DPDK reaches through a vdev, for one)."""
        nic = self.spec.host(self.spec.hypervisor).nic(pci)
        return str(self.spec.param("dpdk_devargs").get(nic.pci, nic.pci))

    # -- VMs -----------------------------------------------------------------------------------
    @property
    def hypervisor(self) -> Hypervisor:
        """The lab's libvirt connection (``spec.libvirt_uri``), opened on first use and shared by every library."""
        if self._hypervisor is None or self._hypervisor.uri != self.spec.libvirt_uri:
            self._hypervisor = Hypervisor(self.spec.libvirt_uri)
        return self._hypervisor

    def domain_name(self, vm: Vm) -> str:
        return vm.name

    def qemu_log_path(self, vm: Vm) -> str:
        return f"/var/log/libvirt/qemu/{self.domain_name(vm)}.log"  # libvirt's qemu driver, every version

    def domain_profile(self, vm: Vm) -> DomainProfile:
        """How ``vm`` boots, from the lab parameters: ``qemu_emulator``, ``vm_arch``, ``vm_machine``,
        ``vm_gic_version``, ``vm_loader`` and ``vm_nvram_template`` (UEFI), ``vm_images`` (a disk per VM),
        ``vm_mgmt_network``, and ``vm_boot``, per VM any other
        ``DomainProfile`` field (kernel, initrd, cmdline, mgmt_tap, domain_type ...) for guests that boot
        otherwise (a direct kernel boot, TCG)."""
        param = self.spec.param  # the description's value or the declared default (labspec.PARAMS)
        boot = dict(param("vm_boot").get(vm.name, {}))
        known = {f.name for f in dataclasses.fields(DomainProfile)}
        unknown = sorted(set(boot) - known)
        if unknown:
            raise LabDescriptionError(
                f"lab.params.vm_boot.{vm.name}: {', '.join(unknown)} 不是 DomainProfile 的字段"
                f"（可用：{', '.join(sorted(known))}）"
            )
        return DomainProfile(
            **{
                "emulator": param("qemu_emulator"),
                "arch": param("vm_arch"),
                "machine": param("vm_machine"),
                "gic_version": param("vm_gic_version"),
                "loader": param("vm_loader"),
                "nvram_template": param("vm_nvram_template"),
                "disk": param("vm_images").get(vm.name),
                "mgmt_network": param("vm_mgmt_network"),
                "vhost_socket_dir": self.spec.ovs_rundir,
                **boot,
            }
        )

    def prepare_vm(self, vm: Vm) -> None:
        """Anything the lab must provide before the domain starts."""

    def release_vm(self, vm: Vm) -> None:
        """Undo ``prepare_vm``."""

    # -- SR-IOV ------------------------------------------------------------------------------------
    def sriov_nic(self, host: str, pf: str) -> SriovNic:
        """The SR-IOV NIC ``pf`` (name or PCI address) of ``host``, driven through sysfs and rtnetlink on the host."""
        target = self.spec.host(host)
        return NetlinkNic(self.session, target.name, target.nic(pf))


# -- ownership of a real lab ------------------------------------------------------------------------
OWNER_LOCK = "/run/netvirt-robot.lock"  # tmpfs: a reboot of the hypervisor frees it too
LOCK_TIMEOUT = 30.0
UNKNOWN_OWNER_RETRIES = 4
UNKNOWN_OWNER_HINT = "（反复几次仍是如此：锁被一个没有写下自己的进程持有）"

# Run on the hypervisor as ``sh -c LOCK_SCRIPT netvirt-lock <lock file> <owner line>``: an exclusive flock
# (util-linux, on CentOS 7 as on any Linux) held by this shell for as long as the SSH channel is open: its
# ``cat`` waits for the channel to close and does not hold the lock itself (``9>&-``; a ``cat`` that outlived
# a shell killed by sshd's SIGHUP kept the lock a moment longer, and the next run found it busy). Closing the
# channel (the teardown's end, or the owner's connection dropping when its process is killed) ends the shell,
# and with it the lock: a killed owner's lock goes with its connection, as the embedded lab's flock goes with
# its process. The lock file holds the owner's line while owned.
LOCK_SCRIPT = """\
exec 9>>"$1"
if ! flock -n 9; then echo BUSY; cat "$1"; exit 75; fi
printf '%s\\n' "$2" > "$1"
echo OWNED
cat > /dev/null 9>&-
: > "$1"
"""


def owner_line(lab_name: str) -> str:
    """Who owns the lab, for the error a second run shows: run id, user, controller host, pid, since when."""
    since = time.strftime("%Y-%m-%d %H:%M:%S %z")
    return (
        f"运行 {uuid.uuid4().hex[:12]}（实验环境 {lab_name}），用户 {getpass.getuser()}，"
        f"主机 {socket.gethostname()}，pid {os.getpid()}，开始于 {since}"
    )


class OwnerLock:
    """The owner lock of a real lab on its hypervisor, held over an SSH connection of its own.

    Its own connection, so that nothing the run does with its sessions (a session forgotten after a
    timeout, the teardown's reconnect) gives the lock up before the teardown ends.
    """

    def __init__(self, session: SshSession, path: str, owner: str):
        self.session = session
        self.path = path
        self.owner = owner
        self._channel: paramiko.Channel | None = None

    @property
    def taken(self) -> bool:
        """This run took the lock (and has not released it)."""
        return self._channel is not None

    @property
    def held(self) -> bool:
        """The lock is still this run's: taken, and its connection alive."""
        return self._channel is not None and not self._channel.exit_status_ready() and not self._channel.closed

    def take(self, lab_name: str, timeout: float = LOCK_TIMEOUT) -> None:
        """Own the lab, or raise ``LabInUseError`` naming the owner (nothing changed).

        A lock held with no owner written is an owner starting or one finishing (its file already emptied): asked
        again after a moment (up to ``UNKNOWN_OWNER_RETRIES`` times) it is free, or names its owner.
        """
        for attempt in range(UNKNOWN_OWNER_RETRIES + 1):
            try:
                self._take(lab_name, timeout)
                return
            except seam.LabInUseError as err:
                if not err.args[0].endswith(UNKNOWN_OWNER_HINT) or attempt == UNKNOWN_OWNER_RETRIES:
                    raise
                time.sleep(0.5)

    def _take(self, lab_name: str, timeout: float) -> None:
        if self.held:
            return
        command = shlex.join(["sh", "-c", LOCK_SCRIPT, "netvirt-lock", self.path, self.owner])
        try:
            channel = self.session.start(command)
        except HostConnectionError:
            raise
        except (OSError, paramiko.SSHException) as err:
            raise HostConnectionError(f"{self.session.name}：无法取得实验环境的所有权锁 {self.path}：{err}") from None
        said = self._first_lines(channel, timeout)
        if said and said[0] == "OWNED":
            self._channel = channel
            return
        channel.close()
        if said and said[0] == "BUSY":
            owner = " ".join(said[1:]).strip()
            text = (
                f"实验环境 {lab_name} 正被另一次运行使用（{self.session.name} 上的锁 {self.path}："
                f"{owner or '所有者未知（它刚取得锁还没有写下自己，或正在释放）'}）：本次运行没有改动它。"
                "等那次运行结束，或换一个实验环境"
            )
            raise seam.LabInUseError(text + ("" if owner else UNKNOWN_OWNER_HINT))
        raise HostConnectionError(
            f"{self.session.name}：无法取得实验环境的所有权锁 {self.path}"
            f"（{' '.join(said) or f'{timeout:g} 秒内没有回应'}）"
        )

    @staticmethod
    def _first_lines(channel: paramiko.Channel, timeout: float) -> list[str]:
        """The lock script's answer: ``OWNED``, or ``BUSY`` and the owner's line, or the host's error."""
        deadline = time.monotonic() + timeout
        data = b""
        while time.monotonic() < deadline:
            if channel.recv_ready():
                data += channel.recv(4096)
                if data.startswith(b"OWNED\n"):
                    break
            elif channel.exit_status_ready() and not channel.recv_ready():
                data += channel.recv_stderr(4096) if channel.recv_stderr_ready() else b""
                break
            else:
                time.sleep(0.05)
        return [line.strip() for line in data.decode(errors="replace").splitlines() if line.strip()]

    def release(self) -> None:
        """Give the lab up: the channel closes, the lock script's ``cat`` ends and the lock with it."""
        channel, self._channel = self._channel, None
        if channel is not None:
            try:
                channel.shutdown_write()  # EOF for cat: the script empties the lock file and ends
                end = time.monotonic() + 10
                while not channel.exit_status_ready() and time.monotonic() < end:
                    time.sleep(0.05)
            except (OSError, EOFError, paramiko.SSHException):
                pass  # the connection is gone: so is the lock
            finally:
                channel.close()
        self.session.close()


class RealLab(SshLab):
    """A lab of real servers: nothing to build, only to reach, and owned by one run at a time.

    The owner lock is on the hypervisor, at the lab parameter ``owner_lock`` (default ``OWNER_LOCK``).
    """

    def __init__(self, spec: LabSpec, progress: seam.Progress = print):
        super().__init__(spec, progress)
        target = spec.host(spec.hypervisor)
        self.lock = OwnerLock(
            SshSession(target.name, target.mgmt, target.ssh),
            str(spec.param("owner_lock") or OWNER_LOCK),
            owner_line(spec.name),
        )

    def setup(self) -> None:
        """Own the lab (before anything else: a second run fails here and changes nothing), then make it ready."""
        self.lock.take(self.spec.name)
        self.progress(f"本次运行拥有实验环境 {self.spec.name}（{self.lock.session.name} 上的锁 {self.lock.path}）")
        super().setup()

    def teardown(self) -> None:
        """Put back what the run changed, then give the lab up; a run that does not own the lab changes nothing."""
        if not self.lock.held:
            if self.lock.taken:  # the lock's connection dropped: another run may own the lab by now
                self.progress(f"实验环境 {self.spec.name} 的所有权锁已失去（连接断开）：拆除时不再改动它")
                self.lock.release()
            self.close_sessions()
            return
        try:
            super().teardown()
        finally:
            self.lock.release()
            where = f"{self.lock.session.name} 上的锁 {self.lock.path}"
            self.progress(f"实验环境 {self.spec.name} 已交还（{where} 已释放）")
