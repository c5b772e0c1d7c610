"""Forwarding performance and quality (record chapter 7.3): RFC 2544 NDR/PDR, latency, jitter.

The modules do the work and return results; they never log. ``PerfLibrary`` (the Robot
keywords) logs the evidence from the keyword's own thread.

| module | what it holds |
| --- | --- |
| ``frames`` | frame-size accounting (frame = 14 + 20 + 8 + payload + 4), line rate, input checks |
| ``measurer`` | ``Measurer.measure(load_pps, duration_s, frame_size) -> TrialResult``: the search/generator seam |
| ``generators`` | the iperf3 UDP measurer (with the latency probe), TRex / pktgen-DPDK detection, generator choice |
| ``topology`` | the measured paths (p2p, pvp, VM↔VM): ends, addresses, the receiver's network namespace |
| ``search`` | NDR/PDR with MLRsearch 1.2.1, and the plain binary search to compare with |
| ``latency`` | latency percentiles and jitter of a probe stream |
| ``quality`` | forwarding quality at fractions of the PDR |
| ``report`` | tables and charts for the log |
"""
