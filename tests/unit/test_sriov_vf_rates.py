"""5.4.8.2's VF rates: the record's (56000 Mb/s link, vf 0 30000/25000, vf 1 40000/35000) scaled to a lab."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from robot.api import SkipExecution

import embedded_lab
import SriovLibrary
from netvirt import seam
from netvirt.labspec import LabDescriptionError, load_lab
from netvirt.parsers.net import parse_ip_links
from netvirt.traffic.iperf import Protocol
from TrafficLibrary import TrafficLibrary

RECORD = Path(__file__).resolve().parents[1] / "fixtures" / "record"


def test_scale_one_gives_the_records_rates_as_its_ip_link_shows_them():
    rates = SriovLibrary.record_vf_rates(1, 56000)
    for pf in parse_ip_links((RECORD / "ip-link-vf-5.4.8.2.txt").read_text(encoding="utf-8")):
        assert [(r["max_tx_rate"], r["min_tx_rate"]) for r in rates] == [
            (vf["max_tx_rate"], vf["min_tx_rate"]) for vf in pf["vfs"]
        ], pf["name"]
    assert rates[1]["max_tx_rate_bps"] == 40_000_000_000


def test_a_scale_keeps_the_records_ratios():
    rates = SriovLibrary.record_vf_rates(1 / 5000, 10000)
    assert [(r["vf"], r["max_tx_rate"], r["min_tx_rate"]) for r in rates] == [(0, 6, 5), (1, 8, 7)]
    assert rates[1]["max_tx_rate"] / rates[0]["max_tx_rate"] == pytest.approx(40000 / 30000)


@pytest.mark.parametrize(
    ("scale", "line_rate", "message"),
    [
        (0, 10000, "应为正数"),
        (-1, 10000, "应为正数"),
        (1 / 100000, 10000, "得 0/0 Mbps"),  # rounds the limits to 0, which means no limit at all
        (1, 10000, "30000/25000 Mbps 得 30000/25000 Mbps，不在 1..10000"),  # above the NIC's line rate
    ],
)
def test_scales_that_give_no_limit_or_too_much_fail(scale, line_rate, message):
    with pytest.raises(ValueError, match=message):
        SriovLibrary.record_vf_rates(scale, line_rate)


def _use_lab(monkeypatch, description: dict) -> None:
    lab = load_lab(description)
    monkeypatch.setattr(seam, "current", lambda: type("Lab", (), {"spec": lab})())


def test_keyword_defaults_to_the_nics_share_of_the_records_line_rate(record, monkeypatch):
    monkeypatch.setattr(seam, "current", lambda: type("Lab", (), {"spec": record})())
    rates = SriovLibrary.SriovLibrary().vf_rates_from_record("enP5p1s0")
    assert [(r["max_tx_rate"], r["min_tx_rate"]) for r in rates] == [(30000, 25000), (40000, 35000)]


def test_keyword_takes_the_scale_from_the_lab_description(monkeypatch):
    import embedded_lab

    description = embedded_lab.description("nvut")
    description["params"]["sriov_vf_rate_scale"] = 1 / 2500
    _use_lab(monkeypatch, description)
    rates = SriovLibrary.SriovLibrary().vf_rates_from_record("enP5p1s0")
    assert [(r["max_tx_rate"], r["min_tx_rate"]) for r in rates] == [(12, 10), (16, 14)]
    description["params"]["sriov_vf_rate_scale"] = "half"  # refused when the description is loaded
    with pytest.raises(LabDescriptionError, match="lab.params.sriov_vf_rate_scale 的值 'half' 不合要求"):
        _use_lab(monkeypatch, description)


# The load proof in front of the judgement: figures of 5.4.8.2 runs on the embedded lab nvh2 (iperf3 TCP,
# 4 streams, VM01 <-> VM02 over two emulated VFs, 2026-12-03, other labs running).
@pytest.mark.parametrize(
    ("unlimited_bps", "limit_bps", "skips"),
    [
        (78.8e6, 8e6, False),  # VM02 -> VM01 unlimited, against vf 1 at the record's rate / 5000
        (23.5e6, 42e6, True),  # VM01 -> VM02 on a busy machine, against the 42 Mbit/s the old suite derived
        (15.9e6, 8e6, True),  # just under twice the limit
    ],
)
def test_a_path_that_cannot_carry_twice_the_limit_skips_with_the_figures(unlimited_bps, limit_bps, skips):
    keyword = TrafficLibrary().unlimited_must_exceed_limit
    if not skips:
        keyword({"mean_bps": unlimited_bps}, limit_bps)
        return
    with pytest.raises(SkipExecution, match=r"无法判定：不限速时路径只有 .* Mbit/s.*不到限速 .* 的 2 倍"):
        keyword({"mean_bps": unlimited_bps}, limit_bps)


@pytest.mark.parametrize(
    ("protocol", "options", "expected_bps"),
    [
        # The record's method: iperf -P 4 fills the VF, whose limit is then the throughput expected.
        ("tcp", {"protocol": Protocol.tcp, "duration": 3, "parallel": 4}, 8e6),
        # A policer measured with UDP at 3x its rate; it counts 1442-byte frames, iperf3 1400-byte payloads.
        ("udp", {"protocol": Protocol.udp, "duration": 3, "bitrate": "24000000", "length": "1400"}, 8e6 * 1400 / 1442),
    ],
)
def test_the_limit_is_measured_with_the_labs_protocol(monkeypatch, protocol, options, expected_bps):
    library, calls = _measuring(monkeypatch, {"rate_check_duration": 3})
    result = library.measure_for_limit("vm02", "vm01", "5.5.5.100", 8e6, Protocol(protocol))
    assert calls == [options]
    assert result == {"mean_bps": 7.9e6, "limit_bps": 8e6, "expected_bps": pytest.approx(expected_bps)}


@pytest.mark.parametrize(
    ("params", "duration"),
    [
        ({"rate_check_duration": 3}, 3),  # the embedded lab's
        ({}, 10),  # a lab that names none: iperf's own default, as the record's iperf ran
    ],
)
def test_a_limit_measurement_lasts_what_the_lab_description_says(monkeypatch, params, duration):
    library, calls = _measuring(monkeypatch, params)
    library.measure_for_limit("vm02", "vm01", "5.5.5.100", 8e6, Protocol.udp)
    library.measure_for_limit("vm02", "vm01", "5.5.5.100", 8e6, Protocol.udp, duration=7)
    assert [call["duration"] for call in calls] == [duration, 7]


def _measuring(monkeypatch, params: dict) -> tuple[TrafficLibrary, list[dict]]:
    """A TrafficLibrary on an embedded lab description with ``params``, whose iperf3 runs are recorded."""
    description = embedded_lab.description("nvut")
    description["params"] = {k: v for k, v in description["params"].items() if k != "rate_check_duration"} | params
    spec = load_lab(description)
    monkeypatch.setattr(seam, "current", lambda: SimpleNamespace(spec=spec))
    library = TrafficLibrary()
    calls = []

    def measure(client, server, address, protocol, duration, **more):
        calls.append({"protocol": protocol, "duration": duration, **more})
        return {"mean_bps": 7.9e6}

    monkeypatch.setattr(library, "measure_throughput", measure)
    return library, calls


def test_a_limit_measurement_rejects_what_cannot_judge_a_limit():
    with pytest.raises(ValueError, match="offered_factor（1）应大于 1"):
        TrafficLibrary().measure_for_limit("vm02", "vm01", "5.5.5.100", 8e6, Protocol.udp, offered_factor=1)


def limited(protocol: str, sent_mbps: float, received_mbps: float, limit_mbps: float, expected_mbps: float) -> dict:
    """A 测量限速吞吐量 result (only what the judgement reads)."""
    return {
        "protocol": protocol,
        "sent_bps": {"mean": sent_mbps * 1e6},
        "mean_bps": received_mbps * 1e6,
        "limit_bps": limit_mbps * 1e6,
        "expected_bps": expected_mbps * 1e6,
    }


UDP_EXPECTED_MBPS = 8 * 1400 / 1442


def test_udp_through_a_limit_the_sender_could_not_even_offer_is_inconclusive():
    # 5.4.8.2 on nvh2, 2026-12-03, load average 14 on 2 cores: iperf3 -u -b 24000000 -l 1400 from VM02 through
    # vf 1 at 8 Mbit/s sent 8.1 Mbit/s, of which 5.06 Mbit/s arrived (37 % lost).
    with pytest.raises(SkipExecution, match=r"无法判定：限速 8 Mbit/s 下发送端只发出 8.1 Mbit/s.*收到 5.06 Mbit/s"):
        TrafficLibrary().limited_throughput_should_be_close(limited("UDP", 8.1, 5.06, 8, UDP_EXPECTED_MBPS))


def test_a_limit_judged_once_the_path_carried_the_load():
    judge = TrafficLibrary().limited_throughput_should_be_close
    judge(limited("UDP", 23.8, 7.9, 8, UDP_EXPECTED_MBPS))
    with pytest.raises(AssertionError, match=r"吞吐量 5.5 Mbit/s.*相差 -29.2%，超出允许的 ±10%"):
        judge(limited("UDP", 23.8, 5.5, 8, UDP_EXPECTED_MBPS))  # a limiter that lets too little through
    with pytest.raises(AssertionError, match=r"相差 \+30.0%"):
        judge(limited("UDP", 23.8, 10.1, 8, UDP_EXPECTED_MBPS))  # one that lets too much through
    # TCP has no proof in the same measurement: 5.4.8.2 on nvh2 measured 6.28 Mbit/s through a drop policer
    # at 8 Mbit/s (its path carried 42.5 Mbit/s unlimited just before), a FAIL, hence UDP on the embedded lab.
    with pytest.raises(AssertionError, match=r"相差 -21.5%"):
        judge(limited("TCP", 9.97, 6.28, 8, 8))


def test_a_low_rate_behind_a_sender_that_stalled_is_inconclusive_not_a_fail():
    # 5.4.8.1 on nve1, 2026-12-04, a second chapter running beside it: iperf3 -u -b 16M -l 1400 from VM01 through
    # dpdkp1's egress-policer at 8 Mbit/s sent 13.2 Mbit/s (99.6 % of the guest's CPU), 7.15 Mbit/s arrived
    # against the expected 7.77 (-8.0 %). With 0.1 s reports the sender's stall shows; here it is stood in.
    judge = TrafficLibrary().throughput_should_be_close
    stalled = {**limited("UDP", 13.2, 7.147, 8, UDP_EXPECTED_MBPS), "slowest_interval_sent_bps": 2.1e6}
    low = r"无法判定：吞吐量 7.15 Mbit/s 比期望 7.77 Mbit/s 低 8.0%"
    with pytest.raises(SkipExecution, match=low + r".*0.1 秒只发出 2.1 Mbit/s"):
        judge(stalled, UDP_EXPECTED_MBPS * 1e6, 5)
    # A sender that kept above the expected rate in every 0.1 s: the low rate is the limiter's, a FAIL.
    kept = {**stalled, "slowest_interval_sent_bps": 12.5e6}
    with pytest.raises(AssertionError, match=r"相差 -8.0%，超出允许的 ±5%"):
        judge(kept, UDP_EXPECTED_MBPS * 1e6, 5)
    # Too much is never the sender's doing; within the tolerance passes, stalls or not.
    with pytest.raises(AssertionError, match=r"相差 \+12.0%"):
        judge({**stalled, "mean_bps": UDP_EXPECTED_MBPS * 1.12e6}, UDP_EXPECTED_MBPS * 1e6, 5)
    judge({**stalled, "mean_bps": UDP_EXPECTED_MBPS * 0.97e6}, UDP_EXPECTED_MBPS * 1e6, 5)


def test_a_low_rate_the_receiver_dropped_is_inconclusive_not_a_fail():
    """测量吞吐量 with receiver_port: what OVS could not hand to the guest (its vhost-user port's drop counter) and
    what the guest's full socket buffer dropped (UDP RcvbufErrors) passed the limiter; counted back in, the limiter's
    rate is judged, and a shortfall they explain ends inconclusive. Figures as 5.4.8.1's ingress direction:
    iperf3 -u -b 16M -l 1400 from Host A for 10 s through dpdkp1's ingress policing at 8 Mbit/s."""
    judge = TrafficLibrary().throughput_should_be_close
    expected = UDP_EXPECTED_MBPS * 1e6
    received = {**limited("UDP", 16.0, 7.0, 8, UDP_EXPECTED_MBPS), "slowest_interval_sent_bps": 15.9e6}
    dropped = {"port": "dpdkvhostuser0", "port_counter": "ovs_tx_failure_drops", "port_dropped": 650}
    dropped |= {"udp_rcvbuf_errors": 40, "datagrams": 690}
    starved = {**received, "receiver_dropped": {**dropped, "bps": 690 * 1400 * 8 / 10}}
    with pytest.raises(
        SkipExecution,
        match=r"无法判定：吞吐量 7 Mbit/s 比期望 7.77 Mbit/s 低 9.9%，但测量期间接收端丢弃了 690 个数据报"
        r"（OVS 端口 dpdkvhostuser0 的 ovs_tx_failure_drops \+650：客户机来不及收；UDP RcvbufErrors \+40），"
        r"折合 773 Kbit/s，加上它们是 7.77 Mbit/s，在允许范围内",
    ):
        judge(starved, expected, 5)
    # Drops that do not make up the shortfall: the limiter let too little through, a FAIL as without them.
    few = {**received, "receiver_dropped": {**dropped, "datagrams": 50, "bps": 50 * 1400 * 8 / 10}}
    with pytest.raises(AssertionError, match=r"相差 -9.9%，超出允许的 ±5%"):
        judge(few, expected, 5)
    none = {**received, "receiver_dropped": {**dropped, "port_dropped": 0, "udp_rcvbuf_errors": 0, "datagrams": 0}}
    with pytest.raises(AssertionError, match=r"相差 -9.9%"):
        judge({**none, "receiver_dropped": {**none["receiver_dropped"], "bps": 0.0}}, expected, 5)
    # Too much is never the receiver's doing.
    with pytest.raises(AssertionError, match=r"相差 \+12.0%"):
        judge({**starved, "mean_bps": expected * 1.12}, expected, 5)


def test_a_sender_that_stalled_and_a_receiver_that_dropped_are_both_named():
    # CI, 2026-12-05: vm01's QEMU stopped 1 s of 5 behind an 8 Mbit/s policer while the machine was busy; the
    # sender's slowest 0.1 s (6.07 Mbit/s) was named alone, and the receiver's drops that made up the rest were not.
    judge = TrafficLibrary().throughput_should_be_close
    expected = UDP_EXPECTED_MBPS * 1e6
    both = {**limited("UDP", 16.0, 7.0, 8, UDP_EXPECTED_MBPS), "slowest_interval_sent_bps": 6.07e6}
    dropped = {"port": "dpdkvhostuser0", "port_counter": "ovs_tx_failure_drops", "port_dropped": 650}
    both["receiver_dropped"] = {**dropped, "udp_rcvbuf_errors": 40, "datagrams": 690, "bps": 690 * 1400 * 8 / 10}
    with pytest.raises(
        SkipExecution, match=r"但发送端有 0.1 秒只发出 6.07 Mbit/s.*；并且测量期间接收端丢弃了 690 个数据报"
    ):
        judge(both, expected, 5)


def test_receiver_drops_are_counted_only_for_udp_of_a_known_datagram_size():
    measure = TrafficLibrary().measure_throughput
    message = "receiver_port 只用于以字节数给出 length 的 UDP 测量"
    with pytest.raises(ValueError, match=message):
        measure("hosta", "vm01", "5.5.5.51", Protocol.tcp, receiver_port="dpdkvhostuser0")
    with pytest.raises(ValueError, match=message):
        measure("hosta", "vm01", "5.5.5.51", Protocol.udp, length="1K", receiver_port="dpdkvhostuser0")
    with pytest.raises(ValueError, match="receiver_port"):
        measure("hosta", "vm01", "5.5.5.51", Protocol.udp, length="1400", receiver_port="dpdk;reboot")


def test_a_receiver_whose_port_reports_no_drop_counter_is_judged_on_its_socket_buffer_alone():
    judge = TrafficLibrary().throughput_should_be_close
    expected = UDP_EXPECTED_MBPS * 1e6
    dropped = {"port": "dpdkvhostuser0", "port_counter": None, "port_dropped": 0, "udp_rcvbuf_errors": 690}
    starved = {**limited("UDP", 16.0, 7.0, 8, UDP_EXPECTED_MBPS), "slowest_interval_sent_bps": 15.9e6}
    starved["receiver_dropped"] = {**dropped, "datagrams": 690, "bps": 690 * 1400 * 8 / 10}
    with pytest.raises(SkipExecution, match=r"接收端丢弃了 690 个数据报（UDP RcvbufErrors \+690），折合"):
        judge(starved, expected, 5)
