*** 设置 ***
说明          5.4.1 OVS 采用 DPDK：用户态 datapath（netdev）、vhost-user 端口、PMD 线程。
资源文件      ../../resources/ovs.resource
资源文件      ../../resources/vm.resource
资源文件      ../../resources/traffic.resource


*** 用例 ***
5.4.1.1 OVS采用DPDK
    [说明]    要求：虚拟交换机 OVS 采用 DPDK 加速，VM 经 dpdkvhostuser 端口接入 ovsbr0（datapath_type=netdev）。
    ...    验证：启动 VM，配置 IP 后两个 VM 可以互相 ping 通；记录 ovs-vsctl show 作为证据。
    [标签]    ovs    dpdk    vm    traffic
    [终程]    清除业务地址
    显示OVS配置
    获取数据通路信息
    在主机上执行    vm01    ethtool -l eth1
    配置业务地址    vm01    eth1    5.5.5.51/24
    配置业务地址    vm02    eth1    5.5.5.52/24
    两台主机应能互相Ping通    vm01    5.5.5.51    vm02    5.5.5.52


*** 关键字 ***
清除业务地址
    清除接口地址    vm01    eth1
    清除接口地址    vm02    eth1
