*** 设置 ***
说明       5.4.2.1 SR-IOV链路状态感知测试：VF 直通给 VM 后，VM 能否感知 PF 与 VF 的链路状态。
...      记录分两部分记结果：“测试link up -- PASS”与“测试link down -- FAIL”，这里是同名的两个用例。
...      用例集启程按记录在 enP5p1s0（0005:01:00.0）上创建 2 个 VF，把 VF 0（0005:01:00.1）直通给 vm01（enp5s0）。

资源文件     ../../resources/sriov.resource
资源文件     ../../resources/vm.resource

用例集启程    准备链路状态感知测试
用例集终程    恢复SR-IOV测试环境

用例标签     sriov    vm


*** 用例 ***
5.4.2.1 SR-IOV链路状态感知测试 测试link up
    [说明]    要求：VM 能感知 SR-IOV 网卡的链路状态。记录“测试link up -- PASS”：新增 2 个 VF 后 VF 网卡的链路为 Up；
    ...    vm01 中直通来的 VF（enp5s0）为 UP；Host 上 VF 的 link-state 为 auto。
    VF网卡链路应为Up    enP5p1s0
    虚拟机网卡链路应为    vm01    enp5s0    up
    VF设置应为    enP5p1s0    0    link_state=auto

5.4.2.1 SR-IOV链路状态感知测试 测试link down
    [说明]    要求：VM 能感知 SR-IOV 网卡的链路状态。记录“测试link down -- FAIL”：在 Host 上 down 掉 PF，VF 的
    ...    link-state 为 auto，按内核文档 VM 中的 VF 应随之 down；记录在 ConnectX-4（OFED 4.3）上 VM 中仍为 UP。
    ...    记录的 Fail 分析接着把 VF 0 设为 disable（VM 中应为 NO-CARRIER），再设回 enable（VM 中应恢复 UP）：
    ...    这两步照常检查。在 PF 不带 VF 断开的网卡上，本用例以设置、VM 中的 ip link 结果与网卡的驱动、固件和型号说明失败。
    [启程]    虚拟机网卡链路应为    vm01    enp5s0    up
    设置PF链路状态    enP5p1s0    down
    Run Keyword And Continue On Failure    PF断开后VF链路应随之断开    vm01    enp5s0    enP5p1s0    0
    设置VF    enP5p1s0    0    link_state=disable
    虚拟机网卡链路应为    vm01    enp5s0    down
    设置VF    enP5p1s0    0    link_state=enable
    虚拟机网卡链路应为    vm01    enp5s0    up
    [终程]    恢复链路状态


*** 关键字 ***
准备链路状态感知测试
    [说明]    用例集启程：enP5p1s0 上创建 2 个 VF，VF 0 直通给 vm01，在 VM 中命名为 enp5s0（记录中的名字）。
    创建VF    enP5p1s0    2
    把VF直通给虚拟机    vm01    enP5p1s0    0    enp5s0

恢复链路状态
    [说明]    用例终程：VF 0 的 link-state 设回 auto，PF 设回 up，VM 中 enp5s0 恢复 UP。
    设置VF    enP5p1s0    0    link_state=auto
    设置PF链路状态    enP5p1s0    up
    虚拟机网卡链路应为    vm01    enp5s0    up
