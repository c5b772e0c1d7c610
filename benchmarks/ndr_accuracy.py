"""Benchmark: NDR found by MLRsearch and by a plain binary search against a rate limit of known value.

An egress-policer QoS on dpdkp1 (OVS-DPDK's srTCM: ``cir`` bytes/s, ``cbs`` bytes, counting the IP
packet of each frame) limits the p2p path of an embedded lab (bare: no VMs). Its zero-loss limit
for a trial of T seconds is known exactly: ``(cir + cbs / T) / (frame - 18)`` frames per second
(``frames.policer_ndr_pps``; the bucket is refilled before each trial by a pause of 2 cbs/cir).
The policer's rate is chosen well below what the path forwards without it (~15-40 kpps of 64-byte
frames on this machine), so the limit, not the path, decides. Both searches run in the same lab,
one after the other, between the same minimum load and the line rate of 10GE, to the same relative
width; the output is the NDR each found, its error against the limit (target: within 2 %), the
trials and time each used, and the load of the machine (other labs share its two cores).

With ``--generator trafgen`` (the default, 7.3's measurer) the trials are netsniff-ng trafgen's fixed-size
frames at a set rate, counted at the two ports (``netvirt.perf.trafgen``); ``--generator iperf3`` uses iperf3's
UDP datagrams. The searches start from the same upper bound 7.3 uses on this lab (the embedded lab description's
``perf_max_load_pps`` for p2p: what trafgen offers here, not the line rate; ``--max-pps`` overrides it, 0 for the
line rate). Issue 15 asks for the NDR within 2 % of the limit in at most 8 trials; the last line says whether.

    .venv/bin/python benchmarks/ndr_accuracy.py [--lab-id nvpb] [--frame-size 64] [--rate-pps 5000]
        [--generator iperf3|trafgen] [--searches mlr,binary]
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
from netvirt.ovs import Ovs  # noqa: E402
from netvirt.perf import frames, search, topology  # noqa: E402
from netvirt.perf.generators import Iperf3Measurer  # noqa: E402
from netvirt.perf.trafgen import TrafgenMeasurer  # noqa: E402


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def error_pct(found: float | None, truth: float) -> str:
    return "—" if found is None else f"{(found - truth) / truth * 100:+.2f}%"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab-id", default="nvpb")
    parser.add_argument("--frame-size", type=int, default=64)
    parser.add_argument("--rate-pps", type=float, default=5000, help="the policer's CIR in frames/s of this size")
    parser.add_argument("--cbs-pct", type=float, default=5, help="bucket size as %% of one trial's CIR bytes")
    parser.add_argument("--duration", type=int, default=1, help="trial duration, s (iperf3: whole seconds)")
    # The NDR is the lower bound of the final interval: with a 2 % width it lies up to 2 % below the limit before
    # any noise, so a search meant to land within 2 % of it must stop finer (1 %: 5-7 trials here).
    parser.add_argument("--width", type=float, default=0.01, help="relative width both searches stop at")
    parser.add_argument("--max-pps", type=float, default=None, help="search upper bound (default: 7.3's; 0: line rate)")
    parser.add_argument("--min-pps", type=float, default=500)
    parser.add_argument("--generator", choices=("iperf3", "trafgen"), default="trafgen")
    parser.add_argument("--searches", default="mlr,binary", help="which searches, comma-separated: mlr, binary")
    args = parser.parse_args()

    description = embedded_lab.description(args.lab_id)
    description["vms"] = []  # p2p only: no guests, no hugepages
    lab = seam.from_spec(load_lab(description), progress=lambda m: None)
    frame = args.frame_size
    cir = round(args.rate_pps * frames.ip_bytes(frame))
    cbs = round(cir * args.duration * args.cbs_pct / 100)
    truth = frames.policer_ndr_pps(cir, cbs, frame, args.duration)
    speed = lab.spec.host("hosta").nics[0].speed_mbps
    line = frames.line_rate_pps(speed, frame)
    bound = args.max_pps if args.max_pps is not None else description["params"]["perf_max_load_pps"]["p2p"]
    spec = search.SearchSpec(
        min_load_pps=args.min_pps,
        max_load_pps=min(line, bound) if bound else line,
        relative_width=args.width,
        trial_duration=args.duration,
        timeout_s=600,
    )
    print(f"machine load (1/5/15 min) before: {loadavg()}  ({os.cpu_count()} cores, shared with other labs)")
    t0 = time.monotonic()
    lab.setup()
    ovs = Ovs(lab.ovsdb_remote)
    topo = measurer = None
    rows = []
    try:
        topology.p2p_dut(lab, ovs)
        ovs.set_egress_policer("dpdkp1", cir, cbs)
        topo = topology.build(lab, topology.Scenario.p2p)
        # A pause of 2 cbs/cir before each trial: the bucket starts every trial full, as the limit assumes.
        kind = TrafgenMeasurer if args.generator == "trafgen" else Iperf3Measurer
        measurer = kind(lab.session, topo.tx, topo.rx, topo.mtu, topo.speed_mbps, settle_s=2 * cbs / cir)
        measurer.start()
        print(f"generator: {measurer.name}")
        print(f"lab {args.lab_id} up, path {topo.description} ({time.monotonic() - t0:.1f} s)")
        print(
            f"egress-policer on dpdkp1: cir={cir} B/s cbs={cbs} B; {frame}-byte frames ({frames.ip_bytes(frame)} "
            f"policed bytes each): CIR {frames.policer_pps(cir, frame):.0f} pps, zero-loss limit for "
            f"{args.duration} s trials {truth:.1f} pps; search range {spec.min_load_pps:g}..{spec.max_load_pps:.0f} "
            f"pps, relative width {spec.relative_width:g}"
        )
        runs = [
            ("MLRsearch 1.2.1 (NDR+PDR)", lambda: search.mlr_search(measurer, frame, spec)),
            ("binary search (NDR)", lambda: search.binary_search(measurer, frame, spec, 0.0)),
        ]
        wanted = args.searches.split(",")
        runs = [run for run, key in zip(runs, ("mlr", "binary"), strict=True) if key in wanted]
        for name, run in runs:
            start_load = loadavg()
            result = run()
            ndr = result.interval(search.NDR)
            rows.append((name, ndr, result, start_load, loadavg()))
            print(f"\n{name}: trials (load pps -> sent/received, loss):")
            for trial in result.trials:
                r = trial.result
                print(
                    f"  {trial.index:2d} {r.load_pps:12.1f} -> {r.sent:7d}/{r.received:<7d} "
                    f"in {r.seconds:.3f} s  loss {trial.search_loss_ratio:.4%}"
                    f"{'  (generator short)' if trial.generator_limited else ''}"
                )
    finally:
        if measurer is not None:
            measurer.close()
        if topo is not None:
            failed = topology.restore(lab, topo)
            if failed:
                print("restore failed:", failed)
        ovs.close()
        lab.teardown()
        left = lab.leftovers()
        print(f"\nlab {args.lab_id} torn down; leftovers: {left or 'none'}")
    print(
        f"\nNDR vs the policer's zero-loss limit {truth:.1f} pps ({frame}-byte frames, {args.duration} s trials, "
        f"{args.generator}):"
    )
    header = ("search", "NDR lower", "upper", "error", "trials", "trial s", "wall s")
    print("{:28s} {:>10s} {:>10s} {:>8s} {:>6s} {:>7s} {:>7s}  load".format(*header))
    for name, ndr, result, before, after in rows:
        lower = "—" if ndr.lower_pps is None else f"{ndr.lower_pps:.1f}"
        upper = "—" if ndr.upper_pps is None else f"{ndr.upper_pps:.1f}"
        print(
            f"{name:28s} {lower:>10s} {upper:>10s} {error_pct(ndr.lower_pps, truth):>8s} {len(result.trials):6d} "
            f"{result.trial_seconds:7g} {result.seconds:7.1f}  {before} -> {after}"
        )
    for name, ndr, result, _, _ in rows:
        if ndr.lower_pps is not None:
            error = abs(ndr.lower_pps - truth) / truth
            print(
                f"{name}: NDR within 2 % of the limit: {'yes' if error <= 0.02 else 'no'} ({error:.2%}); "
                f"at most 8 trials: {'yes' if len(result.trials) <= 8 else 'no'} ({len(result.trials)})"
            )
    for name, _, result, _, _ in rows:
        if len(result.intervals) > 1:
            pdr = result.interval(search.PDR)
            pdr_truth = truth / (1 - pdr.loss_ratio)  # above the limit the policer drops (L - limit) / L
            print(
                f"{name}: PDR ({pdr.loss_ratio:.1%} loss) {pdr.lower_pps or 0:.1f} pps vs {pdr_truth:.1f} "
                f"({error_pct(pdr.lower_pps, pdr_truth)})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
