"""The embedded lab the VM library's integration tests run on: Host B's OVS with ovsbr0 and the
dpdkvhostuser0 port vm01's eth1 connects to, and vm01 itself, each as a context manager."""

from collections.abc import Iterator
from contextlib import contextmanager

import embedded_lab
from netvirt import seam
from netvirt.labspec import load_lab
from netvirt.ovs import Ovs, PortType
from VMLibrary import VMLibrary


@contextmanager
def ovs_lab(lab_id: str) -> Iterator[seam.Lab]:
    """Lab ``lab_id`` built, made current and given ovsbr0/dpdkvhostuser0; torn down, leaving nothing."""
    lab = seam.from_spec(load_lab(embedded_lab.description(lab_id)), progress=lambda m: None)
    lab.setup()
    seam.use(lab)
    ovs = Ovs(lab.ovsdb_remote)
    ovs.set_other_config({"dpdk-init": "true", "pmd-cpu-mask": "0x2"})
    ovs.add_bridge("ovsbr0")
    ovs.add_port("ovsbr0", "dpdkvhostuser0", PortType.dpdkvhostuser)
    ovs.close()
    try:
        yield lab
    finally:
        seam.use(None)
        lab.teardown()
        assert lab.builder.leftovers() == []


@contextmanager
def running_vm01() -> Iterator[VMLibrary]:
    """vm01 of the current lab created and reachable over SSH; removed afterwards."""
    library = VMLibrary()
    library.create_vm("vm01")
    library.wait_until_vm_ready("vm01", timeout=120)
    try:
        yield library
    finally:
        library.remove_vm("vm01")
