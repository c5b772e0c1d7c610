*** 设置 ***
说明       7.3.5 网络转发性能与 7.3.6 网络转发质量，一个场景 × 一个帧长一个用例（如 FD.io CSIT），按场景排列：
...      同一场景的用例共用一条路径（7.3.5 各帧长的 NDR/PDR，再是 7.3.6 在 64 字节 PDR 的各比例上的转发质量），
...      每个场景只搭建一次，换场景时才拆除（在虚拟机里搭建与启动发生器是这一章最慢的部分）。
...      流量发生器为 netsniff-ng 的 trafgen（定长帧、设定帧率，在两端接口的计数器上计数），发送端没有 trafgen 时为 iperf3 UDP（日志说明）。
...      场景：p2p（Host A → dpdkp0 → ovsbr0 → dpdkp1 → Host A）、pvp（经 VM01 内核转发）、vm2vm（VM02 → ovsbr0 → VM01）、
...      sriov（两个 VF 直通给 VM01，由它转发）、sriov_vm2vm（同一网卡的两个 VF 分别直通给两台 VM）。
...      7.3.5：RFC 2544 吞吐量（NDR 与 PDR，MLRsearch），按帧长给出 Mpps、Gbit/s 与线速百分比；p2p 测实验环境参数
...      perf_frame_sizes 中的帧长，其他场景测 perf_vm_frame_sizes；不测的帧长、搭建不了的场景跳过并说明原因。
...      判据：NDR 不低于 perf_ndr_criteria 给出的线速百分比；低于时在判据负载上复测，并与同一次运行中不经被测设备的
...      veth 基线比较：基线同样承载不了或本机负载超过 CPU 数时为“无法判定”（跳过，附数据与负载），不判 FAIL。
...      7.3.6：在 PDR（同一场景、同一帧长的 7.3.5 用例已测得时直接取用，否则先搜索）的 10/50/90/100 % 负载下的丢包与
...      单向时延（时延探测包与负载同时发送，两端在同一主机、同一时钟时测量；VM 之间的场景只测丢包）。
...      判据：不超过 PDR 的 perf_quality_judged_up_to_pct % 的负载下，丢包率不超过 perf_quality_max_loss_ratio，
...      时延统计量不超过 perf_latency_max_us；不满足的负载点复测一次，再与同一负载下不经被测设备的 veth 基线比较：
...      基线同样不满足或本机负载超过 CPU 数时为“无法判定”（跳过，附数据与负载），不判 FAIL。

资源文件     ../../resources/perf.resource

用例集启程    性能用例集启程
用例集终程    性能测试终程

用例标签     perf


*** 用例 ***
7.3.5.1 基于10GE网卡的网络转发性能 p2p 64B
    [说明]    p2p（经 OVS-DPDK，Host A 两端）场景 64 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    p2p    64b
    [模板]    网络转发性能
    p2p    64

7.3.6.1 基于10GE网卡的网络转发质量 p2p 64B
    [说明]    p2p（经 OVS-DPDK，Host A 两端）场景 64 字节帧在 PDR 的各比例负载下的丢包与时延，按 perf_quality_* 与 perf_latency_max_us 判定。
    [标签]    quality    latency    p2p    64b
    [模板]    网络转发质量
    p2p    64

7.3.5.1 基于10GE网卡的网络转发性能 p2p 128B
    [说明]    p2p（经 OVS-DPDK，Host A 两端）场景 128 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    p2p    128b
    [模板]    网络转发性能
    p2p    128

7.3.5.1 基于10GE网卡的网络转发性能 p2p 256B
    [说明]    p2p（经 OVS-DPDK，Host A 两端）场景 256 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    p2p    256b
    [模板]    网络转发性能
    p2p    256

7.3.5.1 基于10GE网卡的网络转发性能 p2p 512B
    [说明]    p2p（经 OVS-DPDK，Host A 两端）场景 512 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    p2p    512b
    [模板]    网络转发性能
    p2p    512

7.3.5.1 基于10GE网卡的网络转发性能 p2p 1024B
    [说明]    p2p（经 OVS-DPDK，Host A 两端）场景 1024 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    p2p    1024b
    [模板]    网络转发性能
    p2p    1024

7.3.5.1 基于10GE网卡的网络转发性能 p2p 1280B
    [说明]    p2p（经 OVS-DPDK，Host A 两端）场景 1280 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    p2p    1280b
    [模板]    网络转发性能
    p2p    1280

7.3.5.1 基于10GE网卡的网络转发性能 p2p 1518B
    [说明]    p2p（经 OVS-DPDK，Host A 两端）场景 1518 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    p2p    1518b
    [模板]    网络转发性能
    p2p    1518

7.3.5.1 基于10GE网卡的网络转发性能 p2p 9000B
    [说明]    p2p（经 OVS-DPDK，Host A 两端）场景 9000 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    p2p    9000b
    [模板]    网络转发性能
    p2p    9000

7.3.5.1 基于10GE网卡的网络转发性能 pvp 64B
    [说明]    pvp（经 VM01 内核转发）场景 64 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    pvp    64b
    [模板]    网络转发性能
    pvp    64

7.3.6.1 基于10GE网卡的网络转发质量 pvp 64B
    [说明]    pvp（经 VM01 内核转发）场景 64 字节帧在 PDR 的各比例负载下的丢包与时延，按 perf_quality_* 与 perf_latency_max_us 判定。
    [标签]    quality    latency    pvp    64b
    [模板]    网络转发质量
    pvp    64

7.3.5.1 基于10GE网卡的网络转发性能 pvp 1518B
    [说明]    pvp（经 VM01 内核转发）场景 1518 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    pvp    1518b
    [模板]    网络转发性能
    pvp    1518

7.3.5.1 基于10GE网卡的网络转发性能 vm2vm 64B
    [说明]    vm2vm（VM02 → OVS → VM01）场景 64 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    vm2vm    64b
    [模板]    网络转发性能
    vm2vm    64

7.3.6.1 基于10GE网卡的网络转发质量 vm2vm 64B
    [说明]    vm2vm（VM02 → OVS → VM01）场景 64 字节帧在 PDR 的各比例负载下的丢包与时延，按 perf_quality_* 与 perf_latency_max_us 判定。
    [标签]    quality    latency    vm2vm    64b
    [模板]    网络转发质量
    vm2vm    64

7.3.5.1 基于10GE网卡的网络转发性能 vm2vm 1518B
    [说明]    vm2vm（VM02 → OVS → VM01）场景 1518 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    vm2vm    1518b
    [模板]    网络转发性能
    vm2vm    1518

7.3.5.1 基于10GE网卡的网络转发性能 sriov 64B
    [说明]    sriov（两个 VF 直通给 VM01）场景 64 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    sriov    64b
    [模板]    网络转发性能
    sriov    64

7.3.6.1 基于10GE网卡的网络转发质量 sriov 64B
    [说明]    sriov（两个 VF 直通给 VM01）场景 64 字节帧在 PDR 的各比例负载下的丢包与时延，按 perf_quality_* 与 perf_latency_max_us 判定。
    [标签]    quality    latency    sriov    64b
    [模板]    网络转发质量
    sriov    64

7.3.5.1 基于10GE网卡的网络转发性能 sriov 1518B
    [说明]    sriov（两个 VF 直通给 VM01）场景 1518 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    sriov    1518b
    [模板]    网络转发性能
    sriov    1518

7.3.5.1 基于10GE网卡的网络转发性能 sriov_vm2vm 64B
    [说明]    sriov_vm2vm（同一网卡的两个 VF 之间）场景 64 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    sriov_vm2vm    64b
    [模板]    网络转发性能
    sriov_vm2vm    64

7.3.6.1 基于10GE网卡的网络转发质量 sriov_vm2vm 64B
    [说明]    sriov_vm2vm（同一网卡的两个 VF 之间）场景 64 字节帧在 PDR 的各比例负载下的丢包与时延，按 perf_quality_* 与 perf_latency_max_us 判定。
    [标签]    quality    latency    sriov_vm2vm    64b
    [模板]    网络转发质量
    sriov_vm2vm    64

7.3.5.1 基于10GE网卡的网络转发性能 sriov_vm2vm 1518B
    [说明]    sriov_vm2vm（同一网卡的两个 VF 之间）场景 1518 字节帧的 NDR 与 PDR（MLRsearch），NDR 按 perf_ndr_criteria 判定。
    [标签]    ndrpdr    sriov_vm2vm    1518b
    [模板]    网络转发性能
    sriov_vm2vm    1518
