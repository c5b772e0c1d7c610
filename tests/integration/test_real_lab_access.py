"""A real lab is reached without opening it to the network (issue 13 item 5), shown on an embedded lab's hosts
reached as a real lab is: a ``kind: real`` description whose hosts are the embedded lab's sshd (their host keys
checked against a known_hosts file), whose OVSDB is ovsdb-server's own unix socket on Host B relayed through
Host B's SSH session (no TCP listener anywhere), driven through ``RealLab``. Then the test command itself
(item 4): the chapter's 5.1.1 and 5.4.1.1, suite setup and teardown included, with such a description
(libvirt over qemu+ssh, guests booting as the description says), and the same description pointed at a
host that does not answer.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import shlex
import subprocess
import time
from pathlib import Path

import paramiko
import pytest

import embedded_lab
from netvirt import seam
from netvirt.labspec import LabDescriptionError, load_lab
from netvirt.ovs import Ovs
from netvirt.reallab import RealLab
from netvirt.ssh import _UNIX_RELAY, HostConnectionError
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
    # The owner lock in the lab's own directory: this machine's /run is every embedded lab's.
    desc["params"]["owner_lock"] = f"{embedded.builder.root}/owner.lock"
    return desc


def chapter_description(embedded, workdir: Path) -> dict:
    """``real_description`` for the chapter's cases: libvirt over qemu+ssh and guests that boot as the embedded
    lab's do, all of it said in the description.

    libvirt's ssh transport runs OpenSSH, here through ``command=`` with the same known_hosts (strict checking);
    it reaches the lab's libvirtd socket with ``nc -U`` on Host B, for which this machine (no netcat) gets a
    stand-in running netvirt's unix socket relay. The guests' direct kernel boot, TCG and management taps are
    the embedded lab's ``domain_profile``, given as ``params.vm_boot``; the taps are made before the run, as a
    real lab's management network is there before it.
    """
    known_hosts = workdir / "known_hosts"
    addresses = [h.mgmt for h in embedded.spec.hosts] + [vm.mgmt for vm in embedded.spec.vms]
    known_hosts.write_text("".join(host_key_line(embedded, a) for a in addresses))  # guests share the key
    ssh = workdir / "ssh-checked"
    ssh.write_text(
        "#!/bin/sh\n"
        f"exec ssh -o UserKnownHostsFile={known_hosts} -o GlobalKnownHostsFile=/dev/null"
        ' -o StrictHostKeyChecking=yes -o BatchMode=yes "$@"\n'
    )
    netcat = workdir / "nc-unix"
    netcat.write_text(
        '#!/bin/sh\nwhile [ $# -gt 0 ]; do\n  case "$1" in -U) exec python3 -c '
        f'{shlex.quote(_UNIX_RELAY)} "$2";; esac\n  shift\ndone\nexit 1\n'
    )
    for script in (ssh, netcat):
        script.chmod(0o755)
    desc = real_description(embedded, known_hosts)
    root, hostb = embedded.builder.root, embedded.spec.host("hostb").mgmt
    desc["libvirt_uri"] = (
        f"qemu+ssh://root@{hostb}/system?socket={embedded.builder.libvirt_socket}"
        f"&keyfile={root}/ssh/id_ed25519&command={ssh}&netcat={netcat}"
    )
    desc["params"]["vm_boot"] = {vm.name: dataclasses.asdict(embedded.domain_profile(vm)) for vm in embedded.spec.vms}
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
        lab.lock.release()


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
    lab.teardown()  # the run owned the lab from its first step (the lock on Host B): its teardown gives it up
    assert not lab.lock.held


def test_a_second_run_on_a_real_lab_changes_nothing_and_names_the_owner(embedded, known_hosts):
    """Issue 19 item 1 on a real lab: the owner lock on the hypervisor, taken over SSH at the setup's first step
    and given up at the teardown's last; a second run is refused at setup naming the owner and its teardown
    puts nothing back; a run whose connection drops (robot killed) leaves the lab to the next run."""
    desc = real_description(embedded, known_hosts)
    first, second = (RealLab(load_lab(desc), progress=lambda m: None) for _ in range(2))
    hostb = "hostb"
    nic = embedded.spec.host(hostb).nics[0].name

    def mtu(lab) -> int:
        return int(lab.session(hostb).run(shlex.join(["cat", f"/sys/class/net/{nic}/mtu"])).stdout)

    first.setup()
    try:
        found = mtu(first)
        assert first.session(hostb).run(shlex.join(["ip", "link", "set", "dev", nic, "mtu", "1400"])).ok
        with pytest.raises(seam.LabInUseError) as refused:
            second.setup()
        message = str(refused.value)
        assert f"正被另一次运行使用（hostb 上的锁 {embedded.builder.root}/owner.lock：运行 " in message
        assert f"pid {os.getpid()}" in message and "本次运行没有改动它" in message
        second.teardown()  # a run that does not own the lab: its teardown changes nothing
        assert mtu(first) == 1400
    finally:
        first.teardown()  # puts Host B's NIC back as the first run found it, then gives the lab up
    assert mtu(second) == found
    second.close_sessions()

    third = RealLab(load_lab(desc), progress=lambda m: None)
    third.setup()
    third.lock.session.close()  # its connection drops, no teardown: as when robot is killed
    fourth = RealLab(load_lab(desc), progress=lambda m: None)
    deadline = time.monotonic() + 10  # sshd ends the dropped session's lock script
    while True:
        try:
            fourth.setup()
            break
        except seam.LabInUseError:
            assert time.monotonic() < deadline, "锁没有随断开的连接释放"
            time.sleep(0.2)
    fourth.teardown()
    third.close_sessions()


REPO = Path(__file__).resolve().parents[2]


def run_chapter(description: dict, workdir: Path, *tests: str) -> tuple[subprocess.CompletedProcess, float]:
    (workdir / "lab.json").write_text(json.dumps(description))
    argv = [str(REPO / ".venv" / "bin" / "robot"), "-V", f"tests/integration/lab_from_json.py:{workdir / 'lab.json'}"]
    argv += ["-d", str(workdir / "out"), "--console", "quiet"]
    for test in tests:
        argv += ["--test", test]
    start = time.monotonic()
    done = subprocess.run([*argv, "suites/5.4_网络虚拟化"], cwd=REPO, capture_output=True, text=True, timeout=600)
    return done, time.monotonic() - start


def test_chapter_subset_passes_through_real_lab(embedded, tmp_path):
    """5.1.1 and 5.4.1.1 with the chapter's setup (OVS, two VMs) and teardown, through ``RealLab``."""
    from robot.api import ExecutionResult

    for vm in embedded.spec.vms:
        embedded.builder.prepare_vm(vm)
    try:
        done, _ = run_chapter(chapter_description(embedded, tmp_path), tmp_path, "5.1.1*", "5.4.1.1*")
    finally:
        for vm in embedded.spec.vms:
            embedded.builder.release_vm(vm)
    result = ExecutionResult(str(tmp_path / "out" / "output.xml"))
    verdicts = {t.name: (t.status, t.message) for t in result.suite.all_tests}
    assert done.returncode == 0, (done.stdout[-2000:], verdicts)
    assert [status for status, _ in verdicts.values()] == ["PASS", "PASS"], verdicts
    log = (tmp_path / "out" / "output.xml").read_text()
    assert "reached as a real lab" in log and "dpdk_version_source: OVSDB Open_vSwitch dpdk_version" in log


def test_chapter_on_unreachable_hosts_fails_within_30_s_naming_the_host(embedded, known_hosts, tmp_path):
    desc = real_description(embedded, known_hosts)
    base = desc["hosts"][0]["mgmt"].rsplit(".", 1)[0]
    desc["hosts"][0]["mgmt"] = f"{base}.98"
    done, seconds = run_chapter(desc, tmp_path, "5.1.1*")
    assert done.returncode != 0 and seconds < 30, (done.returncode, seconds)
    assert f"无法连接主机 hosta（{base}.98:22）" in (tmp_path / "out" / "output.xml").read_text()
