"""A lab description from a JSON file a test wrote: ``robot -V tests/integration/lab_from_json.py:<file>``."""

import json
from pathlib import Path

from netvirt.labspec import load_lab


def get_variables(path: str) -> dict:
    return {"LAB": load_lab(json.loads(Path(path).read_text()))}
