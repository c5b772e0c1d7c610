*** 设置 ***
说明      5.4.1 OVS 采用 DPDK：用户态 datapath（netdev）、vhost-user 端口、PMD 线程。

资源文件    ../../resources/ovs.resource
资源文件    ../../resources/vm.resource
资源文件    ../../resources/traffic.resource

用例标签    ovs    dpdk


*** 用例 ***
5.4.1.1 OVS采用DPDK
    [说明]    要求：虚拟交换机 OVS 采用 DPDK 加速，VM 经 dpdkvhostuser 端口接入 ovsbr0（datapath_type=netdev）。
    ...    验证：启动 VM，配置 IP 后两个 VM 可以互相 ping 通；记录 ovs-vsctl show 作为证据。
    [标签]    vm    traffic
    显示OVS配置
    获取数据通路信息
    获取网卡通道数    vm01    eth1
    配置业务地址    vm01    eth1    5.5.5.51/24
    配置业务地址    vm02    eth1    5.5.5.52/24
    两台主机应能互相Ping通    vm01    5.5.5.51    vm02    5.5.5.52
    [终程]    清除VM业务地址

5.4.1.2 OVS支持numa感知
    [说明]    要求：OVS-DPDK 的 PMD 线程与内存按 NUMA 节点分配（dpdk-init、pmd-cpu-mask、dpdk-socket-mem）。
    ...    验证：ovsbr0 上有 vhost-user 端口和 DPDK 物理口 dpdkp1 时，pmd-rxq-show 中每个接收队列都由与其端口同一
    ...    NUMA 节点的 PMD 轮询（物理口看网卡的 numa_node，vhost-user 口看客户机内存所在节点），dpdk-socket-mem
    ...    设置时给这些节点分配了内存。单 socket 的系统不存在跨 NUMA 分配问题（记录中的注），用例消息会说明。
    [启程]    添加业务物理口
    PMD应轮询所有vhost-user接收队列
    PMD与内存应按NUMA节点分配
    [终程]    删除业务物理口
