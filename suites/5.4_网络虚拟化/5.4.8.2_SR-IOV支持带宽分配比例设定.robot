*** 设置 ***
说明      5.4.8.2 SR-IOV 支持带宽分配比例设定：VF 的 max_tx_rate/min_tx_rate 限制 VM 经 VF 发出的带宽。

资源文件    ../../resources/sriov.resource
资源文件    ../../resources/vm.resource


*** 变量 ***
# 实测吞吐量与 VF 的 max_tx_rate 之间允许的偏差（记录中 39.4G/40G、29.7G/30G，即 -1.5%、-1%）。
${允许偏差}    10


*** 用例 ***
5.4.8.2 SR-IOV 支持带宽分配比例设定
    [说明]    要求：支持带宽分配比例设定。记录用 VF 的 max_tx_rate 测试（只能限制发送方向）：enP4p1s0、enP5p1s0 各开
    ...    2 个 VF，vf 0 为 max_tx_rate 30000 min_tx_rate 25000（给 VM01），vf 1 为 40000/35000（给 VM02）；VM 的
    ...    enp4s0 用 enP5p1s0 的 VF、enp5s0 用 enP4p1s0 的 VF，MTU 9000，iperf 4 个线程打满。预期（记录的结果）：
    ...    VM02→VM01 约 40G（vf 1 的速率），VM01→VM02 约 30G（vf 0 的速率）。
    ...    速率取实验环境描述的 sriov_vf_tx_rates_mbps（[[vf0 max, min], [vf1 max, min]]，记录的实验环境为
    ...    30000/25000、40000/35000）；没有时按记录的比例（56G 线速上的 30G 与 40G）取不限速时 VF 间实测吞吐量的
    ...    30/56 与 40/56，即实验环境承载得了的速率。判定：iperf3 TCP（4 条流）的平均吞吐量与该 VF 的 max_tx_rate
    ...    相差不超过 ${允许偏差}%。min_tx_rate 只设置并记录（保证最低带宽需要多个 VF 争用线速，记录也没有测）。
    [标签]    sriov    vm    traffic    perf
    [启程]    准备SR-IOV带宽测试
    ${rates}=    VF限速值
    FOR    ${pf}    IN    enP4p1s0    enP5p1s0
        FOR    ${vf}    IN RANGE    2
            设置VF    ${pf}    ${vf}    max_tx_rate=${rates}[${vf}][0]    min_tx_rate=${rates}[${vf}][1]
        END
    END
    ${vm02_to_vm01}=    测量吞吐量    vm02    vm01    5.5.5.100    duration=5    parallel=4
    ${vm01_to_vm02}=    测量吞吐量    vm01    vm02    5.5.5.200    duration=5    parallel=4
    记录吞吐量对比图    5.4.8.2 VF 限速下的吞吐量（iperf3 TCP，4 条流）
    ...    VM02→VM01（vf 1 限 ${rates}[1][0] Mbit/s）=${vm02_to_vm01}
    ...    VM01→VM02（vf 0 限 ${rates}[0][0] Mbit/s）=${vm01_to_vm02}
    吞吐量应接近    ${vm02_to_vm01}    ${rates}[1][0]e6    ${允许偏差}
    吞吐量应接近    ${vm01_to_vm02}    ${rates}[0][0]e6    ${允许偏差}
    [终程]    恢复SR-IOV测试环境


*** 关键字 ***
准备SR-IOV带宽测试
    [说明]    用例启程：两个 PF 各 2 个 VF；vf 0 给 VM01、vf 1 给 VM02，enP5p1s0 的 VF 在 VM 中为 enp4s0、enP4p1s0 的为
    ...    enp5s0（记录的表）；enp4s0 的 MTU 为 9000，VM01 为 5.5.5.100、VM02 为 5.5.5.200。
    FOR    ${pf}    ${ifname}    IN    enP5p1s0    enp4s0    enP4p1s0    enp5s0
        创建VF    ${pf}    2
        把两个VF分别直通给两个VM    ${pf}    ${ifname}
    END
    FOR    ${vm}    ${address}    IN    vm01    5.5.5.100/24    vm02    5.5.5.200/24
        配置业务地址    ${vm}    enp4s0    ${address}
        设置接口MTU    ${vm}    enp4s0    9000
    END

VF限速值
    [说明]    返回 [[vf0 max, vf0 min], [vf1 max, vf1 min]]（Mbit/s）：实验环境描述的 sriov_vf_tx_rates_mbps；没有时
    ...    先不限速测 VM02→VM01 的吞吐量 B，取记录的比例：vf 0 为 B×30/56（min 为其 25/30），vf 1 为 B×40/56（min 为
    ...    其 35/40）。
    ${rates}=    实验环境参数    sriov_vf_tx_rates_mbps
    IF    $rates    RETURN    ${rates}
    ${base}=    测量吞吐量    vm02    vm01    5.5.5.100    duration=3    parallel=4
    VAR    ${b}=    ${base}[mean_bps]
    ${rates}=    Evaluate    [[int($b * 30 / 56e6), int($b * 25 / 56e6)], [int($b * 40 / 56e6), int($b * 35 / 56e6)]]
    Log    不限速时 VF 间吞吐量 ${base}[mean_bps] bit/s；按记录的比例取 VF 速率 ${rates}（Mbit/s）
    RETURN    ${rates}
