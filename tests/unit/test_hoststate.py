"""What the teardown puts back on the hosts' NICs, read from real ``ip`` outputs.

``record/ip-link-vf-5.4.5.2.txt`` is the record's Host B PF after OVS-DPDK used it (PROMISC);
``generated/ip-addr-veth-promisc.txt`` is ``ip addr show`` of iproute2 6.1.0 on this machine, in a
throw-away network namespace (``unshare -n``): a veth pair, one end PROMISC with MTU 9000, two IPv4
addresses (the second one secondary) and a global IPv6 address.
"""

from pathlib import Path

from netvirt.hoststate import NicState, parse_ip_addr, restore_commands

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_the_records_pf_after_dpdk_is_promisc():
    nics = parse_ip_addr(fixture("record/ip-link-vf-5.4.5.2.txt"))
    assert nics == {"enP5p1s0": NicState("enP5p1s0", promisc=True, mtu=1500)}


def test_ip_addr_show_gives_flags_mtu_and_global_addresses_only():
    nics = parse_ip_addr(fixture("generated/ip-addr-veth-promisc.txt"))
    assert nics["lo"] == NicState("lo", promisc=False, mtu=65536)
    assert nics["enP4p1s0"] == NicState("enP4p1s0", promisc=False, mtu=1500)  # fe80:: is left out
    assert nics["enP5p1s0"] == NicState(
        "enP5p1s0", promisc=True, mtu=9000, addresses=("5.5.5.22/24", "5.5.5.23/24", "2001:db8::22/64")
    )


def test_restore_puts_back_promisc_mtu_and_addresses():
    now = parse_ip_addr(fixture("generated/ip-addr-veth-promisc.txt"))["enP5p1s0"]
    before = NicState("enP5p1s0", promisc=False, mtu=1500, addresses=("5.5.5.22/24", "192.0.2.5/24"))
    assert restore_commands(before, now) == [
        "ip link set dev enP5p1s0 promisc off",
        "ip link set dev enP5p1s0 mtu 1500",
        "ip addr del 5.5.5.23/24 dev enP5p1s0",
        "ip addr del 2001:db8::22/64 dev enP5p1s0",
        "ip addr add 192.0.2.5/24 dev enP5p1s0",
    ]


def test_nothing_to_restore_when_nothing_changed():
    now = parse_ip_addr(fixture("generated/ip-addr-veth-promisc.txt"))["enP5p1s0"]
    assert restore_commands(now, now) == []
    before = NicState("enP5p1s0", promisc=True, mtu=1500)
    assert restore_commands(before, NicState("enP5p1s0", promisc=False, mtu=1500)) == [
        "ip link set dev enP5p1s0 promisc on"
    ]
