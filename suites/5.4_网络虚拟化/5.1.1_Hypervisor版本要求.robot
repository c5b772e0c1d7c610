*** 设置 ***
说明      5.1.1 Hypervisor版本要求（记录在“测试前准备 / 服务器配置”中检查，故随 5.4 章最先运行）。

资源文件    ../../resources/versions.resource


*** 用例 ***
5.1.1 Hypervisor版本要求
    [说明]    要求：1. Host OS 的版本 ≥ 3.10.0；2. kvm-qemu 的版本 ≥ 2.3.0；3. openvswitch ≥ 2.5.0；
    ...    4. dpdk 的版本 ≥ 16.11.0。版本从 Hypervisor（Host B）读取，按数字而不是字符串比较。
    ...    OVSDB 在 OVS 2.10 之前不记录 DPDK 版本（记录中的 OVS 2.8.4 即如此）：此时读运行中的 ovs-vswitchd、
    ...    它的日志或实验环境参数 dpdk_version_header 指向的 rte_version.h，都读不到则跳过并说明原因。
    [标签]    hypervisor    ovs    dpdk    vm
    Hypervisor软件版本应满足要求
