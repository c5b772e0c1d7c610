"""挂载网卡 against bad input on the embedded lab's own libvirtd and QEMU (lab id nvh3): a port that leaves
the lab's socket directory is refused at once; a socket that is no vhost-user server is refused before
libvirt, and if libvirt is handed one anyway the call fails within its bound instead of hanging the run.
Each case leaves the guest as it was: running, reachable, with the NICs it had."""

import os
import subprocess
import sys
import time

import pytest
from vmlab import ovs_lab, running_vm01

from netvirt.embedded import procs
from netvirt.vm import LibvirtTimeout, VmError

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the embedded lab needs root")

LAB_ID = "nvh3"
DOMAIN = f"{LAB_ID}-vm01"
MAC = "52:54:00:aa:bc:01"


@pytest.fixture(scope="module")
def lab():
    with ovs_lab(LAB_ID) as lab:
        yield lab


@pytest.fixture(scope="module")
def vms(lab):
    with running_vm01() as library:
        yield library


# Listens on a unix socket and never reads from it; ends (and so closes the socket) when its stdin closes.
SILENT_SERVER = """
import socket, sys
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sys.argv[1])
server.listen(4)
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def silent_socket(lab):
    """A unix socket in the lab's socket directory, served by a process on the hypervisor (its network
    namespace, where ``ss`` sees it) that accepts connections and never speaks vhost-user."""
    path = lab.vhost_socket_path("fakevhu0")
    server = subprocess.Popen(
        procs.netns_argv(lab.builder.hv_ns, [sys.executable, "-c", SILENT_SERVER, path]),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout.readline().strip() == "ready"
        yield server, path
    finally:
        server.stdin.close()
        server.wait(timeout=10)
        os.unlink(path)


def _unchanged(lab, vms):
    """The guest is as it was: running, answering over SSH, with its management NIC and eth1 only."""
    vms.vm_state_should_be("vm01", "running")
    assert [nic["mac"] for nic in vms.hypervisor.interfaces(DOMAIN)] == [
        lab.spec.vm("vm01").mgmt_mac,
        lab.spec.vm("vm01").vnics[0].mac,
    ]
    assert lab.session("vm01").run("true", timeout=15).ok


@pytest.mark.parametrize("port", ["../../..", "../../nv1/ovs/dpdkvhostuser0", "..", "sub/dpdkvhostuser0"])
@pytest.mark.parametrize("mode", ["client", "server"])
def test_a_port_outside_the_socket_directory_is_refused_at_once(lab, vms, port, mode):
    started = time.monotonic()
    with pytest.raises(ValueError, match="vhost-user 套接字名称 .* 不合法"):
        vms.attach_nic("vm01", "vhostuser", port, MAC, "eth2", vhost_mode=mode)
    assert time.monotonic() - started < 2
    _unchanged(lab, vms)


def test_a_socket_that_is_no_ovs_vhost_user_port_is_refused_before_libvirt(lab, vms, silent_socket):
    _, path = silent_socket
    started = time.monotonic()
    with pytest.raises(VmError, match=f"{path} 不是 OVS 的 dpdkvhostuser 端口.*接口 fakevhu0 不存在"):
        vms.attach_nic("vm01", "vhostuser", "fakevhu0", MAC, "eth2")
    with pytest.raises(VmError, match="db.sock 不是 OVS 的 dpdkvhostuser 端口"):
        vms.attach_nic("vm01", "vhostuser", "db.sock", MAC, "eth2")
    assert time.monotonic() - started < 10
    _unchanged(lab, vms)


def test_qemu_as_server_may_not_take_a_socket_another_process_listens_on(lab, vms, silent_socket):
    for name in ("fakevhu0", "db.sock", "dpdkvhostuser0"):
        with pytest.raises(VmError, match=f"已有进程在套接字 .*/{name} 上监听"):
            vms.attach_nic("vm01", "vhostuser", name, MAC, "eth2", vhost_mode="server")
    assert os.path.exists(lab.vhost_socket_path("db.sock"))
    _unchanged(lab, vms)


def test_libvirt_handed_a_silent_socket_fails_within_its_bound(lab, vms, silent_socket):
    """Past the checks (as a bug or another caller could), QEMU connects and waits for the vhost-user
    handshake, and libvirt waits for QEMU: the call gives up after its bound, naming the operation and the
    domain, instead of hanging the run (554 s in issue 19). The abandoned call may still complete once the
    socket goes; whatever it left is taken away again, and the guest is as it was."""
    server, path = silent_socket
    device = (
        f"<interface type='vhostuser'><mac address='{MAC}'/>"
        f"<source type='unix' path='{path}' mode='client'/><model type='virtio'/></interface>"
    )
    started = time.monotonic()
    with pytest.raises(LibvirtTimeout, match=f"向虚拟机 {DOMAIN} 挂载设备超时：libvirt 在 5 秒内没有返回") as caught:
        vms.hypervisor.attach(DOMAIN, device, timeout=5)
    elapsed = time.monotonic() - started
    assert elapsed < 8, f"{elapsed:.1f} s"
    server.stdin.close()  # the silent server ends: QEMU's wait for the handshake ends with it
    server.wait(timeout=10)
    caught.value.worker.join(120)
    assert not caught.value.worker.is_alive(), "libvirt 的挂载调用在套接字关闭 120 秒后仍未返回"
    if any(nic["mac"] == MAC for nic in vms.hypervisor.interfaces(DOMAIN)):
        vms.hypervisor.detach(DOMAIN, device, timeout=60)
    _unchanged(lab, vms)
