*** 设置 ***
说明      7.3.6 网络转发质量：在 PDR 的 10/50/90/100 % 负载下经 OVS-DPDK 转发的丢包、抖动与单向时延。

资源文件    ../../resources/perf.resource


*** 用例 ***
7.3.6.1 基于10GE网卡的网络转发质量
    [说明]    记录 7.3.6.1（记录中为空）。先在 p2p 路径上搜索帧长 perf_quality_frame_size 的 PDR，再在 PDR 的
    ...    perf_quality_loads（10/50/90/100 %）上各测一次：丢包率、iperf3 抖动，以及与负载同时发送的时延探测包的
    ...    单向时延（最小/平均/最大、P50/P90/P99/P99.9）与抖动（RFC 3550、IPDV）。
    ...    判据：不超过 PDR 的 perf_quality_judged_up_to_pct % 的负载下，丢包率不超过 perf_quality_max_loss_ratio，
    ...    P99 时延不超过 perf_latency_p99_max_us。
    [标签]    perf    ovs    dpdk    traffic
    添加性能测试物理口
    准备转发性能拓扑    p2p
    ${size}=    性能测试参数    perf_quality_frame_size
    ${r}=    搜索NDR和PDR    ${size}
    Should Not Be Equal    ${r}[pdr_pps]    ${None}    最小负载也丢包（PDR 低于 perf_min_load_pps）：无法在 PDR 的各比例上测量转发质量
    @{loads}=    性能测试参数    perf_quality_loads
    @{points}=    测量转发质量    ${size}    ${r}[pdr_pps]    @{loads}
    转发质量应满足判据    ${points}
    [终程]    性能测试终程
