"""A real lab is reached without opening it to the network (issue 13 item 5), shown on an embedded lab's hosts
reached as a real lab is: a ``kind: real`` description whose hosts are the embedded lab's sshd (their host keys
checked against a known_hosts file), whose OVSDB is ovsdb-server's own unix socket on Host B relayed through
Host B's SSH session (no TCP listener anywhere), driven through ``RealLab``.
"""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path

import paramiko
import pytest

import embedded_lab
from netvirt import seam
from netvirt.labspec import LabDescriptionError, load_lab
from netvirt.ovs import Ovs
from netvirt.seam import RealLab
from netvirt.ssh import HostConnectionError
from OVSLibrary import OVSLibrary

LAB_ID = os.environ.get("NETVIRT_TEST_REAL_ACCESS_LAB", "nvr2")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the embedded lab needs root")


@pytest.fixture(scope="module")
def embedded():
    lab = seam.from_spec(load_lab(embedded_lab.description(LAB_ID)), progress=lambda m: None)
    lab.setup()  # namespaces, sshd, OVS-DPDK, libvirtd; no VMs
    try:
        yield lab
    finally:
        lab.teardown()


def real_description(embedded, known_hosts: Path, **ssh) -> dict:
    """The embedded lab's description as a real lab's: kind real, host keys checked, OVSDB over SSH."""
    desc = copy.deepcopy(embedded_lab.description(LAB_ID))
    desc["kind"] = "real"
    desc["name"] = f"embedded lab {LAB_ID} reached as a real lab"
    for host in desc["hosts"]:
        host["ssh"] = dict(host["ssh"], known_hosts=str(known_hosts), **ssh)
    desc["ovsdb_over_ssh"] = True  # ovsdb stays f"unix:{root}/ovs/db.sock": now a path on Host B
    return desc


def host_key_line(embedded, address: str) -> str:
    key = (embedded.builder.root / "ssh" / "host_ed25519.pub").read_text().split()
    return f"{address} {key[0]} {key[1]}\n"


@pytest.fixture
def known_hosts(embedded, tmp_path):
    path = tmp_path / "known_hosts"
    path.write_text("".join(host_key_line(embedded, h.mgmt) for h in embedded.spec.hosts))
    return path


@pytest.fixture
def real(embedded, known_hosts):
    lab = RealLab(load_lab(real_description(embedded, known_hosts)), progress=lambda m: None)
    try:
        yield lab
    finally:
        seam.use(None)
        lab.close_sessions()


def test_a_real_lab_description_refuses_tcp_ovsdb_and_unchecked_host_keys(embedded, known_hosts):
    desc = real_description(embedded, known_hosts)
    tcp = dict(desc, ovsdb="tcp:198.18.0.20:6640", ovsdb_over_ssh=False)
    with pytest.raises(LabDescriptionError, match="lab.ovsdb: a real lab's OVSDB is reached through"):
        load_lab(tcp)
    for host in desc["hosts"]:
        del host["ssh"]["known_hosts"]
    with pytest.raises(LabDescriptionError, match=r"hosts\[0\].ssh.known_hosts: missing"):
        load_lab(desc)


def test_ovsdb_through_the_ssh_session(real):
    real.setup()  # every host over SSH, keys checked
    remote = real.ovsdb_remote
    assert remote.startswith("unix:/tmp/netvirt-ssh-") and remote != real.spec.ovsdb
    ovs = Ovs(remote)
    try:
        assert ovs.system()["ovs_version"]
        ovs.add_bridge("ovsbr9")  # a write, applied by Host B's ovs-vswitchd
        assert "ovsbr9" in ovs.bridges()
        ovs.delete_bridge("ovsbr9")
        assert "ovsbr9" not in ovs.bridges()
    finally:
        ovs.close()
    # 5.1.1's OVS keyword through RealLab: OVSDB over SSH, OVS tools over SSH
    seam.use(real)
    library = OVSLibrary()
    try:
        versions = library.ovs_version()
    finally:
        library.disconnect()
    assert versions["dpdk_version"].startswith("DPDK ") and versions["dpdk_version_source"].startswith("OVSDB")
    path = real._ovsdb_forward.path
    real.teardown()
    assert not Path(path).exists()


def test_ovsdb_socket_missing_on_the_hypervisor_names_host_and_path(embedded, known_hosts):
    desc = real_description(embedded, known_hosts)
    desc["ovsdb"] = "unix:/nonexistent/db.sock"
    lab = RealLab(load_lab(desc), progress=lambda m: None)
    try:
        with pytest.raises(HostConnectionError, match="主机 hostb 上没有 unix 套接字 /nonexistent/db.sock"):
            _ = lab.ovsdb_remote
    finally:
        lab.close_sessions()


def test_a_host_not_in_known_hosts_is_refused_unless_trusted_on_first_use(embedded, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    lab = RealLab(load_lab(real_description(embedded, empty)), progress=lambda m: None)
    with pytest.raises(
        HostConnectionError, match=r"主机 hosta（198\.18\.\d+\.10）的 SSH 主机密钥（ssh-ed25519 SHA256:"
    ):
        lab.session("hosta").run("true")
    lab.close_sessions()

    lab = RealLab(load_lab(real_description(embedded, empty, trust_on_first_use=True)), progress=lambda m: None)
    assert lab.session("hosta").run("true").ok
    lab.close_sessions()
    assert empty.read_text() == host_key_line(embedded, lab.spec.host("hosta").mgmt)


def test_a_host_whose_key_changed_is_refused_even_when_trusting_on_first_use(embedded, tmp_path):
    other = paramiko.Ed25519Key.from_private_key_file(str(embedded.builder.root / "ssh" / "id_ed25519"))
    address = embedded.spec.host("hosta").mgmt
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"{address} {other.get_name()} {other.get_base64()}\n")  # a key, not hosta's
    lab = RealLab(load_lab(real_description(embedded, wrong, trust_on_first_use=True)), progress=lambda m: None)
    with pytest.raises(HostConnectionError, match="主机 hosta.*的 SSH 主机密钥与 known_hosts.*中记录的不同"):
        lab.session("hosta").run("true")
    lab.close_sessions()
    assert wrong.read_text().count("\n") == 1  # nothing added


def test_unreachable_hosts_fail_within_30_s_naming_the_host(embedded, known_hosts):
    desc = real_description(embedded, known_hosts)
    base = desc["hosts"][0]["mgmt"].rsplit(".", 1)[0]
    desc["hosts"][0]["mgmt"] = f"{base}.99"  # on the lab's management network, no host there
    lab = RealLab(load_lab(desc), progress=lambda m: None)
    start = time.monotonic()
    with pytest.raises(HostConnectionError, match=rf"无法连接主机 hosta（{base}\.99:22）"):
        lab.setup()
    assert time.monotonic() - start < 30
    lab.close_sessions()
