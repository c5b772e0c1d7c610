"""Frame-size accounting of chapter 7.3 (frame = 14 + 20 + 8 + payload + 4), line rate, and bad input."""

from __future__ import annotations

import math

import pytest

from netvirt.perf import frames
from netvirt.perf.frames import PerfInputError


@pytest.mark.parametrize(
    ("frame", "payload", "policed"),
    [(64, 18, 46), (128, 82, 110), (512, 466, 494), (1518, 1472, 1500), (9018, 8972, 9000)],
)
def test_udp_payload_and_policed_bytes(frame, payload, policed):
    assert frames.udp_payload(frame) == payload
    assert frames.ip_bytes(frame) == policed
    assert frames.ETHERNET_HEADER + frames.IPV4_HEADER + frames.UDP_HEADER + payload + frames.FCS == frame


def test_line_rate_of_10ge_counts_preamble_and_gap():
    assert frames.line_rate_pps(10_000, 64) == pytest.approx(14_880_952.38, rel=1e-9)
    assert frames.line_rate_pps(10_000, 1518) == pytest.approx(812_743.82, rel=1e-7)
    assert frames.pct_of_line_rate(frames.line_rate_pps(10_000, 512), 512, 10_000) == pytest.approx(100)
    assert frames.pct_of_line_rate(14_880.952, 64, 10_000) == pytest.approx(0.1, rel=1e-6)


def test_bit_rates():
    assert frames.l2_bps(1_000_000, 64) == 512_000_000
    assert frames.pps_from_l2_bps(512_000_000, 64) == pytest.approx(1_000_000)
    # iperf3 -b counts UDP payload only: 18 bytes of a 64-byte frame.
    assert frames.iperf3_bitrate(1000, 64) == 18 * 8 * 1000
    assert frames.iperf3_bitrate(1e-9, 64) == 1  # never 0: iperf3 -b 0 means "unlimited"


def test_policer_limit_counts_ip_bytes_and_the_bucket():
    cir, cbs = 230_000, 11_500  # 5000 pps of 64-byte frames (46 policed bytes), 5 % of a second in the bucket
    assert frames.policer_pps(cir, 64) == pytest.approx(5000)
    assert frames.policer_ndr_pps(cir, cbs, 64, 1) == pytest.approx(5250)
    assert frames.policer_ndr_pps(cir, cbs, 64, 2) == pytest.approx(5125)


@pytest.mark.parametrize(
    ("frame", "mtu", "message"),
    [
        (63, 1500, "帧长 63 字节小于以太网最小帧长 64 字节"),
        (0, 1500, "小于以太网最小帧长"),
        (1519, 1500, "帧长 1519 字节超过 MTU 1500 允许的最大帧长 1518 字节"),
        (9019, 9000, "超过 MTU 9000 允许的最大帧长 9018 字节"),
        (64.5, 1500, "不是整数字节数"),
        (True, 1500, "不是整数字节数"),
    ],
)
def test_frame_size_out_of_range_is_refused(frame, mtu, message):
    with pytest.raises(PerfInputError, match=message):
        frames.check_frame_size(frame, mtu)


def test_frame_sizes_at_the_limits_are_accepted():
    assert frames.check_frame_size(64, 1500) == 64
    assert frames.check_frame_size(1518, 1500) == 1518
    assert frames.check_frame_size(9018, 9000) == 9018
    assert frames.frame_sizes_for([64, 1518, 9000], 1500) == [64, 1518]
    assert frames.frame_sizes_for([64, 1518, 9000], 9000) == [64, 1518, 9000]


@pytest.mark.parametrize("ratio", [-0.001, 1, 1.0, 1.5, math.nan, "0.005", True])
def test_loss_ratio_outside_0_1_is_refused(ratio):
    with pytest.raises(PerfInputError, match=r"超出范围 \[0, 1\)"):
        frames.check_loss_ratio(ratio)


@pytest.mark.parametrize("ratio", [0, 0.0, 0.005, 0.999])
def test_loss_ratios_in_range(ratio):
    assert frames.check_loss_ratio(ratio) == ratio


@pytest.mark.parametrize("seconds", [0, 0.0, -1, math.inf, math.nan, None])
def test_duration_of_zero_is_refused(seconds):
    with pytest.raises(PerfInputError, match="试验时长 .* 秒不合法：必须大于 0"):
        frames.check_duration(seconds)


@pytest.mark.parametrize("pps", [0, -5, math.inf])
def test_load_must_be_positive(pps):
    with pytest.raises(PerfInputError, match="负载 .* 帧/秒不合法"):
        frames.check_load(pps)
