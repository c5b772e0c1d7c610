"""The embedded lab: the record's topology, for real, on one Linux machine.

Host A and Host B are network namespaces with their own sshd; the record's cables are
veth pairs; Host B runs Open vSwitch with DPDK (ovsdb-server + ovs-vswitchd-dpdk) and a
libvirtd of the lab's own, whose QEMU guests (TCG) are the VMs. Everything carries the
lab id: namespaces ``<id>-hosta``, root-namespace interfaces ``<id>-...``, the run
directory ``/var/lib/netvirt-robot/<id>``, domain names ``<id>-vm01`` and DPDK's file
prefix ``<id>``. Bring-up first removes whatever a killed run of the same lab left.

A lab id belongs to one process at a time: bring-up and teardown take an exclusive
``flock`` on ``/run/lock/netvirt-robot-<id>.lock`` (it holds the owner's pid) and keep it
until the teardown ends. A second run with the same id, in another process or by a typo
in a variable file, fails naming the owner instead of tearing its lab down; a killed
owner's lock goes with it, so its leftovers are still cleaned by the next run.

Teardown stops, by pid, every process that runs in one of the lab's namespaces or was forked by
its daemons (sshd's per-connection sessions outlive their listener), and checks again once the
namespaces are gone: a process left in an unnamed namespace would keep it alive with its links.

Safety: the only addresses in the root namespace are on the lab's management bridge,
inside 198.18.0.0/15; namespaces get no default route and no link to real interfaces.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import ipaddress
import os
import re
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path

from netvirt import seam
from netvirt.embedded import procs
from netvirt.embedded.nicemu import NicEmulator
from netvirt.embedded.paths import DPDK_RUNTIME, LAB_ROOT, OVS_DPDK_VSWITCHD
from netvirt.labspec import LabSpec, Vm
from netvirt.waiting import wait_until

DUT_DPDK_MEMORY_MB = 2048
HUGEPAGES = Path("/proc/sys/vm/nr_hugepages")
HUGEPAGES_LOCK = Path("/run/lock/netvirt-robot-hugepages.lock")


@contextlib.contextmanager
def hugepage_counter():
    """The machine's hugepage count is shared by every lab: each adds its pages and takes them back by
    read-modify-write, under this machine-wide lock, so two labs starting or stopping together do not
    lose each other's change."""
    HUGEPAGES_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(HUGEPAGES_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


LOCK_DIR = Path("/run/lock")


HUGEPAGE_KIB = 2048

Progress = Callable[[str], None]


def _remove_if_empty(directory: Path) -> None:
    """Remove ``directory`` (shared by every lab on the machine) if no lab has anything in it: another lab's
    teardown may remove it first, and another lab's bring-up fill it meanwhile (two chapters side by side ended
    in one teardown failing on a directory the other had just removed)."""
    try:
        directory.rmdir()
    except FileNotFoundError:
        pass
    except OSError as err:
        if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise


SSHD_CONFIG = """\
# sshd of the netvirt-robot embedded lab (hosts and guests share it)
Port 22
HostKey {ssh}/host_ed25519
AuthorizedKeysFile {ssh}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
UseDNS no
Subsystem sftp internal-sftp
"""

# A lab host is a machine of its own: its root's home is empty (as in the guests), so this
# machine's ~/.bashrc does not run on every SSH command (and slow each one down).
SSHD_WRAPPER = """\
#!/bin/sh
# Started as: ip netns exec <host> unshare -m <this script> <sshd options>
set -e
mount --make-rprivate /
mount -t tmpfs -o mode=0700 lab-home /root
exec /usr/sbin/sshd "$@"
"""

# libvirtd gets private copies of its state directories, bind-mounted in a mount namespace
# of its own, so it never touches the machine's libvirt and leaves no mount behind.
LIBVIRTD_WRAPPER = """\
#!/bin/sh
# Started as: ip netns exec <Host B> unshare -m <this script>
set -e
R={root}/libvirt
mount --make-rprivate /
mount -t tmpfs -o mode=0755 lab-run /run
mkdir -p /run/libvirt /run/lock
mount --bind $R/etc /etc/libvirt
mount --bind $R/lib /var/lib/libvirt
mount --bind $R/run /run/libvirt
mount --bind $R/log /var/log/libvirt
mount --bind $R/cache /var/cache/libvirt
mount -t hugetlbfs -o pagesize=2M lab-hugepages $R/hugepages
exec /usr/sbin/libvirtd -f $R/libvirtd.conf
"""

LIBVIRTD_CONF = """\
unix_sock_dir = "{root}/libvirt/sock"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:{root}/log/libvirtd-daemon.log"
"""

QEMU_CONF = """\
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
cgroup_controllers = [ ]
namespaces = [ ]
security_driver = "none"
stdio_handler = "file"
hugetlbfs_mount = "{root}/libvirt/hugepages"
"""


def mgmt_subnet(lab_id: str) -> ipaddress.IPv4Network:
    """The lab id's own /24 in 198.18.10.0 .. 198.18.249.0 (RFC 2544's range), so labs run side by side.

    The ids pabot's processes get (``<base>p<N>``, N one base-36 digit) take consecutive /24s
    from their base's, so the labs of one parallel run never share a network; other ids are
    hashed, and the rare two that meet are refused at bring-up (the network is in use).
    """
    import zlib

    sibling = re.fullmatch(r"(.+)p([0-9a-z])", lab_id)
    if sibling:
        index = zlib.crc32(sibling.group(1).encode()) + int(sibling.group(2), 36)
    else:
        index = zlib.crc32(lab_id.encode())
    return ipaddress.ip_network(f"198.18.{index % 240 + 10}.0/24")


class LabInUseError(procs.LabCommandError, seam.LabInUseError):
    """Another live process owns this lab id."""


class EmbeddedLab:
    """Builds and removes the embedded lab described by ``spec`` (kind ``embedded``)."""

    def __init__(self, spec: LabSpec, progress: Progress = print, caps_cache: Path | None = None):
        self.spec = spec
        # libvirtd probes QEMU's capabilities (seconds under TCG) before its first domain; the result
        # is kept here between labs and handed to the next lab's libvirtd, which re-probes by itself
        # when QEMU, libvirt or the kernel changed.
        self.caps_cache = caps_cache
        self.id = spec.lab_id
        self.root = LAB_ROOT / self.id
        self.progress = progress
        self.net = ipaddress.ip_network(spec.mgmt_network)
        self.gateway = f"{next(self.net.hosts())}/{self.net.prefixlen}"
        self.nicemu = NicEmulator(self)  # the SR-IOV NICs' embedded switches (their cables too)
        self._lock_fd: int | None = None

    # -- ownership -----------------------------------------------------------------------------
    @property
    def lock_path(self) -> Path:
        return LOCK_DIR / f"netvirt-robot-{self.id}.lock"

    def _take_lock(self) -> None:
        """Own this lab id (an exclusive flock held until ``down`` ends), or fail naming its owner."""
        if self._lock_fd is not None:
            return
        LOCK_DIR.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = os.pread(fd, 32, 0).decode(errors="replace").strip()
                os.close(fd)
                command = procs.cmdline(int(owner))[:120] if owner.isdigit() else ""
                raise LabInUseError(
                    f"实验环境 {self.id} 正被进程 {owner or '?'} 使用（{command or '命令行未知'}）：没有改动它。"
                    f"请换一个 lab id（pabot 的每个进程各用一个），或等那个进程结束"
                ) from None
            try:
                current = os.stat(self.lock_path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                current = False
            if current:
                break
            os.close(fd)  # its owner removed it between our open and flock: take the new one
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd
        # A process that ends holding the id (a failed bring-up without its teardown) removes the file.
        atexit.register(self._release_lock)

    def _release_lock(self) -> None:
        atexit.unregister(self._release_lock)
        if self._lock_fd is None:
            return
        self.lock_path.unlink(missing_ok=True)
        os.close(self._lock_fd)
        self._lock_fd = None

    # -- names ---------------------------------------------------------------------------------
    def ns(self, host: str) -> str:
        """The network namespace of a host of the description (``hosta`` -> ``nv1-hosta``)."""
        return f"{self.id}-{self.spec.host(host).name.lower()}"

    @property
    def hv_ns(self) -> str:
        return self.ns(self.spec.hypervisor)

    @property
    def mgmt_bridge(self) -> str:
        return f"{self.id}-mgmt"

    def domain_name(self, vm: Vm) -> str:
        return f"{self.id}-{vm.name}"

    def mgmt_tap(self, vm: Vm) -> str:
        return f"{vm.name}-mgmt"[:15]

    @property
    def ovs_dir(self) -> Path:
        return self.root / "ovs"

    @property
    def ovs_env(self) -> dict[str, str]:
        d = str(self.ovs_dir)
        return {"OVS_RUNDIR": d, "OVS_DBDIR": d, "OVS_LOGDIR": str(self.root / "log")}

    @property
    def libvirt_socket(self) -> str:
        return str(self.root / "libvirt" / "sock" / "libvirt-sock")

    # -- bring-up ------------------------------------------------------------------------------
    def up(self) -> None:
        """Remove leftovers of this lab id, then build the lab. Raises on any failure, after cleanup.

        The lab id stays owned after a failure too, until ``down``: the run that failed still tears
        down, and no other run may take the id in between (``LabInUseError``, raised before anything
        changed, is the one failure that leaves the id to its owner).
        """
        start = time.monotonic()
        self._take_lock()
        self.down(quiet=True, release=False)
        try:
            self._check_free()
            self._make_dirs()
            self._make_hosts()
            self._make_cables()
            self.nicemu.up()
            self._start_sshd()
            self._start_ovs()
            self._reserve_hugepages()
            self._start_libvirtd()
            for host in self.spec.hosts:
                self.wait_ssh(host.mgmt, host.name)
        except BaseException:
            self.progress("实验环境搭建失败，正在清理")
            self.down(quiet=True, release=False)
            raise
        self.progress(f"实验环境 {self.id} 已就绪（{time.monotonic() - start:.1f} 秒）")

    def _check_free(self) -> None:
        addrs = procs.run(["ip", "-j", "-4", "addr", "show"]).stdout
        if f'"{next(self.net.hosts())}"' in addrs:
            raise procs.LabCommandError(f"管理网段 {self.net} 已被本机其他接口占用（另一个实验环境？请换一个 lab id）")

    def _make_dirs(self) -> None:
        for sub in ("ssh", "pids", "log", "ovs", "libvirt/sock", "libvirt/hugepages", "vm"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        ssh = self.root / "ssh"
        procs.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"netvirt-{self.id}", "-f", str(ssh / "id_ed25519")]
        )
        procs.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ssh / "host_ed25519")])
        shutil.copy(ssh / "id_ed25519.pub", ssh / "authorized_keys")
        (ssh / "sshd_config").write_text(SSHD_CONFIG.format(ssh=ssh))

    def _make_hosts(self) -> None:
        self.progress(f"创建主机命名空间与管理网 {self.net}")
        procs.run(["ip", "link", "add", self.mgmt_bridge, "type", "bridge"])
        procs.run(["ip", "addr", "add", self.gateway, "dev", self.mgmt_bridge])
        procs.run(["ip", "link", "set", self.mgmt_bridge, "up"])
        for index, host in enumerate(self.spec.hosts):
            ns = self.ns(host.name)
            procs.run(["ip", "netns", "add", ns])
            procs.run(["ip", "-n", ns, "link", "set", "lo", "up"])
            root_end = f"{self.id}-mgmt{index}"
            procs.run(
                [
                    "ip",
                    "link",
                    "add",
                    root_end,
                    "master",
                    self.mgmt_bridge,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    "mgmt0",
                    "netns",
                    ns,
                ]
            )
            procs.run(["ip", "link", "set", root_end, "up"])
            address = f"{host.mgmt}/{self.net.prefixlen}"
            if host.name == self.spec.hypervisor:
                # Host B bridges its management NIC so the guests' management taps join it. The bridge
                # gets a MAC of its own (locally administered, from the address): otherwise it takes the
                # lowest of its ports', which changes as guests' taps come and go, and the root namespace's
                # neighbour entry for Host B goes stale: SSH to Host B stalled for tens of seconds after
                # 删除所有VM, so the teardown could not reach it and its session outlived the lab.
                mac = "02:00:" + ":".join(f"{octet:02x}" for octet in ipaddress.ip_address(host.mgmt).packed)
                procs.run(["ip", "-n", ns, "link", "add", "mgmtbr", "address", mac, "type", "bridge"])
                procs.run(["ip", "-n", ns, "link", "set", "mgmt0", "master", "mgmtbr", "up"])
                procs.run(["ip", "-n", ns, "addr", "add", address, "dev", "mgmtbr"])
                procs.run(["ip", "-n", ns, "link", "set", "mgmtbr", "up"])
            else:
                procs.run(["ip", "-n", ns, "addr", "add", address, "dev", "mgmt0"])
                procs.run(["ip", "-n", ns, "link", "set", "mgmt0", "up"])

    def _make_cables(self) -> None:
        done: set[tuple[str, str]] = set()
        for host in self.spec.hosts:
            for nic in host.nics:
                if not nic.peer or (host.name, nic.name) in done:
                    continue
                peer_host, peer_nic = nic.peer.split(":")
                done.add((peer_host, peer_nic))
                if self.nicemu.owns(host.name, nic.name) or self.nicemu.owns(peer_host, peer_nic):
                    continue  # an SR-IOV NIC's cable runs through its emulated eswitch (nicemu)
                self.progress(f"连接网线 {host.name}:{nic.name} <-> {peer_host}:{peer_nic}")
                a, b = self.ns(host.name), self.ns(peer_host)
                procs.run(
                    ["ip", "-n", a, "link", "add", nic.name, "type", "veth", "peer", "name", peer_nic, "netns", b]
                )
                for ns, dev in ((a, nic.name), (b, peer_nic)):
                    procs.run(["ip", "-n", ns, "link", "set", dev, "mtu", "9000", "up"])
                    # AF_PACKET (DPDK's net_af_packet, OVS system ports) sends without checksums:
                    # the receiving stack would drop TCP unless the sender computes them.
                    procs.run(["ethtool", "-K", dev, "tx", "off"], ns=ns)
                # A cable carries what the NIC is set to; start at the usual 1500.
                for ns, dev in ((a, nic.name), (b, peer_nic)):
                    procs.run(["ip", "-n", ns, "link", "set", dev, "mtu", "1500"])

    def _start_sshd(self) -> None:
        cfg = str(self.root / "ssh" / "sshd_config")
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation dir
        wrapper = self.root / "ssh" / "start-sshd.sh"
        wrapper.write_text(SSHD_WRAPPER)
        wrapper.chmod(0o755)
        for host in self.spec.hosts:
            procs.start_daemon(
                [
                    "unshare",
                    "-m",
                    str(wrapper),
                    "-D",
                    "-e",
                    "-f",
                    cfg,
                    "-o",
                    f"ListenAddress={host.mgmt}",
                    "-o",
                    "PidFile=none",
                ],
                self.root / "pids" / f"sshd-{host.name}.pid",
                self.root / "log" / f"sshd-{host.name}.log",
                ns=self.ns(host.name),
            )

    def _start_ovs(self) -> None:
        self.progress("启动 Open vSwitch（DPDK）：ovsdb-server + ovs-vswitchd-dpdk")
        d, log, pids = self.ovs_dir, self.root / "log", self.root / "pids"
        db = d / "conf.db"
        procs.run(["ovsdb-tool", "create", str(db), "/usr/share/openvswitch/vswitch.ovsschema"])
        procs.start_daemon(
            [
                "ovsdb-server",
                str(db),
                f"--remote=punix:{d}/db.sock",
                "--pidfile",
                f"--log-file={log}/ovsdb-server.log",
                "--remote=db:Open_vSwitch,Open_vSwitch,manager_options",
            ],
            pids / "ovsdb-server.pid",
            log / "ovsdb-server.out",
            ns=self.hv_ns,
            env=self.ovs_env,
        )
        wait_until(lambda: (d / "db.sock").exists(), 10, what="ovsdb-server 的 db.sock")
        vsctl = ["ovs-vsctl", f"--db=unix:{d}/db.sock", "--no-wait"]
        procs.run([*vsctl, "init"])
        # What ovs-ctl records at start on a packaged host (ovs-vsctl show prints ovs_version).
        version = procs.run([OVS_DPDK_VSWITCHD, "--version"]).stdout.split()[3]
        schema = procs.run(["ovsdb-tool", "schema-version", "/usr/share/openvswitch/vswitch.ovsschema"])
        procs.run(
            [
                *vsctl,
                "set",
                "Open_vSwitch",
                ".",
                f"ovs_version={version}",
                f"db_version={schema.stdout.strip()}",
                "system_type=debian",
            ]
        )
        # What only the embedded lab needs: DPDK without hugepages or PCI devices, a private
        # file prefix, and an idle PMD that sleeps instead of spinning a whole core. The heap holds
        # one mbuf pool per port (per-port-memory), ~250 MB for a port at MTU 9000, and a port's old
        # pool lives until its new one is made: 5.4.6.1 (four ports 1500 -> 4000 -> 9000) failed
        # with "Cannot allocate memory" at 1024 MB. Only the pages DPDK writes become resident.
        extra = f"--no-huge --legacy-mem -m {DUT_DPDK_MEMORY_MB} --no-pci --file-prefix={self.id}"
        procs.run(
            [
                *vsctl,
                "set",
                "Open_vSwitch",
                ".",
                f"other_config:dpdk-extra={extra}",
                "other_config:pmd-maxsleep=100",
                "other_config:per-port-memory=true",
            ]
        )
        (d / "ovs-vswitchd").symlink_to(OVS_DPDK_VSWITCHD)
        self.start_vswitchd()

    def start_vswitchd(self) -> None:
        """Start ovs-vswitchd (DPDK) in Host B and wait for its control socket."""
        d, log = self.ovs_dir, self.root / "log"
        # Started through a link named ovs-vswitchd (as Debian's alternatives do), so that its
        # pidfile and control socket carry the name that ovs-appctl looks for by default.
        pid = procs.start_daemon(
            [str(d / "ovs-vswitchd"), f"unix:{d}/db.sock", "--pidfile", f"--log-file={log}/ovs-vswitchd.log"],
            self.root / "pids" / "ovs-vswitchd.pid",
            log / "ovs-vswitchd.out",
            ns=self.hv_ns,
            env=self.ovs_env,
        )
        wait_until(lambda: (d / f"ovs-vswitchd.{pid}.ctl").exists(), 15, what="ovs-vswitchd 的控制套接字")

    def stop_vswitchd(self) -> None:
        pid = procs.read_pid(self.root / "pids" / "ovs-vswitchd.pid")
        if pid:
            procs.stop_pid(pid, str(self.root))

    def restart_vswitchd(self) -> None:
        """What a restart of ovs-vswitchd does on a real Host B: same database, new process."""
        self.progress("重启 ovs-vswitchd")
        self.stop_vswitchd()
        self.start_vswitchd()

    def _reserve_hugepages(self) -> None:
        pages = sum(vm.memory_mib * 1024 // HUGEPAGE_KIB for vm in self.spec.vms if vm.hugepage_kib == HUGEPAGE_KIB)
        if not pages:
            return
        with hugepage_counter():
            before = int(HUGEPAGES.read_text())
            HUGEPAGES.write_text(str(before + pages))
            # Record what we added before checking, so a failure still gives the pages back.
            (self.root / "hugepages.added").write_text(str(pages))
            got = int(HUGEPAGES.read_text()) - before
        if got < pages:
            raise procs.LabCommandError(f"只分配到 {got}/{pages} 个 2 MiB 大页（内存不足或碎片化）")
        self.progress(f"分配 {pages} 个 2 MiB 大页给虚拟机")

    def _start_libvirtd(self) -> None:
        self.progress("启动实验环境自己的 libvirtd（Host B 命名空间）")
        lv = self.root / "libvirt"
        for sub in ("lib", "run", "log", "cache"):
            (lv / sub).mkdir(exist_ok=True)
        shutil.copytree("/etc/libvirt", lv / "etc", dirs_exist_ok=True)
        if self.caps_cache and self.caps_cache.is_dir():
            shutil.copytree(self.caps_cache, lv / "cache" / "qemu" / "capabilities", dirs_exist_ok=True)
        shutil.rmtree(lv / "etc" / "qemu" / "networks" / "autostart", ignore_errors=True)
        (lv / "etc" / "qemu.conf").write_text(QEMU_CONF.format(root=self.root))
        (lv / "libvirtd.conf").write_text(LIBVIRTD_CONF.format(root=self.root))
        wrapper = lv / "start-libvirtd.sh"
        wrapper.write_text(LIBVIRTD_WRAPPER.format(root=self.root))
        wrapper.chmod(0o755)
        procs.start_daemon(
            ["unshare", "-m", str(wrapper)],
            self.root / "pids" / "libvirtd.pid",
            self.root / "log" / "libvirtd.out",
            ns=self.hv_ns,
        )
        wait_until(lambda: Path(self.libvirt_socket).exists(), 20, what="libvirtd 的 unix 套接字")

    def wait_ssh(self, address: str, name: str, timeout: float = 30) -> None:
        def ready() -> bool:
            try:
                with socket.create_connection((address, 22), timeout=1) as sock:
                    return sock.recv(4).startswith(b"SSH-")
            except OSError:
                return False

        wait_until(ready, timeout, interval=0.2, what=f"{name}（{address}）的 sshd")

    # -- VMs: the parts of a guest that only the embedded lab has -------------------------------
    def claim_for_dpdk(self, nic: str, index: int) -> str:
        """Hand Host B's NIC ``nic`` (the ``index``-th of Host B's NICs) to DPDK; return the
        ``dpdk-devargs`` that reach it.

        The host loses its addresses there, as when a PMD takes a NIC. An emulated NIC (every NIC of
        the embedded lab's description) gives DPDK a vhost-user port of its eswitch, reached with the
        virtio-user PMD: it carries frames up to the NIC's MTU (9216), so mtu_request up to 9000 works
        as on the record's ConnectX. A plain veth cable is driven with DPDK 22.11's net_af_packet,
        which takes frames of 1518 bytes at most (an MTU above 1500 kills that port).
        """
        procs.run(["ip", "-n", self.hv_ns, "addr", "flush", "dev", nic])
        if self.nicemu.owns(self.spec.hypervisor, nic):
            path = self.nicemu.claim_for_dpdk(self.spec.hypervisor, nic)
            # queues=2: the record's n_rxq=2; mrg_rxbuf=1: a jumbo frame spans several receive buffers.
            return f"net_virtio_user{index},path={path},queues=2,mrg_rxbuf=1"
        procs.run(["ip", "-n", self.hv_ns, "link", "set", "dev", nic, "up"])
        return f"net_af_packet{index},iface={nic}"

    def prepare_vm(self, vm: Vm) -> None:
        """Create the guest's management tap on Host B's management bridge."""
        tap = self.mgmt_tap(vm)
        procs.run(["ip", "-n", self.hv_ns, "link", "del", tap], check=False)
        procs.run(["ip", "-n", self.hv_ns, "tuntap", "add", "dev", tap, "mode", "tap"])
        procs.run(["ip", "-n", self.hv_ns, "link", "set", tap, "master", "mgmtbr", "up"])

    def release_vm(self, vm: Vm) -> None:
        procs.run(["ip", "-n", self.hv_ns, "link", "del", self.mgmt_tap(vm)], check=False)

    # -- teardown ------------------------------------------------------------------------------
    def down(self, quiet: bool = False, release: bool = True) -> None:
        """Remove every trace of this lab id; safe to call at any time, any number of times.

        Refused (``LabInUseError``) while another process owns the lab id; ``release=False``
        keeps the ownership (bring-up's clean start).
        """
        start = time.monotonic()
        self._take_lock()
        try:
            self._remove(start, quiet)
        finally:
            if release:
                self._release_lock()

    def _keep_capabilities(self) -> None:
        """Copy libvirtd's QEMU capabilities to ``caps_cache`` (each file replaced whole, so labs may race)."""
        probed = self.root / "libvirt" / "cache" / "qemu" / "capabilities"
        if not self.caps_cache or not probed.is_dir():
            return
        self.caps_cache.mkdir(parents=True, exist_ok=True)
        for xml in probed.glob("*.xml"):
            kept = self.caps_cache / xml.name
            if kept.exists() and kept.read_bytes() == xml.read_bytes():
                continue
            partial = self.caps_cache / f".{xml.name}.{os.getpid()}"
            shutil.copyfile(xml, partial)
            os.replace(partial, kept)

    def _remove(self, start: float, quiet: bool) -> None:
        pids = self.root / "pids"
        # The lab's namespaces (hosts and the emulated NICs'), named while they exist: every process in
        # one of them is the lab's, whoever started it.
        namespaces = {name: inode for name, inode in procs.named_netns().items() if name.startswith(f"{self.id}-")}
        daemons = {pid for pid in map(procs.read_pid, pids.glob("*.pid")) if pid and self._is_ours(pid)}
        forked = procs.descendants(daemons)  # before the daemons stop and their children go to init
        # QEMU first (libvirt's pidfiles), then libvirtd, vswitchd, ovsdb-server, sshd.
        for pidfile in sorted((self.root / "libvirt" / "run" / "qemu").glob("*.pid")):
            pid = procs.read_pid(pidfile)
            if pid:
                procs.stop_pid(pid, f"guest={self.id}-")
        for name in ("libvirtd", "ovs-vswitchd", "ovsdb-server", *[f"sshd-{h.name}" for h in self.spec.hosts]):
            pid = procs.read_pid(pids / f"{name}.pid")
            if pid:
                procs.stop_pid(pid, str(self.root))
        # What the daemons forked and what else runs in the lab's namespaces: sshd's per-connection
        # sessions (a stopped listener leaves them running, and once the namespace's links are gone
        # they never see their client leave), servers a case started in the background.
        inodes = set(namespaces.values())

        def belongs(pid: int) -> bool:
            return procs.netns_inode(f"/proc/{pid}/ns/net") in inodes or self._is_ours(pid)

        self.nicemu.down()  # its hidden Open vSwitch, by pid (the emulated NICs' namespace goes with it)
        self._stop_processes(procs.pids_in_netns(inodes) | forked, belongs, "实验环境命名空间里的进程")
        for name in namespaces:
            procs.run(["ip", "netns", "del", name], check=False)
        # Checked after the namespaces are gone: a process still in one of them keeps it alive (and so
        # its inode is still this lab's), and one left by an earlier run holds the lab's files.
        self._stop_processes(
            procs.pids_in_netns(inodes) | set(self._stray_processes()), belongs, "命名空间删除后仍在运行的实验环境进程"
        )
        for link in self._root_links():
            procs.run(["ip", "link", "del", link], check=False)
        added = self.root / "hugepages.added"
        if added.exists():
            pages = int(added.read_text() or 0)
            with hugepage_counter():
                HUGEPAGES.write_text(str(max(0, int(HUGEPAGES.read_text()) - pages)))
        shutil.rmtree(DPDK_RUNTIME / self.id, ignore_errors=True)
        _remove_if_empty(DPDK_RUNTIME)
        try:
            self._keep_capabilities()
        except OSError as err:  # only a cache: the next lab probes again
            self.progress(f"没能保存 libvirtd 的 QEMU 能力缓存：{err}")
        shutil.rmtree(self.root, ignore_errors=True)
        _remove_if_empty(LAB_ROOT)
        if not quiet:
            self.progress(f"实验环境 {self.id} 已拆除（{time.monotonic() - start:.1f} 秒）")

    def _is_ours(self, pid: int) -> bool:
        """Whether ``pid`` is a process of this lab: its command line or an open file names the lab."""
        marker = f"{self.root}/"
        cmd = procs.cmdline(pid)
        return marker in cmd or f"guest={self.id}-" in cmd or any(marker in path for path in procs.open_paths(pid))

    def _stray_processes(self) -> list[int]:
        """This lab's processes in a network namespace that is neither the machine's nor a named one.

        An unnamed namespace lives only as long as a process in it: such a process was left by a
        teardown that removed the namespace's name first (a killed run, an older version of this code).
        """
        known = {procs.machine_netns(), *procs.named_netns().values()}
        return [
            pid
            for pid in procs.all_pids()
            if procs.netns_inode(f"/proc/{pid}/ns/net") not in known and pid != os.getpid() and self._is_ours(pid)
        ]

    def _stop_processes(self, pids: set[int], belongs: Callable[[int], bool], what: str) -> None:
        described = {pid: procs.cmdline(pid).strip()[:60] for pid in pids}
        stopped = procs.stop_pids(pids, belongs)
        if stopped:
            self.progress(f"停止{what}：" + "，".join(f"{pid}（{described[pid]}）" for pid in stopped))
        alive = [pid for pid in stopped if procs.pid_alive(pid)]
        if alive:
            raise procs.LabCommandError(f"{what}在 SIGKILL 后仍未退出：{alive}")

    def _root_links(self) -> list[str]:
        import json

        links = json.loads(procs.run(["ip", "-j", "link", "show"]).stdout)
        return [link["ifname"] for link in links if link["ifname"].startswith(f"{self.id}-")]

    def leftovers(self) -> list[str]:
        """What of this lab still exists on the machine (empty after a clean teardown)."""
        found = []
        netns = procs.run(["ip", "netns", "list"]).stdout
        found += [f"namespace {line.split()[0]}" for line in netns.splitlines() if line.startswith(f"{self.id}-")]
        found += [f"interface {link}" for link in self._root_links()]
        marker = f"{self.root}/"
        listed = set()
        for pid in procs.all_pids():
            cmd = procs.cmdline(pid)
            if marker in cmd or f"guest={self.id}-" in cmd:
                found.append(f"process {pid}: {cmd[:80]}")
                listed.add(pid)
        for pid in sorted(set(self._stray_processes()) - listed):
            inode = procs.netns_inode(f"/proc/{pid}/ns/net")
            found.append(f"process {pid} in unnamed network namespace net:[{inode}]: {procs.cmdline(pid).strip()[:80]}")
        if self.root.exists():
            found.append(f"directory {self.root}")
        for prefix in (self.id, self.nicemu.dpdk_prefix):
            if (DPDK_RUNTIME / prefix).exists():
                found.append(f"DPDK runtime {DPDK_RUNTIME / prefix}")
        if self.lock_path.exists():
            found.append(f"lock file {self.lock_path}")
        mounts = Path("/proc/mounts").read_text()
        found += [f"mount {line.split()[1]}" for line in mounts.splitlines() if str(self.root) in line]
        return found
