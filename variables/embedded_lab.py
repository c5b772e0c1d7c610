"""The embedded lab: the record's topology built on this machine (the default lab).

Choose a lab id per parallel run with ``-V variables/embedded_lab.py:nv2`` or the
environment variable NETVIRT_LAB_ID; each id gets its own management /24 in 198.18.0.0/15.

The emulated SR-IOV NICs behave as the record's ConnectX-4 with OFED 4.3 (model ``cx4-ofed4.3``),
so the chapter reproduces the record's verdicts, its two FAILs included. A NIC that behaves as the
kernel documents is chosen on the command line: ``-V variables/embedded_lab.py:nv1:spec-conformant``
(or NETVIRT_NIC_MODEL=spec-conformant); the models are ``netvirt.labspec.NIC_MODELS``.

The guests are x86_64 by default. ``-V variables/embedded_lab.py:nv1::aarch64`` (or NETVIRT_VM_ARCH=aarch64)
gives aarch64 guests as the record's: QEMU's virt machine with GICv3 (TCG, Cortex-A57), Debian's arm64
kernel and a small arm64 userland (``netvirt.embedded.guestboot``).
"""

import os

from netvirt.embedded.lab import LAB_ROOT, mgmt_subnet
from netvirt.labspec import VM_ARCHES, load_lab

RECORD_NIC_MODEL = "cx4-ofed4.3"


def description(lab_id: str, nic_model: str = RECORD_NIC_MODEL, vm_arch: str = "x86_64") -> dict:
    net = mgmt_subnet(lab_id)
    base = str(net.network_address).rsplit(".", 1)[0]
    root = LAB_ROOT / lab_id
    ssh = {"user": "root", "key_file": str(root / "ssh" / "id_ed25519")}

    def nics(peer_host):
        return [
            {
                "name": "enP4p1s0",
                "pci": "0004:01:00.0",
                "peer": f"{peer_host}:enP4p1s0",
                "sriov": True,
                "max_vfs": 8,
                "speed_mbps": 10000,
                "model": nic_model,
            },
            {
                "name": "enP5p1s0",
                "pci": "0005:01:00.0",
                "peer": f"{peer_host}:enP5p1s0",
                "sriov": True,
                "max_vfs": 8,
                "speed_mbps": 10000,
                "model": nic_model,
            },
        ]

    def vm(index):
        return {
            "name": f"vm0{index}",
            "vcpus": 2,
            "memory_mib": 1024,
            "hugepage_kib": 2048,
            "mgmt": f"{base}.{100 + index}",
            "mgmt_mac": f"52:54:00:4e:56:{index:02x}",
            "vnics": [
                {
                    "name": "eth1",
                    "kind": "vhostuser",
                    "mac": f"00:00:00:00:00:{index:02x}",
                    "port": f"dpdkvhostuser{index - 1}",
                    "queues": 2,
                }
            ],
        }

    return {
        "name": f"embedded lab {lab_id}",
        "kind": "embedded",
        "lab_id": lab_id,
        "mgmt_network": str(net),
        "hosts": [
            {"name": "hosta", "role": "peer", "mgmt": f"{base}.10", "ssh": ssh, "nics": nics("hostb")},
            {"name": "hostb", "role": "hypervisor", "mgmt": f"{base}.20", "ssh": ssh, "nics": nics("hosta")},
        ],
        "hypervisor": "hostb",
        "ovsdb": f"unix:{root}/ovs/db.sock",
        "ovs_rundir": f"{root}/ovs",
        "libvirt_uri": f"qemu+unix:///system?socket={root}/libvirt/sock/libvirt-sock",
        "vms": [vm(1), vm(2)],
        # No msix_interrupts, whatever the guests' architecture: QEMU 7.2 under TCG segfaults when a guest starts
        # a vhost-user virtio-net device with MSI-X, aarch64 guests (virt, GICv3 and its ITS) as x86 ones
        # (measured), so the guests boot with pci=nomsi.
        "params": {
            "vm_arch": vm_arch,
            # The record's 启动并配置OVS values, scaled to this machine: PMD on core 1 of 2, no
            # dpdk-socket-mem because the lab's DPDK runs without hugepages (LAB-FACTS).
            "pmd_cpu_mask": "0x2",
            "dpdk_socket_mem": None,
            # 5.4.8.1: a limit these TCG guests can carry twice over, offered at twice the limit.
            "policer_rate_bps": 8_000_000,
            "policer_offered_load": "16M",
            # 5.4.8.1 and 5.4.8.2: 3 s per iperf3 run (8 runs in the two cases). The policer's bucket is 50 ms of
            # traffic, 1.7 % of 3 s, inside 5.4.8.1's 5 % (measured +1.5 % at 5 s; the VF's meter likewise).
            "rate_check_duration": 3,
            # 5.4.8.2: the record's VF rates (vf 0 30000/25000, vf 1 40000/35000 Mbps on a 56G link) at 1/5000,
            # 6/5 and 8/7 Mbps: whole Mbit/s in the record's ratios, well under what VM to VM over two
            # emulated VFs carries (iperf3 TCP, 4 streams: 50-100 Mbit/s measured with other labs running).
            "sriov_vf_rate_scale": 1 / 5000,
            # 7.3 (PerfLibrary): RFC 2544 NDR/PDR through OVS-DPDK, then forwarding quality. Every frame size of
            # the suite is measured (none skipped on a quiet machine): one-second trials and the search's upper
            # bound below keep the 21 cases to ~190 s on 2 shared cores (the sizes a path carries at the bound
            # take one trial each: +19 s over 64/512/1518/9000 on p2p and 64 through the guests). The p2p path
            # carries jumbo frames: this lab's dpdk ports are virtio-user into the
            # emulated NICs' vhost-user ports (up to MTU 9216), so the path's MTU is the record's 9000.
            # 待解决问题 netperf: 1 s runs, the two judged paths alternated for 4 rounds so the machine's load
            # falls on both alike (the record's 30 s runs would add 4 minutes to the chapter). A run costs about
            # a second more than its length (netserver and netperf starting in TCG guests); between TCG guests a
            # TCP stream is at its rate within milliseconds, so a second measures what two did.
            "netperf_duration": 1,
            "netperf_rounds": 4,
            "netperf_compare_repeat": 1,
            # 5.4.2.1: how long a guest's VF link is watched for the PF's link change. The emulated NIC passes
            # it to the guest at once (libvirt's link state of the VF's NIC); a real NIC's firmware takes
            # a second or so, so a real lab waits 10 s (the keyword's default).
            "vf_link_timeout": 3,
            "perf_generator": "auto",
            "perf_frame_sizes": [64, 128, 256, 512, 1024, 1280, 1518, 9000],
            "perf_vm_frame_sizes": [64, 1518],
            "perf_mtu": 9000,
            "perf_trial_duration": 1,
            "perf_pdr_loss_ratio": 0.005,
            # 5 %: the criteria below are 2-50 times under the NDRs measured, and two runs' NDRs on this machine
            # differ by far more (p2p 1280 B: 15.8 and 3.6 kpps an hour apart); narrowing to 2 % cost one or two
            # more trials a search (16 searches in 7.3; from a TCG guest 2.5-3.4 s a trial).
            "perf_relative_width": 0.05,
            # Under the criteria's 298 frames/s: trafgen in a TCG guest beside a second lab (load 10-12) fell short
            # of 500 frames/s, and no PDR was found for 7.3.6.
            "perf_min_load_pps": 200,
            # The search's upper bound: what trafgen offers here (paced, one CPU: 30 kpps from Host A, benchmarks/
            # trafgen_vs_iperf3.py; ~1-1.5 kpps from a TCG guest), above the NDRs measured (p2p 9-11 kpps, pvp ~1.2,
            # sriov ~4.2, vm2vm and sriov_vm2vm ~0.65 kpps). From the line rate MLRsearch took 10-17 trials.
            "perf_max_load_pps": {"p2p": 30_000, "pvp": 5_000, "sriov": 10_000, "vm2vm": 2_000, "sriov_vm2vm": 2_000},
            "perf_search_timeout": 120,
            "perf_quality_frame_size": 64,
            "perf_quality_loads": [10, 50, 90, 100],
            # 2 s x 200 probes/s: 400 latency samples a point, the median judged.
            "perf_quality_duration": 2,
            "perf_probe_pps": 200,
            # Criteria that mean something here: a healthy path forwards 15-40 kpps of 64-byte frames
            # (0.1-0.3 % of 10GE) loss-free with other labs running; a policer left on it (5.4.8.1's 8 Mbit/s:
            # 667 frames/s of 1518 bytes, 0.08 %) or a stalled datapath (no NDR at all) falls below them.
            "perf_ndr_min_pct_line_rate": {64: 0.01, 1518: 0.1},
            # Per scenario (issue 15): through a TCG guest's kernel (pvp, sriov) or from one (vm2vm, sriov_vm2vm)
            # a healthy path carries a few hundred frames/s; 0.002 % of 10GE is 298 frames/s of 64 bytes.
            "perf_ndr_criteria": {
                "p2p": {64: 0.01, 1518: 0.1},
                "pvp": {64: 0.002, 1518: 0.02},
                "vm2vm": {64: 0.002, 1518: 0.02},
                "sriov": {64: 0.002, 1518: 0.02},
                "sriov_vm2vm": {64: 0.002, 1518: 0.02},
            },
            # Quality is judged up to half the PDR and on the median latency: other labs' bursts of CPU make
            # this machine lose at 90-100 % of a PDR found in 1 s trials and set its P99 (1-90 ms measured);
            # a healthy path's median is 0.2-0.5 ms, a datapath gone slow-path or stalled is far above 2 ms.
            "perf_quality_judged_up_to_pct": 50,
            "perf_quality_max_loss_ratio": 0.01,
            "perf_latency_max_us": {"p50_us": 2000},
        },
    }


def get_variables(lab_id: str | None = None, nic_model: str | None = None, vm_arch: str | None = None) -> dict:
    """``${LAB}`` for lab id ``lab_id`` (or NETVIRT_LAB_ID, or ``nv1``), its SR-IOV NICs of model
    ``nic_model`` (or NETVIRT_NIC_MODEL, or the record's ``cx4-ofed4.3``), its guests of architecture
    ``vm_arch`` (or NETVIRT_VM_ARCH, or ``x86_64``; ``aarch64`` as the record's). An empty argument takes
    the default: ``-V variables/embedded_lab.py:nv2::aarch64``.

    Under pabot every process builds a lab of its own: the id gets the suffix ``p<N>``, N being the
    process's ``${PABOTQUEUEINDEX}`` in base 36 (``nv1`` -> ``nv1p0``, ``nv1p1``, ... ``nv1pa``). The
    queue index, not ``${PABOTEXECUTIONPOOLID}``: pabot 5.2.2 hands pool ids out round-robin per item,
    so two processes running at once can share a pool id, while queue indexes are unique in a run.
    """
    import re
    import sys

    from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

    def pabot_queue_index() -> str | None:
        try:  # imported by a suite: the variable pabot passes to its processes
            return BuiltIn().get_variable_value("${PABOTQUEUEINDEX}")
        except RobotNotRunningError:  # -V on the command line: Robot has not started yet,
            pass  # so read the variable from the argument file pabot started this process with
        argv = sys.argv[1:]
        for flag, path in zip(argv, argv[1:], strict=False):
            if flag in ("-A", "--argumentfile"):
                with open(path, encoding="utf-8") as argfile:
                    found = re.search(r"^--variable PABOTQUEUEINDEX:(\d+)$", argfile.read(), re.M)
                if found:
                    return found.group(1)
        return None

    lab_id = lab_id or os.environ.get("NETVIRT_LAB_ID") or "nv1"
    index = pabot_queue_index()
    if index is not None:
        # Base 36 keeps the suffix one character up to the 36th suite file (lab ids have 6 at most).
        number, suffix = int(index), ""
        while True:
            number, digit = divmod(number, 36)
            suffix = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + suffix
            if not number:
                break
        if len(lab_id) + 1 + len(suffix) > 6:
            raise ValueError(f"lab id {lab_id!r} 太长：pabot 下要加后缀 p{suffix}，lab id 最多 6 个字符（例如 nv1）")
        lab_id = f"{lab_id}p{suffix}"
    nic_model = nic_model or os.environ.get("NETVIRT_NIC_MODEL") or RECORD_NIC_MODEL
    vm_arch = vm_arch or os.environ.get("NETVIRT_VM_ARCH") or "x86_64"
    if vm_arch not in VM_ARCHES:
        raise ValueError(f"虚拟机架构 {vm_arch!r} 不支持：只能是 {' 或 '.join(VM_ARCHES)}")
    return {"LAB": load_lab(description(lab_id, nic_model, vm_arch))}
