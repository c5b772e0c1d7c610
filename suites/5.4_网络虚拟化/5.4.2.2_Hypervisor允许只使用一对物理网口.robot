*** 设置 ***
说明      5.4.2.2 Hypervisor允许只使用一对物理网口：同一块网卡既作 OVS 的上行口，又给 VM 提供 VF。

资源文件    ../../resources/sriov.resource
资源文件    ../../resources/ovs.resource
资源文件    ../../resources/vm.resource


*** 变量 ***
@{端点}         hosta=5.5.5.11    hostb=5.5.5.22    vm02=5.5.5.33    vm01=5.5.5.44
# 记录的第一张连通性表：enP5p1s0 以普通方式（system 端口）加入 ovsbr0。
@{普通端口时}      self Y Y Y    Y self Y N    Y Y self N    Y N N self
# 记录的第二张表：以 DPDK 方式加入后，PMD 接管了网卡，Host B 自己（5.5.5.22）全不通。
@{DPDK端口时}    self N Y Y    N self N N    Y N self N    Y N N self


*** 用例 ***
5.4.2.2 Hypervisor允许只使用一对物理网口
    [说明]    要求：Hypervisor 只用一对物理网口时，OVS 上的 VM 与 SR-IOV 的 VM 都能与外部互通。记录的步骤：vm01 用
    ...    vhost-user（ovsbr0 的 eth1，5.5.5.44），vm02 用 enP5p1s0 的 VF（5.5.5.33）；先把 enP5p1s0 以普通方式加入
    ...    ovsbr0（Host B 在其上为 5.5.5.22，对端 Host A 为 5.5.5.11），测连通性矩阵；再删掉它，以 DPDK 方式加入（dpdkp1），
    ...    再测一次。预期（记录的两张表）：外部（5.5.5.11）到两个 VM 都通；用户态 datapath 下 Host B 与 vm01 互不通
    ...    （OVS 用 AF_PACKET 收发，不经 Host B 的协议栈），vm02 的 VF 与 vm01 也不通（网卡把发往未知 MAC 的帧送往
    ...    线路）；DPDK 方式下 PMD 接管网卡，到 5.5.5.22 的报文全不通。
    [标签]    sriov    ovs    dpdk    vm    traffic
    [启程]    准备一对物理网口测试
    添加端口    ovsbr0    enP5p1s0
    配置业务地址    hostb    enP5p1s0    5.5.5.22/24
    连通性矩阵应为    ${端点}    ${普通端口时}
    删除端口    enP5p1s0
    添加业务物理口
    连通性矩阵应为    ${端点}    ${DPDK端口时}
    [终程]    恢复一对物理网口测试环境


*** 关键字 ***
准备一对物理网口测试
    [说明]    用例启程：enP5p1s0 上 2 个 VF，VF 0 直通给 vm02（enp4s0）；各端点配置地址。
    创建VF    enP5p1s0    2
    把VF直通给虚拟机    vm02    enP5p1s0    0    enp4s0
    配置业务地址    hosta    enP5p1s0    5.5.5.11/24
    配置业务地址    vm02    enp4s0    5.5.5.33/24
    配置业务地址    vm01    eth1    5.5.5.44/24

恢复一对物理网口测试环境
    [说明]    用例终程：从 ovsbr0 删除 enP5p1s0 与 dpdkp1，清除地址，收回 VF 并恢复 VF 数量。
    删除端口    enP5p1s0    missing_ok=True
    删除业务物理口
    清除接口地址    hosta    enP5p1s0
    清除接口地址    hostb    enP5p1s0
    清除VM业务地址
    恢复SR-IOV测试环境
