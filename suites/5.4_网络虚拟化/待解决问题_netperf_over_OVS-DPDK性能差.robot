*** 设置 ***
说明      待解决问题：netperf over OVS-DPDK 性能差（记录 5.4.8.1 的“问题”一节）。按记录的五种场景各测 5 次单流 TCP 吞吐量，
...     以表格与柱状图对比，并对比 VM 在 OVS-DPDK 与 Linux bridge 下网卡的卸载特性（记录对差距的解释：tso/csum）。

资源文件    ../../resources/ovs.resource
资源文件    ../../resources/vm.resource
资源文件    ../../resources/traffic.resource

用例标签    ovs    dpdk    vm    traffic    perf


*** 变量 ***
${次数}    5
${时长}    3


*** 用例 ***
待解决问题 netperf over OVS-DPDK性能差
    [说明]    记录用 netperf（单进程，-l 30）在五种场景下测 5 次取最小/最大：两个物理网卡直连、物理网卡到 VM、VM02 到 VM01
    ...    过 OVS-DPDK、同样但走流表、VM02 到 VM01 过 Linux bridge；结论是 OVS-DPDK 是瓶颈，原因是 virtio 网卡在 OVS-DPDK
    ...    下不能打开 tso/csum。这里同样用 netperf TCP_STREAM（netserver 与 netperf -cC）每场景 ${次数} 次、
    ...    每次 ${时长} 秒，记录每个场景的最小/最大/平均与两端 CPU，并对比两种 VM 网卡的 ethtool -k。该问题在记录中没有结论性的
    ...    判据：本用例的判定是五个场景都测到了吞吐量，数字与对比图本身就是证据。
    [启程]    准备五种场景
    ${direct}=    测量netperf吞吐量    hosta    hostb    5.5.4.22    repeat=${次数}    duration=${时长}
    ${to_vm}=    测量netperf吞吐量    hosta    vm01    5.5.5.51    repeat=${次数}    duration=${时长}
    ${ovs}=    测量netperf吞吐量    vm02    vm01    5.5.5.51    repeat=${次数}    duration=${时长}
    删除流表    ovsbr0
    添加流表    ovsbr0    in_port=dpdkvhostuser0,actions=output:dpdkvhostuser1
    添加流表    ovsbr0    in_port=dpdkvhostuser1,actions=output:dpdkvhostuser0
    ${flow}=    测量netperf吞吐量    vm02    vm01    5.5.5.51    repeat=${次数}    duration=${时长}
    恢复默认流表    ovsbr0
    ${bridge}=    测量netperf吞吐量    vm02    vm01    9.9.9.51    repeat=${次数}    duration=${时长}
    记录吞吐量对比图    netperf over OVS-DPDK 性能对比（单流 TCP）
    ...    两个物理网卡直连=${direct}
    ...    物理网卡到VM=${to_vm}
    ...    VM02到VM01过OVS-DPDK=${ovs}
    ...    VM02到VM01过OVS-DPDK with flow=${flow}
    ...    VM02到VM01过linux bridge=${bridge}
    对比网卡卸载特性    vm01    eth1    vm01    eth3
    [终程]    拆除五种场景


*** 关键字 ***
准备五种场景
    [说明]    Host A 与 Host B 的 enP4p1s0 直连（5.5.4.11/22）；dpdkp1 与 VM01 的 eth1（5.5.5.11/51）；VM02 的 eth1 为 5.5.5.52；
    ...    Host B 上建 Linux bridge lbr0，两台 VM 各热插一块接在 lbr0 上的 tap 网卡 eth3（9.9.9.51/52）。
    配置业务地址    hosta    enP4p1s0    5.5.4.11/24
    配置业务地址    hostb    enP4p1s0    5.5.4.22/24
    添加业务物理口
    配置业务地址    hosta    enP5p1s0    5.5.5.11/24
    配置业务地址    vm01    eth1    5.5.5.51/24
    配置业务地址    vm02    eth1    5.5.5.52/24
    在主机上执行    hostb    ip link add lbr0 type bridge && ip link set lbr0 up
    FOR    ${i}    IN    1    2
        在主机上执行    hostb    ip tuntap add dev lbtap${i} mode tap && ip link set lbtap${i} master lbr0 up
        挂载网卡    vm0${i}    ethernet    lbtap${i}    52:54:00:00:09:0${i}    eth3
        配置业务地址    vm0${i}    eth3    9.9.9.5${i}/24
    END

拆除五种场景
    [说明]    用例终程：恢复 NORMAL 流，卸载 tap 网卡，删除 lbr0 与 tap，清除地址，删除 dpdkp1。
    恢复默认流表    ovsbr0
    FOR    ${i}    IN    1    2
        Run Keyword And Ignore Error    卸载网卡    vm0${i}    52:54:00:00:09:0${i}
        在主机上执行    hostb    ip link del lbtap${i} 2>/dev/null || true
    END
    在主机上执行    hostb    ip link del lbr0 2>/dev/null || true
    清除接口地址    hosta    enP4p1s0
    清除接口地址    hostb    enP4p1s0
    清除接口地址    hosta    enP5p1s0
    清除VM业务地址
    删除业务物理口
