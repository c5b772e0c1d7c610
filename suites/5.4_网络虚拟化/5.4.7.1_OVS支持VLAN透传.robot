*** 设置 ***
说明      5.4.7.1 OVS 支持VLAN透传：dot1q-tunnel（QinQ），VM 的 VLAN 10 透传，外层加 VLAN 100。

资源文件    ../../resources/ovs.resource
资源文件    ../../resources/vm.resource
资源文件    ../../resources/traffic.resource


*** 用例 ***
5.4.7.1 OVS 支持VLAN透传
    [说明]    要求：支持 VLAN 透传。记录的步骤：dpdkvhostuser0/1 设为 vlan_mode=dot1q-tunnel tag=100 cvlans=0,10
    ...    qinq-ethtype=802.1q，dpdkp1 设为 native-tagged tag=100；VM 上 eth1 为 192.168.1.x，eth1.10 为 192.168.10.x。
    ...    预期：VM01 在两个网段都能 ping 通 VM02；在对端 Host A 抓包，去往 192.168.1.101 的报文只有一层 VLAN 100，
    ...    去往 192.168.10.101 的报文有两层 VLAN，外层 100、内层 10。OVS 默认只解析一层 VLAN，QinQ 需要
    ...    other_config:vlan-limit=2（记录没有写出这一步）。
    [标签]    ovs    dpdk    vm    traffic
    [启程]    添加业务物理口
    设置OVS全局配置    vlan-limit=2
    FOR    ${port}    IN    dpdkvhostuser0    dpdkvhostuser1
        设置端口VLAN    ${port}    dot1q-tunnel    tag=100    cvlans=[0, 10]    qinq_ethtype=802.1q
    END
    设置端口VLAN    dpdkp1    native-tagged    tag=100    qinq_ethtype=802.1q
    配置业务地址    vm01    eth1    192.168.1.100/24
    配置业务地址    vm02    eth1    192.168.1.200/24
    添加VLAN子接口    vm01    eth1    10    192.168.10.100/24
    添加VLAN子接口    vm02    eth1    10    192.168.10.200/24
    两台主机应能互相Ping通    vm01    192.168.1.100    vm02    192.168.1.200
    两台主机应能互相Ping通    vm01    192.168.10.100    vm02    192.168.10.200
    ${cap}=    启动抓包    hosta    enP5p1s0    vlan
    执行Ping    vm02    192.168.1.101    count=2
    执行Ping    vm02    192.168.10.101    count=2
    ${frames}=    停止抓包    ${cap}
    抓包VLAN标签应为    ${frames}    100    ip=192.168.1.101
    抓包VLAN标签应为    ${frames}    100    10    ip=192.168.10.101
    [终程]    恢复VLAN配置


*** 关键字 ***
恢复VLAN配置
    [说明]    用例终程：停止抓包，删除 VLAN 子接口与地址，清除端口 VLAN 设置与 vlan-limit，删除 dpdkp1。
    停止所有抓包
    删除接口    vm01    eth1.10
    删除接口    vm02    eth1.10
    清除VM业务地址
    FOR    ${port}    IN    dpdkvhostuser0    dpdkvhostuser1
        清除端口VLAN    ${port}
    END
    删除OVS全局配置    vlan-limit
    删除业务物理口
