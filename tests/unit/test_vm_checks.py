"""What the VM keywords check before libvirt is asked (names, paths, MACs), and the bound on every libvirt
call: a call that does not return fails in time, naming the operation; libvirt's and Python's errors come
back in Chinese."""

import threading
import time
import xml.etree.ElementTree as ET

import libvirt
import pytest

from netvirt.domain import DomainProfile, render_interface, socket_in_dir, vhost_socket
from netvirt.labspec import VNic
from netvirt.vm import Hypervisor, LibvirtTimeout, VmError, bounded
from VMLibrary import listening_unix_paths

RUNDIR = "/var/lib/netvirt-robot/nvh3/ovs"


@pytest.mark.parametrize("name", ["dpdkvhostuser0", "vhuclient1", "vhu_2.a-b", "x" * 63])
def test_socket_names_of_ovs_ports_are_accepted(name):
    assert vhost_socket(RUNDIR, name) == f"{RUNDIR}/{name}"


@pytest.mark.parametrize(
    "name",
    [
        "../../..",
        "..",
        ".",
        "../nv1/ovs/dpdkvhostuser0",
        "sub/sock",
        "/tmp/sock",
        ".hidden",
        "",
        "x" * 64,
        "a b",
        "a;reboot",
        "sock\n",
        None,
        5,
    ],
)
def test_socket_names_that_leave_the_directory_or_are_no_file_name_are_refused(name):
    with pytest.raises(ValueError, match="vhost-user 套接字名称 .* 不合法"):
        vhost_socket(RUNDIR, name)


@pytest.mark.parametrize(
    "path", [f"{RUNDIR}/../../nv1/ovs/dpdkvhostuser0", f"{RUNDIR}/sub/sock", f"{RUNDIR}/..", f"{RUNDIR}", "/tmp/x"]
)
def test_socket_paths_outside_the_lab_socket_directory_are_refused(path):
    with pytest.raises(ValueError, match=f"不在实验环境的套接字目录 {RUNDIR} 中"):
        socket_in_dir(path, RUNDIR)


def test_socket_path_is_normalised_and_held_to_the_unix_socket_limit():
    assert socket_in_dir(f"{RUNDIR}/./dpdkvhostuser0", RUNDIR + "/") == f"{RUNDIR}/dpdkvhostuser0"
    deep = "/var/lib/" + "d" * 40 + "/" + "e" * 60
    with pytest.raises(ValueError, match="超过 unix 套接字的上限 107"):
        vhost_socket(deep, "dpdkvhostuser0")


def test_rendering_a_vhost_user_nic_refuses_a_traversing_port():
    """The domain XML is the last stop before libvirt: it checks again, whoever calls it."""
    profile = DomainProfile(vhost_socket_dir=RUNDIR)
    good = ET.fromstring(render_interface(VNic("eth2", "vhostuser", "00:00:00:00:00:12", "dpdkvhostuser2"), profile))
    assert good.find("source").get("path") == f"{RUNDIR}/dpdkvhostuser2"
    with pytest.raises(ValueError, match="不合法"):
        render_interface(VNic("eth2", "vhostuser", "00:00:00:00:00:12", "../../.."), profile)
    with pytest.raises(ValueError, match="只能是 client 或 server"):
        render_interface(VNic("eth2", "vhostuser", "00:00:00:00:00:12", "dpdkvhostuser2", mode="both"), profile)
    with pytest.raises(ValueError, match="MAC 地址"):
        render_interface(VNic("eth2", "vhostuser", "00:00:00:00:00", "dpdkvhostuser2"), profile)
    with pytest.raises(ValueError, match="tap 名"):
        render_interface(VNic("eth2", "ethernet", "00:00:00:00:00:12", "tap-of-seventeen1"), profile)


# `ip netns exec nvh3-hostb ss -xln` on the embedded lab (iproute2 6.1.0), Host B with two VMs running and
# the record's ovsbr0/ovsbr1 ports; cut to the lines that matter here.
SS_XLN_IPROUTE2_61 = """\
Netid State  Recv-Q Send-Q                                               Local Address:Port   Peer Address:PortProcess
u_str LISTEN 0      128                 /var/lib/netvirt-robot/nvh3/ovs/dpdkvhostuser2 383783            * 0
u_dgr UNCONN 0      0                                     /var/run/dpdk/nvh3/mp_socket 366516            * 0
u_seq LISTEN 0      1                             /var/run/dpdk/nvh3/dpdk_telemetry.v2 364713            * 0
u_str LISTEN 0      128                 /var/lib/netvirt-robot/nvh3/ovs/dpdkvhostuser0 365130            * 0
u_str LISTEN 0      64                         /var/lib/netvirt-robot/nvh3/ovs/db.sock 366004            * 0
u_str LISTEN 0      1            /var/lib/libvirt/qemu/domain-1-nvh3-vm01/monitor.sock 368698            * 0
"""
# The same columns as iproute2 4.11 (CentOS 7.5) prints them: no Process column, wider padding.
SS_XLN_IPROUTE2_411 = """\
Netid  State      Recv-Q Send-Q Local Address:Port               Peer Address:Port
u_str  LISTEN     0      128    /usr/local/var/run/openvswitch/dpdkvhostuser0 41234                 * 0
u_str  LISTEN     0      128    /var/run/libvirt/libvirt-sock 19876                 * 0
"""


def test_listening_unix_sockets_are_read_from_ss():
    paths = listening_unix_paths(SS_XLN_IPROUTE2_61)
    assert f"{RUNDIR}/db.sock" in paths and f"{RUNDIR}/dpdkvhostuser0" in paths
    assert "/var/run/dpdk/nvh3/mp_socket" not in paths  # a datagram socket nobody listens on
    assert listening_unix_paths(SS_XLN_IPROUTE2_411) == {
        "/usr/local/var/run/openvswitch/dpdkvhostuser0",
        "/var/run/libvirt/libvirt-sock",
    }


def test_a_call_that_does_not_return_fails_within_its_bound_naming_the_operation():
    release = threading.Event()
    started = time.monotonic()
    try:
        with pytest.raises(LibvirtTimeout, match=r"向虚拟机 nvh3-vm02 挂载设备超时：libvirt 在 0.5 秒内没有返回"):
            bounded("向虚拟机 nvh3-vm02 挂载设备", lambda: release.wait(30), 0.5)
        assert time.monotonic() - started < 2
    finally:
        release.set()


def test_libvirt_and_python_errors_come_back_in_chinese_naming_the_operation():
    def libvirt_fails():
        raise libvirt.libvirtError("internal error: unable to execute QEMU command 'netdev_add'")

    with pytest.raises(VmError, match=r"^向虚拟机 vm02 挂载设备失败：.*netdev_add") as caught:
        bounded("向虚拟机 vm02 挂载设备", libvirt_fails, 5)
    assert not isinstance(caught.value, LibvirtTimeout)

    def system_error():  # how libvirt-python reports an error raised inside its C code
        try:
            raise ConnectionResetError("对端关闭了连接")
        except ConnectionResetError as inner:
            raise SystemError(
                "<built-in function virDomainAttachDeviceFlags> returned a result with an exception set"
            ) from inner

    expected = r"向虚拟机 vm02 挂载设备失败：libvirt-python 内部出错（ConnectionResetError: 对端关闭了连接）"
    with pytest.raises(VmError, match=expected):
        bounded("向虚拟机 vm02 挂载设备", system_error, 5)
    assert bounded("读取", lambda: 42, 5) == 42


def test_hypervisor_gives_up_a_stuck_connection_and_opens_a_new_one():
    hypervisor = Hypervisor("test:///default", timeout=0.3)
    release = threading.Event()
    try:
        first = hypervisor.conn
        with pytest.raises(LibvirtTimeout, match="查找虚拟机 test超时"):
            hypervisor._call("查找虚拟机 test", lambda: release.wait(30))
        assert hypervisor.conn is not first  # the stuck one is kept aside, never closed from here
        assert hypervisor.exists("test")  # the test driver's own domain, through the new connection
        with pytest.raises(VmError, match="虚拟机 nosuch 不存在（现有：test）"):
            hypervisor.state("nosuch")
    finally:
        release.set()
        hypervisor.close()
