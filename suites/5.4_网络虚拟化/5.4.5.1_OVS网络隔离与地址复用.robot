*** 设置 ***
说明      5.4.5.1 OVS 网络隔离与地址复用：不同 OVS 网桥上的 VM 用同一网段地址，互相隔离。

资源文件    ../../resources/ovs.resource
资源文件    ../../resources/vm.resource
资源文件    ../../resources/traffic.resource


*** 用例 ***
5.4.5.1 OVS 网络隔离与地址复用
    [说明]    要求：不同虚拟网络之间隔离，地址可以复用。记录的步骤：新增 ovsbr1（datapath_type=netdev），
    ...    在 ovsbr1 上增加 dpdkvhostuser2 并挂到 VM02 上；VM02 在该网卡上配置与 VM01 同网段的 IP。
    ...    预期（记录的结果）：VM02 ping 不通 VM01；dpif/show 中 ovsbr1 的 dpdkvhostuser2 为单队列。
    [标签]    ovs    dpdk    vm    traffic
    添加网桥    ovsbr1    datapath_type=netdev
    添加端口    ovsbr1    dpdkvhostuser2    type=dpdkvhostuser
    挂载网卡    vm02    vhostuser    dpdkvhostuser2    00:00:00:00:00:12    eth2
    端口接收队列数应为    dpdkvhostuser2    1
    配置业务地址    vm01    eth1    5.5.5.51/24
    配置业务地址    vm02    eth2    5.5.5.52/24
    应不能Ping通    vm02    5.5.5.51
    应不能Ping通    vm01    5.5.5.52
    [终程]    拆除隔离网络


*** 关键字 ***
拆除隔离网络
    [说明]    用例终程：卸载 VM02 的 eth2，删除 ovsbr1，清除地址。
    Run Keyword And Ignore Error    卸载网卡    vm02    00:00:00:00:00:12
    删除网桥    ovsbr1    missing_ok=True
    清除VM业务地址
