"""Lab parameters typed by what they are (``labspec.PARAMS``): both shipped labs load, a key not declared or a
value against its rule is refused at load naming the key, the file and what was expected, and the values are
read by kind (spec values, method, adaptations, acceptance criteria per requirement)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

import embedded_lab
import LabLibrary
import PerfLibrary
import record_lab
from netvirt import seam
from netvirt.embedded import guestboot
from netvirt.labspec import (
    LATENCY_STATISTICS,
    NO_DEFAULT,
    PARAM_KINDS,
    PARAMS,
    PERF_GENERATORS,
    PERF_SCENARIOS,
    VM_ARCHES,
    LabDescriptionError,
    load_lab,
)
from netvirt.perf.generators import Generator
from netvirt.perf.topology import Scenario

RECORD_ENV = {
    "NETVIRT_HOSTA_ADDR": "192.0.2.1",
    "NETVIRT_HOSTB_ADDR": "192.0.2.2",
    "NETVIRT_VM01_ADDR": "192.0.2.11",
    "NETVIRT_VM02_ADDR": "192.0.2.12",
}


@pytest.fixture
def record_env(monkeypatch):
    for name, value in RECORD_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def embedded():
    return embedded_lab.description("nvk1")


def refused(description: dict) -> str:
    with pytest.raises(LabDescriptionError) as err:
        load_lab(description)
    return str(err.value)


@pytest.mark.parametrize("arch", VM_ARCHES)
@pytest.mark.parametrize("model", ["cx4-ofed4.3", "spec-conformant"])
def test_the_embedded_lab_loads_with_every_key_declared(arch, model):
    lab = embedded_lab.get_variables("nvk1", model, arch)["LAB"]
    assert set(lab.params) <= set(PARAMS)
    assert lab.param("vm_arch") == arch


def test_the_record_lab_loads_with_every_key_declared(record_env):
    lab = record_lab.get_variables()["LAB"]
    assert set(lab.params) <= set(PARAMS)
    assert lab.spec_values["pmd_cpu_mask"] == "FF00000000"
    assert lab.spec_values["vm_images"]["vm02"].endswith("hxt-centos7.5-02.qcow2")
    assert lab.param("vf_link_timeout") == 10  # not in the description: the declared default SriovLibrary waits


def test_every_declared_key_has_a_kind_a_requirement_and_a_chinese_meaning():
    for key, param in PARAMS.items():
        assert param.key == key and param.kind in PARAM_KINDS
        assert param.requirement == "" or re.fullmatch(r"\d+(\.\d+)+|待解决问题 \w+", param.requirement), key
        assert re.search(r"[\u4e00-\u9fff]", param.meaning), key
        if param.default not in (None, NO_DEFAULT):
            assert param.rule(param.default), key


def test_an_unknown_key_is_refused_naming_it_and_the_file(embedded):
    embedded["params"]["colour"] = "blue"
    message = refused(embedded)
    assert message.startswith("tests/unit/test_labspec_params.py：")
    assert "lab.params 中的 'colour' 不是已知的实验环境参数（没有相近的已知参数" in message


def test_a_misspelt_key_in_a_variables_file_names_the_file_and_the_closest_key(record_env, monkeypatch):
    description = record_lab.description()
    description["params"]["perf_trail_duration"] = description["params"].pop("perf_trial_duration")
    monkeypatch.setattr(record_lab, "description", lambda: description)
    with pytest.raises(LabDescriptionError) as err:
        record_lab.get_variables()
    assert str(err.value).startswith("variables/record_lab.py：lab.params 中的 'perf_trail_duration' 不是已知的")
    assert "最接近的已知参数是 perf_trial_duration" in str(err.value)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("netperf_rounds", "5", r"lab.params.netperf_rounds 的值 '5' 不合要求，应为：整数（1 <= x <= 100）"),
        ("netperf_rounds", True, r"lab.params.netperf_rounds 的值 True 不合要求，应为：整数"),
        ("perf_trial_duration", 0, r"lab.params.perf_trial_duration 的值 0 不合要求，应为：数（0 < x <= 3600，秒）"),
        ("pmd_cpu_mask", "0x0", r"lab.params.pmd_cpu_mask 的值 '0x0' 不合要求，应为：十六进制 CPU 掩码"),
        ("policer_offered_load", "16 M", r"policer_offered_load 的值 '16 M' 不合要求，应为：iperf3 的速率"),
        ("policer_rate_bps", 8e6, r"policer_rate_bps 的值 8000000.0 不合要求，应为：整数（1 <= x，bit/s）"),
        ("vm_arch", "riscv64", r"vm_arch 的值 'riscv64' 不合要求，应为：x86_64 / aarch64 之一"),
        ("perf_frame_sizes", [64, 32], r"perf_frame_sizes\[1\] 的值 32 不合要求，应为：整数（64 <= x <= 9728"),
        ("sriov_vf_rate_scale", "half", r"sriov_vf_rate_scale 的值 'half' 不合要求"),
        (
            "perf_max_load_pps",
            {"p2p": "fast"},
            r"perf_max_load_pps\.p2p 的值 'fast' 不合要求，应为：数（0 < x，帧/秒）",
        ),
        ("perf_latency_max_us", {"p42_us": 1}, r"perf_latency_max_us 中的键 'p42_us' 不合要求，应为：min_us / avg_us"),
        ("perf_ndr_criteria", {"pvq": {64: 1}}, r"perf_ndr_criteria 中的键 'pvq' 不合要求，应为：p2p / pvp"),
        (
            "perf_ndr_criteria",
            {"pvp": {64: 150}},
            r"perf_ndr_criteria\.pvp\.64 的值 150 不合要求，应为：数（0 < x <= 100，%）",
        ),
        ("dpdk_devargs", {"05:01.0": "x"}, r"dpdk_devargs 中的键 '05:01.0' 不合要求，应为：PCI 地址"),
    ],
)
def test_a_value_against_its_rule_is_refused_naming_key_value_and_expected(embedded, key, value, message):
    embedded["params"][key] = value
    assert re.search(message, refused(embedded))


def test_frame_sizes_as_json_keys_load(embedded):
    """A description read from JSON has string keys only: "64" is the frame size 64, "32" is still refused."""
    import json

    embedded["params"]["perf_ndr_criteria"] = {"p2p": {64: 1, 1518: 10}}
    embedded["params"]["perf_ndr_min_pct_line_rate"] = {64: 1}
    assert load_lab(json.loads(json.dumps(embedded))).param("perf_ndr_criteria") == {"p2p": {"64": 1, "1518": 10}}
    embedded["params"]["perf_ndr_min_pct_line_rate"] = {"32": 1}
    assert re.search(r"perf_ndr_min_pct_line_rate 中的键 '32' 不合要求", refused(embedded))


def test_per_vm_parameters_name_only_the_labs_vms(embedded):
    embedded["params"]["vm_images"] = {"vm03": "/var/lib/libvirt/images/vm03.qcow2"}
    assert "lab.params.vm_images 中的 'vm03' 不是本实验环境的虚拟机（现有：vm01, vm02）" in refused(embedded)


def test_a_value_within_its_rule_loads(embedded):
    embedded["params"].update(perf_max_load_pps=1000, dpdk_socket_mem="1024,1024", perf_quality_max_loss_ratio=None)
    assert load_lab(embedded).param("perf_max_load_pps") == 1000


def test_the_criteria_of_each_requirement(record_env):
    lab = load_lab(embedded_lab.description("nvk1"))
    assert lab.criteria("5.4.8.1") == {"policer_rate_bps": 8_000_000}
    assert lab.criteria("7.3.6.1") == {
        "perf_quality_judged_up_to_pct": 50,
        "perf_quality_max_loss_ratio": 0.01,
        "perf_latency_max_us": {"p50_us": 2000},
    }
    assert lab.criteria("7.3.5.1")["perf_ndr_criteria"]["pvp"] == {64: 0.002, 1518: 0.02}
    assert set(lab.criteria("7.3")) == set(lab.criteria("7.3.5.1")) | set(lab.criteria("7.3.6.1"))
    assert lab.criteria("5.4.1") == {}
    assert lab.requirements() == ["5.4.8.1", "7.3.5.1", "7.3.6.1"]
    record = record_lab.get_variables()["LAB"]
    # The record lab leaves the quality loss ratio out: None, the PDR's loss ratio is the criterion.
    assert record.criteria("7.3.6.1") == {
        "perf_quality_judged_up_to_pct": 90,
        "perf_quality_max_loss_ratio": None,
        "perf_latency_max_us": {"p99_us": 500},
    }


def test_method_spec_values_and_adaptations_are_the_keys_of_their_kind():
    lab = load_lab(embedded_lab.description("nvk1"))
    assert "netperf_duration" in lab.method and lab.method["sriov_rate_protocol"] == "udp"  # the latter declared
    assert "policer_rate_bps" not in lab.method and "pmd_cpu_mask" not in lab.method
    assert lab.spec_values["pmd_cpu_mask"] == "0x2" and lab.spec_values["qemu_emulator"].endswith("x86_64")
    assert lab.emulated["sriov_vf_rate_scale"] == 1 / 5000
    kinds = [lab.spec_values, lab.method, lab.emulated] + [lab.criteria(r) for r in lab.requirements()]
    assert sum(len(k) for k in kinds) == len(PARAMS)


def test_the_parameters_are_read_only(embedded):
    lab = load_lab(embedded)
    with pytest.raises(TypeError):
        lab.params["perf_mtu"] = 1500
    lab.params["perf_ndr_criteria"]["p2p"][64] = 99  # a copy: the description is unchanged
    lab.criteria("7.3.5.1")["perf_ndr_criteria"]["p2p"][64] = 99
    assert lab.params["perf_ndr_criteria"]["p2p"][64] == 0.01
    assert dict(lab.params) == embedded["params"]


def test_an_undeclared_key_read_by_name_fails_naming_the_closest():
    lab = load_lab(embedded_lab.description("nvk1"))
    with pytest.raises(
        LabDescriptionError, match="没有实验环境参数 'netperf_round'（最接近的已知参数是 netperf_rounds"
    ):
        lab.param("netperf_round")


def test_the_lab_parameter_keyword_gives_the_declared_default_and_refuses_an_undeclared_name(monkeypatch):
    lab = load_lab(embedded_lab.description("nvk1"))
    monkeypatch.setattr(seam, "current", lambda: SimpleNamespace(spec=lab))
    keyword = LabLibrary.LabLibrary().lab_parameter
    assert keyword("pmd_cpu_mask") == "0x2"
    assert keyword("netperf_rounds", 7) == lab.params["netperf_rounds"] != 7  # the description's value
    assert keyword("sriov_rate_protocol") == "udp"  # the declared default
    assert keyword("sriov_rate_protocol", "tcp") == "tcp"  # the suite's default for a key the description omits
    with pytest.raises(LabDescriptionError, match="最接近的已知参数是 policer_rate_bps"):
        keyword("policer_rate")


def test_the_declaration_agrees_with_the_code_that_reads_it():
    for key, default in PerfLibrary.DEFAULTS.items():
        assert PARAMS[key].default == default, key
    assert PERF_SCENARIOS == tuple(s.value for s in Scenario if s is not Scenario.baseline)
    assert LATENCY_STATISTICS == PerfLibrary.LATENCY_KEYS
    assert PERF_GENERATORS == tuple(g.value for g in Generator)
    assert set(VM_ARCHES) == set(guestboot.ARCHES)
