*** 设置 ***
说明      待解决问题：VM 同时添加 SR-IOV 与 vhost-user 导致 OVS 崩溃重启（记录中的 error log：
...     VHOST_USER_SET_MEM_TABLE 之后 ovs-vswitchd 段错误，monitor 重启它）。作为回归测试：不应再发生。

资源文件    ../../resources/ovs.resource
资源文件    ../../resources/vm.resource
资源文件    ../../resources/sriov.resource
资源文件    ../../resources/traffic.resource

用例标签    ovs    dpdk    sriov    vm    needs-hw


*** 用例 ***
待解决问题 VM同时添加sriov和vhost-user导致OVS崩溃重启
    [说明]    现象（记录）：单独添加 SR-IOV 或 vhost-user 都正常，同时添加则 ovs-vswitchd 马上崩溃重启。
    ...    回归检查：VM01 已有 vhost-user 网卡（eth1，dpdkvhostuser0）时再直通 enP5p1s0 的 VF 0；之后 5 秒内 ovs-vswitchd
    ...    一直应答（同一进程），日志中没有新的崩溃记录，eth1 仍能与 VM02 互通。该崩溃与 VF 直通（VFIO 映射 VM 内存）有关：实验环境的
    ...    VF 是模拟的（没有 VFIO），在那里这个检查没有意义，因此只在有真实 SR-IOV 直通的实验环境运行。
    要求实验环境具备    sriov_passthrough    实验环境的 VF 是模拟网卡（tap），没有 VFIO 直通，无法重现与之相关的 OVS 崩溃
    ${pid}=    获取vswitchd进程号
    ${crashes}=    获取vswitchd崩溃记录
    设置VF数量    enP5p1s0    1
    把VF直通给虚拟机    vm01    enP5p1s0    0    enp5s0
    # 记录中 ovs-vswitchd 在 VF 直通后 2 秒内、vhost-user 重新协商内存表（SET_MEM_TABLE）时崩溃：观察 5 秒，出事即失败。
    观察期内ovs-vswitchd应保持运行    ${pid}    5
    ${crashes_after}=    获取vswitchd崩溃记录
    Should Be Equal    ${crashes}    ${crashes_after}    ovs-vswitchd 的日志中出现了新的崩溃记录
    配置业务地址    vm01    eth1    5.5.5.51/24
    配置业务地址    vm02    eth1    5.5.5.52/24
    两台主机应能互相Ping通    vm01    5.5.5.51    vm02    5.5.5.52
    [终程]    恢复崩溃回归测试环境


*** 关键字 ***
恢复崩溃回归测试环境
    [说明]    用例终程：收回 VF、恢复 VF 数量，清除地址。
    恢复SR-IOV配置
    清除VM业务地址
