"""Guest kernel and initramfs for QEMU (TCG) guests that run this machine's own root filesystem.

No VM image is downloaded: Debian's kernel package is fetched with ``apt-get download`` and unpacked
with ``dpkg-deb -x`` (no install hooks run), and a small busybox initramfs loads the virtio, 9p and
8021q modules, mounts the host's ``/`` read-only over virtio-9p (QEMU mount tag ``rootfs``), puts
tmpfs where a running system writes, and starts the host's own sshd chrooted into it.

The guest's /init is driven only by the kernel command line:

* ``netvirt.hostname=vm01``                        hostname, echoed in the ready line
* ``netvirt.ifnames=52:54:00:00:00:01=eth0,...``   rename NICs by MAC (all NICs down meanwhile)
* ``netvirt.mgmt=eth0,198.18.5.101/24``            address + link up; no default route ever
* ``netvirt.sshd=/var/lib/.../sshd_config``        sshd config (a path on the 9p root) to start

It prints ``NETVIRT-READY <hostname>`` on the console once sshd runs, or ``NETVIRT-FAIL <reason>``,
and in both cases stays PID 1 so the console keeps showing it (the kernel never panics).
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import lzma
import os
import re
import stat
import struct
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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

# cache=mmap, not loose: loose ran exec-heavy work ~40 % faster but kept serving a file's old
# content after the host rewrote it; the lab writes files on the host while guests run.
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=mmap rootfs /newroot \
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

# Changes whenever the initramfs recipe does, so a stale cached initrd.img is rebuilt.
BUILDER_STAMP = hashlib.sha256("\n".join((INIT_SCRIPT, *WANTED_MODULES)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class GuestKernel:
    """``vmlinuz`` is what to give QEMU's -kernel (libvirt's <kernel>): the kernel's uncompressed ELF,
    which QEMU starts through its PVH entry. Debian's bzImage decompresses itself from XZ, which under
    TCG took ~6.5 s of an ~11 s boot to NETVIRT-READY (measured); the ELF boots in ~5 s."""

    version: str
    vmlinuz: Path
    initrd: Path


def ensure_guest_kernel(cache_dir: Path, progress: Callable[[str], object] = print) -> GuestKernel:
    """Return a cached guest kernel + initramfs, fetching and building them on first use.

    A cached build is used whatever Debian has published since: remove cache_dir for a newer kernel."""
    cache_dir = Path(cache_dir).resolve()  # libvirt wants absolute paths
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Parallel runs (pabot) may all ask at once: one builds, the others then find the cache.
    with open(cache_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        fresh = [d for d in cache_dir.iterdir() if _is_fresh(d)]
        if fresh:
            return _kernel_in(max(fresh, key=lambda d: (d / "initrd.stamp").stat().st_mtime))
        with tempfile.TemporaryDirectory(prefix="guestboot-") as tmp:
            return _build(cache_dir, Path(tmp), progress)


def _kernel_in(d: Path) -> GuestKernel:
    return GuestKernel(version=d.name, vmlinuz=d / "vmlinux", initrd=d / "initrd.img")


def _is_fresh(d: Path) -> bool:
    k = _kernel_in(d)
    stamp = d / "initrd.stamp"
    return k.vmlinuz.is_file() and k.initrd.is_file() and stamp.is_file() and stamp.read_text() == BUILDER_STAMP


def _build(cache_dir: Path, tmp: Path, progress: Callable[[str], object]) -> GuestKernel:
    progress("guest kernel: apt-get download linux-image-amd64")
    meta = _apt_download("linux-image-amd64", tmp)
    image_pkg = _image_dependency(_run(["dpkg-deb", "-f", str(meta), "Depends"]))
    version = image_pkg.removeprefix("linux-image-")
    progress(f"guest kernel: apt-get download {image_pkg} (~70 MB)")
    deb = _apt_download(image_pkg, tmp)
    progress(f"guest kernel: unpacking {deb.name}")
    root = tmp / "root"
    _run(["dpkg-deb", "-x", str(deb), str(root)])
    # The .deb ships no modules.dep (its postinst would run depmod): generate it in the unpacked tree.
    _run(["depmod", "-b", str(root), version])
    progress(f"guest kernel: building initramfs for {version}")
    initrd = _initramfs(root / "lib/modules" / version)

    out = cache_dir / version
    out.mkdir(exist_ok=True)
    k = _kernel_in(out)
    # Write-then-rename, stamp last: an interrupted build is never mistaken for a fresh one.
    (out / "vmlinux.part").write_bytes(_boot_kernel(root / "boot", version))
    os.replace(out / "vmlinux.part", k.vmlinuz)
    (out / "initrd.part").write_bytes(initrd)
    os.replace(out / "initrd.part", k.initrd)
    (out / "initrd.stamp").write_text(BUILDER_STAMP)
    progress(f"guest kernel: ready in {out}")
    return k


def _run(argv: list[str], cwd: Path | None = None) -> str:
    res = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({res.returncode}): {res.stderr.strip()}")
    return res.stdout


def _apt_download(package: str, dest: Path) -> Path:
    # As root apt would drop to the _apt user, which cannot write to our temp dir.
    argv = ["apt-get", "-o", "APT::Sandbox::User=root", "download", package]
    try:
        _run(argv, cwd=dest)
    except RuntimeError as e:
        raise RuntimeError(f"{e}\nIf the package lists are missing or stale, run `apt-get update` first.") from None
    return next(dest.glob(f"{package}_*.deb"))


def _image_dependency(depends: str) -> str:
    """Pick linux-image-<abi>-amd64 out of the meta-package's Depends (alternatives, versions stripped)."""
    for clause in depends.split(","):
        for alternative in clause.split("|"):
            name = alternative.split("(")[0].strip()
            if re.fullmatch(r"linux-image-\d[\w.+-]*", name):
                return name
    raise RuntimeError(f"no linux-image-<version> in linux-image-amd64's Depends: {depends!r}")


def _boot_kernel(boot: Path, version: str) -> bytes:
    """The ELF inside Debian's bzImage when QEMU can boot it directly (PVH), else the bzImage itself."""
    bzimage = (boot / f"vmlinuz-{version}").read_bytes()
    # x86 boot protocol: setup_sects at 0x1f1 (0 means 4), payload_offset/length at 0x248, relative
    # to the protected-mode code that follows the setup sectors.
    setup_sects = bzimage[0x1F1] or 4
    offset, length = struct.unpack_from("<II", bzimage, 0x248)
    payload = bzimage[(setup_sects + 1) * 512 + offset :][:length]
    pvh = "CONFIG_PVH=y" in (boot / f"config-{version}").read_text().splitlines()
    if not (pvh and payload.startswith(b"\xfd7zXZ\x00")):
        return bzimage  # boots as well, only slower under TCG
    return lzma.LZMADecompressor().decompress(payload)


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


def _busybox() -> Path:
    # Only busybox-static's binary works in an initramfs without a libc.
    listing = _run(["dpkg-query", "-L", "busybox-static"]).split()
    return Path(next(p for p in listing if p.endswith("/bin/busybox")))


def _initramfs(moddir: Path) -> bytes:
    cpio = _Newc()
    for d in ("bin", "dev", "proc", "sys", "newroot", "lib", "lib/modules"):
        cpio.add(d, stat.S_IFDIR | 0o755)
    # The kernel opens /dev/console for init before anything could mount devtmpfs.
    cpio.add("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    cpio.add("bin/busybox", stat.S_IFREG | 0o755, _busybox().read_bytes())
    cpio.add("init", stat.S_IFREG | 0o755, INIT_SCRIPT.encode())
    order = _load_order(moddir)
    for name, path in order:
        if path.suffix not in (".ko", *_DECOMPRESS):
            raise RuntimeError(f"cannot decompress kernel module {path}")
        body = path.read_bytes()
        cpio.add(f"lib/modules/{name}.ko", stat.S_IFREG | 0o644, _DECOMPRESS.get(path.suffix, bytes)(body))
    cpio.add("lib/modules/load-order", stat.S_IFREG | 0o644, "".join(f"{n}\n" for n, _ in order).encode())
    return gzip.compress(cpio.finish(), compresslevel=6, mtime=0)
