"""The record's real lab: two HXT ARM servers (Host A, Host B) with Mellanox ConnectX-4 NICs.

Choose it with ``robot -V variables/record_lab.py suites/5.4_网络虚拟化``. Addresses are not
in the record, so they come from the environment, with the secrets:

    NETVIRT_HOSTA_ADDR, NETVIRT_HOSTB_ADDR, NETVIRT_VM01_ADDR, NETVIRT_VM02_ADDR   management addresses
    NETVIRT_SSH_PASSWORD (or NETVIRT_SSH_KEY, a private key file)               root's credentials

A missing address fails at load time naming the variable; credentials are read when a
host is first contacted and never logged.
"""

import os

from netvirt.labspec import LabDescriptionError, load_lab

OVS_RUNDIR = "/usr/local/var/run/openvswitch"  # OVS built from source, as in the record


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise LabDescriptionError(f"record_lab: environment variable {name} (a management address) is not set")
    return value


def description() -> dict:
    ssh = {"user": "root", "password_env": "NETVIRT_SSH_PASSWORD", "key_file_env": "NETVIRT_SSH_KEY"}

    def nics(peer_host):
        return [
            {
                "name": "enP4p1s0",
                "pci": "0004:01:00.0",
                "peer": f"{peer_host}:enP4p1s0",
                "sriov": True,
                "max_vfs": 8,
                "speed_mbps": 56000,
            },
            {
                "name": "enP5p1s0",
                "pci": "0005:01:00.0",
                "peer": f"{peer_host}:enP5p1s0",
                "sriov": True,
                "max_vfs": 8,
                "speed_mbps": 56000,
            },
        ]

    def vm(index):
        return {
            "name": f"vm0{index}",
            "vcpus": 4,
            "memory_mib": 8192,
            "hugepage_kib": 512 * 1024,
            "mgmt": _env(f"NETVIRT_VM0{index}_ADDR"),
            "mgmt_mac": f"52:54:00:00:01:{index:02x}",
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

    hostb = _env("NETVIRT_HOSTB_ADDR")
    return {
        "name": "记录中的实验环境（HXT ARM, ConnectX-4）",
        "kind": "real",
        "lab_id": "rec",
        "mgmt_network": os.environ.get("NETVIRT_MGMT_NETWORK", "0.0.0.0/0"),
        "hosts": [
            {"name": "hosta", "role": "peer", "mgmt": _env("NETVIRT_HOSTA_ADDR"), "ssh": ssh, "nics": nics("hostb")},
            {"name": "hostb", "role": "hypervisor", "mgmt": hostb, "ssh": ssh, "nics": nics("hosta")},
        ],
        "hypervisor": "hostb",
        # A Manager on ptcp:6640 on Host B (ovs-vsctl set-manager ptcp:6640).
        "ovsdb": f"tcp:{hostb}:6640",
        "ovs_rundir": OVS_RUNDIR,
        "libvirt_uri": f"qemu+ssh://root@{hostb}/system",
        "vms": [vm(1), vm(2)],
        "params": {
            "pmd_cpu_mask": "FF00000000",  # cores 32-39
            "dpdk_socket_mem": "4096",  # single socket, 4 GiB
            "policer_rate_bps": 5_000_000_000,  # the record's 5 Gbit/s on dpdkp1
            "policer_offered_load": "10G",
            "qemu_emulator": "/usr/local/bin/qemu-system-aarch64",
            "vm_arch": "aarch64",
            "vm_machine": "virt",
            "vm_images": {
                "vm01": "/var/lib/libvirt/images/hxt-centos7.5-01.qcow2",
                "vm02": "/var/lib/libvirt/images/hxt-centos7.5-02.qcow2",
            },
            "msix_interrupts": True,
        },
    }


def get_variables() -> dict:
    return {"LAB": load_lab(description())}
