"""Lab descriptions: both shipped labs load; malformed ones fail naming the field."""

import copy

import pytest

import embedded_lab
import record_lab
from netvirt.labspec import NIC_MODELS, LabDescriptionError, load_lab


@pytest.fixture
def good():
    return embedded_lab.description("nv7")


def test_embedded_lab_is_the_records_topology(good):
    lab = load_lab(good)
    assert [h.name for h in lab.hosts] == ["hosta", "hostb"]
    assert lab.host("hostb").nic("0005:01:00.0").name == "enP5p1s0"
    assert lab.host("hosta").nic("enP4p1s0").peer == "hostb:enP4p1s0"
    assert lab.vm("vm01").vnics[0].port == "dpdkvhostuser0"
    assert lab.vm("vm01").vnics[0].queues == 2
    assert lab.mgmt_network.startswith("198.18.")


def test_lab_ids_get_distinct_management_networks():
    assert (
        load_lab(embedded_lab.description("nv1")).mgmt_network != load_lab(embedded_lab.description("nv2")).mgmt_network
    )


@pytest.mark.parametrize("base", ["nv1", "nv5", "nvq1"])
def test_the_36_labs_of_one_pabot_run_never_share_a_management_network(base):
    networks = {
        load_lab(embedded_lab.description(f"{base}p{digit}")).mgmt_network
        for digit in "0123456789abcdefghijklmnopqrstuvwxyz"
    }
    assert len(networks) == 36
    assert all(net.startswith("198.18.") and net.endswith(".0/24") for net in networks)


def test_record_lab_loads_from_environment(monkeypatch):
    for name, value in {
        "NETVIRT_HOSTA_ADDR": "192.0.2.1",
        "NETVIRT_HOSTB_ADDR": "192.0.2.2",
        "NETVIRT_VM01_ADDR": "192.0.2.11",
        "NETVIRT_VM02_ADDR": "192.0.2.12",
    }.items():
        monkeypatch.setenv(name, value)
    lab = record_lab.get_variables()["LAB"]
    assert lab.kind == "real"
    assert lab.host("hostb").nic("enP5p1s0").pci == "0005:01:00.0"
    assert lab.vm("vm02").memory_mib == 8192 and lab.vm("vm02").hugepage_kib == 512 * 1024
    assert lab.params["pmd_cpu_mask"] == "FF00000000"


def test_record_lab_names_missing_address(monkeypatch):
    monkeypatch.delenv("NETVIRT_HOSTB_ADDR", raising=False)
    monkeypatch.setenv("NETVIRT_HOSTA_ADDR", "192.0.2.1")
    with pytest.raises(LabDescriptionError, match="NETVIRT_"):
        record_lab.get_variables()


def test_credentials_are_read_from_environment_only(monkeypatch):
    monkeypatch.setenv("NETVIRT_HOSTA_ADDR", "192.0.2.1")
    monkeypatch.setenv("NETVIRT_HOSTB_ADDR", "192.0.2.2")
    monkeypatch.setenv("NETVIRT_VM01_ADDR", "192.0.2.11")
    monkeypatch.setenv("NETVIRT_VM02_ADDR", "192.0.2.12")
    monkeypatch.setenv("NETVIRT_SSH_PASSWORD", "s3cret-value")
    creds = record_lab.get_variables()["LAB"].host("hosta").ssh
    assert creds.password() == "s3cret-value"
    assert "s3cret" not in repr(creds)


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("hosts", 1, "nics", 0, "pci"), "05:01.0", r"hosts\[1\]\.nics\[0\]\.pci: '05:01.0' is not a PCI address"),
        (("hosts", 0, "role"), "switch", r"hosts\[0\]\.role: 'switch' is not one of peer, hypervisor"),
        (("hosts", 0, "mgmt"), "hosta.lab", r"hosts\[0\]\.mgmt: 'hosta.lab' is not an IP address"),
        (("hosts", 0, "name"), "host a;rm", r"hosts\[0\]\.name: 'host a;rm' is not a host name"),
        (("vms", 0, "vcpus"), "4", r"vms\[0\]\.vcpus: expected int, got '4'"),
        (("vms", 0, "memory_mib"), 1023, r"vms\[0\]\.memory_mib: 1023 MiB is not a multiple of the hugepage size"),
        (("vms", 1, "vnics", 0, "kind"), "vdpa", r"vms\[1\]\.vnics\[0\]\.kind: 'vdpa'"),
        (("vms", 1, "vnics", 0, "mac"), "00:00:00:00:00", r"vms\[1\]\.vnics\[0\]\.mac"),
        (("hosts", 0, "nics", 1, "peer"), "hostb:eth9", r"hosts\[0\]\.nics\[1\]\.peer: .*eth9"),
        (("hypervisor",), "hostc", r"lab\.hypervisor: 'hostc' is not one of the hosts"),
        (("mgmt_network",), "10.0.0.0/24", r"must be in 198\.18\.0\.0/15"),
        (("lab_id",), "NV-1", r"lab\.lab_id"),
    ],
)
def test_malformed_description_names_the_field(good, path, value, message):
    bad = copy.deepcopy(good)
    target = bad
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(LabDescriptionError, match=message):
        load_lab(bad)


def test_missing_field_is_named(good):
    del good["hosts"][0]["ssh"]
    with pytest.raises(LabDescriptionError, match=r"hosts\[0\]\.ssh: missing"):
        load_lab(good)


def test_secrets_in_a_description_are_refused(good):
    good["hosts"][0]["ssh"]["password"] = "root123"
    with pytest.raises(LabDescriptionError, match="secrets are not written"):
        load_lab(good)


def test_unknown_host_lists_known_ones(good):
    with pytest.raises(LabDescriptionError, match="hostc.*hosta, hostb, vm01, vm02"):
        load_lab(good).host("hostc")


# -- NIC models and capabilities (issue 12: verdicts that mean what the record means) -------------


def test_embedded_lab_models_the_records_nic_by_default(monkeypatch):
    monkeypatch.delenv("NETVIRT_NIC_MODEL", raising=False)
    lab = embedded_lab.get_variables("nv7")["LAB"]
    models = {nic.model for host in lab.hosts for nic in host.nics if nic.sriov}
    assert models == {"cx4-ofed4.3"}
    record = NIC_MODELS["cx4-ofed4.3"]
    assert not record.vf_auto_follows_pf and not record.vst_qinq  # the record's two FAILs


def test_the_spec_conformant_model_is_chosen_on_the_command_line(monkeypatch):
    monkeypatch.delenv("NETVIRT_NIC_MODEL", raising=False)
    lab = embedded_lab.get_variables("nv7", "spec-conformant")[
        "LAB"
    ]  # -V variables/embedded_lab.py:nv7:spec-conformant
    assert {nic.model for host in lab.hosts for nic in host.nics} == {"spec-conformant"}
    monkeypatch.setenv("NETVIRT_NIC_MODEL", "spec-conformant")
    assert embedded_lab.get_variables("nv7")["LAB"].host("hostb").nic("enP5p1s0").model == "spec-conformant"


def test_an_unknown_nic_model_fails_at_load_naming_the_field():
    with pytest.raises(LabDescriptionError, match=r"hosts\[0\]\.nics\[0\]\.model: 'cx5' is not one of cx4-ofed4.3"):
        embedded_lab.get_variables("nv7", "cx5")


def test_an_embedded_sriov_nic_needs_a_model(good):
    del good["hosts"][1]["nics"][1]["model"]
    with pytest.raises(LabDescriptionError, match=r"hosts\[1\]\.nics\[1\]\.model: the embedded lab emulates"):
        load_lab(good)


def test_the_record_lab_declares_its_nic_and_capabilities(monkeypatch):
    for name in ("NETVIRT_HOSTA_ADDR", "NETVIRT_HOSTB_ADDR", "NETVIRT_VM01_ADDR", "NETVIRT_VM02_ADDR"):
        monkeypatch.setenv(name, "192.0.2.1")
    lab = load_lab(record_lab.description())
    assert lab.host("hostb").nic("enP5p1s0").model == "cx4-ofed4.3"
    assert lab.capabilities == {"msix_interrupts", "sriov_passthrough", "host_vlan"}
    assert load_lab(embedded_lab.description("nv7")).capabilities == frozenset()


def test_a_misspelt_capability_fails_at_load(good):
    good["capabilities"] = ["msix_interrupt"]
    with pytest.raises(LabDescriptionError, match=r"lab.capabilities\[0\]: 'msix_interrupt' is not one of"):
        load_lab(good)


def test_a_capability_written_as_a_param_is_refused(good):
    good["params"]["msix_interrupts"] = True
    with pytest.raises(LabDescriptionError, match="lab.params.msix_interrupts: a capability goes in lab.capabilities"):
        load_lab(good)
