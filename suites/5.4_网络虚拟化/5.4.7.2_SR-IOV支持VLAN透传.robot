*** 设置 ***
说明      5.4.7.2 SR-IOV 支持VLAN透传：VF 加 VLAN 100（VST），VM 自己的 VLAN 10 标签透传（QinQ）。

资源文件    ../../resources/sriov.resource
资源文件    ../../resources/vm.resource


*** 用例 ***
5.4.7.2 SR-IOV 支持VLAN透传
    [说明]    要求：支持 VLAN 透传。记录的步骤：``ip link set dev enP5p1s0 vf 0 vlan 100``、``vf 1 vlan 100``；两个 VM 的
    ...    enp4s0 为 5.5.5.100/200，其 VLAN 10 子接口 enp4s0.10 为 5.5.10.100/200，VM01 与 VM02 用 enp4s0.10 互相 ping。
    ...    预期：两个网段都能 ping 通；在对端 Host A 抓包（如 5.4.7.1），去往 5.5.5.101 的报文只有一层 VLAN 100，
    ...    去往 5.5.10.101 的报文外层 100、内层 10。记录在 ConnectX-4（OFED 4.3）上 VLAN 10 不通（FAIL：该版本不支持
    ...    QinQ，OFED 4.4 起支持）；在这样的网卡上本用例失败，消息写明 VF 的设置、ping 的结果、抓包看到的标签和网卡的驱动、
    ...    固件与型号。
    [标签]    sriov    vm    traffic
    [启程]    准备SR-IOV VLAN透传测试
    两台主机应能互相Ping通    vm01    5.5.5.100    vm02    5.5.5.200
    Ping时抓包VLAN标签应为    hosta    enP5p1s0    vm02    5.5.5.101    100
    VF应为客户机带VLAN标签的帧再加一层标签
    [终程]    恢复SR-IOV VLAN透传测试环境


*** 关键字 ***
VF应为客户机带VLAN标签的帧再加一层标签
    [说明]    VF 设了 VLAN 100（VST）后，VM 的 VLAN 10 子接口（客户机自己加的标签）互相 ping 通，且在对端 Host A 的
    ...    enP5p1s0 上抓到 vm02 发往 5.5.10.101 的帧带两层标签：外层 100、内层 10（QinQ）。不符合时以网卡的驱动、固件与
    ...    型号说明失败，消息写明 VF 的设置、ping 的结果和抓包看到的标签：这是记录 5.4.7.2 在 ConnectX-4 / OFED 4.3 上的 FAIL。
    ${ping}    ${ping_seen}=    Run Keyword And Ignore Error
    ...    两台主机应能互相Ping通    vm01    5.5.10.100    vm02    5.5.10.200
    ${tags}    ${tags_seen}=    Run Keyword And Ignore Error
    ...    Ping时抓包VLAN标签应为    hosta    enP5p1s0    vm02    5.5.10.101    100    10
    IF    $ping == 'FAIL' or $tags == 'FAIL'
        ${ping_seen}=    Set Variable If    $ping == 'PASS'    ping 通    ping 不通（${ping_seen}）
        ${tags_seen}=    Set Variable If    $tags == 'PASS'    标签为外层 100、内层 10    ${tags_seen}
        以网卡信息说明失败    enP5p1s0
        ...    设置：enP5p1s0 的 VF 0、VF 1 设了 vlan 100（VST），vm01（5.5.10.100）与 vm02（5.5.10.200）在 VLAN 10 子接口上
        ...    互相 ping：${ping_seen}；在 Host A 的 enP5p1s0 抓 vm02 发往 5.5.10.101 的帧：${tags_seen}。
        ...    网卡的表现：没有为客户机已带 VLAN 标签的帧再加一层标签（不支持 QinQ），带标签的帧被丢弃。
        ...    记录 5.4.7.2：OFED 4.3-3.0.2 的用户手册说明 ConnectX-4 不支持 QinQ，OFED 4.4 起支持。
    END

准备SR-IOV VLAN透传测试
    [说明]    用例启程：两个 VF 各直通给一个 VM（enp4s0），都设 VLAN 100；VM 中配置 enp4s0 与 VLAN 10 子接口的地址。
    创建VF    enP5p1s0    2
    把两个VF分别直通给两个VM    enP5p1s0    enp4s0
    设置VF    enP5p1s0    0    vlan=100
    设置VF    enP5p1s0    1    vlan=100
    配置业务地址    vm01    enp4s0    5.5.5.100/24
    配置业务地址    vm02    enp4s0    5.5.5.200/24
    添加VLAN子接口    vm01    enp4s0    10    5.5.10.100/24
    添加VLAN子接口    vm02    enp4s0    10    5.5.10.200/24

恢复SR-IOV VLAN透传测试环境
    [说明]    用例终程：删除 VLAN 子接口，收回 VF，恢复 VF 的 VLAN 与 VF 数量。
    Run Keyword And Ignore Error    删除接口    vm01    enp4s0.10
    Run Keyword And Ignore Error    删除接口    vm02    enp4s0.10
    恢复SR-IOV测试环境
