"""Guest kernel and initramfs for QEMU (TCG) guests that run this machine's own root filesystem.

No VM image is downloaded: Debian's kernel package is fetched with ``apt-get download`` and unpacked
with ``dpkg-deb -x`` (no install hooks run), and a small busybox initramfs loads the virtio, 9p and
8021q modules, mounts the host's ``/`` read-only over virtio-9p (QEMU mount tag ``rootfs``), puts
tmpfs where a running system writes, and starts the host's own sshd chrooted into it (root's
login shell there is ``/bin/sh``).

A guest of another architecture than this machine's (``arch="aarch64"`` on an x86_64 machine) cannot
run this machine's programs. Its kernel comes from Debian's port of that architecture, and so does a
small userland: ``USERLAND_PACKAGES`` with their dependencies, resolved by apt for that architecture
through a private apt state (the machine's own sources, lists and dpkg database untouched) and unpacked
with ``dpkg-deb -x`` into ``<cache>/<version>/userland``. That directory, still read over the host's 9p
share, becomes the guest's root; the lab's directory (sshd configuration and keys) is bound into it at
the host's path. The initramfs's busybox is that port's busybox-static.

The guest's /init is driven only by the kernel command line:

* ``netvirt.hostname=vm01``                        hostname, echoed in the ready line
* ``netvirt.ifnames=52:54:00:00:00:01=eth0,...``   rename NICs by MAC (all NICs down meanwhile)
* ``netvirt.mgmt=eth0,198.18.5.101/24``            address + link up; no default route ever
* ``netvirt.sshd=/var/lib/.../sshd_config``        sshd config (a path on the 9p root) to start

A foreign guest's /init (``FOREIGN_INIT_SCRIPT``) also reads:

* ``netvirt.userland=/.../userland``                the root is this directory of the 9p share ...
* ``netvirt.hostdir=/var/lib/netvirt-robot``        ... with this directory of the share bound in

It prints ``NETVIRT-STAGE <hostname> <step>`` before each slow step (modules, nics, rootfs, sshd), so
the console of a guest that hangs without an error says where; then ``NETVIRT-READY <hostname>`` once
sshd runs, or ``NETVIRT-FAIL <reason>``, and in both cases stays PID 1 so the console keeps showing it
(the kernel never panics).
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import lzma
import os
import platform
import re
import shutil
import stat
import struct
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from netvirt.embedded.paths import LAB_ROOT

# Debian builds these as modules; their dependencies come from modules.dep.
WANTED_MODULES = ("virtio_pci", "virtio_net", "9pnet_virtio", "9p", "8021q")

# The .deb may ship compressed modules; busybox insmod loads only plain ELF objects.
_DECOMPRESS: dict[str, Callable[[bytes], bytes]] = {".xz": lzma.decompress, ".gz": gzip.decompress}

INIT_SCRIPT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

# PID 1 must never exit (that panics the kernel); ash reaps orphans (waitpid -1) whenever it waits.
idle() { while :; do sleep 10; done; }
fail() { echo "NETVIRT-FAIL $*"; idle; }

HOSTNAME=netvirt IFNAMES= MGMT= SSHD=
set -f  # words from the command line are split, never globbed (so NICs are listed with ls)
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        netvirt.hostname=*) HOSTNAME=${arg#*=} ;;
        netvirt.ifnames=*) IFNAMES=${arg#*=} ;;
        netvirt.mgmt=*) MGMT=${arg#*=} ;;
        netvirt.sshd=*) SSHD=${arg#*=} ;;
    esac
done
case "$HOSTNAME" in ''|*[!A-Za-z0-9.-]*) fail "bad netvirt.hostname '$HOSTNAME'" ;; esac
hostname "$HOSTNAME"
stage() { echo "NETVIRT-STAGE $HOSTNAME $*"; }

stage modules
for m in $(cat /lib/modules/load-order); do
    insmod "/lib/modules/$m.ko" || fail "insmod $m"
done

valid_ifname() { case "$1" in ''|*[!A-Za-z0-9_.-]*) return 1 ;; esac; [ ${#1} -le 15 ]; }
nic_by_mac() {
    for dev in $(ls /sys/class/net); do
        [ "$(cat "/sys/class/net/$dev/address")" = "$1" ] && { echo "$dev"; return 0; }
    done
    return 1
}
stage nics
if [ -n "$IFNAMES" ]; then
    for dev in $(ls /sys/class/net); do ip link set "$dev" down; done
    # Two passes through temporary names, so that swaps (eth0 <-> eth1) never collide.
    i=0
    for pair in $(echo "$IFNAMES" | tr , ' '); do
        mac=$(echo "${pair%%=*}" | tr A-F a-f) name=${pair#*=}
        case "$mac" in ??:??:??:??:??:??) ;; *) fail "bad MAC in netvirt.ifnames: '$pair'" ;; esac
        valid_ifname "$name" || fail "bad name in netvirt.ifnames: '$pair'"
        dev=$(nic_by_mac "$mac") || fail "no NIC with MAC $mac"
        ip link set "$dev" name "nvtmp$i" || fail "rename $dev"
        i=$((i + 1))
    done
    i=0
    for pair in $(echo "$IFNAMES" | tr , ' '); do
        ip link set "nvtmp$i" name "${pair#*=}" || fail "rename to ${pair#*=}"
        i=$((i + 1))
    done
fi

if [ -n "$MGMT" ]; then
    dev=${MGMT%%,*} addr=${MGMT#*,}
    case "$MGMT" in ?*,?*/?*) ;; *) fail "netvirt.mgmt is not <ifname>,<address>/<prefix>: '$MGMT'" ;; esac
    ip addr add "$addr" dev "$dev" || fail "address $addr on $dev"
    ip link set "$dev" up || fail "link up $dev"
fi
ip link set lo up
stage rootfs

# cache=loose: the guest keeps what it read (programs, libraries) instead of asking the host again on every
# exec; 40 guest commands over SSH took 34 s instead of 68-71 s with cache=mmap (measured back to back, load
# 6-7). A file the host rewrites while the guest runs may be seen old: nothing a running guest reads is
# rewritten (its sshd configuration and keys are written before it boots; helpers reach it over SFTP, into
# its tmpfs /tmp).
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose rootfs /newroot \
    || fail "mount 9p tag rootfs"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run || fail "tmpfs /run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /newroot/tmp || fail "tmpfs /tmp"
mount -t tmpfs -o mode=0755 tmpfs /newroot/var/log || fail "tmpfs /var/log"
mount -t tmpfs -o mode=1777 tmpfs /newroot/var/tmp || fail "tmpfs /var/tmp"
# 0700, or sshd's StrictModes refuses root's authorized keys.
mount -t tmpfs -o mode=0700 tmpfs /newroot/root || fail "tmpfs /root"
mount -t proc proc /newroot/proc || fail "proc"
mount -t sysfs sysfs /newroot/sys || fail "sysfs"
mount -t devtmpfs devtmpfs /newroot/dev || fail "devtmpfs"
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /newroot/dev/pts || fail "devpts"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /newroot/dev/shm || fail "tmpfs /dev/shm"
mkdir -m 0755 /newroot/run/sshd
# root logs in to /bin/sh (dash on Debian), as in a foreign guest's userland: sshd starts root's shell for
# every command, and under TCG bash cost ~0.07 s more each time (`true` over SSH: 0.14 s instead of 0.23 s,
# measured). The commands sent are POSIX sh.
sed 's#^\(root:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:\).*#\1/bin/sh#' /newroot/etc/passwd >/newroot/run/netvirt-passwd \
    && mount -o bind /newroot/run/netvirt-passwd /newroot/etc/passwd || fail "root's shell /bin/sh"

# Receive timestamps stay switched on for the guest's life. Each ping (SO_TIMESTAMP) otherwise switches them on
# and its end off again, and each switch rewrites the running kernel's receive path (the netstamp static key,
# patched with text_poke_bp); under QEMU 7.2's multi-threaded TCG a vCPU receiving packets meanwhile can be left
# looping at the patched jump in netif_receive_skb_list_internal (the chapter's guest lock-ups; a stress test of
# short pings in vm01 while vm02 flood-pings it locked vm01 up in every round without this, in none with it,
# 2026-12-05). One idle ping, sending to itself once a day, holds them on.
chroot /newroot /usr/bin/ping -q -i 86400 127.0.0.1 >/dev/null 2>&1 &

stage sshd
if [ -n "$SSHD" ]; then
    case "$SSHD" in /*) ;; *) fail "netvirt.sshd must be an absolute path: '$SSHD'" ;; esac
    [ -f "/newroot$SSHD" ] || fail "no sshd config $SSHD"
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        chroot /newroot /usr/sbin/sshd -f "$SSHD" || fail "sshd -f $SSHD exited $?"
    # sshd forks into the background before it binds: READY must mean "accepting connections".
    n=0
    until grep -q ' 0A ' /proc/net/tcp /proc/net/tcp6 2>/dev/null; do
        n=$((n + 1)); [ $n -le 150 ] || fail "sshd is not listening after 30 s"; sleep 0.2
    done
fi
echo "NETVIRT-READY $HOSTNAME"
idle
"""


@dataclass(frozen=True)
class GuestArch:
    """What differs between guest architectures: Debian's port, the console, and how QEMU runs it (TCG)."""

    name: str  # QEMU's and libvirt's: x86_64, aarch64
    debian: str  # Debian's port: amd64, arm64
    console: str  # the kernel's name of the machine's first serial port
    emulator: str
    machine: str
    cpu_model: str | None = None  # None: QEMU's "maximum" CPU
    gic_version: str | None = None


ARCHES = {
    "x86_64": GuestArch("x86_64", "amd64", "ttyS0", "/usr/bin/qemu-system-x86_64", "q35"),
    # The virt machine's first serial port is a PL011 UART. Cortex-A57 (ARMv8.0, as the record's HXT
    # servers): QEMU's "max" CPU adds pointer authentication and SVE, which under TCG made the guest boot
    # ~10x slower (87 s instead of 8.8 s to NETVIRT-READY, measured).
    "aarch64": GuestArch(
        "aarch64", "arm64", "ttyAMA0", "/usr/bin/qemu-system-aarch64", "virt", cpu_model="cortex-a57", gic_version="3"
    ),
}

# The userland of a guest whose architecture is not this machine's: what the lab and the chapter's cases
# run in a guest (sshd; dash as /bin/sh; ip -j, tc, ethtool -l, ping; busybox for taskset and other basics).
# apt adds their dependencies (libraries, and what their maintainer scripts would use: perl-base, ...).
# Not busybox's sh: Debian builds busybox-static to prefer its applets, so its sh would run busybox's ip
# and tc, which know no -j, instead of iproute2's.
USERLAND_PACKAGES = ("dash", "busybox-static", "openssh-server", "iproute2", "ethtool", "iputils-ping", "procps")
# What no guest command uses (perl came with debconf, for maintainer scripts that never run): ~60 of 130 MB.
USERLAND_UNUSED = (
    *("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/perl*"),
    *("usr/lib/*/perl*", "usr/lib/*/libperl*", "usr/lib/*/gconv", "usr/bin/perl*"),
)
# Mount points the guest's /init binds over: the lab's directory (sshd configuration and keys).
USERLAND_HOST_DIRS = (str(LAB_ROOT),)
# Users sshd needs: root, and sshd's privilege-separation user (normally made by maintainer scripts).
USERLAND_ETC = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\n",
    "etc/group": "root:x:0:\nnogroup:x:65534:\n",
    "etc/shadow": "root:*:19000:0:99999:7:::\nsshd:*:19000:0:99999:7:::\n",
    "etc/nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files\n",
}

# A foreign guest's /init: the same, with its root a directory of the host's share (raw share on /host, so
# the directory is found wherever it lives, /tmp included) and the lab's directory bound into it.
_MOUNT_HOST_ROOT = """mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose rootfs /newroot \\
    || fail "mount 9p tag rootfs"
"""
_MOUNT_USERLAND = """USERLAND= HOSTDIR=
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        netvirt.userland=*) USERLAND=${arg#*=} ;;
        netvirt.hostdir=*) HOSTDIR=${arg#*=} ;;
    esac
done
case "$USERLAND" in /?*) ;; *) fail "netvirt.userland must be an absolute path: '$USERLAND'" ;; esac
case "$USERLAND$HOSTDIR" in *..*) fail "netvirt.userland and netvirt.hostdir must not contain '..'" ;; esac
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose rootfs /host \\
    || fail "mount 9p tag rootfs"
mount -o bind "/host$USERLAND" /newroot || fail "bind userland $USERLAND"
if [ -n "$HOSTDIR" ]; then
    mount -o bind "/host$HOSTDIR" "/newroot$HOSTDIR" || fail "bind host directory $HOSTDIR"
fi
"""
assert _MOUNT_HOST_ROOT in INIT_SCRIPT
# The guest's idle ping that holds receive timestamps on (its command line, as /proc/<pid>/cmdline has it).
TIMESTAMP_HOLDER = "/usr/bin/ping -q -i 86400 127.0.0.1"
assert f"chroot /newroot {TIMESTAMP_HOLDER} " in INIT_SCRIPT
FOREIGN_INIT_SCRIPT = INIT_SCRIPT.replace(_MOUNT_HOST_ROOT, _MOUNT_USERLAND)

# Changes whenever the initramfs recipe does, so a stale cached initrd.img is rebuilt.
BUILDER_STAMP = hashlib.sha256("\n".join((INIT_SCRIPT, *WANTED_MODULES)).encode()).hexdigest()[:16]


def _stamp(arch: GuestArch) -> str:
    if not _foreign(arch):
        return BUILDER_STAMP
    recipe = (
        FOREIGN_INIT_SCRIPT,
        arch.name,
        *USERLAND_PACKAGES,
        *USERLAND_UNUSED,
        *USERLAND_HOST_DIRS,
        *USERLAND_ETC.values(),
    )
    return hashlib.sha256("\n".join(recipe).encode()).hexdigest()[:16]


def _foreign(arch: GuestArch) -> bool:
    """Whether the guest cannot run this machine's programs (it then gets a userland of its own)."""
    return arch.name != platform.machine()


@dataclass(frozen=True)
class GuestKernel:
    """``vmlinuz`` is what to give QEMU's -kernel (libvirt's <kernel>): the kernel's uncompressed ELF,
    which QEMU starts through its PVH entry. Debian's bzImage decompresses itself from XZ, which under
    TCG took ~6.5 s of an ~11 s boot to NETVIRT-READY (measured); the ELF boots in ~5 s. On arm64 it is
    the uncompressed ``Image`` (Debian ships it gzipped). ``userland`` is the root of a foreign guest
    (None: the guest runs this machine's own root)."""

    version: str
    vmlinuz: Path
    initrd: Path
    userland: Path | None = None


def ensure_guest_kernel(
    cache_dir: Path, progress: Callable[[str], object] = print, arch: str = "x86_64"
) -> GuestKernel:
    """Return a cached guest kernel + initramfs for ``arch`` (and its userland when foreign), fetching
    and building them on first use.

    A cached build is used whatever Debian has published since: remove cache_dir for a newer kernel."""
    if arch not in ARCHES:
        raise ValueError(f"客户机架构 {arch!r} 不支持（支持：{', '.join(ARCHES)}）")
    guest = ARCHES[arch]
    cache_dir = Path(cache_dir).resolve()  # libvirt wants absolute paths
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Parallel runs (pabot) may all ask at once: one builds, the others then find the cache. One lock per
    # architecture: scripts/setup.sh fetches both at once.
    with open(cache_dir / f".lock-{guest.debian}", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # Debian's kernel versions end with the port's flavour (6.1.0-57-amd64, 6.1.0-57-arm64).
        fresh = [d for d in cache_dir.iterdir() if d.name.endswith(f"-{guest.debian}") and _is_fresh(d, guest)]
        if fresh:
            return _kernel_in(max(fresh, key=lambda d: (d / "initrd.stamp").stat().st_mtime), guest)
        with tempfile.TemporaryDirectory(prefix="guestboot-") as tmp:
            return _build(cache_dir, Path(tmp), progress, guest)


def _kernel_in(d: Path, arch: GuestArch = ARCHES["x86_64"]) -> GuestKernel:
    userland = d / "userland" if _foreign(arch) else None
    return GuestKernel(version=d.name, vmlinuz=d / "vmlinux", initrd=d / "initrd.img", userland=userland)


def _is_fresh(d: Path, arch: GuestArch) -> bool:
    k = _kernel_in(d, arch)
    stamp = d / "initrd.stamp"
    return (
        k.vmlinuz.is_file()
        and k.initrd.is_file()
        and (k.userland is None or k.userland.is_dir())
        and stamp.is_file()
        and stamp.read_text() == _stamp(arch)
    )


class _Apt:
    """apt-get for one Debian port. This machine's own port uses the machine's apt state as it is; another
    port gets a private one under ``state`` (lists, an empty dpkg status, archives), read from the machine's
    own sources and checked against the same keys, so the machine's apt is never changed."""

    def __init__(self, arch: GuestArch, state: Path):
        # As root apt would drop to the _apt user, which cannot write to our temp dir.
        self.options = ["-o", "APT::Sandbox::User=root"]
        self.private = _foreign(arch)
        if self.private:
            for sub in ("lists/partial", "archives/partial"):
                (state / sub).mkdir(parents=True, exist_ok=True)
            (state / "status").touch()
            self.options += [
                *("-o", f"APT::Architecture={arch.debian}", "-o", f"APT::Architectures={arch.debian}"),
                *("-o", f"Dir::State::Lists={state / 'lists'}", "-o", f"Dir::State::status={state / 'status'}"),
                *("-o", f"Dir::Cache::Archives={state / 'archives'}"),
                *("-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache="),
            ]
            self.archives = state / "archives"

    def update(self) -> None:
        if self.private:
            _run(["apt-get", *self.options, "update"])

    def download(self, package: str, dest: Path) -> Path:
        try:
            _run(["apt-get", *self.options, "download", package], cwd=dest)
        except RuntimeError as e:
            raise RuntimeError(f"{e}\nIf the package lists are missing or stale, run `apt-get update` first.") from None
        return next(dest.glob(f"{package}_*.deb"))

    def closure(self, packages: tuple[str, ...]) -> list[Path]:
        """The .debs of ``packages`` and everything they depend on (a private state: nothing is installed)."""
        _run(["apt-get", *self.options, "install", "-y", "--download-only", "--no-install-recommends", *packages])
        return sorted(self.archives.glob("*.deb"))


def _build(cache_dir: Path, tmp: Path, progress: Callable[[str], object], arch: GuestArch) -> GuestKernel:
    apt = _Apt(arch, tmp / "apt")
    meta_name = f"linux-image-{arch.debian}"
    if apt.private:
        progress(f"guest kernel: apt-get update for Debian's {arch.debian} port (a private apt state)")
        apt.update()
    progress(f"guest kernel: apt-get download {meta_name}")
    meta = apt.download(meta_name, tmp)
    image_pkg = _image_dependency(_run(["dpkg-deb", "-f", str(meta), "Depends"]), meta_name)
    version = image_pkg.removeprefix("linux-image-")
    progress(f"guest kernel: apt-get download {image_pkg} (~70 MB)")
    deb = apt.download(image_pkg, tmp)
    progress(f"guest kernel: unpacking {deb.name}")
    root = tmp / "root"
    _run(["dpkg-deb", "-x", str(deb), str(root)])
    # The .deb ships no modules.dep (its postinst would run depmod): generate it in the unpacked tree.
    _run(["depmod", "-b", str(root), version])

    out = cache_dir / version
    out.mkdir(exist_ok=True)
    k = _kernel_in(out, arch)
    busybox = _host_busybox()
    if k.userland is not None:
        progress(f"guest userland: {', '.join(USERLAND_PACKAGES)} and their dependencies for {arch.debian}")
        partial = out / "userland.part"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(k.userland, ignore_errors=True)
        _userland(apt.closure(USERLAND_PACKAGES), partial)
        os.replace(partial, k.userland)
        busybox = k.userland / "bin" / "busybox"
    progress(f"guest kernel: building initramfs for {version}")
    initrd = _initramfs(root / "lib/modules" / version, busybox, FOREIGN_INIT_SCRIPT if k.userland else INIT_SCRIPT)
    # Write-then-rename, stamp last: an interrupted build is never mistaken for a fresh one.
    (out / "vmlinux.part").write_bytes(_boot_kernel(root / "boot", version, arch))
    os.replace(out / "vmlinux.part", k.vmlinuz)
    (out / "initrd.part").write_bytes(initrd)
    os.replace(out / "initrd.part", k.initrd)
    (out / "initrd.stamp").write_text(_stamp(arch))
    progress(f"guest kernel: ready in {out}")
    return k


def _run(argv: list[str], cwd: Path | None = None) -> str:
    res = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({res.returncode}): {res.stderr.strip()}")
    return res.stdout


def _image_dependency(depends: str, meta: str = "linux-image-amd64") -> str:
    """Pick linux-image-<abi>-<flavour> out of the meta-package's Depends (alternatives, versions stripped)."""
    for clause in depends.split(","):
        for alternative in clause.split("|"):
            name = alternative.split("(")[0].strip()
            if re.fullmatch(r"linux-image-\d[\w.+-]*", name):
                return name
    raise RuntimeError(f"no linux-image-<version> in {meta}'s Depends: {depends!r}")


def _boot_kernel(boot: Path, version: str, arch: GuestArch = ARCHES["x86_64"]) -> bytes:
    """What QEMU boots fastest: on x86 the ELF inside Debian's bzImage when QEMU can boot it directly
    (PVH), else the bzImage itself; on arm64 the Image that Debian ships gzipped."""
    image = (boot / f"vmlinuz-{version}").read_bytes()
    if arch.name == "aarch64":
        if image.startswith(b"\x1f\x8b"):
            image = gzip.decompress(image)
        if image[0x38:0x3C] != b"ARM\x64":  # the arm64 boot protocol's magic
            raise RuntimeError(f"vmlinuz-{version} is not an arm64 Image")
        return image
    # x86 boot protocol: setup_sects at 0x1f1 (0 means 4), payload_offset/length at 0x248, relative
    # to the protected-mode code that follows the setup sectors.
    setup_sects = image[0x1F1] or 4
    offset, length = struct.unpack_from("<II", image, 0x248)
    payload = image[(setup_sects + 1) * 512 + offset :][:length]
    pvh = "CONFIG_PVH=y" in (boot / f"config-{version}").read_text().splitlines()
    if not (pvh and payload.startswith(b"\xfd7zXZ\x00")):
        return image  # boots as well, only slower under TCG
    return lzma.LZMADecompressor().decompress(payload)


def _userland(debs: list[Path], root: Path) -> None:
    """Unpack ``debs`` into ``root`` (no maintainer script runs: they are another port's programs), then
    add what those scripts and an installer would have made: users, mount points, busybox's applets."""
    for deb in debs:
        _run(["dpkg-deb", "-x", str(deb), str(root)])
    for pattern in USERLAND_UNUSED:
        for unused in root.glob(pattern):
            shutil.rmtree(unused) if unused.is_dir() and not unused.is_symlink() else unused.unlink()
    for name, text in USERLAND_ETC.items():
        (root / name).write_text(text)
    (root / "etc/shadow").chmod(0o640)
    if not (root / "bin/sh").is_symlink():  # dash's maintainer script would make it
        (root / "bin/sh").symlink_to("dash")
    for d in (
        "run",
        "tmp",
        "var/log",
        "var/tmp",
        "root",
        "proc",
        "sys",
        "dev",
        *(h.lstrip("/") for h in USERLAND_HOST_DIRS),
    ):
        (root / d).mkdir(parents=True, exist_ok=True)
    # The applets of the port's busybox are those of this machine's (same Debian source and configuration):
    # each becomes a link where no package gave a program of that name (sh, taskset, ...).
    given = {
        p.name for d in ("bin", "sbin", "usr/bin", "usr/sbin") if (root / d).is_dir() for p in (root / d).iterdir()
    }
    for applet in _run([str(_host_busybox()), "--list-full"]).split():
        link = root / applet
        if link.name not in given and not link.exists() and not link.is_symlink():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to("/bin/busybox")


def _modname(path: str) -> str:
    return Path(path).name.split(".ko")[0].replace("-", "_")


def _load_order(moddir: Path) -> list[tuple[str, Path]]:
    """The wanted modules and their dependencies, dependencies first; built-in ones are skipped."""
    builtin = {_modname(p) for p in (moddir / "modules.builtin").read_text().split()}
    paths: dict[str, Path] = {}
    deps: dict[str, list[str]] = {}
    for line in (moddir / "modules.dep").read_text().splitlines():
        path, _, rest = line.partition(":")
        paths[_modname(path)] = moddir / path
        deps[_modname(path)] = [_modname(p) for p in rest.split()]
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order or name in builtin:
            return
        if name not in paths:
            raise RuntimeError(f"kernel module {name} is neither built in nor in {moddir}/modules.dep")
        for dep in deps[name]:
            visit(dep)
        order.append(name)

    for name in WANTED_MODULES:
        visit(name)
    return [(name, paths[name]) for name in order]


class _Newc:
    """Just enough of cpio's newc format for an initramfs; device nodes need no mknod on the host."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.ino = 0

    def add(self, name: str, mode: int, body: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        self.ino += 1
        encoded = name.encode() + b"\0"
        fields = (self.ino, mode, 0, 0, 1, 0, len(body), 0, 0, *rdev, len(encoded), 0)
        self.data += b"070701" + b"".join(b"%08X" % f for f in fields) + encoded
        self.data += b"\0" * (-len(self.data) % 4) + body
        self.data += b"\0" * (-len(self.data) % 4)

    def finish(self) -> bytes:
        self.add("TRAILER!!!", 0)
        return bytes(self.data)


def _host_busybox() -> Path:
    # Only busybox-static's binary works in an initramfs without a libc.
    listing = _run(["dpkg-query", "-L", "busybox-static"]).split()
    return Path(next(p for p in listing if p.endswith("/bin/busybox")))


def _initramfs(moddir: Path, busybox: Path, init: str = INIT_SCRIPT) -> bytes:
    cpio = _Newc()
    dirs = ("bin", "dev", "proc", "sys", "newroot", "lib", "lib/modules")
    for d in (*dirs, "host") if init != INIT_SCRIPT else dirs:
        cpio.add(d, stat.S_IFDIR | 0o755)
    # The kernel opens /dev/console for init before anything could mount devtmpfs.
    cpio.add("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    cpio.add("bin/busybox", stat.S_IFREG | 0o755, busybox.read_bytes())
    cpio.add("init", stat.S_IFREG | 0o755, init.encode())
    order = _load_order(moddir)
    for name, path in order:
        if path.suffix not in (".ko", *_DECOMPRESS):
            raise RuntimeError(f"cannot decompress kernel module {path}")
        body = path.read_bytes()
        cpio.add(f"lib/modules/{name}.ko", stat.S_IFREG | 0o644, _DECOMPRESS.get(path.suffix, bytes)(body))
    cpio.add("lib/modules/load-order", stat.S_IFREG | 0o644, "".join(f"{n}\n" for n, _ in order).encode())
    return gzip.compress(cpio.finish(), compresslevel=6, mtime=0)
