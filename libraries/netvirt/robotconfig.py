"""Make plain ``robot``/``pabot`` from the project's venv honour ``robot.toml``.

Robot Framework reads no configuration file of its own (robot.toml is RobotCode's format),
but it does read default options from ``ROBOT_OPTIONS``. The venv's ``netvirt-robot.pth``
imports this module at interpreter start-up; it turns robot.toml into ``ROBOT_OPTIONS``
(unless the user set that variable), with paths made absolute so any working directory works.
"""

from __future__ import annotations

import os
import shlex
import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "robot.toml"
PATH_OPTIONS = {"pythonpath", "outputdir"}


def options(config: Path = CONFIG) -> list[str]:
    """The command-line options that ``config`` stands for."""
    data = tomllib.loads(config.read_text())
    argv: list[str] = []
    for name, value in data.items():
        if isinstance(value, bool):  # a flag such as exitonerror
            argv += [f"--{name}"] if value else []
            continue
        for item in value if isinstance(value, list) else [value]:
            text = str(config.parent / item) if name in PATH_OPTIONS else str(item)
            argv += [f"--{name}", text]
    return argv


if "ROBOT_OPTIONS" not in os.environ and CONFIG.exists():
    os.environ["ROBOT_OPTIONS"] = shlex.join(options())
