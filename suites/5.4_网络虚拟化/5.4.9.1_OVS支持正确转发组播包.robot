*** 设置 ***
说明      5.4.9.1 OVS支持正确转发组播包：Host A 发出的未知组播经 dpdkp1 进入 ovsbr0，两个 VM 都能收到。

资源文件    ../../resources/ovs.resource
资源文件    ../../resources/vm.resource
资源文件    ../../resources/traffic.resource


*** 用例 ***
5.4.9.1 OVS支持正确转发组播包
    [说明]    要求：OVS 正确转发组播包。记录的步骤：两个 VM 的 eth1 打开 allmulticast；Host A（记录中用 DPDK pktgen）
    ...    向 224.0.0.1 / 01:00:5e:00:00:01 和 225.0.0.2 / 01:00:5e:00:00:02 发组播包，在 VM01 和 VM02 上抓包。
    ...    预期：两个组播地址的包 VM01 和 VM02 都收到。这里用本库的发包工具代替 pktgen（原始套接字，目的 MAC 由组播 IP 换算）。
    [标签]    ovs    dpdk    vm    traffic
    [启程]    准备组播测试
    FOR    ${group}    IN    224.0.0.1    225.0.0.2
        组播应到达这些接口    ${group}    vm01:eth1    vm02:eth1
    END
    [终程]    恢复组播测试环境


*** 关键字 ***
准备组播测试
    [说明]    用例启程：添加 dpdkp1，两个 VM 的 eth1 打开 allmulticast 并 up。
    添加业务物理口
    FOR    ${vm}    IN    vm01    vm02
        设置接口地址    ${vm}    eth1    5.5.5.5${vm[-1]}/24
        设置组播接收    ${vm}    eth1    开
    END

恢复组播测试环境
    [说明]    用例终程：停止抓包，关闭 allmulticast，清除地址，删除 dpdkp1。
    停止所有抓包
    FOR    ${vm}    IN    vm01    vm02
        设置组播接收    ${vm}    eth1    关
    END
    清除VM业务地址
    删除业务物理口
