"""The OVS library against OVS's own OVSDB schemas, from the record's 2.8.4 to 3.3.0.

Each schema (tests/fixtures/ovs-schemas, OVS's ``vswitchd/vswitch.ovsschema`` at the release tag) is
served by a private ovsdb-server of this machine in a temporary directory, stopped by pid. No
ovs-vswitchd runs: ``StandInVswitchd`` writes what ovs-vswitchd writes back to OVSDB after a change
(``cur_cfg`` = ``next_cfg``, an ``ofport`` for each new interface, ``mtu`` = ``mtu_request``, and
``dpdk_version`` where the schema has the column, as OVS 2.10 on does), so the library's own waits
for ovs-vswitchd (``cur_cfg``, ``ofport``, ``mtu``) are met as on a lab. The reads and writes are the
ones the suites use: other_config, netdev bridges, dpdk / dpdkvhostuser / dpdkvhostuserclient ports,
options, mtu_request, VLAN modes with dot1q-tunnel, egress-policer QoS, ingress policing, and the
Open_vSwitch columns 5.1.1 reads.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import ovs.db.idl
import ovs.poller
import pytest
from ovsdbapp.backend.ovs_idl import idlutils

from netvirt.ovs import Ovs, OvsError, PortType, VlanMode

SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "ovs-schemas"
RELEASES = ["2.8.4", "2.11.0", "2.17.0", "3.1.0", "3.3.0"]
DPDK = "DPDK 22.11.11"  # what the stand-in writes to dpdk_version (Debian 12's DPDK, as the embedded lab's)

pytestmark = pytest.mark.skipif(shutil.which("ovsdb-server") is None, reason="needs ovsdb-server and ovsdb-tool")


class StandInVswitchd(threading.Thread):
    """Writes to OVSDB what ovs-vswitchd writes after each change; nothing else."""

    def __init__(self, remote: str):
        super().__init__(daemon=True)
        helper = idlutils.get_schema_helper(remote, "Open_vSwitch")
        helper.register_all()
        self.idl = ovs.db.idl.Idl(remote, helper)
        self.stop = threading.Event()
        self.errors: list[str] = []

    def run(self) -> None:
        next_ofport = 1
        while not self.stop.is_set():
            self.idl.run()
            rows = list(self.idl.tables["Open_vSwitch"].rows.values())
            if rows and rows[0].cur_cfg != rows[0].next_cfg:
                txn = ovs.db.idl.Transaction(self.idl)
                columns = self.idl.tables["Interface"].columns
                for iface in self.idl.tables["Interface"].rows.values():
                    if not iface.ofport:
                        iface.ofport = [next_ofport]
                        next_ofport += 1
                    if "mtu_request" in columns and iface.mtu_request and iface.mtu != iface.mtu_request:
                        iface.mtu = iface.mtu_request
                if "dpdk_version" in self.idl.tables["Open_vSwitch"].columns:
                    rows[0].dpdk_version = DPDK
                rows[0].cur_cfg = rows[0].next_cfg
                status = txn.commit_block()
                if status not in (txn.SUCCESS, txn.UNCHANGED, txn.TRY_AGAIN):
                    self.errors.append(f"{status}: {txn.get_error()}")
            poller = ovs.poller.Poller()
            self.idl.wait(poller)
            poller.timer_wait(50)
            poller.block()
        self.idl.close()


def serve(schema: Path):
    """An ovsdb-server with an empty database of ``schema`` and its one Open_vSwitch row."""
    workdir = Path(tempfile.mkdtemp(prefix="nvs-"))  # short: a unix socket path has 108 bytes
    db, sock = workdir / "conf.db", workdir / "db.sock"
    subprocess.run(["ovsdb-tool", "create", str(db), str(schema)], check=True)
    subprocess.run(
        [
            "ovsdb-server",
            str(db),
            f"--remote=punix:{sock}",
            f"--pidfile={workdir / 'ovsdb-server.pid'}",
            f"--unixctl={workdir / 'ovsdb-server.ctl'}",
            f"--log-file={workdir / 'ovsdb-server.log'}",
            "--no-chdir",
            "--detach",
        ],
        check=True,
    )
    pid = int((workdir / "ovsdb-server.pid").read_text())
    insert = json.dumps(["Open_vSwitch", {"op": "insert", "table": "Open_vSwitch", "row": {}}])
    subprocess.run(["ovsdb-client", "transact", f"unix:{sock}", insert], check=True, capture_output=True)
    return workdir, pid, f"unix:{sock}"


def stop(workdir: Path, pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.05)
    shutil.rmtree(workdir)


@pytest.fixture
def served():
    """Serve a schema file; yields a function that returns an ``Ovs`` on it and the stand-in."""
    started = []

    def start(schema: Path) -> tuple[Ovs, StandInVswitchd]:
        workdir, pid, remote = serve(schema)
        vswitchd = StandInVswitchd(remote)
        vswitchd.start()
        client = Ovs(remote)
        started.append((workdir, pid, vswitchd, client))
        return client, vswitchd

    yield start
    for workdir, pid, vswitchd, client in started:
        client.close()
        vswitchd.stop.set()
        vswitchd.join(5)
        stop(workdir, pid)


@pytest.mark.parametrize("release", RELEASES)
def test_library_reads_and_writes_on_each_schema(served, release):
    schema = SCHEMAS / f"vswitch-{release}.ovsschema"
    has_dpdk_columns = "dpdk_version" in json.loads(schema.read_text())["tables"]["Open_vSwitch"]["columns"]
    ovs, vswitchd = served(schema)

    # 启动并配置OVS, as the record does it
    ovs.set_other_config({"dpdk-init": "true", "pmd-cpu-mask": "FF00000000", "dpdk-socket-mem": "4096"})
    ovs.add_bridge("ovsbr0")
    for port in ("dpdkvhostuser0", "dpdkvhostuser1"):
        ovs.add_port("ovsbr0", port, PortType.dpdkvhostuser)
        ovs.set_interface(port, {"n_rxq": "2"})
    ovs.add_port("ovsbr0", "dpdkp1", PortType.dpdk, {"dpdk-devargs": "0005:01:00.0"})
    ovs.add_port("ovsbr0", "vhuclient0", PortType.dpdkvhostuserclient, {"vhost-server-path": "/tmp/vhuclient0"})
    assert ovs.bridges() == ["ovsbr0"]
    assert ovs.ports("ovsbr0") == ["dpdkp1", "dpdkvhostuser0", "dpdkvhostuser1", "ovsbr0", "vhuclient0"]
    assert ovs.other_config()["pmd-cpu-mask"] == "FF00000000"
    iface = ovs.interface("dpdkvhostuser0")
    assert (iface["type"], iface["options"], iface["error"]) == ("dpdkvhostuser", {"n_rxq": "2"}, None)
    assert iface["ofport"] > 0
    assert ovs.interfaces_of_type("dpdk", "dpdkvhostuser") == ["dpdkp1", "dpdkvhostuser0", "dpdkvhostuser1"]
    assert ovs.interface_status("dpdkp1") == {}

    # 5.1.1: the Open_vSwitch columns, present or not
    system = ovs.system()
    assert system["schema"] == json.loads(schema.read_text())["version"]
    if has_dpdk_columns:
        assert (system["dpdk_version"], system["dpdk_initialized"]) == (DPDK, "false")
    else:  # the record's OVS 2.8.4: no column, no AttributeError
        assert (system["dpdk_version"], system["dpdk_initialized"]) == (None, None)
        assert not ovs.has_column("Open_vSwitch", "dpdk_version")

    # 5.4.6.1, 5.4.7.1, 5.4.8.1
    ovs.set_mtu_request("dpdkvhostuser0", 4000)
    assert ovs.interface("dpdkvhostuser0")["mtu_request"] == 4000
    ovs.set_port_vlan("dpdkvhostuser0", VlanMode.dot1q_tunnel, tag=100, cvlans=[0, 10], qinq_ethtype="802.1q")
    port = ovs.port("dpdkvhostuser0")
    assert (port["vlan_mode"], port["tag"], port["cvlans"]) == ("dot1q-tunnel", 100, [0, 10])
    assert port["other_config"] == {"qinq-ethtype": "802.1q"}
    ovs.clear_port_vlan("dpdkvhostuser0")
    assert ovs.port("dpdkvhostuser0")["vlan_mode"] is None
    ovs.set_egress_policer("dpdkp1", 625000000, 2048)
    assert ovs.qos("dpdkp1") == {"type": "egress-policer", "other_config": {"cir": "625000000", "cbs": "2048"}}
    ovs.clear_qos("dpdkp1")
    assert ovs.qos("dpdkp1") == {} and ovs.snapshot()["qos"] == 0
    ovs.set_ingress_policing("dpdkp1", 5000000, 500000)
    assert ovs.interface("dpdkp1")["ingress_policing_rate"] == 5000000
    ovs.set_interface("dpdkvhostuser1", ofport_request=3)

    # bad input still fails naming the problem
    with pytest.raises(OvsError, match="网桥 ovsbr9 不存在"):
        ovs.add_port("ovsbr9", "p9")

    # and everything goes away again
    ovs.delete_port("vhuclient0")
    ovs.delete_bridge("ovsbr0")
    ovs.remove_other_config("dpdk-socket-mem")
    assert ovs.bridges() == [] and "dpdk-socket-mem" not in ovs.other_config()
    assert ovs.snapshot()["interfaces"] == {}
    assert vswitchd.errors == []


def test_an_older_schema_is_refused_naming_the_column(served, tmp_path):
    """OVS 2.5.0's schema (7.12.1) has no Port.cvlans, no Interface.mtu_request and no dot1q-tunnel: derived
    here from 2.8.4's by removing them (compared with ``git show v2.5.0:vswitchd/vswitch.ovsschema``)."""
    schema = json.loads((SCHEMAS / "vswitch-2.8.4.ovsschema").read_text())
    del schema["tables"]["Port"]["columns"]["cvlans"]
    del schema["tables"]["Interface"]["columns"]["mtu_request"]
    schema["tables"]["Port"]["columns"]["vlan_mode"]["type"]["key"]["enum"][1].remove("dot1q-tunnel")
    schema["version"] = "7.12.1"
    path = tmp_path / "vswitch-older.ovsschema"
    path.write_text(json.dumps(schema))
    ovs, _ = served(path)
    ovs.add_bridge("ovsbr0")
    ovs.add_port("ovsbr0", "dpdkvhostuser0", PortType.dpdkvhostuser)
    assert ovs.port("dpdkvhostuser0")["cvlans"] == []
    assert ovs.interface("dpdkvhostuser0")["mtu_request"] is None
    before = ovs.snapshot()
    with pytest.raises(OvsError, match=r"模式 7\.12\.1 没有 Interface\.mtu_request 列"):
        ovs.set_mtu_request("dpdkvhostuser0", 4000)
    with pytest.raises(OvsError, match=r"模式 7\.12\.1 没有 Port\.cvlans 列"):
        ovs.set_port_vlan("dpdkvhostuser0", VlanMode.dot1q_tunnel, tag=100, cvlans=[10])
    with pytest.raises(OvsError, match=r"模式 7\.12\.1 没有 Port\.cvlans 列"):
        ovs.set_port_vlan("dpdkvhostuser0", VlanMode.trunk, trunks=[10], cvlans=[20])
    assert ovs.snapshot() == before
    ovs.set_port_vlan("dpdkvhostuser0", VlanMode.access, tag=100)  # what this schema has works
    port = ovs.port("dpdkvhostuser0")
    assert (port["vlan_mode"], port["tag"], port["cvlans"]) == ("access", 100, [])
    ovs.clear_port_vlan("dpdkvhostuser0")  # clears the columns the schema has
    assert ovs.port("dpdkvhostuser0")["vlan_mode"] is None
    ovs.delete_bridge("ovsbr0")
