*** 设置 ***
说明      5.4.3 SR-IOV网卡的桥接功能：同一 PF 的两个 VF 之间由网卡内部的 eswitch 桥接。

资源文件    ../../resources/sriov.resource
资源文件    ../../resources/vm.resource


*** 用例 ***
5.4.3 SR-IOV网卡的桥接功能
    [说明]    要求：SR-IOV 网卡具备桥接功能。记录的步骤：两个 VM 都使用 enP5p1s0 的 VF，配置同网段 IP。
    ...    预期（记录的结果）：物理网卡（Mellanox ConnectX-4）默认桥接 VF，两个 VM 能够互相 ping 通；在对端 Host A
    ...    上抓包，没有相关的 ICMP 报文（VF 之间的流量不经过线路）。另外检查：已直通给 vm01 的 VF 不能再给 vm02。
    [标签]    sriov    vm    traffic
    [启程]    创建VF    enP5p1s0    2
    把两个VF分别直通给两个VM    enP5p1s0    enp4s0
    Run Keyword And Expect Error    *VF 0 已直通给 vm01，不能再给 vm02*
    ...    把VF直通给虚拟机    vm02    enP5p1s0    0    enp6s0
    配置业务地址    vm01    enp4s0    5.5.5.100/24
    配置业务地址    vm02    enp4s0    5.5.5.200/24
    ${cap}=    启动抓包    hosta    enP5p1s0    icmp
    两台主机应能互相Ping通    vm01    5.5.5.100    vm02    5.5.5.200
    ${frames}=    停止抓包    ${cap}
    抓包中应无ICMP    ${frames}
    [终程]    恢复SR-IOV测试环境
