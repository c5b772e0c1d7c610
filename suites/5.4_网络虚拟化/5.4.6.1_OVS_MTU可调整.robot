*** 设置 ***
说明      5.4.6.1 OVS MTU可调整（vxlan网络只在SDN场景下测试）。

资源文件    ../../resources/ovs.resource
资源文件    ../../resources/vm.resource
资源文件    ../../resources/traffic.resource


*** 用例 ***
5.4.6.1 OVS MTU可调整（vxlan网络只在SDN场景下测试）
    [说明]    要求：OVS 的 MTU 可调整。记录的步骤：在 ovsbr0 上添加 DPDK 物理口 dpdkp1（n_rxq=2），把 ovsbr0、dpdkp1、
    ...    dpdkvhostuser0/1 的 mtu_request 设为 4000，VM01/VM02 的 MTU 设为 4000，VM 互相 ping：小于 4000 的报文
    ...    能通，大于的不通。这里每次设置 mtu_request 都检查它的效果（Interface 的 mtu 等于请求、无 error、链路仍 up），
    ...    并像记录那样从 dpif/show 读各端口的 mtu=；再用不分片 ping 精确检查边界两侧，VM 互 ping 之外
    ...    还经 dpdkp1 ping Host A（enP5p1s0，MTU 9000，边界由发送方和 OVS 决定）：VM MTU 4000 时最大载荷
    ...    3972（4000-28）通、3973 不通；VM 的 MTU 提到 9000 后边界由 OVS 决定：DPDK 端口允许的最大帧为
    ...    MTU+14+4（以太头与 CRC），即 IP 包 4004 字节、载荷 3976 通，3977 被 OVS 丢弃（计入
    ...    ovs_tx_mtu_exceeded_drops），说明 mtu_request 在 vhost-user 口和物理口上都生效；最后全部设为 9000：
    ...    巨帧（载荷 8972）经 dpdkp1 到 Host A 能通，8973 不通。
    [标签]    ovs    dpdk    vm    traffic
    [启程]    添加业务物理口
    获取数据通路信息
    设置多个接口MTU请求    4000    ovsbr0    dpdkp1    dpdkvhostuser0    dpdkvhostuser1
    数据通路端口MTU应为    4000    dpdkp1    dpdkvhostuser0    dpdkvhostuser1
    配置业务地址    vm01    eth1    5.5.5.51/24
    配置业务地址    vm02    eth1    5.5.5.52/24
    配置业务地址    hosta    enP5p1s0    5.5.5.10/24
    设置接口MTU    hosta    enP5p1s0    9000
    设置VM业务口MTU    4000
    到各地址的最大不分片载荷都应为    vm01    3972    5.5.5.52    5.5.5.10
    设置VM业务口MTU    9000
    到各地址的最大不分片载荷都应为    vm01    3976    5.5.5.52    5.5.5.10
    设置多个接口MTU请求    9000    ovsbr0    dpdkp1    dpdkvhostuser0    dpdkvhostuser1
    数据通路端口MTU应为    9000    dpdkp1    dpdkvhostuser0    dpdkvhostuser1
    最大不分片载荷应为    vm01    5.5.5.10    8972
    [终程]    恢复MTU


*** 关键字 ***
设置VM业务口MTU
    [说明]    两个 VM 的 eth1 设为同一 MTU。
    [参数]    ${mtu}
    设置接口MTU    vm01    eth1    ${mtu}
    设置接口MTU    vm02    eth1    ${mtu}

恢复MTU
    [说明]    用例终程：VM、Host A 与 OVS 接口的 MTU 恢复为 1500，删除 dpdkp1，清除地址。
    设置VM业务口MTU    1500
    设置接口MTU    hosta    enP5p1s0    1500
    清除接口地址    hosta    enP5p1s0
    设置多个接口MTU请求    1500    ovsbr0    dpdkvhostuser0    dpdkvhostuser1
    删除业务物理口
    清除VM业务地址
