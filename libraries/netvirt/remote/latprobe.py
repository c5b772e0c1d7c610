#!/usr/bin/env python3
"""One-way latency through a device under test, measured with timestamped UDP probes.

Runs on a lab host or guest (python3 standard library only). The sender and the receiver must
share a clock: both run on the same host (Host A's two cable ends, one of them in a network
namespace of its own), so the delay of each probe is its receive time minus its send time,
with no clock synchronisation to trust.

- ``recv`` binds a UDP socket, asks the kernel for a receive timestamp of each datagram
  (SO_TIMESTAMPNS, taken when the frame enters the stack), prints ``ready`` once it listens,
  and on SIGINT/SIGTERM prints one JSON line: ``{"received", "duplicates", "reordered",
  "delays_ns": [...]}`` (delays in arrival order, at most ``--max-samples``). The signal
  handler only sets a flag that the receive loop (0.1 s socket timeout) reads: GNU
  ``timeout``, which the lab runs it under, passes a SIGINT on twice (to the command, then to
  its process group), and a handler that raised on each one let the second one kill the
  receiver while it reported (measured: 3 of 20 runs under ``timeout`` printed no JSON,
  only ``Stop``'s traceback; the 7.3.6.1 pvp JSONDecodeError).
- ``send`` sends ``--rate`` probes per second for ``--duration`` seconds (after ``--delay``);
  each carries a magic, a sequence number and ``time.time_ns()`` taken just before
  ``sendto``, padded to ``--size`` bytes of UDP payload. It prints one JSON line:
  ``{"sent", "seconds"}``.

    python3 latprobe.py recv --bind 198.19.1.2 --port 7544
    python3 latprobe.py send --bind 198.19.1.1 --to 198.19.1.2 --port 7544 --rate 200 --duration 3 --size 18
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import struct
import sys
import time

MAGIC = b"NVLP"
HEADER = struct.Struct("!4sIQ")  # magic, sequence number, send time (ns, CLOCK_REALTIME)
# Linux's SO_TIMESTAMPNS (the 64-bit-time variant is only needed by 32-bit userlands); Python
# does not export the constant. The control message it yields has the same number.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
TIMESPEC = struct.Struct("@qq")


STOPPED: list[int] = []  # the signals received; the receive loop ends at the first
POLL_S = 0.1  # how often the receive loop looks at STOPPED while no datagram arrives


def _stop(signum, frame):  # noqa: ARG001 - signal handler signature
    STOPPED.append(signum)


def receive(args: argparse.Namespace) -> dict:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        kernel_stamps = True
    except OSError:
        kernel_stamps = False
    sock.bind((args.bind, args.port))
    sock.settimeout(POLL_S)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print("ready", flush=True)
    delays: list[int] = []
    seen: set[int] = set()
    received = duplicates = reordered = 0
    highest = -1
    try:
        while not STOPPED:
            try:
                data, ancillary, _, _ = sock.recvmsg(65535, socket.CMSG_SPACE(TIMESPEC.size))
            except socket.timeout:  # noqa: UP041 - an alias of TimeoutError only from Python 3.10 on
                continue
            arrived = time.time_ns()
            for level, kind, value in ancillary:
                if kernel_stamps and level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanoseconds = TIMESPEC.unpack(value[: TIMESPEC.size])
                    arrived = seconds * 1_000_000_000 + nanoseconds
            if len(data) < HEADER.size:
                continue
            magic, seq, sent_ns = HEADER.unpack_from(data)
            if magic != MAGIC:
                continue
            if seq in seen:
                duplicates += 1
                continue
            seen.add(seq)
            received += 1
            if seq < highest:
                reordered += 1
            highest = max(highest, seq)
            if len(delays) < args.max_samples:
                delays.append(arrived - sent_ns)
    finally:
        sock.close()
    return {
        "received": received,
        "duplicates": duplicates,
        "reordered": reordered,
        "kernel_timestamps": kernel_stamps,
        "delays_ns": delays,
    }


def send(args: argparse.Namespace) -> dict:
    if args.size < HEADER.size:
        raise SystemExit(f"--size {args.size} is smaller than the probe header ({HEADER.size} bytes)")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.bind, 0))
    padding = bytes(args.size - HEADER.size)
    count = max(1, round(args.rate * args.duration))
    interval = 1.0 / args.rate
    time.sleep(args.delay)
    start = time.monotonic()
    sent = 0
    for seq in range(count):
        wait = start + seq * interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            sock.sendto(HEADER.pack(MAGIC, seq, time.time_ns()) + padding, (args.to, args.port))
            sent += 1
        except OSError:  # a full socket buffer or no route: the probe is lost, counted as such
            pass
    seconds = time.monotonic() - start
    sock.close()
    return {"sent": sent, "seconds": round(seconds, 6)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    recv = modes.add_parser("recv")
    recv.add_argument("--bind", required=True)
    recv.add_argument("--port", type=int, required=True)
    recv.add_argument("--max-samples", type=int, default=200_000)
    snd = modes.add_parser("send")
    snd.add_argument("--bind", required=True)
    snd.add_argument("--to", required=True)
    snd.add_argument("--port", type=int, required=True)
    snd.add_argument("--rate", type=float, required=True)
    snd.add_argument("--duration", type=float, required=True)
    snd.add_argument("--size", type=int, default=HEADER.size)
    snd.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    report = receive(args) if args.mode == "recv" else send(args)
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
