"""netvirt.traffic.receiver.between: what a receiver dropped between the two readings around a measurement."""

import pytest

from netvirt.traffic.receiver import Counters, between


def test_drops_are_the_increase_of_each_counter():
    dropped = between(Counters(("ovs_tx_failure_drops", 10), 3), Counters(("ovs_tx_failure_drops", 1767), 94))
    assert (dropped.port_counter, dropped.port_dropped, dropped.rcvbuf_errors) == ("ovs_tx_failure_drops", 1757, 91)
    assert dropped.datagrams == 1848


def test_a_port_without_a_drop_counter_counts_the_socket_buffer_alone():
    dropped = between(Counters(None, 5), Counters(None, 7))
    assert (dropped.port_counter, dropped.port_dropped, dropped.datagrams) == (None, 0, 2)


@pytest.mark.parametrize(
    "before, after",
    [
        (Counters(("tx drop", 4), 0), Counters(None, 0)),  # the port replaced by one without the counter
        (Counters(None, 0), Counters(("tx drop", 4), 0)),
        (Counters(("tx drop", 4), 0), Counters(("ovs_tx_failure_drops", 9), 0)),
    ],
)
def test_a_counter_that_appeared_vanished_or_changed_is_refused_not_counted_from_zero(before, after):
    with pytest.raises(RuntimeError, match="OVS 端口的丢弃计数器在测量前后不同"):
        between(before, after)


@pytest.mark.parametrize(
    "before, after",
    [
        (Counters(("tx drop", 40), 0), Counters(("tx drop", 3), 0)),  # OVS restarted mid-measurement
        (Counters(None, 9), Counters(None, 2)),  # the receiver rebooted
    ],
)
def test_a_counter_that_went_down_is_refused(before, after):
    with pytest.raises(RuntimeError, match="接收端的丢弃计数在测量中变小了"):
        between(before, after)
