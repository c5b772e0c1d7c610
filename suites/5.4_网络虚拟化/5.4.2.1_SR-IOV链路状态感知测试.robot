*** 设置 ***
说明      5.4.2.1 SR-IOV链路状态感知测试：VF 直通给 VM 后，VM 能否感知 PF 与 VF 的链路状态。

资源文件    ../../resources/sriov.resource
资源文件    ../../resources/vm.resource


*** 用例 ***
5.4.2.1 SR-IOV链路状态感知测试
    [说明]    要求：VM 能感知 SR-IOV 网卡的链路状态。记录的步骤：在 enP5p1s0（0005:01:00.0）上创建 2 个 VF，
    ...    VF 网卡的链路为 Up；把 VF 0（0005:01:00.1）直通给 vm01，VM 中 enp5s0 为 UP，VF 的 link-state 为 auto；
    ...    在 Host 上 down 掉 PF，VM 中的 VF 应随之 down；再把 VF 0 设为 disable，VM 中应为 NO-CARRIER；设回 enable，VM 中应恢复 UP。
    ...    预期：按内核文档，link-state auto 的 VF 跟随 PF 的链路。记录在 ConnectX-4（OFED 4.3）上 PF down 后 VM 中
    ...    仍为 UP（FAIL），在这样的网卡上本用例以驱动与固件版本说明失败；disable/enable 两步照常检查。
    [标签]    sriov    vm
    [启程]    创建VF    enP5p1s0    2
    VF网卡链路应为Up    enP5p1s0
    把VF直通给虚拟机    vm01    enP5p1s0    0    enp5s0
    虚拟机网卡链路应为    vm01    enp5s0    up
    VF设置应为    enP5p1s0    0    link_state=auto
    设置PF链路状态    enP5p1s0    down
    Run Keyword And Continue On Failure    PF断开后VF链路应随之断开    vm01    enp5s0    enP5p1s0
    设置VF    enP5p1s0    0    link_state=disable
    虚拟机网卡链路应为    vm01    enp5s0    down
    设置VF    enP5p1s0    0    link_state=enable
    虚拟机网卡链路应为    vm01    enp5s0    up
    设置VF    enP5p1s0    0    link_state=auto
    设置PF链路状态    enP5p1s0    up
    虚拟机网卡链路应为    vm01    enp5s0    up
    [终程]    恢复SR-IOV测试环境
