"""Traffic on the lab's hosts and guests: pings and ping matrices, DF boundary searches,
captures, crafted frames, iperf3 and netperf throughput, interface counters and plots.

The modules here do the work and return results; they never log. ``TrafficLibrary`` (the
Robot keywords) logs the evidence from the keyword's own thread, as Robot requires.

| module | what it holds |
| --- | --- |
| ``hostproc`` | tools a host must have, private temporary directories, background processes, servers |
| ``ping`` | ping command lines, outcomes, the DF boundary search |
| ``matrix`` | endpoints, expected matrices, concurrent measurement, comparison, the record's table |
| ``frames`` | pcap and ``tcpdump -XX`` text to decoded frames; selections the verdicts use; hex dumps |
| ``capture`` | tcpdump started and stopped on a host |
| ``sender`` | crafted and multicast frames sent by ``netvirt/remote/framesend.py`` |
| ``iperf`` | iperf3 server and client runs (``-J``) |
| ``netperf`` | netserver and netperf runs (``-cC``, keyword output), as the record measures |
| ``throughput`` | repeated runs against one server, min/max/mean/stdev, the runs' table, verdicts |
| ``counters`` | ``ip -s -j link`` and ``ethtool -S`` counters and their differences |
| ``plot`` | bar charts as PNG |
| ``units`` | bit rates for people (``6.26 Gbit/s``) |
"""
