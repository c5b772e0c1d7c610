*** 设置 ***
说明       7.3.5 网络转发性能：RFC 2544 吞吐量（NDR 与 PDR），一个场景 × 一个帧长一个用例（如 FD.io CSIT），
...      按帧长给出 Mpps、Gbit/s 与线速百分比。流量发生器为 netsniff-ng 的 trafgen（定长帧、设定帧率，
...      在两端接口的计数器上计数），发送端没有 trafgen 时为 iperf3 UDP（日志说明）。
...      场景：p2p（Host A → dpdkp0 → ovsbr0 → dpdkp1 → Host A）、pvp（经 VM01 内核转发）、vm2vm（VM02 → ovsbr0 → VM01）、
...      sriov（两个 VF 直通给 VM01，由它转发）、sriov_vm2vm（同一网卡的两个 VF 分别直通给两台 VM）。
...      p2p 测实验环境参数 perf_frame_sizes 中的帧长，其他场景测 perf_vm_frame_sizes；不测的帧长、搭建不了的场景跳过并说明原因。
...      判据：NDR 不低于 perf_ndr_criteria 给出的线速百分比；低于时在判据负载上复测，并与同一次运行中不经被测设备的
...      veth 基线比较：基线同样承载不了或本机负载超过 CPU 数时为“无法判定”（跳过，附数据与负载），不判 FAIL。

资源文件     ../../resources/perf.resource

用例集启程    性能用例集启程
用例集终程    性能测试终程
用例模板     网络转发性能

用例标签     perf    ndrpdr


*** 用例 ***
7.3.5.1 基于10GE网卡的网络转发性能 p2p 64B
    [标签]    p2p    64b
    p2p    64
7.3.5.1 基于10GE网卡的网络转发性能 p2p 128B
    [标签]    p2p    128b
    p2p    128
7.3.5.1 基于10GE网卡的网络转发性能 p2p 256B
    [标签]    p2p    256b
    p2p    256
7.3.5.1 基于10GE网卡的网络转发性能 p2p 512B
    [标签]    p2p    512b
    p2p    512
7.3.5.1 基于10GE网卡的网络转发性能 p2p 1024B
    [标签]    p2p    1024b
    p2p    1024
7.3.5.1 基于10GE网卡的网络转发性能 p2p 1280B
    [标签]    p2p    1280b
    p2p    1280
7.3.5.1 基于10GE网卡的网络转发性能 p2p 1518B
    [标签]    p2p    1518b
    p2p    1518
7.3.5.1 基于10GE网卡的网络转发性能 p2p 9000B
    [标签]    p2p    9000b
    p2p    9000
7.3.5.1 基于10GE网卡的网络转发性能 pvp 64B
    [标签]    pvp    64b
    pvp    64
7.3.5.1 基于10GE网卡的网络转发性能 pvp 1518B
    [标签]    pvp    1518b
    pvp    1518
7.3.5.1 基于10GE网卡的网络转发性能 vm2vm 64B
    [标签]    vm2vm    64b
    vm2vm    64
7.3.5.1 基于10GE网卡的网络转发性能 vm2vm 1518B
    [标签]    vm2vm    1518b
    vm2vm    1518
7.3.5.1 基于10GE网卡的网络转发性能 sriov 64B
    [标签]    sriov    64b
    sriov    64
7.3.5.1 基于10GE网卡的网络转发性能 sriov 1518B
    [标签]    sriov    1518b
    sriov    1518
7.3.5.1 基于10GE网卡的网络转发性能 sriov_vm2vm 64B
    [标签]    sriov_vm2vm    64b
    sriov_vm2vm    64
7.3.5.1 基于10GE网卡的网络转发性能 sriov_vm2vm 1518B
    [标签]    sriov_vm2vm    1518b
    sriov_vm2vm    1518
