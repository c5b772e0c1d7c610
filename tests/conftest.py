import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for sub in ("libraries", "variables"):
    if str(ROOT / sub) not in sys.path:
        sys.path.insert(0, str(ROOT / sub))

import pytest  # noqa: E402

RECORD_LAB_ENV = {
    "NETVIRT_HOSTA_ADDR": "192.0.2.1",
    "NETVIRT_HOSTB_ADDR": "192.0.2.2",
    "NETVIRT_VM01_ADDR": "192.0.2.11",
    "NETVIRT_VM02_ADDR": "192.0.2.12",
}


@pytest.fixture
def record(monkeypatch):
    """The record's real lab (variables/record_lab.py) with documentation addresses in its environment."""
    import record_lab
    from netvirt.labspec import load_lab

    for name, value in RECORD_LAB_ENV.items():
        monkeypatch.setenv(name, value)
    return load_lab(record_lab.description())
