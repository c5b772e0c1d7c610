"""Benchmark: the TCG guest lock-up at the kernel's receive-timestamp switch, with and without the guest's holder.

The embedded lab's guests keep receive timestamps switched on for their life (an idle ping started by the
guest's /init, netvirt.embedded.guestboot): otherwise every ping in a guest switches them on and off, each
switch rewrites the running kernel's receive path (a static key), and under QEMU 7.2's multi-threaded TCG a
vCPU receiving packets meanwhile can be left looping at the patched jump in netif_receive_skb_list_internal.

Each round boots vm01 and vm02 on the vhost-user ports, has vm02 flood-ping vm01 while vm01 runs one short
ping after another for ``--seconds``, and says whether vm01 still answers (and, when not, where its console's
lockup report says its CPU was). ``--without-holder`` stops vm01's holder first (by its pid), as the guests
were before. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/guest_lockup.py [--rounds 3] [--seconds 60] [--without-holder] [--lab nvgl]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "libraries"), str(ROOT / "variables")]

import embedded_lab  # noqa: E402
from netvirt import seam  # noqa: E402
from netvirt.embedded.guestboot import TIMESTAMP_HOLDER  # noqa: E402
from netvirt.labspec import load_lab  # noqa: E402
from netvirt.ovs import Ovs, PortType  # noqa: E402
from VMLibrary import VMLibrary  # noqa: E402

# The holder's pid: the process whose command line is the one guestboot's /init starts.
HOLDER_PID = (
    "for p in /proc/[0-9]*; do tr '\\0' ' ' <$p/cmdline 2>/dev/null"
    f" | grep -qxF {shlex.quote(TIMESTAMP_HOLDER + ' ')} && basename $p; done"
)


def short_pings(seconds: int) -> str:
    return (
        f"n=0; end=$(( $(date +%s) + {seconds} )); "
        "while [ $(date +%s) -lt $end ]; do ping -c 1 -W 1 5.5.5.52 >/dev/null; n=$((n + 1)); done; echo $n"
    )


def one_round(lab, library: VMLibrary, seconds: int, without_holder: bool) -> tuple[bool, str]:
    for vm in ("vm01", "vm02"):
        library.create_vm(vm)
    for vm in ("vm01", "vm02"):
        library.wait_until_vm_ready(vm, timeout=180)
    vm01, vm02 = lab.session("vm01"), lab.session("vm02")
    vm01.run("ip addr add 5.5.5.51/24 dev eth1 && ip link set eth1 up")
    vm02.run("ip addr add 5.5.5.52/24 dev eth1 && ip link set eth1 up")
    holder = vm01.run(HOLDER_PID).stdout.split()
    if without_holder and holder:
        vm01.run(shlex.join(["kill", *holder]))
    flood = threading.Thread(
        target=lambda: vm02.run(f"ping -q -f -w {seconds} 5.5.5.51 >/dev/null 2>&1 || true", timeout=seconds + 30)
    )
    flood.start()
    try:
        count = vm01.run(short_pings(seconds), timeout=seconds + 40).stdout.strip()
        answered, detail = True, f"{count} short pings, holder {'stopped' if without_holder else holder or 'absent'}"
    except Exception as err:  # noqa: BLE001 - the finding
        console = lab.console_tail(lab.spec.vm("vm01"), 200) or ""
        stuck = [line.strip() for line in console.splitlines() if "RIP: " in line or "soft lockup" in line]
        answered, detail = False, f"{str(err)[:100]} | " + " | ".join(stuck[:3])
    flood.join(seconds + 40)
    library.remove_vm("vm01", "vm02")
    return answered, detail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--without-holder", action="store_true")
    parser.add_argument("--lab", default="nvgl")
    args = parser.parse_args()
    lab = seam.from_spec(load_lab(embedded_lab.description(args.lab)), progress=lambda message: None)
    lab.setup()
    seam.use(lab)
    locked = 0
    try:
        ovs = Ovs(lab.ovsdb_remote)
        ovs.set_other_config({"dpdk-init": "true", "pmd-cpu-mask": "0x2"})
        ovs.add_bridge("ovsbr0")
        for port in ("dpdkvhostuser0", "dpdkvhostuser1"):
            ovs.add_port("ovsbr0", port, PortType.dpdkvhostuser)
        ovs.close()
        library = VMLibrary()
        for number in range(1, args.rounds + 1):
            started = time.monotonic()
            answered, detail = one_round(lab, library, args.seconds, args.without_holder)
            locked += not answered
            state = "answers" if answered else "LOCKED UP"
            print(f"round {number}: vm01 {state} ({time.monotonic() - started:.0f} s): {detail}", flush=True)
    finally:
        seam.use(None)
        lab.teardown()
    holder = "without the holder" if args.without_holder else "with the holder"
    print(f"vm01 locked up in {locked} of {args.rounds} rounds {holder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
