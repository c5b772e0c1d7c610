"""NDR/PDR searches against a measurer whose ground truth is known: a policer-like device that forwards at
most ``limit`` frames per second, behind a generator that can offer at most ``ceiling``."""

from __future__ import annotations

import pytest

from netvirt.perf import frames, quality, search
from netvirt.perf.measurer import Measurer, TrialResult

LINE_RATE_64 = frames.line_rate_pps(10_000, 64)


class PolicedPath(Measurer):
    """Forwards ``min(offered, limit)`` frames per second; the generator offers at most ``ceiling``."""

    name = "model"

    def __init__(self, limit: float, ceiling: float = 200_000, shortfall: float = 0.0008, fail_after: int = 0):
        super().__init__(mtu=1500, speed_mbps=10_000)
        self.limit, self.ceiling, self.shortfall = limit, ceiling, shortfall
        self.fail_after = fail_after
        self.calls: list[tuple[float, float, int]] = []

    def _trial(self, load_pps: float, duration_s: float, frame_size: int) -> TrialResult:
        self.calls.append((load_pps, duration_s, frame_size))
        if self.fail_after and len(self.calls) > self.fail_after:
            raise RuntimeError("iperf3 服务端没有应答")
        # A real iperf3 sends ~0.08 % less than asked in one second (timing granularity).
        sent = int(min(load_pps, self.ceiling) * duration_s * (1 - self.shortfall))
        received = min(sent, int(self.limit * duration_s))
        return TrialResult(load_pps, duration_s, frame_size, sent, received, duration_s, duration_s + 0.05, "model")


def spec(**overrides) -> search.SearchSpec:
    values = {"min_load_pps": 500, "max_load_pps": LINE_RATE_64, "relative_width": 0.005}
    return search.SearchSpec(**{**values, **overrides})


@pytest.mark.parametrize("limit", [1200.0, 5250.0, 31_734.0, 150_000.0])
def test_mlrsearch_finds_ndr_and_pdr_within_its_width(limit):
    path = PolicedPath(limit)
    result = search.mlr_search(path, 64, spec())
    ndr, pdr = result.interval("NDR"), result.interval("PDR")
    # NDR: the lowest load that loses is the one that sends limit + 1 frames in the second.
    ndr_truth = (limit + 1) / (1 - path.shortfall)
    assert ndr.lower_pps <= ndr_truth <= ndr.upper_pps
    assert ndr.width <= 0.0051
    # PDR: above the limit the loss ratio is 1 - limit / offered, so 0.5 % is reached at limit / 0.995.
    pdr_truth = ndr_truth / (1 - 0.005)
    assert pdr.lower_pps <= pdr_truth * 1.001 and pdr.upper_pps >= pdr_truth * 0.999
    assert pdr.width <= 0.0051
    assert not ndr.limited_by_generator
    # MLRsearch starts at the line rate, then at the forwarding rate it saw: few trials for both goals.
    assert len(result.trials) <= 10
    assert result.trials[0].load_pps == pytest.approx(LINE_RATE_64)
    assert [t.index for t in result.trials] == list(range(1, len(result.trials) + 1))
    assert result.trial_seconds == len(result.trials)


class ExtraFrameAtTheReceiver(PolicedPath):
    """The path of 7.3.5.1 p2p 64B in one run: the second trial counted one frame more at the receiver than the
    sender sent (a frame of the receiving host's own)."""

    def _trial(self, load_pps: float, duration_s: float, frame_size: int) -> TrialResult:
        result = super()._trial(load_pps, duration_s, frame_size)
        if len(self.calls) == 2:
            return TrialResult(load_pps, duration_s, frame_size, result.sent, result.sent + 1, 1.0, 1.05, "model")
        return result


def test_a_frame_from_elsewhere_at_the_receiver_is_not_forwarded_load():
    path = ExtraFrameAtTheReceiver(limit=9100, ceiling=20_000)
    result = search.mlr_search(path, 64, spec(max_load_pps=40_000, relative_width=0.02))
    extra = result.trials[1].result
    assert extra.received == extra.sent + 1 and extra.loss_ratio == 0.0
    # It was read as a loss before: the NDR's upper bound stuck at that trial's load, far below the limit.
    ndr = result.interval("NDR")
    assert ndr.lower_pps <= 9100 / (1 - 0.0008) <= ndr.upper_pps


def test_binary_search_finds_the_ndr_with_more_trials():
    limit = 5250.0
    mlr = search.mlr_search(PolicedPath(limit), 64, spec())
    binary = search.binary_search(PolicedPath(limit), 64, spec())
    ndr = binary.interval("NDR")
    truth = (limit + 1) / (1 - 0.0008)
    assert ndr.lower_pps <= truth <= ndr.upper_pps
    assert (ndr.upper_pps - ndr.lower_pps) <= 0.005 * ndr.upper_pps
    # Bisection of [500, 14.88 M] in linear load to 0.5 % of ~5 kpps: ~21 trials against MLRsearch's few.
    assert 18 <= len(binary.trials) <= 24
    assert len(mlr.trials) < len(binary.trials) / 2


def test_a_generator_slower_than_the_device_bounds_the_search_and_says_so():
    path = PolicedPath(limit=100_000, ceiling=20_000)
    result = search.mlr_search(path, 64, spec())
    ndr = result.interval("NDR")
    # A shortfall beyond the 1 % tolerance counts as loss: from 20 000 x 0.9992 / 0.99 frames/s on.
    truth = 20_000 * (1 - 0.0008) / (1 - 0.01)
    assert ndr.lower_pps <= truth <= ndr.upper_pps
    assert ndr.limited_by_generator
    assert result.max_offered_pps == pytest.approx(20_000 * (1 - 0.0008), rel=1e-6)
    assert any(t.generator_limited for t in result.trials)


def test_a_shortfall_within_tolerance_is_not_loss():
    trial = TrialResult(5000, 1, 64, 4996, 4996, 1.0, 1.05, "model")
    assert trial.shortfall == pytest.approx(0.0008)
    assert search.search_loss_ratio(trial, 0.01) == 0
    short = TrialResult(5000, 1, 64, 4000, 4000, 1.0, 1.05, "model")
    assert search.search_loss_ratio(short, 0.01) == pytest.approx(0.2)


def test_min_load_losing_means_no_ndr_and_max_load_passing_means_no_upper_bound():
    broken = search.mlr_search(PolicedPath(limit=100), 64, spec())
    assert broken.interval("NDR").lower_pps is None and broken.interval("PDR").lower_pps is None
    fast = search.mlr_search(PolicedPath(limit=1e9, ceiling=1e9, shortfall=0), 64, spec(max_load_pps=100_000))
    assert fast.interval("NDR").lower_pps == pytest.approx(100_000) and fast.interval("NDR").upper_pps is None
    assert len(fast.trials) == 1
    binary = search.binary_search(PolicedPath(limit=100), 64, spec())
    assert binary.interval("NDR").lower_pps is None and binary.interval("NDR").upper_pps == 500


def test_a_failing_measurer_stops_the_search_with_the_trials_so_far():
    with pytest.raises(search.SearchError, match="iperf3 服务端没有应答") as failed:
        search.mlr_search(PolicedPath(5000, fail_after=3), 64, spec())
    assert len(failed.value.trials) == 3
    with pytest.raises(search.SearchError, match="二分搜索中止（2 次试验后）"):
        search.binary_search(PolicedPath(5000, fail_after=2), 64, spec())


def test_noise_tolerant_goals_classify_by_two_of_three_trials():
    path = PolicedPath(5250)
    result = search.mlr_search(path, 64, spec(duration_sum=3, exceed_ratio=0.5))
    ndr = result.interval("NDR")
    assert ndr.lower_pps <= 5251 / (1 - 0.0008) <= ndr.upper_pps
    single = search.mlr_search(PolicedPath(5250), 64, spec())
    assert len(result.trials) > len(single.trials)  # every bound needs two trials that agree


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pdr_loss_ratio": 1.0}, r"PDR 丢包率 1.0 超出范围 \[0, 1\)"),
        ({"pdr_loss_ratio": -0.1}, "PDR 丢包率"),
        ({"trial_duration": 0}, "试验时长 0 秒不合法"),
        ({"min_load_pps": 0}, "负载 0 帧/秒不合法"),
        ({"min_load_pps": 2e7}, "最小负载 2e\\+07 帧/秒应小于最大负载"),
        ({"relative_width": 0}, "相对宽度"),
        ({"duration_sum": 0.5}, "duration_sum 0.5 不能小于试验时长"),
        ({"exceed_ratio": 0.5}, "exceed_ratio > 0 需要 duration_sum"),
        ({"exceed_ratio": 1}, "exceed_ratio 1 超出范围"),
    ],
)
def test_bad_search_input_is_refused_before_any_trial(overrides, message):
    with pytest.raises(frames.PerfInputError, match=message):
        spec(**overrides)


def test_bad_frame_size_is_refused_before_any_trial():
    path = PolicedPath(5000)
    with pytest.raises(frames.PerfInputError, match="小于以太网最小帧长"):
        search.mlr_search(path, 63, spec())
    with pytest.raises(frames.PerfInputError, match="超过 MTU 1500"):
        search.binary_search(path, 1519, spec())
    with pytest.raises(frames.PerfInputError, match="丢包率"):
        search.binary_search(path, 64, spec(), loss_ratio=1)
    assert path.calls == []


def test_quality_points_at_fractions_of_the_pdr():
    path = PolicedPath(5000)
    points = quality.measure(path, 64, 4000, [10, 50, 90, 100], duration_s=2)
    assert [p.load_pps for p in points] == pytest.approx([400, 2000, 3600, 4000])
    assert all(p.trial.duration_s == 2 for p in points)
    for bad, message in (([], "没有负载点"), ([0], "超出范围"), ([120], "超出范围")):
        with pytest.raises(frames.PerfInputError, match=message):
            quality.measure(path, 64, 4000, bad)
    with pytest.raises(frames.PerfInputError, match="试验时长 0 秒"):
        quality.measure(path, 64, 4000, [10], duration_s=0)


class SlowPacedPath(Measurer):
    """trafgen's way of falling short: it sends the whole count, at no more than ``ceiling`` frames/s, so a load above
    that takes longer than the trial; the policer passes ``limit`` frames a second of the time really taken."""

    name = "model"

    def __init__(self, limit: float, ceiling: float):
        super().__init__(mtu=1500, speed_mbps=10_000)
        self.limit, self.ceiling = limit, ceiling

    def _trial(self, load_pps: float, duration_s: float, frame_size: int) -> TrialResult:
        sent = round(load_pps * duration_s)
        seconds = max(duration_s, sent / self.ceiling)
        received = min(sent, round(self.limit * seconds))
        late = max(0.0, 1 - duration_s / seconds)
        return TrialResult(
            load_pps, duration_s, frame_size, sent, received, seconds, seconds + 0.3, "model", time_shortfall=late
        )


def test_the_search_starts_from_what_the_device_forwarded_per_second_of_the_generators_real_time():
    result = search.mlr_search(SlowPacedPath(5250, 20_000), 64, spec(max_load_pps=30_000, relative_width=0.02))
    first, second = result.trials[0].result, result.trials[1].result
    assert first.seconds == pytest.approx(1.5) and first.received == 7875  # 5250 frames/s for 1.5 s
    assert second.load_pps == pytest.approx(5250, rel=0.02)  # not 7875: the rate, not the count in 1 s
    # The trial is judged by the same forwarded rate, and its failure is the generator's: 5250 of 30 000 a second.
    assert result.trials[0].search_loss_ratio == pytest.approx(1 - 5250 / 30_000) and result.trials[0].generator_limited
    ndr = result.interval("NDR")
    assert ndr.lower_pps <= 5250 <= ndr.upper_pps and len(result.trials) <= 8
