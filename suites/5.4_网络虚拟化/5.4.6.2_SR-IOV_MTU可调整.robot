*** 设置 ***
说明      5.4.6.2 SR-IOV MTU可调整（vxlan网络只在SDN场景下测试）。

资源文件    ../../resources/sriov.resource
资源文件    ../../resources/vm.resource


*** 用例 ***
5.4.6.2 SR-IOV MTU可调整（vxlan网络只在SDN场景下测试）
    [说明]    要求：SR-IOV 的 MTU 可调整。记录的步骤：先把物理网卡 enP5p1s0（Host B 上为 5.5.5.22）的 MTU 设为 4000；
    ...    VM 的 MTU 还是默认的 1500 时 ``ping -s 2048 -M do 5.5.5.22`` 不通；VM 的 MTU 改为 4000 后可以 ping 通；
    ...    Host 和 VM 的 MTU 都改为 9000 后，小于 9000-28 字节的报文可以 ping 通。
    ...    这里用不分片 ping 精确检查每一步的边界两侧（载荷 = MTU-28 通，多 1 字节不通），并在 PF 为 4000、VM 为
    ...    9000 时二分查找边界：应在 3972..3976 之间，远小于 VM 自己的 8972，即 PF 的 MTU 限制了 VF 发往它的帧
    ...    （收方按 MTU 再加一个 VLAN 标签的 4 字节接收，Linux 的 veth 与 mlx5 都如此，所以上限是 3976）。
    [标签]    sriov    vm    traffic
    [启程]    准备SR-IOV MTU测试
    设置PF的MTU    enP5p1s0    4000
    最大不分片载荷应为    vm01    5.5.5.22    1472
    设置接口MTU    vm01    enp4s0    4000
    最大不分片载荷应为    vm01    5.5.5.22    3972
    设置接口MTU    vm01    enp4s0    9000
    ${boundary}=    获取最大不分片载荷    vm01    5.5.5.22    1000    8972
    Should Be True    3972 <= ${boundary} <= 3976
    ...    PF 的 MTU 为 4000 时，VF 发往 PF 的最大不分片载荷应在 3972..3976 之间，实际 ${boundary}
    设置PF的MTU    enP5p1s0    9000
    最大不分片载荷应为    vm01    5.5.5.22    8972
    [终程]    恢复SR-IOV MTU测试环境


*** 关键字 ***
准备SR-IOV MTU测试
    [说明]    用例启程：VF 0 直通给 vm01（enp4s0，5.5.5.100），Host B 的 enP5p1s0 为 5.5.5.22。
    创建VF    enP5p1s0    1
    把VF直通给虚拟机    vm01    enP5p1s0    0    enp4s0
    配置业务地址    vm01    enp4s0    5.5.5.100/24
    配置业务地址    hostb    enP5p1s0    5.5.5.22/24

恢复SR-IOV MTU测试环境
    [说明]    用例终程：清除 Host B 上的地址，收回 VF，PF 的 MTU 恢复原值。
    清除接口地址    hostb    enP5p1s0
    恢复SR-IOV测试环境
