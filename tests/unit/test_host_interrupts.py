"""5.4.4's interrupt spread: which /proc/interrupts lines are a virtio NIC's queue vectors.

Fixtures (``tests/fixtures/generated``), both captured during a 5.4.1 run on the embedded lab (nvh1):
- ``proc-interrupts-msix-virtio.txt``: Host B's view, i.e. this development VM's own kernel (Debian 12,
  virtio-net with MSI-X: one vector per queue, ``virtio2-input.0`` / ``virtio2-output.0``);
- ``proc-interrupts-guest-intx.txt``: inside vm01 (QEMU TCG, ``pci=nomsi``): one INTx line shared by
  every virtio device, no queue vector at all.
"""

from __future__ import annotations

from pathlib import Path

from HostLibrary import interrupts_per_cpu, virtio_queue_line

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "generated"


def test_msix_queue_vectors_of_one_device_only():
    text = (FIXTURES / "proc-interrupts-msix-virtio.txt").read_text()
    # virtio2's input.0 on CPU1 (3198) and output.0 on CPU0 (2767); virtio1-req.0 (a disk) is not counted.
    assert interrupts_per_cpu(text, virtio_queue_line("virtio2")) == {"CPU0": 2767, "CPU1": 3198}
    assert interrupts_per_cpu(text, virtio_queue_line("virtio1")) == {"CPU0": 0, "CPU1": 0}


def test_intx_guest_has_no_queue_vectors():
    text = (FIXTURES / "proc-interrupts-guest-intx.txt").read_text()
    assert interrupts_per_cpu(text, virtio_queue_line("virtio1")) == {"CPU0": 0, "CPU1": 0}
    # The old way (any line naming virtio) counted the shared INTx line: one CPU only, and not per queue.
    assert interrupts_per_cpu(text, lambda line: "virtio" in line) == {"CPU0": 2581, "CPU1": 0}
