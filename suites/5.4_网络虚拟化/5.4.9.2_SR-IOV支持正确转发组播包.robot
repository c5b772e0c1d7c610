*** 设置 ***
说明      5.4.9.2 SR-IOV支持正确转发组播包：Host A 发出的组播经网卡的 eswitch 到达 Host B 与两个 VM 的 VF。

资源文件    ../../resources/sriov.resource
资源文件    ../../resources/vm.resource


*** 用例 ***
5.4.9.2 SR-IOV支持正确转发组播包
    [说明]    要求：SR-IOV 正确转发组播包。记录的步骤：VM01、VM02 使用 enP5p1s0 的 VF（enp4s0），默认已加入 224.0.0.1；
    ...    为了收到未知组播，在 Host B 上 ``ip link set enP5p1s0 vf 0|1 trust on``，在 VM 中 ``allmulticast on``；
    ...    Host A（记录中用 pktgen）向 224.0.0.1 / 01:00:5e:00:00:01 和 225.0.0.2 / 01:00:5e:00:00:02 发包，发送后在
    ...    Host B（ethtool -S 的 rx_vport_multicast_packets）和两个 VM 上统计。预期（记录的结果表）：Host B、VM01、VM02
    ...    都收到。这里 Host B 也抓包计数，并记录网卡计数器的增量。
    ...    另外说明不信任 VF 的结果：VF 1 的 trust 为 off 时，vm02 仍收到已加入的 224.0.0.1，收不到未知组播 225.0.0.2
    ...    （网卡只对信任的 VF 放行 allmulticast，这正是记录要先打开 trust 的原因）。
    [标签]    sriov    vm    traffic
    [启程]    准备SR-IOV组播测试
    ${before}=    获取网卡计数器    enP5p1s0
    FOR    ${group}    IN    224.0.0.1    225.0.0.2
        组播应到达这些接口    ${group}    hostb:enP5p1s0    vm01:enp4s0    vm02:enp4s0
    END
    ${after}=    获取网卡计数器    enP5p1s0
    网卡计数器增量应至少    ${before}    ${after}    rx_vport_multicast_packets    40
    设置VF    enP5p1s0    1    trust=off
    组播应到达这些接口    224.0.0.1    vm02:enp4s0
    组播不应到达    225.0.0.2    vm02    enp4s0
    组播应到达这些接口    225.0.0.2    vm01:enp4s0
    [终程]    恢复SR-IOV组播测试环境


*** 关键字 ***
准备SR-IOV组播测试
    [说明]    用例启程：两个 VF 各直通给一个 VM（enp4s0），VF 的 trust 打开，VM 中 enp4s0 打开 allmulticast。
    创建VF    enP5p1s0    2
    把两个VF分别直通给两个VM    enP5p1s0    enp4s0
    FOR    ${vf}    IN RANGE    2
        设置VF    enP5p1s0    ${vf}    trust=on
    END
    FOR    ${vm}    IN    vm01    vm02
        设置接口地址    ${vm}    enp4s0    5.5.5.10${vm[-1]}/24
        设置组播接收    ${vm}    enp4s0    开
    END

恢复SR-IOV组播测试环境
    [说明]    用例终程：停止抓包，收回 VF（VM 中的 allmulticast 随网卡一起消失），恢复 trust 与 VF 数量。
    恢复SR-IOV测试环境
