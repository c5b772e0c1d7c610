"""The bare embedded lab the forwarding-performance integration tests run on: no guests, Host B's OVS
with the p2p path's DPDK ports (``topology.p2p_dut``), as a context manager that leaves nothing behind."""

from collections.abc import Iterator
from contextlib import contextmanager

import embedded_lab
from netvirt import seam
from netvirt.labspec import load_lab
from netvirt.ovs import Ovs
from netvirt.perf import topology


@contextmanager
def p2p_lab(lab_id: str) -> Iterator[tuple[seam.Lab, Ovs]]:
    """Lab ``lab_id`` without VMs, its OVS configured for the p2p path; torn down and checked empty."""
    description = embedded_lab.description(lab_id)
    description["vms"] = []
    lab = seam.from_spec(load_lab(description), progress=lambda m: None)
    lab.setup()
    ovs = Ovs(lab.ovsdb_remote)
    try:
        topology.p2p_dut(lab, ovs)
        yield lab, ovs
    finally:
        ovs.close()
        lab.teardown()
        assert lab.builder.leftovers() == []
