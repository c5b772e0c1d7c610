*** 设置 ***
说明      5.4.5.2 SR-IOV 网络隔离与地址复用：VF 的 VLAN 把同网段的 VM 隔离开。

资源文件    ../../resources/sriov.resource
资源文件    ../../resources/vm.resource


*** 用例 ***
5.4.5.2 SR-IOV 网络隔离与地址复用
    [说明]    要求：不同虚拟网络之间隔离，地址可以复用。记录的步骤：两个 VM 分别连同一 PF 的两个 VF（默认互通），
    ...    再设 ``ip link set dev enP5p1s0 vf 0 vlan 100``、``vf 1 vlan 101``。
    ...    预期（记录的结果）：两个 VF 分别属于 VLAN 100 和 101，互相 ping 不通；ip link 显示各 VF 的 vlan。
    ...    这里再把 VF 1 也设为 VLAN 100，两个 VM 应恢复互通，说明隔离来自 VLAN 而不是别的原因。
    [标签]    sriov    vm    traffic
    [启程]    创建VF    enP5p1s0    2
    把两个VF分别直通给两个VM    enP5p1s0    enp4s0
    配置业务地址    vm01    enp4s0    5.5.5.100/24
    配置业务地址    vm02    enp4s0    5.5.5.200/24
    两台主机应能互相Ping通    vm01    5.5.5.100    vm02    5.5.5.200
    设置VF    enP5p1s0    0    vlan=100
    设置VF    enP5p1s0    1    vlan=101
    VF设置应为    enP5p1s0    0    vlan=100
    VF设置应为    enP5p1s0    1    vlan=101
    两台主机应不能互相Ping通    vm01    5.5.5.100    vm02    5.5.5.200
    设置VF    enP5p1s0    1    vlan=100
    两台主机应能互相Ping通    vm01    5.5.5.100    vm02    5.5.5.200
    [终程]    恢复SR-IOV测试环境
