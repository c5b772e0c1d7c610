"""The one validator of each rule (netvirt.validate): both edges of every range, bad forms, the Chinese
message naming the value and what is allowed; and the keyword argument types as Robot converts them."""

import ipaddress
import subprocess
import sys
from pathlib import Path

import pytest

from netvirt import validate
from netvirt.validate import InvalidValue

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["e", "eth2", "enP5p1s0", "x" * 15, "vf0.100", "_tap", "a-b_c.d"])
def test_netdev_names_up_to_15_characters_are_accepted(name):
    assert validate.netdev_name(name) == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("x" * 16, "接口名 xxxxxxxxxxxxxxxx 有 16 个字符：内核网络设备名最多 15 个字符"),
        ("x" * 64, "最长 15 个字符"),
        ("a/b", "'a/b' 不合法"),
        ("..", "不以 . 或 - 开头"),
        (".x", "不合法"),
        ("-x", "不合法"),
        ("", "'' 不合法"),
        ("eth 2", "不合法"),
        ("eth2;ls", "不合法"),
        ("eth1@if5", "不合法"),
        (5, "5 不合法"),
        (None, "None 不合法"),
    ],
)
def test_netdev_names_the_kernel_would_cut_or_refuse_are_refused(name, message):
    with pytest.raises(InvalidValue, match=message.replace(".", r"\.")):
        validate.netdev_name(name)


def test_the_netdev_message_names_what_the_name_is_for():
    with pytest.raises(InvalidValue, match="^tap 名 'a b' 不合法"):
        validate.netdev_name("a b", "tap 名")


@pytest.mark.parametrize("name", ["ovsbr0", "dpdkvhostuser0", "vhu_2.a-b", "x" * 63, "_x"])
def test_ovs_names_up_to_63_characters_are_accepted(name):
    assert validate.ovs_name(name) == name


@pytest.mark.parametrize("name", ["x" * 64, "", "../ovsdb.sock", ".hidden", "a/b", "p$(reboot)", "br;rm -rf /", 7])
def test_ovs_names_that_are_no_name_or_leave_the_socket_directory_are_refused(name):
    with pytest.raises(InvalidValue, match=r"^网桥名称 .* 不合法：最长 63 个字符.*不含 /"):
        validate.ovs_name(name, "网桥")


def test_mac():
    assert validate.mac("00:00:00:00:00:1A") == "00:00:00:00:00:1a"
    assert validate.mac("01:00:5e:00:00:01") == "01:00:5e:00:00:01"  # a group address where one is meant
    assert validate.mac("fe:ff:ff:ff:ff:ff", unicast=True) == "fe:ff:ff:ff:ff:ff"
    for bad in (
        "00:00:00:00:00",
        "00-00-00-00-00-12",
        "00:00:00:00:00:12\n",
        "",
        "0:0:0:0:0:0",
        "gg:00:00:00:00:00",
        1,
    ):
        with pytest.raises(InvalidValue, match=r"MAC 地址 .* 不合法：格式为 aa:bb:cc:dd:ee:ff"):
            validate.mac(bad)
    with pytest.raises(InvalidValue, match="目的 MAC 01:00:5e:00:00:01 是组播地址"):
        validate.mac("01:00:5E:00:00:01", "目的 MAC", unicast=True)


def test_pci():
    assert validate.pci("0005:01:00.1") == "0005:01:00.1"
    assert validate.pci("0000:AF:1f.7") == "0000:af:1f.7"
    for bad in ("05:01.1", "01:00.1", "0005:01:00.8", "../../sys", "0005:01:00.1/..", "", None):
        with pytest.raises(InvalidValue, match=r"PCI 地址 .* 不合法：格式为 dddd:bb:dd\.f"):
            validate.pci(bad)


@pytest.mark.parametrize(("value", "low"), [(1, 1), (4094, 1), (0, 0), (4094, 0)])
def test_vlan_edges_are_accepted(value, low):
    assert validate.vlan(value, allow_zero=low == 0) == value
    assert validate.vlan(str(value), allow_zero=low == 0) == value


@pytest.mark.parametrize(
    ("value", "allow_zero", "message"),
    [
        (0, False, r"VLAN 0 超出范围 1\.\.4094（0 和 4095 是保留值）"),
        (4095, False, r"VLAN 4095 超出范围 1\.\.4094"),
        (4095, True, r"VLAN 4095 超出范围 0\.\.4094（0 表示不加标签；4095 是保留值）"),
        (-1, True, r"VLAN -1 超出范围 0\.\.4094"),
        ("abc", False, r"VLAN 'abc' 不是整数：应为 1\.\.4094 的整数"),
        ("10.5", False, "不是整数"),
        (10.0, False, "不是整数"),
        (True, False, "VLAN True 不是整数"),
        (None, False, "不是整数"),
    ],
)
def test_vlan_out_of_range_or_not_a_number(value, allow_zero, message):
    with pytest.raises(InvalidValue, match=message):
        validate.vlan(value, allow_zero=allow_zero)


@pytest.mark.parametrize(
    ("limit", "high"),
    [(validate.KERNEL_MTU, 65535), (validate.OVS_DPDK_MTU, 9702), (validate.NIC_PORT_MTU, 9216)],
)
def test_mtu_is_one_rule_with_the_limit_of_each_component(limit, high):
    assert validate.mtu(68, limit) == 68
    assert validate.mtu(high, limit) == high
    assert validate.mtu(str(high), limit) == high
    with pytest.raises(InvalidValue, match=rf"^MTU 67 超出范围 68\.\.{high}（{limit.owner}）$"):
        validate.mtu(67, limit)
    with pytest.raises(InvalidValue, match=rf"^mtu_request {high + 1} 超出范围 68\.\.{high}（"):
        validate.mtu(high + 1, limit, "mtu_request")
    with pytest.raises(InvalidValue, match="MTU 'jumbo' 不是整数"):
        validate.mtu("jumbo", limit)


def test_ovs_dpdk_mtu_limit_is_netdev_dpdk_s():
    """netdev_dpdk_set_mtu refuses MTU_TO_MAX_FRAME_LEN(mtu) = mtu + 14 + 4 + 2 * 4 > 9728 (OVS 2.8.4 .. 3.x)."""
    assert validate.OVS_DPDK_MTU.high + 14 + 4 + 2 * 4 == 9728


def test_l4_port():
    assert validate.l4_port(1) == 1 and validate.l4_port(65535) == 65535
    for bad in (0, 65536, -1):
        with pytest.raises(InvalidValue, match=rf"端口号 {bad} 超出范围 1\.\.65535"):
            validate.l4_port(bad)


def test_ipv4_addresses():
    assert validate.ipv4_address("192.168.10.1") == ipaddress.IPv4Address("192.168.10.1")
    assert validate.ipv4_address("0.0.0.0") == ipaddress.IPv4Address(0)
    assert validate.ipv4_address("255.255.255.255") == ipaddress.IPv4Address("255.255.255.255")
    for bad in ("192.168.10.999", "256.0.0.0", "1.2.3", "abc", "", "::1", None):
        with pytest.raises(InvalidValue, match=r"IPv4 地址 .* 不合法：应为 4 个 0\.\.255 的十进制数") as err:
            validate.ipv4_address(bad)
        assert "Octet" not in str(err.value) and "permitted" not in str(err.value)
    assert validate.ip_address("fe80::1") == ipaddress.IPv6Address("fe80::1")
    with pytest.raises(InvalidValue, match=r"^server_address '5\.5\.5\.999' 不合法"):
        validate.ip_address("5.5.5.999", "server_address")


def test_ipv4_interfaces():
    assert validate.ipv4_interface("5.5.5.51/24") == ipaddress.IPv4Interface("5.5.5.51/24")
    assert validate.ipv4_interface("5.5.5.51/0").network.prefixlen == 0
    assert validate.ipv4_interface("5.5.5.51/32").network.prefixlen == 32
    with pytest.raises(InvalidValue, match=r"接口地址 '5\.5\.5\.999' 不合法"):
        validate.ipv4_interface("5.5.5.999/24")
    for bad in ("5.5.5.51", "5.5.5.51/33", "5.5.5.51/", "5.5.5.51/x", "5.5.5.51/255.255.255.0"):
        with pytest.raises(InvalidValue, match=r"应为地址/前缀长度（0\.\.32），如 192\.168\.10\.1/24"):
            validate.ipv4_interface(bad)


def test_converters_give_the_types_and_their_chinese_errors():
    assert validate.VlanId.from_robot("100") == 100 and isinstance(validate.VlanId.from_robot(100), validate.VlanId)
    assert validate.VlanOrZero.from_robot("0") == 0
    assert validate.Mtu.from_robot("9000") == 9000
    assert validate.Ipv4Interface.from_robot("5.5.5.51/24") == "5.5.5.51/24"
    with pytest.raises(InvalidValue, match=r"^VLAN 'abc' 不是整数：应为 1\.\.4094 的整数"):
        validate.VlanId.from_robot("abc")
    with pytest.raises(InvalidValue, match=r"^VLAN 5000 超出范围 1\.\.4094"):
        validate.VlanId.from_robot("5000")
    with pytest.raises(InvalidValue, match=r"^IPv4 地址 '1\.2\.3\.999' 不合法"):
        validate.Ipv4Address.from_robot("1.2.3.999")
    assert set(validate.CONVERTERS) == set(validate.TYPES)


SUITE = """\
*** Settings ***
Library    HostLibrary
Library    OVSLibrary

*** Test Cases ***
VLAN abc
    添加VLAN子接口    vm01    eth1    abc
VLAN 5000
    设置端口VLAN    dpdkvhostuser0    access    tag=5000
MTU 999999
    设置接口MTU    vm01    eth1    999999
Address 999
    设置接口地址    vm01    eth1    5.5.5.999/24
"""


def test_robot_refuses_bad_arguments_with_the_chinese_message_before_the_keyword_runs(tmp_path):
    """A tiny suite through robot itself: no lab is needed, the arguments fail at the call."""
    suite = tmp_path / "converters.robot"
    suite.write_text(SUITE, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--pythonpath", str(ROOT / "libraries"), "--output", "NONE", "--log", "NONE",
         "--report", "NONE", "--console", "verbose", str(suite)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    out = run.stdout
    assert run.returncode == 4, out
    # The tests' messages (what report.html and the console show) are the rule's, in Chinese only.
    assert "参数 vlan：VLAN 'abc' 不是整数：应为 1..4094 的整数" in out
    assert "参数 tag：VLAN 5000 超出范围 1..4094" in out
    assert "参数 mtu：MTU 999999 超出范围 68..65535" in out
    assert "参数 address：接口地址 '5.5.5.999' 不合法：应为 4 个 0..255 的十进制数" in out
    assert "Octet" not in out and "invalid literal" not in out and "cannot be converted" not in out


def test_robot_s_frame_is_replaced_for_these_types_only():
    framed = "ValueError: Argument 'vlan' got value 'abc' that cannot be converted to VlanId: VLAN 'abc' 不是整数"
    assert validate.without_robot_frame(framed) == "参数 vlan：VLAN 'abc' 不是整数"
    nested = f"Parent suite setup failed:\n{framed.replace('abc', 'x y')}"
    assert validate.without_robot_frame(nested) == "Parent suite setup failed:\n参数 vlan：VLAN 'x y' 不是整数"
    other = "ValueError: Argument 'count' got value 'abc' that cannot be converted to integer."
    assert validate.without_robot_frame(other) == other


@pytest.mark.parametrize(
    ("library", "types"),
    [("HostLibrary", {"VlanId", "Mtu", "Ipv4Interface"}), ("OVSLibrary", {"VlanId", "VlanOrZero", "Mtu"})],
)
def test_libdoc_documents_the_argument_types_with_their_rule(library, types):
    from robot.libdocpkg import LibraryDocumentation

    documented = {t.name: t for t in LibraryDocumentation(library).type_docs if t.type == "Custom"}
    assert types <= set(documented)
    assert "1..4094" in documented["VlanId"].doc and "68..65535" in documented["Mtu"].doc
