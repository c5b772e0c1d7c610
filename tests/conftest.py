import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for sub in ("libraries", "variables"):
    if str(ROOT / sub) not in sys.path:
        sys.path.insert(0, str(ROOT / sub))
