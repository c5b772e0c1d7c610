"""netperf before 2.5 (no ``-k`` keyword output): runs read from its classic table."""

from __future__ import annotations

from pathlib import Path

import pytest

from netvirt.ssh import CommandResult
from netvirt.traffic import netperf

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


class OldNetperfHost:
    """A client whose netperf predates -k (2.4.x): getopt's complaint on stderr, then the classic table, rc 0."""

    name = "vm02"

    def __init__(self, stdout: str, stderr: str = "netperf: invalid option -- 'k'\n", rc: int = 0):
        self.stdout, self.stderr, self.rc = stdout, stderr, rc

    def run(self, command, timeout=60):
        return CommandResult(self.name, command, self.rc, self.stdout, self.stderr, 1.0)


def test_a_netperf_without_keyword_output_is_read_from_its_classic_table():
    # netperf 2.4.4's scan_sockets_args() takes '?' (an unknown option) like -4 and runs the test: its
    # table is the one 2.7's migrated tests print (captured 2.7.0 output, banner without MIGRATED).
    text = (FIXTURES / "versions/netperf/tcp-maerts-fm-2.7.0.txt").read_text(encoding="utf-8")
    options = netperf.NetperfOptions(test=netperf.NetperfTest.TCP_MAERTS, duration=1)
    result, run = netperf.run_client(OldNetperfHost(text.replace("MIGRATED ", "")), "127.0.0.1", options)
    assert (run["tool"], run["test"], run["protocol"]) == ("netperf", "TCP_MAERTS", "TCP")
    assert run["received_bps"] == pytest.approx(1042.38e6) and run["seconds"] == pytest.approx(1.20)
    assert run["cpu_utilization_percent"] == {"host_total": None, "remote_total": None}
    assert result.stderr.startswith("netperf: invalid option")


def test_a_netperf_that_prints_neither_form_fails_naming_what_it_said():
    host = OldNetperfHost(
        "", "establish control: are you sure there is a netserver listening on 127.0.0.1 at port 12865?\n", 255
    )
    with pytest.raises(RuntimeError, match=r"vm02 上的 netperf（到 127.0.0.1:12865）失败（rc=255）：establish control"):
        netperf.run_client(host, "127.0.0.1", netperf.NetperfOptions(duration=1))
