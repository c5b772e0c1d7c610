"""Benchmark: embedded lab bring-up (both guests reachable over SSH), idle CPU, teardown.

Targets (issue 2, 2 cores): bring-up <= 20 s, teardown <= 5 s, the whole lab idles below
a quarter of a core. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/lab_bringup.py [--idle-seconds 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "libraries"), str(ROOT / "variables")]

import embedded_lab  # noqa: E402
from netvirt import seam  # noqa: E402
from netvirt.labspec import load_lab  # noqa: E402
from netvirt.ovs import Ovs, PortType  # noqa: E402
from netvirt.vm import Hypervisor  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def lab_cpu_seconds(lab) -> float:
    """CPU time (user+system) of every process of this lab, by its marker in the command line."""
    total = 0
    markers = (str(lab.builder.root), f"guest={lab.spec.lab_id}-")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if any(m in cmd for m in markers):
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / CLK_TCK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-seconds", type=float, default=10)
    parser.add_argument("--lab-id", default="nvbm")
    args = parser.parse_args()

    lab = seam.from_spec(load_lab(embedded_lab.description(args.lab_id)), progress=lambda m: None)
    lab.guest_kernel()  # the download/build is setup, not bring-up
    t0 = time.monotonic()
    lab.setup()
    t_infra = time.monotonic() - t0
    ovs = Ovs(lab.ovsdb_remote)
    hv = Hypervisor(lab.spec.libvirt_uri)
    try:
        ovs.set_other_config({"dpdk-init": "true", "pmd-cpu-mask": lab.spec.params["pmd_cpu_mask"]})
        ovs.add_bridge("ovsbr0")
        for vm in lab.spec.vms:
            for vnic in vm.vnics:
                ovs.add_port("ovsbr0", vnic.port, PortType.dpdkvhostuser, {"n_rxq": "2"})
        t_ovs = time.monotonic() - t0
        for vm in lab.spec.vms:
            lab.prepare_vm(vm)
            hv.create(lab.domain_name(vm), vm, lab.domain_profile(vm))
        for vm in lab.spec.vms:
            while True:
                try:
                    lab.session(vm.name).run("true", timeout=10)
                    break
                except Exception:
                    lab.forget_session(vm.name)
                    if time.monotonic() - t0 > 120:
                        raise
                    time.sleep(0.3)
        t_up = time.monotonic() - t0
        time.sleep(2)  # let boot-time work settle before measuring idle
        c0, w0 = lab_cpu_seconds(lab), time.monotonic()
        time.sleep(args.idle_seconds)
        idle = (lab_cpu_seconds(lab) - c0) / (time.monotonic() - w0)
    finally:
        ovs.close()
        hv.close()
        t1 = time.monotonic()
        lab.teardown()
        t_down = time.monotonic() - t1
    print(f"lab infrastructure (namespaces, sshd, OVS-DPDK, libvirtd): {t_infra:6.2f} s")
    print(f"  + OVS configured (dpdk-init, ovsbr0, 2 vhost-user ports):   {t_ovs:6.2f} s")
    print(f"bring-up with both guests reachable over SSH:              {t_up:6.2f} s  (target <= 20 s)")
    print(
        f"idle CPU of the whole lab over {args.idle_seconds:.0f} s:                     "
        f"{idle:6.3f} cores (target < 0.25)"
    )
    print(f"teardown:                                                  {t_down:6.2f} s  (target <= 5 s)")
    print(f"leftovers after teardown: {lab.leftovers() or 'none'}")


if __name__ == "__main__":
    main()
