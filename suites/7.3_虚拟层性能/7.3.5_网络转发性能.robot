*** 设置 ***
说明      7.3.5 网络转发性能：经 OVS-DPDK 转发的 RFC 2544 吞吐量（NDR 与 PDR），按帧长给出 Mpps、Gbit/s 与线速百分比。

资源文件    ../../resources/perf.resource


*** 用例 ***
7.3.5.1 基于10GE网卡的网络转发性能
    [说明]    记录 7.3.5.1（记录中为空）。Host A 经两块 10GE 网卡把流量打过 Host B 的 OVS-DPDK 再收回（p2p：
    ...    dpdkp0 → ovsbr0 → dpdkp1），按帧长（实验环境参数 perf_frame_sizes，含 MTU 允许的巨帧）搜索 NDR 与 PDR；
    ...    再测经 VM 转发（pvp）、VM 之间（vm2vm）、经 SR-IOV（sriov：两个 VF 直通给 VM01，由它转发）与 VM 之间
    ...    经 SR-IOV（sriov_vm2vm：同一网卡的两个 VF 分别直通给两台 VM）的 NDR/PDR（帧长 perf_vm_frame_sizes）。
    ...    判据：p2p 的 NDR 不低于实验环境参数 perf_ndr_min_pct_line_rate 给出的线速百分比。
    [标签]    perf    ovs    dpdk    traffic    vm    sriov
    ${mtu}=    性能测试参数    perf_mtu
    添加性能测试物理口    ${mtu}
    @{sizes}=    性能测试帧长    ${mtu}
    @{p2p}=    测量场景的NDR和PDR    p2p    ${mtu}    @{sizes}
    @{vm_sizes}=    性能测试参数    perf_vm_frame_sizes
    测量场景的NDR和PDR    pvp    1500    @{vm_sizes}
    测量场景的NDR和PDR    vm2vm    1500    @{vm_sizes}
    测量场景的NDR和PDR    sriov    1500    @{vm_sizes}
    测量场景的NDR和PDR    sriov_vm2vm    1500    @{vm_sizes}
    转发性能应满足判据    ${p2p}
    [终程]    性能测试终程
