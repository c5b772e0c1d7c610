*** 设置 ***
说明      Troubleshooting：OVS 异常重启导致 vhost-user 不通。vhost-user 是 client-server 模式：dpdkvhostuser 端口由 OVS
...     做 server、QEMU 做 client，OVS 重启后 QEMU 不会重连；dpdkvhostuserclient 端口由 QEMU 做 server，OVS 重启后自己重连。

资源文件    ../../resources/ovs.resource
资源文件    ../../resources/vm.resource
资源文件    ../../resources/traffic.resource

用例标签    ovs    dpdk    vm    traffic


*** 用例 ***
Troubleshooting OVS异常重启导致vhostuser不通
    [说明]    记录的说明：OVS 因异常自动重启时，会因为无法打开 vhost 端口的 socket 导致 vhost 不通，此时要先关闭 VM，再重启 OVS。
    ...    这里重现并给出检测与恢复：VM 同时有 dpdkvhostuser 网卡（eth1，QEMU 为 client）与 dpdkvhostuserclient 网卡
    ...    （eth2，QEMU 为 server）；重启 ovs-vswitchd（pid 改变）后，dpdkvhostuserclient 由 OVS 重连（端口链路 up）、
    ...    流量恢复（等到链路 up 才发流量：有一次在重连握手当中发包，内嵌实验环境的 TCG 客户机随即挂起）；
    ...    dpdkvhostuser 端口的链路为 down、VM 之间不通（检测到故障）；重启 VM 后恢复，再次验证互通。
    [启程]    准备两种vhost-user端口
    两台主机应能互相Ping通    vm01    5.5.5.51    vm02    5.5.5.52
    两台主机应能互相Ping通    vm01    7.7.7.51    vm02    7.7.7.52
    ${before}=    获取vswitchd进程号
    重启ovs-vswitchd
    ${after}=    获取vswitchd进程号
    Should Not Be Equal    ${before}    ${after}    ovs-vswitchd 没有重启
    VM端口链路应为    vhuclient1    up
    VM端口链路应为    vhuclient2    up
    Wait Until Keyword Succeeds    30s    2s    应能Ping通    vm01    7.7.7.52
    VM端口链路应为    dpdkvhostuser0    down
    应不能Ping通    vm01    5.5.5.52
    重启虚拟机    vm01    vm02
    VM端口链路应为    dpdkvhostuser0    up
    配置业务地址    vm01    eth1    5.5.5.51/24
    配置业务地址    vm02    eth1    5.5.5.52/24
    两台主机应能互相Ping通    vm01    5.5.5.51    vm02    5.5.5.52
    [终程]    删除vhost-user客户端网络


*** 关键字 ***
准备两种vhost-user端口
    [说明]    用例启程：VM 的 eth1（dpdkvhostuser0/1）配 5.5.5.x；再给两个 VM 热插 QEMU 为 server 的 vhost-user 网卡 eth2，
    ...    先在 ovsbr2 上添加 dpdkvhostuserclient 端口（OVS 会不断尝试连接），再热插网卡（QEMU 等到 OVS 连上才继续），eth2 配 7.7.7.x。
    配置业务地址    vm01    eth1    5.5.5.51/24
    配置业务地址    vm02    eth1    5.5.5.52/24
    添加网桥    ovsbr2    datapath_type=netdev
    FOR    ${i}    IN    1    2
        添加vhost-user客户端端口    ovsbr2    vhuclient${i}    vhuclient${i}
        挂载网卡    vm0${i}    vhostuser    vhuclient${i}    00:00:00:00:00:2${i}    eth2    vhost_mode=server
        配置业务地址    vm0${i}    eth2    7.7.7.5${i}/24
    END

VM端口链路应为
    [说明]    OVSDB 中接口的 link_state（VM 的 virtio 设备连着时为 up），最多等 60 秒：重启后的 ovs-vswitchd 在繁忙的机器上
    ...    要过一阵才把已经重连好的端口写进 OVSDB（另一个实验环境并行时，vswitchd 日志中已是 “virtio is now ready”，
    ...    20 秒后 link_state 仍为 down）。
    [参数]    ${port}    ${state}
    Wait Until Keyword Succeeds    60s    1s    接口链路状态应为    ${port}    ${state}

删除vhost-user客户端网络
    [说明]    用例终程：用例失败时先把 vswitchd 日志中两个 dpdkvhostuserclient 端口的记录记入日志（重连到了哪一步），
    ...    再卸载 eth2（若 VM 没有重启过），删除 ovsbr2，清除地址。用例在重启 VM 之前失败时，VM 的 dpdkvhostuser 网卡在
    ...    vswitchd 重启后仍断着（QEMU 为 client，不重连），后面的用例要用它：再重启 VM。
    FOR    ${i}    IN    1    2
        Run Keyword If Test Failed    记录vswitchd日志中端口的记录    vhuclient${i}
        Run Keyword And Ignore Error    卸载网卡    vm0${i}    00:00:00:00:00:2${i}
    END
    删除网桥    ovsbr2    missing_ok=True
    Run Keyword If Test Failed    重启虚拟机    vm01    vm02
    清除VM业务地址
