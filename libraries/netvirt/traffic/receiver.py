"""What a measurement's receiver dropped: frames OVS could not hand to a guest and datagrams a full socket
buffer dropped, read before and after a UDP measurement (TrafficLibrary's ``测量吞吐量 receiver_port=``).

On a loaded machine a starved guest does not empty its virtio ring: OVS drops what it cannot enqueue on the
vhost-user port, and the guest's kernel drops what its iperf3 server does not read in time (``RcvbufErrors`` in
``/proc/net/snmp``). Counted back in, a rate measured behind a limiter says what the limiter let through.

The port's counter is read live with ``ovs-ofctl dump-ports`` (OVSDB's ``statistics`` column is refreshed only
every ``stats-update-interval``, 5 s by default): its ``tx drop`` where the port reports it (OVS 2.x vhost-user
ports count their own), else the DPDK vhost ``ovs_tx_failure_drops`` custom counter of OpenFlow 1.4 port
statistics (OVS 3.x, whose vhost-user ports report no standard counters with DPDK 22.11: ``?``).
"""

from __future__ import annotations

from dataclasses import dataclass

from netvirt.parsers.ovs import parse_dump_ports
from netvirt.parsers.traffic import parse_proc_net_snmp
from netvirt.ssh import SshSession

# Every OpenFlow version ovs-ofctl and the bridge both speak, so the newest (1.4+ has custom statistics) is used.
OPENFLOW_VERSIONS = "OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15"


@dataclass(frozen=True)
class Counters:
    """One reading: the port's drop counter as (name, value), None where the port reports none, and the
    receiver's UDP RcvbufErrors."""

    port: tuple[str, int] | None
    rcvbuf_errors: int

    def describe(self) -> str:
        port = f"{self.port[0]} {self.port[1]}、" if self.port else ""
        return f"{port}RcvbufErrors {self.rcvbuf_errors}"


@dataclass(frozen=True)
class Dropped:
    """What the receiver dropped between two readings: by the port's counter (``port_counter`` None, and
    ``port_dropped`` 0, where the port reports none) and by the receiver's full socket buffers."""

    port_counter: str | None
    port_dropped: int
    rcvbuf_errors: int

    @property
    def datagrams(self) -> int:
        return self.port_dropped + self.rcvbuf_errors


def between(before: Counters, after: Counters) -> Dropped:
    """The drops from ``before`` to ``after``; a port whose drop counter changed name, appeared or vanished
    between the two (OVS restarted, the port replaced) is refused rather than counted from zero."""
    if (before.port and before.port[0]) != (after.port and after.port[0]):
        raise RuntimeError(
            f"OVS 端口的丢弃计数器在测量前后不同（测量前 {before.port[0] if before.port else '无'}，"
            f"测量后 {after.port[0] if after.port else '无'}）："
            "端口在测量中被重建或 OVS 重启过"
        )
    if after.rcvbuf_errors < before.rcvbuf_errors or (after.port and after.port[1] < before.port[1]):
        raise RuntimeError(
            f"接收端的丢弃计数在测量中变小了（测量前 {before.describe()}，测量后 {after.describe()}）：计数器被清零过"
        )
    port = (after.port[0], after.port[1] - before.port[1]) if after.port and before.port else (None, 0)
    return Dropped(port[0], port[1], after.rcvbuf_errors - before.rcvbuf_errors)


def port_tx_drops(port: dict) -> tuple[str, int] | None:
    """(counter name, value) of the frames OVS could not send on ``port`` (a ``parse_dump_ports`` entry)."""
    if port["tx"].get("drop") is not None:
        return "tx drop", port["tx"]["drop"]
    if port["custom"].get("ovs_tx_failure_drops") is not None:
        return "ovs_tx_failure_drops", port["custom"]["ovs_tx_failure_drops"]
    return None


def read(hypervisor: SshSession, ovs_command, bridge: str, port: str, receiver: SshSession) -> Counters:
    """Read ``port``'s (on ``bridge``) drop counter on the hypervisor and the receiver's UDP RcvbufErrors.

    ``ovs_command`` makes an OVS tool's command line on the hypervisor (the lab's ``ovs_command``)."""
    result = hypervisor.run(ovs_command("ovs-ofctl", "-O", OPENFLOW_VERSIONS, "dump-ports", bridge, port))
    if not result.ok:
        raise RuntimeError(f"读不到 OVS 端口 {port} 的统计：{(result.stderr or result.stdout).strip()}")
    ports = parse_dump_ports(result.stdout)
    if len(ports) != 1:
        raise RuntimeError(f"ovs-ofctl dump-ports {bridge} {port} 给出了 {len(ports)} 个端口的统计，应为 1 个")
    found = port_tx_drops(ports[0])
    snmp = receiver.run("cat /proc/net/snmp")
    if not snmp.ok:
        raise RuntimeError(f"{receiver.name} 上读不到 /proc/net/snmp：{snmp.stderr.strip()}")
    rcvbuf = parse_proc_net_snmp(snmp.stdout)["Udp"]["RcvbufErrors"]
    return Counters(found, rcvbuf)
