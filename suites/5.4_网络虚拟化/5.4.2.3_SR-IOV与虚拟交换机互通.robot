*** 设置 ***
说明      5.4.2.3 SR-IOV与虚拟交换机互通：SR-IOV 的 VF 与 OVS 上的 VM 经物理线路互通。

资源文件    ../../resources/sriov.resource
资源文件    ../../resources/ovs.resource
资源文件    ../../resources/vm.resource


*** 用例 ***
5.4.2.3 SR-IOV与虚拟交换机互通
    [说明]    要求：SR-IOV 端口与虚拟交换机（OVS）端口互通。记录没有测这一项（“待澄清测试场景后测试”）：同一块网卡上，
    ...    VF 发往 OVS 上 VM 的帧由网卡直接送往线路，回不到 OVS（5.4.2.2 的矩阵中 vm02 与 vm01 不通）；记录认为“将 vm02
    ...    移至 Host A 上运行，则理论上能够 ping 通”。本用例实现这个场景：Host A 没有虚拟化软件（记录中 Host A 的
    ...    QEMU 为 NA），由 Host A 网卡 enP5p1s0 的 VF 0（Host A 内核中的 VF 网卡，5.5.5.33）代表迁到 Host A 上的 vm02；
    ...    vm01 在 Host B 的 ovsbr0 上（eth1，5.5.5.44），Host B 的 enP5p1s0 以 DPDK 方式作 ovsbr0 的上行口（dpdkp1）。
    ...    验证的是：VF 的流量经 Host A 网卡的 eswitch 上线路，再经 Host B 的 PF 进入 OVS 到达 vm01，双向 ping 通；
    ...    即 SR-IOV 与虚拟交换机经外部线路（或交换机）互通，而不是在同一块网卡内部。
    [标签]    sriov    ovs    dpdk    vm    traffic    provisional
    [启程]    准备VF与OVS互通测试
    ${vfs}=    显示VF网卡列表    enP5p1s0    host=hosta
    配置业务地址    hosta    ${vfs}[0][netdev]    5.5.5.33/24
    两台主机应能互相Ping通    hosta    5.5.5.33    vm01    5.5.5.44
    [终程]    恢复VF与OVS互通测试环境


*** 关键字 ***
准备VF与OVS互通测试
    [说明]    用例启程：Host A 的 enP5p1s0 上 1 个 VF；Host B 的 enP5p1s0 以 DPDK 方式加入 ovsbr0；vm01 的 eth1 为 5.5.5.44。
    创建VF    enP5p1s0    1    host=hosta
    添加业务物理口
    配置业务地址    vm01    eth1    5.5.5.44/24

恢复VF与OVS互通测试环境
    [说明]    用例终程：删除 dpdkp1，清除地址，恢复 Host A 的 VF 数量。
    删除业务物理口
    清除VM业务地址
    恢复SR-IOV测试环境
