*** 设置 ***
说明       7.3.6 网络转发质量：一个场景一个用例，在 PDR 的 10/50/90/100 % 负载下的丢包与单向时延（时延探测包与负载同时发送，
...      两端在同一主机、同一时钟时测量；VM 之间的场景只测丢包）。流量发生器同 7.3.5（trafgen，没有时为 iperf3）。
...      判据：不超过 PDR 的 perf_quality_judged_up_to_pct % 的负载下，丢包率不超过 perf_quality_max_loss_ratio，
...      时延统计量不超过 perf_latency_max_us；不满足的负载点复测一次，再与同一负载下不经被测设备的 veth 基线比较：
...      基线同样不满足或本机负载超过 CPU 数时为“无法判定”（跳过，附数据与负载），不判 FAIL。

资源文件     ../../resources/perf.resource

用例集启程    性能用例集启程
用例集终程    性能测试终程
用例模板     网络转发质量

用例标签     perf    quality    latency    64b


*** 用例 ***
7.3.6.1 基于10GE网卡的网络转发质量 p2p 64B
    [标签]    p2p
    p2p    64
7.3.6.1 基于10GE网卡的网络转发质量 pvp 64B
    [标签]    pvp
    pvp    64
7.3.6.1 基于10GE网卡的网络转发质量 vm2vm 64B
    [标签]    vm2vm
    vm2vm    64
7.3.6.1 基于10GE网卡的网络转发质量 sriov 64B
    [标签]    sriov
    sriov    64
7.3.6.1 基于10GE网卡的网络转发质量 sriov_vm2vm 64B
    [标签]    sriov_vm2vm
    sriov_vm2vm    64
