"""Where the embedded lab keeps its files and finds its programs on the machine.

Shared by the lab, its NIC emulator and the guest kernels; standard library only, so that
``scripts/setup.sh`` can fetch the guest kernels with the machine's Python while pip fills the venv.
"""

from __future__ import annotations

from pathlib import Path

LAB_ROOT = Path("/var/lib/netvirt-robot")
DPDK_RUNTIME = Path("/var/run/dpdk")
OVS_DPDK_VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
