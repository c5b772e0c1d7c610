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
    ...    正对照（记录之外）：一块什么都不通的网卡也会“隔离”，所以先证明新网卡能在自己的网络里通信：
    ...    VM01 临时也在 ovsbr1 上挂一块网卡（dpdkvhostuser3，5.5.5.61），与 VM02 的新网卡（5.5.5.52）
    ...    在 ovsbr1 内互相 ping 通；不通则判 FAIL（新网卡没有承载流量，无法判断隔离）。
    ...    之后卸下这块对照网卡（它在 ovsbr1 上会替 VM01 应答 ARP），恢复记录的拓扑，再判断隔离：
    ...    VM01 在 ovsbr0 的 eth1 上用 5.5.5.51，与 VM02 的 eth2 同网段，两个方向都应不通。
    [标签]    ovs    dpdk    vm    traffic
    清除VM业务地址
    添加网桥    ovsbr1    datapath_type=netdev
    添加端口    ovsbr1    dpdkvhostuser2    type=dpdkvhostuser
    添加端口    ovsbr1    dpdkvhostuser3    type=dpdkvhostuser
    挂载网卡    vm02    vhostuser    dpdkvhostuser2    00:00:00:00:00:12    eth2
    挂载网卡    vm01    vhostuser    dpdkvhostuser3    00:00:00:00:00:13    eth2
    端口接收队列数应为    dpdkvhostuser2    1
    配置业务地址    vm02    eth2    5.5.5.52/24
    配置业务地址    vm01    eth2    5.5.5.61/24
    新网卡应在本网络内互通    vm02    5.5.5.52    vm01    5.5.5.61    ovsbr1
    卸载网卡    vm01    00:00:00:00:00:13
    删除端口    dpdkvhostuser3
    配置业务地址    vm01    eth1    5.5.5.51/24
    两台主机应不能互相Ping通    vm01    5.5.5.51    vm02    5.5.5.52
    [终程]    拆除隔离网络


*** 关键字 ***
新网卡应在本网络内互通
    [说明]    正对照：${vm} 新挂的网卡（${addr}）与同一网络 ${network} 中的 ${peer}（${peer_addr}）互相 ping 通；
    ...    不通则失败，说明新网卡没有承载流量，隔离无从判断。
    ...    例：新网卡应在本网络内互通    vm02    5.5.5.52    vm01    5.5.5.61    ovsbr1
    [参数]    ${vm}    ${addr}    ${peer}    ${peer_addr}    ${network}
    TRY
        两台主机应能互相Ping通    ${vm}    ${addr}    ${peer}    ${peer_addr}
    EXCEPT    AS    ${error}
        ${message}=    Catenate    SEPARATOR=${EMPTY}
        ...    正对照失败：${vm} 的新网卡（${addr}）在它自己的网络 ${network} 内与 ${peer}（${peer_addr}）不通，
        ...    新网卡没有承载流量，因此无法判断网络隔离。原因：${error}
        Fail    ${message}
    END

拆除隔离网络
    [说明]    用例终程：卸载 VM02 的 eth2 和 VM01 的对照网卡（若还在），删除 ovsbr1，清除地址。
    Run Keyword And Ignore Error    卸载网卡    vm01    00:00:00:00:00:13
    Run Keyword And Ignore Error    卸载网卡    vm02    00:00:00:00:00:12
    删除网桥    ovsbr1    missing_ok=True
    清除VM业务地址
