"""Benchmark: time per OVS configuration operation, OVSDB transactions (this library) versus one
``ovs-vsctl`` process per operation, on the embedded lab's real ovsdb-server and ovs-vswitchd.

Both wait until ovs-vswitchd has applied each change (ovs-vsctl does by default). Target (issue 3):
the library >= 10x faster. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/ovs_ops.py [--ops 50]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "libraries"), str(ROOT / "variables")]

import embedded_lab  # noqa: E402
from netvirt import seam  # noqa: E402
from netvirt.labspec import load_lab  # noqa: E402
from netvirt.ovs import Ovs  # noqa: E402


def per_op(label: str, ops: int, operation) -> float:
    start = time.perf_counter()
    for i in range(ops):
        operation(i)
    seconds = (time.perf_counter() - start) / ops
    print(f"{label:<58} {seconds * 1000:8.2f} ms/op")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=50)
    parser.add_argument("--lab-id", default="nvbo")
    args = parser.parse_args()
    lab = seam.from_spec(load_lab(embedded_lab.description(args.lab_id)), progress=lambda m: None)
    lab.setup()
    ovs = Ovs(lab.ovsdb_remote)
    vsctl = ["ovs-vsctl", f"--db={lab.ovsdb_remote}"]
    try:
        ovs.add_bridge("ovsbr0")
        ovs.other_config()  # connect once: the IDL's initial sync is not an operation
        lib_set = per_op(
            "library: set other_config (one transaction)", args.ops, lambda i: ovs.set_other_config({"bench": str(i)})
        )
        cli_set = per_op(
            "ovs-vsctl: set Open_vSwitch . other_config:bench=N",
            args.ops,
            lambda i: subprocess.run([*vsctl, "set", "Open_vSwitch", ".", f"other_config:bench={i}"], check=True),
        )

        def lib_port(i: int) -> None:
            from netvirt.ovs import PortType

            ovs.add_port("ovsbr0", f"bp{i}", PortType.internal)
            ovs.delete_port(f"bp{i}")

        def cli_port(i: int) -> None:
            subprocess.run(
                [*vsctl, "add-port", "ovsbr0", f"cp{i}", "--", "set", "Interface", f"cp{i}", "type=internal"],
                check=True,
            )
            subprocess.run([*vsctl, "del-port", f"cp{i}"], check=True)

        lib_pt = per_op("library: add-port internal + del-port (checked, ofport)", args.ops // 5 or 1, lib_port)
        cli_pt = per_op("ovs-vsctl: add-port internal + del-port (2 processes)", args.ops // 5 or 1, cli_port)
        print(
            f"speed-up set other_config: {cli_set / lib_set:5.1f}x   add/del port: {cli_pt / lib_pt:5.1f}x "
            "(target >= 10x)"
        )
    finally:
        ovs.close()
        lab.teardown()


if __name__ == "__main__":
    main()
