"""Latency statistics of a probe stream, and the probe itself (netvirt/remote/latprobe.py) over loopback."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time

import pytest

from netvirt.perf.latency import LatencyStats, mean_ipdv, percentile, rfc3550_jitter
from netvirt.remote import HERE as REMOTE


def test_percentile_interpolates_like_numpy():
    values = [10, 20, 30, 40, 50]
    assert percentile(values, 0) == 10 and percentile(values, 100) == 50
    assert percentile(values, 50) == 30
    assert percentile(values, 90) == pytest.approx(46)
    assert percentile([7], 99.9) == 7
    with pytest.raises(ValueError, match="没有样本"):
        percentile([], 50)


def test_rfc3550_jitter_and_ipdv():
    assert rfc3550_jitter([100, 100, 100]) == 0
    # One step of 16: J = 0 + (16 - 0) / 16 = 1, then a step of 0: J = 1 + (0 - 1) / 16.
    assert rfc3550_jitter([0, 16, 16]) == pytest.approx(1 - 1 / 16)
    assert mean_ipdv([0, 16, 16]) == pytest.approx(8)
    assert mean_ipdv([5]) == 0


def test_stats_from_delays_in_microseconds():
    delays_ns = [200_000, 100_000, 300_000, 400_000]
    stats = LatencyStats.from_delays(delays_ns, sent=5, reordered=1)
    assert (stats.min_us, stats.avg_us, stats.max_us) == (100, 250, 400)
    assert stats.p50_us == pytest.approx(250)
    assert (stats.sent, stats.received, stats.lost, stats.reordered) == (5, 4, 1, 1)
    assert stats.loss_ratio == pytest.approx(0.2)
    assert stats.as_dict()["lost"] == 1
    with pytest.raises(ValueError, match="一个也没有收到"):
        LatencyStats.from_delays([], sent=10)


PROBE = [sys.executable, str(REMOTE / "latprobe.py")]


def free_udp_port() -> int:
    """A UDP port free on loopback now: the unit tests run side by side with other people's runs of them."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def send_probes(port: int, rate: str, duration: str, size: str) -> subprocess.CompletedProcess:
    argv = [*PROBE, "send", "--bind", "127.0.0.1", "--to", "127.0.0.1", "--port", str(port)]
    argv += ["--rate", rate, "--duration", duration, "--size", size]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


def test_probe_measures_one_way_delay_over_loopback():
    port = free_udp_port()
    receiver = subprocess.Popen(
        [*PROBE, "recv", "--bind", "127.0.0.1", "--port", str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert receiver.stdout.readline().strip() == "ready"
        sent = send_probes(port, "200", "0.25", "18")
        time.sleep(0.1)
    finally:
        receiver.send_signal(signal.SIGINT)
        out, _ = receiver.communicate(timeout=10)
    report = json.loads(out.strip().splitlines()[-1])
    assert sent.returncode == 0 and json.loads(sent.stdout)["sent"] == 50
    assert report["received"] == 50 and report["duplicates"] == 0
    stats = LatencyStats.from_delays(report["delays_ns"], 50)
    assert 0 < stats.min_us <= stats.p50_us <= stats.max_us < 1_000_000


def test_probe_receiver_reports_when_timeout_passes_the_signal_on_twice():
    """The lab runs the receiver under ``timeout -s INT`` and stops it by signalling ``timeout``, which passes the
    SIGINT to the receiver and then to its process group: the receiver got it twice, and 3 of 20 runs printed
    only a traceback (the 7.3.6.1 pvp JSONDecodeError). Every run must print its report."""
    for _ in range(20):
        port = str(free_udp_port())
        receiver = subprocess.Popen(
            ["timeout", "-s", "INT", "-k", "5", "60", *PROBE, "recv", "--bind", "127.0.0.1", "--port", port],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert receiver.stdout.readline().strip() == "ready"
        finally:
            receiver.send_signal(signal.SIGINT)
            out, err = receiver.communicate(timeout=10)
        assert receiver.returncode == 0, err
        assert json.loads(out.strip().splitlines()[-1])["received"] == 0


def test_probe_refuses_a_payload_smaller_than_its_header():
    run = send_probes(47545, "10", "0.1", "8")
    assert run.returncode != 0 and "smaller than the probe header" in run.stderr
