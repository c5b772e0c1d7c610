"""Crafted frames (multicast, VLAN-tagged) sent from a host: the record's DPDK pktgen, portably.

The host runs ``netvirt/remote/framesend.py`` (python3 standard library, an AF_PACKET
socket), copied over SFTP into a private temporary directory that is removed afterwards.
Frames go out of the named interface exactly as built, tags included, with no IP stack
or routing in the way, as pktgen's do.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from netvirt import validate
from netvirt.remote import script
from netvirt.ssh import CommandResult, SshSession
from netvirt.traffic.hostproc import remove_tempdir, require_tools, sftp, tempdir_path

TPIDS = {"802.1q": 0x8100, "802.1ad": 0x88A8}
MAX_SECONDS = 600


@dataclass(frozen=True)
class FrameSpec:
    """What to send; validated on construction so bad values fail before the host is touched."""

    dst_mac: str
    dst_ip: str
    src_ip: str = "192.168.0.1"  # the record's pktgen source address
    vlans: tuple[int, ...] = ()
    outer_tpid: str = "802.1q"
    count: int = 10
    rate_pps: float = 100.0
    ttl: int = 4  # pktgen's default, as in the record's capture
    payload_size: int = 18

    def __post_init__(self) -> None:
        validate.mac(self.dst_mac, "目的 MAC")
        for name in ("dst_ip", "src_ip"):
            validate.ipv4_address(getattr(self, name), name)
        for vid in self.vlans:
            validate.vlan(vid, allow_zero=True)  # 0: a priority-tagged frame
        if len(self.vlans) > 2:
            raise ValueError(f"最多两层 VLAN 标签，得到 {len(self.vlans)} 层：{list(self.vlans)}")
        if self.outer_tpid not in TPIDS:
            raise ValueError(f"外层 TPID {self.outer_tpid!r} 只能是 {', '.join(TPIDS)}")
        if not 1 <= self.count <= 1_000_000:
            raise ValueError(f"count {self.count} 超出范围 1..1000000")
        if not 0 < self.rate_pps <= 100_000:
            raise ValueError(f"rate_pps {self.rate_pps} 超出范围 (0, 100000]")
        if self.count / self.rate_pps > MAX_SECONDS:
            raise ValueError(f"{self.count} 帧以 {self.rate_pps} 帧/秒发送需要超过 {MAX_SECONDS} 秒")
        if not 1 <= self.ttl <= 255:
            raise ValueError(f"ttl {self.ttl} 超出范围 1..255")
        if not 0 <= self.payload_size <= 1472:
            raise ValueError(f"payload_size {self.payload_size} 超出范围 0..1472")

    def argv(self, interface: str) -> list[str]:
        """The helper's arguments (after ``python3 framesend.py``)."""
        argv = ["--interface", interface, "--dst-mac", self.dst_mac.lower(), "--src-ip", self.src_ip]
        argv += ["--dst-ip", self.dst_ip, "--count", str(self.count), "--rate", f"{self.rate_pps:g}"]
        argv += ["--ttl", str(self.ttl), "--payload-size", str(self.payload_size)]
        for index, vid in enumerate(self.vlans):
            tpid = TPIDS[self.outer_tpid] if index == 0 else TPIDS["802.1q"]
            argv += ["--vlan", str(vid), "--tpid", f"0x{tpid:04x}"]
        return argv


def send(session: SshSession, interface: str, spec: FrameSpec) -> tuple[CommandResult, dict[str, Any]]:
    """Send the frames from ``interface`` on the session's host; return the result and the helper's report."""
    require_tools(session, ["python3"], "发送构造的以太网帧")
    directory = tempdir_path("framesend")
    helper = f"{directory}/framesend.py"
    with sftp(session) as client:
        client.mkdir(directory, 0o700)
        with client.open(helper, "wb") as remote:
            remote.write(script("framesend.py"))
    # The helper's directory goes in the same round trip that runs it.
    run = shlex.join(["python3", helper, *spec.argv(interface)])
    command = f"{run}; rc=$?; {shlex.join(['rm', '-rf', '--', directory])}; exit $rc"
    try:
        result = session.run(command, timeout=spec.count / spec.rate_pps + 60)
    except BaseException:
        with sftp(session) as client:
            remove_tempdir(client, directory)
        raise
    if not result.ok:
        raise RuntimeError(f"{session.name} 上发送以太网帧失败（接口 {interface}）：{result.stderr.strip()}")
    return result, json.loads(result.stdout.strip().splitlines()[-1])


def tags(vlan: int | Sequence[int] | None) -> tuple[int, ...]:
    """A keyword's ``vlan`` argument (one VID, a list, or nothing) as a tag stack."""
    if vlan is None:
        return ()
    return (vlan,) if isinstance(vlan, int) else tuple(vlan)
