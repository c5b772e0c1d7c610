"""guestboot: real QEMU (TCG) guests boot its kernel + initramfs on this machine's own root over 9p."""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netvirt.embedded import guestboot
from netvirt.embedded.guestboot import GuestKernel, ensure_guest_kernel

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("NETVIRT_CACHE", REPO / ".cache"))
NS = "nvtest-gb"
GUEST, PEER = "198.18.250.2", "198.18.250.1/24"
TAPS = ("nvgb0", "nvgb1")
MACS = ("52:54:00:00:00:01", "52:54:00:00:00:02")
# Not under /tmp: the guest mounts a tmpfs there and would not see the file.
SCRATCH = Path("/var/lib/netvirt-robot-test")
BOOT_TIMEOUT = 60
BANNER = "import socket, sys; print(socket.create_connection((sys.argv[1], 22), timeout=10).recv(64).decode())"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="boots QEMU guests on namespaces and taps: needs root"),
    pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="qemu-system-x86 is not installed"),
]


@pytest.fixture(scope="session")
def kernel() -> GuestKernel:
    # The shared cache (git-ignored): a fresh temp dir would download ~70 MB on every run.
    return ensure_guest_kernel(CACHE / "guest-kernel")


def qemu_argv(kernel: GuestKernel, append: str, *devices: str) -> list[str]:
    return [
        *("qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "512", "-smp", "2"),
        *("-nographic", "-no-reboot", "-kernel", str(kernel.vmlinuz), "-initrd", str(kernel.initrd)),
        *("-append", f"console=ttyS0 panic=-1 {append}"),
        # multidevs=remap: / spans several host filesystems whose inode numbers would collide in the guest.
        *("-fsdev", "local,id=r,path=/,security_model=none,readonly=on,multidevs=remap"),
        *("-device", "virtio-9p-pci,fsdev=r,mount_tag=rootfs", *devices),
    ]


def read_console(proc: subprocess.Popen, needle: str, deadline: float) -> str:
    """Serial output until ``needle``, a complete NETVIRT-FAIL line, QEMU's exit or the deadline."""
    out = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while needle.encode() not in out and not re.search(rb"NETVIRT-FAIL[^\n]*\n", out):
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                break
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
    return out.decode(errors="replace")


@contextlib.contextmanager
def booted(argv: list[str], hostname: str) -> Iterator[float]:
    """Run QEMU until its console says NETVIRT-READY; yield the seconds that took; kill QEMU by pid."""
    start = time.monotonic()
    # `ip netns exec` execs QEMU itself, so proc.pid is QEMU's pid either way.
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        ready = f"NETVIRT-READY {hostname}"
        console = read_console(proc, ready, start + BOOT_TIMEOUT)
        assert ready in console, f"no '{ready}' within {BOOT_TIMEOUT} s; console ends:\n{console[-3000:]}"
        # Each slow step announced before it starts, so a guest that hangs silently says where.
        stages = re.findall(rf"^NETVIRT-STAGE {hostname} (\w+)\r?$", console, re.MULTILINE)
        assert stages == ["modules", "nics", "rootfs", "sshd"], console[-3000:]
        seconds = time.monotonic() - start
        print(f"{hostname}: boot to NETVIRT-READY {seconds:.1f} s")
        yield seconds
    finally:
        proc.kill()
        proc.wait()


def ns_run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "netns", "exec", NS, *argv], capture_output=True, text=True, timeout=30)


@pytest.fixture
def netns() -> Iterator[str]:
    subprocess.run(["ip", "netns", "delete", NS], capture_output=True)  # left by an interrupted run
    subprocess.run(["ip", "netns", "add", NS], check=True)
    try:
        for tap in TAPS:
            subprocess.run(["ip", "-n", NS, "tuntap", "add", "dev", tap, "mode", "tap"], check=True)
            subprocess.run(["ip", "-n", NS, "link", "set", tap, "up"], check=True)
        subprocess.run(["ip", "-n", NS, "addr", "add", PEER, "dev", TAPS[0]], check=True)
        yield NS
    finally:
        # Deleting the namespace deletes its taps too.
        subprocess.run(["ip", "netns", "delete", NS], check=False)


@pytest.fixture
def sshd_config() -> Iterator[Path]:
    SCRATCH.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="guestboot-", dir=SCRATCH))
    try:
        key = work / "ssh_host_ed25519_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        config = work / "sshd_config"
        config.write_text(f"HostKey {key}\nListenAddress 0.0.0.0\nUsePAM no\nPidFile /run/sshd-test.pid\n")
        yield config
    finally:
        shutil.rmtree(work)
        with contextlib.suppress(OSError):  # still in use by someone else: leave it
            SCRATCH.rmdir()


def test_boots_to_ready_without_nics(kernel: GuestKernel) -> None:
    with booted(qemu_argv(kernel, "netvirt.hostname=t1", "-nic", "none"), "t1") as seconds:
        assert seconds < BOOT_TIMEOUT


def test_cached_kernel_is_returned_without_apt(kernel: GuestKernel, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a cached kernel ran {args}")

    monkeypatch.setattr(guestboot.subprocess, "run", no_subprocess)
    assert ensure_guest_kernel(CACHE / "guest-kernel") == kernel


def test_missing_package_lists_say_apt_get_update(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "lists" / "partial").mkdir(parents=True)
    (tmp_path / "apt.conf").write_text(f'Dir::State::Lists "{tmp_path / "lists"}";\n')
    monkeypatch.setenv("APT_CONFIG", str(tmp_path / "apt.conf"))
    with pytest.raises(RuntimeError, match="apt-get update"):
        ensure_guest_kernel(tmp_path / "cache", progress=lambda message: None)


def test_mgmt_nic_pings_and_sshd_listens(kernel: GuestKernel, netns: str, sshd_config: Path) -> None:
    # Names swapped on purpose: the first PCI NIC would be eth0, so the address reaches the tap with
    # 198.18.250.1 only if the guest renamed its NICs by MAC.
    append = (
        f"netvirt.hostname=t2 netvirt.ifnames={MACS[0]}=eth1,{MACS[1]}=eth0 "
        f"netvirt.mgmt=eth1,{GUEST}/24 netvirt.sshd={sshd_config}"
    )
    nics: list[str] = []
    for i, (tap, mac) in enumerate(zip(TAPS, MACS, strict=True)):
        nics += ["-netdev", f"tap,id=n{i},ifname={tap},script=no,downscript=no"]
        nics += ["-device", f"virtio-net-pci,netdev=n{i},mac={mac}"]
    with booted(["ip", "netns", "exec", netns, *qemu_argv(kernel, append, *nics)], "t2"):
        ping = ns_run("ping", "-c1", "-W2", GUEST)
        assert ping.returncode == 0, ping.stdout + ping.stderr
        banner = ns_run(sys.executable, "-c", BANNER, GUEST)
        assert banner.stdout.startswith("SSH-2.0-OpenSSH"), banner.stdout + banner.stderr
