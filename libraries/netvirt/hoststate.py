"""A host's NICs as a run found them, and the commands that put them back: PROMISC, MTU, addresses.

The lab's teardown puts back, on every host, what the run changed on the NICs of the lab description,
where that is not already so: OVS-DPDK leaves a NIC PROMISC after its port is removed (the record's
enP5p1s0 in 5.4.5.2 shows it), a case may leave an MTU or an address behind. Read from ``ip addr show``,
whose text is the same from CentOS 7.5's iproute 4.11 to iproute2 6.x; a NIC that is not in the kernel
at either time (handed to vfio-pci for DPDK) is left alone.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

HEADER = re.compile(r"^\d+:\s+(?P<name>[^:@\s]+)(?:@\S+)?:\s+<(?P<flags>[^>]*)>.*?\smtu\s+(?P<mtu>\d+)")
ADDRESS = re.compile(r"^\s+(?P<family>inet6?)\s+(?P<address>\S+/\d+)\s.*\bscope\s+(?P<scope>\w+)")


@dataclass(frozen=True)
class NicState:
    """What the teardown compares of one NIC: its PROMISC flag, MTU and global addresses (address/prefix)."""

    name: str
    promisc: bool
    mtu: int
    addresses: tuple[str, ...] = ()


def parse_ip_addr(text: str) -> dict[str, NicState]:
    """The NICs of ``ip addr show`` (or ``ip link show``) output, by name; link-local addresses are left out
    (the kernel makes them again)."""
    nics: dict[str, NicState] = {}
    current: NicState | None = None
    for line in text.splitlines():
        header = HEADER.match(line)
        if header:
            flags = header["flags"].split(",")
            current = NicState(header["name"], "PROMISC" in flags, int(header["mtu"]))
            nics[current.name] = current
            continue
        address = ADDRESS.match(line)
        if address and current and address["scope"] in ("global", "site"):
            current = NicState(current.name, current.promisc, current.mtu, (*current.addresses, address["address"]))
            nics[current.name] = current
    return nics


def restore_commands(before: NicState, now: NicState) -> list[str]:
    """The ``ip`` commands that make ``now`` what ``before`` was (none when nothing differs)."""
    dev = before.name
    commands = []
    if now.promisc != before.promisc:
        commands.append(shlex.join(["ip", "link", "set", "dev", dev, "promisc", "on" if before.promisc else "off"]))
    if now.mtu != before.mtu:
        commands.append(shlex.join(["ip", "link", "set", "dev", dev, "mtu", str(before.mtu)]))
    for address in now.addresses:
        if address not in before.addresses:
            commands.append(shlex.join(["ip", "addr", "del", address, "dev", dev]))
    for address in before.addresses:
        if address not in now.addresses:
            commands.append(shlex.join(["ip", "addr", "add", address, "dev", dev]))
    return commands


def snapshot(session, nics: list[str], timeout: float = 15) -> dict[str, NicState]:
    """The state of ``nics`` on the host of ``session`` (an ``SshSession``); NICs not in the kernel are left out."""
    result = session.run("ip addr show", timeout=timeout)
    if not result.ok:
        raise RuntimeError(
            f"读取 {session.name} 的网卡状态失败（ip addr show）：{(result.stderr or result.stdout).strip()}"
        )
    found = parse_ip_addr(result.stdout)
    return {name: found[name] for name in nics if name in found}


def put_back(session, before: dict[str, NicState], timeout: float = 15) -> list[str]:
    """Put ``before`` back on the host of ``session`` where it is not already so; return what was done
    (``主机 网卡：命令``) and what failed, one line each."""
    now = snapshot(session, list(before), timeout)
    done = []
    for name, state in before.items():
        if name not in now:
            continue
        for command in restore_commands(state, now[name]):
            result = session.run(command, timeout=timeout)
            outcome = "" if result.ok else f"（失败：{(result.stderr or result.stdout).strip()}）"
            done.append(f"{session.name} {name}：{command}{outcome}")
    return done
