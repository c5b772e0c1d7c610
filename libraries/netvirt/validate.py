"""One validator per rule: interface and port names, MAC and PCI addresses, MTU, VLAN, IP addresses.

Every keyword that passes a name, an address or a number on to a host, OVS, libvirt or the NIC checks it
here first, so the same value is judged the same way everywhere and a bad one fails before anything
changes, with a Chinese message that names the value and what is allowed. Where components truly differ
(the largest MTU of a kernel netdev, of an OVS-DPDK port, of a NIC's port) the limit is a named argument of
the one rule, not another copy of it.

The small types at the end (``VlanId``, ``Mtu``, ``Ipv4Address`` ...) are keyword argument types for the
values Robot would otherwise convert itself (numbers) and the addresses keywords take in many places; names
stay ``str`` and are checked in the keyword, whose message needs no Robot frame. Robot converts an argument
of these types with their ``from_robot`` (declared with ``@library(converters=validate.CONVERTERS)``), so
``abc`` or ``999`` fails at the call with the rule's Chinese message, and libdoc documents each type with
its converter's docstring. An optional argument is written ``vlan: VlanId = None``, not ``VlanId | None``:
Robot accepts None for it all the same and reports the converter's message, where for a union it would
only say in English that no member took the value. Robot puts its own English frame around the message
("Argument 'vlan' got value 'abc' that cannot be converted to VlanId: ..."); the libraries' listener
``ConversionMessages`` makes it "参数 vlan：" in the messages of the tests and suites it failed.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass


class InvalidValue(ValueError):
    """A value a keyword refused before anything changed; the message names it and what is allowed."""

    ROBOT_SUPPRESS_NAME = True


# -- names -----------------------------------------------------------------------------------------

NETDEV_NAME_MAX = 15  # IFNAMSIZ - 1: the kernel cuts or refuses longer names
NETDEV_NAME = re.compile(rf"^[A-Za-z0-9_][A-Za-z0-9_.-]{{0,{NETDEV_NAME_MAX - 1}}}$")
# OVS keeps longer names in OVSDB (a dpdkvhostuser port is also its socket's file name); 63 characters, no
# '/', no leading '.' so a socket named after a port stays in its directory.
OVS_NAME_MAX = 63
OVS_NAME = re.compile(rf"^[A-Za-z0-9_][A-Za-z0-9_.-]{{0,{OVS_NAME_MAX - 1}}}$")
NAME_CHARS = "字母、数字和 _ . -，不以 . 或 - 开头"


def netdev_name(name: object, what: str = "接口名") -> str:
    """``name`` if the kernel takes it as a network device name (``ip link``): 1..15 characters."""
    if not isinstance(name, str) or not OVS_NAME.fullmatch(name):
        raise InvalidValue(f"{what} {name!r} 不合法：最长 {NETDEV_NAME_MAX} 个字符，只允许{NAME_CHARS}")
    if len(name) > NETDEV_NAME_MAX:
        raise InvalidValue(f"{what} {name} 有 {len(name)} 个字符：内核网络设备名最多 {NETDEV_NAME_MAX} 个字符")
    return name


def ovs_name(name: object, what: str = "端口") -> str:
    """``name`` if it is a name OVS keeps for a bridge, port or interface (and a vhost-user socket's file
    name in the socket directory): 1..63 characters."""
    if not isinstance(name, str) or not OVS_NAME.fullmatch(name):
        raise InvalidValue(f"{what}名称 {name!r} 不合法：最长 {OVS_NAME_MAX} 个字符，只允许{NAME_CHARS}，不含 /")
    return name


# -- addresses -------------------------------------------------------------------------------------

MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
PCI = re.compile(r"^([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$")


def mac(value: object, what: str = "MAC 地址", unicast: bool = False) -> str:
    """``value`` in lower case if it is a MAC address (aa:bb:cc:dd:ee:ff); with ``unicast`` a group
    address (lowest bit of the first octet set) is refused too."""
    if not isinstance(value, str) or not MAC.fullmatch(value):
        raise InvalidValue(f"{what} {value!r} 不合法：格式为 aa:bb:cc:dd:ee:ff（6 组两位十六进制数）")
    value = value.lower()
    if unicast and int(value[:2], 16) & 1:
        raise InvalidValue(f"{what} {value} 是组播地址（第一个字节的最低位为 1），这里需要单播地址")
    return value


def pci(value: object, what: str = "PCI 地址") -> str:
    """``value`` in lower case if it is a PCI address with its domain (dddd:bb:dd.f)."""
    if not isinstance(value, str) or not PCI.fullmatch(value):
        raise InvalidValue(f"{what} {value!r} 不合法：格式为 dddd:bb:dd.f（如 0005:01:00.1）")
    return value.lower()


def ipv4_address(value: object, what: str = "IPv4 地址") -> ipaddress.IPv4Address:
    """``value`` as an IPv4 address (192.168.10.1)."""
    try:
        return ipaddress.IPv4Address(value if isinstance(value, str) else str(value))
    except ValueError:
        raise InvalidValue(f"{what} {value!r} 不合法：应为 4 个 0..255 的十进制数，如 192.168.10.1") from None


def ipv4_interface(value: object, what: str = "接口地址") -> ipaddress.IPv4Interface:
    """``value`` as an IPv4 address with its prefix length (192.168.10.1/24)."""
    text = value if isinstance(value, str) else str(value)
    address, slash, prefix = text.partition("/")
    ipv4_address(address, what)
    if not slash or not prefix.isdigit() or not 0 <= int(prefix) <= 32:
        raise InvalidValue(f"{what} {value!r} 不合法：应为地址/前缀长度（0..32），如 192.168.10.1/24")
    return ipaddress.IPv4Interface(text)


def ip_address(value: object, what: str = "IP 地址") -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """``value`` as an IPv4 or IPv6 address."""
    try:
        return ipaddress.ip_address(value if isinstance(value, str) else str(value))
    except ValueError:
        raise InvalidValue(f"{what} {value!r} 不合法：应为 IPv4 地址（如 192.168.10.1）或 IPv6 地址") from None


# -- numbers ---------------------------------------------------------------------------------------


def integer(value: object, what: str, low: int, high: int, note: str = "") -> int:
    """``value`` as an int within ``low..high`` (a decimal string is read as one); ``note`` explains the range."""
    number = value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int):
        raise InvalidValue(f"{what} {value!r} 不是整数：应为 {low}..{high} 的整数{note}")
    if not low <= number <= high:
        raise InvalidValue(f"{what} {number} 超出范围 {low}..{high}{note}")
    return int(number)


VLAN_MAX = 4094  # 4095 is reserved (802.1Q)


def vlan(value: object, what: str = "VLAN", allow_zero: bool = False) -> int:
    """``value`` as a VLAN ID 1..4094; with ``allow_zero`` 0 too (no tag: an SR-IOV VF's vlan, a cvlan of
    untagged frames, a priority-tagged frame)."""
    note = "（0 表示不加标签；4095 是保留值）" if allow_zero else "（0 和 4095 是保留值）"
    return integer(value, what, 0 if allow_zero else 1, VLAN_MAX, note)


@dataclass(frozen=True)
class MtuLimit:
    """The largest MTU a kind of device takes, and whose limit it is (named in the error)."""

    high: int
    owner: str


MTU_MIN = 68  # ETH_MIN_MTU, RTE_ETHER_MIN_MTU: the smallest MTU IPv4 allows
KERNEL_MTU = MtuLimit(65535, "内核网络设备的上限 ETH_MAX_MTU")
# netdev-dpdk (OVS 2.8.4 as in the record through 3.x): MTU + 14 (header) + 4 (CRC) + 8 (two VLAN tags) must
# not exceed NETDEV_DPDK_MAX_PKT_LEN 9728, or ovs-vswitchd logs "unsupported MTU" and keeps the old one.
OVS_DPDK_MTU = MtuLimit(9702, "OVS-DPDK 端口的上限：MTU 加 26 字节的帧不超过 9728")
# The PF of an SR-IOV NIC: the embedded lab's emulated NIC carries frames of MTU 9216 on its ports
# (netvirt.embedded.nicemu.PORT_MTU); a real NIC's driver refuses above its own maxmtu with EINVAL.
NIC_PORT_MTU = MtuLimit(9216, "网卡端口的上限")


def mtu(value: object, limit: MtuLimit = KERNEL_MTU, what: str = "MTU") -> int:
    """``value`` as an MTU from 68 to ``limit.high``."""
    return integer(value, what, MTU_MIN, limit.high, f"（{limit.owner}）")


def l4_port(value: object, what: str = "端口号") -> int:
    """``value`` as a TCP/UDP port number 1..65535."""
    return integer(value, what, 1, 65535)


# A rate or size as iperf3 takes it (-b, -l): a number with an optional K/M/G suffix, e.g. 100M.
RATE = re.compile(r"^\d+(\.\d+)?[KMGkmg]?$")


# -- keyword argument types ------------------------------------------------------------------------


class VlanId(int):
    """VLAN ID：1..4094 的整数（0 和 4095 是保留值），如 ``100``。"""

    @classmethod
    def from_robot(cls, value: object) -> VlanId:
        """VLAN ID：1..4094 的整数（0 和 4095 是保留值），如 ``100``。"""
        return cls(vlan(value))


class VlanOrZero(int):
    """VF 的 VLAN：0..4094 的整数，0 表示不加标签。"""

    @classmethod
    def from_robot(cls, value: object) -> VlanOrZero:
        """VF 的 VLAN：0..4094 的整数，0 表示不加标签。"""
        return cls(vlan(value, allow_zero=True))


class Mtu(int):
    """MTU：68..65535 的整数（内核网络设备的范围；OVS-DPDK 端口和网卡端口的上限更低，由关键字检查）。"""

    @classmethod
    def from_robot(cls, value: object) -> Mtu:
        """MTU：68..65535 的整数（内核网络设备的范围；OVS-DPDK 端口和网卡端口的上限更低，由关键字检查）。"""
        return cls(mtu(value))


class Ipv4Address(str):
    """IPv4 地址：4 个 0..255 的十进制数，如 ``192.168.10.1``。"""

    @classmethod
    def from_robot(cls, value: object) -> Ipv4Address:
        """IPv4 地址：4 个 0..255 的十进制数，如 ``192.168.10.1``。"""
        return cls(ipv4_address(value))


class Ipv4Interface(str):
    """带前缀长度的 IPv4 地址，如 ``192.168.10.1/24``。"""

    @classmethod
    def from_robot(cls, value: object) -> Ipv4Interface:
        """带前缀长度的 IPv4 地址，如 ``192.168.10.1/24``。"""
        return cls(ipv4_interface(value).with_prefixlen)


class IpAddress(str):
    """IP 地址：IPv4（如 ``192.168.10.1``）或 IPv6。"""

    @classmethod
    def from_robot(cls, value: object) -> IpAddress:
        """IP 地址：IPv4（如 ``192.168.10.1``）或 IPv6。"""
        return cls(ip_address(value))


TYPES = (VlanId, VlanOrZero, Mtu, Ipv4Address, Ipv4Interface, IpAddress)
CONVERTERS = {t: t.from_robot for t in TYPES}

# Robot frames a converter's message in English: "ValueError: Argument 'vlan' got value 'abc' that cannot be
# converted to VlanId: VLAN 'abc' 不是整数 ...". The rule's message already names the value and the range.
_ROBOT_FRAME = re.compile(
    r"(?:ValueError: )?Argument '(?P<name>[^']*)' got value '.*?'(?: \([^)]*\))? "
    r"that cannot be converted to (?P<type>\w+): ",
    re.S,
)


def without_robot_frame(message: str) -> str:
    """``message`` with Robot's English frame around a conversion error of these types replaced by
    ``参数 <name>：`` (other conversion errors are left as Robot wrote them)."""
    names = {t.__name__ for t in TYPES}
    return _ROBOT_FRAME.sub(lambda m: f"参数 {m['name']}：" if m["type"] in names else m[0], message)


class ConversionMessages:
    """A listener that gives tests and suites failed by such a conversion their message in Chinese only
    (the keyword's own line in log.html keeps Robot's text)."""

    ROBOT_LISTENER_API_VERSION = 3

    def end_test(self, data, result) -> None:
        result.message = without_robot_frame(result.message)

    def end_suite(self, data, result) -> None:
        result.message = without_robot_frame(result.message)
