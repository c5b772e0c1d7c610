"""Small real Robot runs for the unit tests of what reads a run's output.xml (netvirt.verdicts, netvirt.rerun)."""

import io
from pathlib import Path

import robot

# The lab metadata LabLibrary writes: the record's NIC model, no capabilities.
LAB_METADATA = "*** Settings ***\nMetadata    网卡型号    cx4-ofed4.3\nMetadata    实验环境能力    无\n"


def run(directory: Path, tests: dict[str, str], settings: str = LAB_METADATA) -> str:
    """Run a suite of ``{test name: its steps}`` (the record's NIC model unless ``settings`` says otherwise); return
    its output.xml."""
    directory.mkdir(exist_ok=True)
    suite = directory / "run.robot"
    body = "".join(f"{name}\n    {steps}\n" for name, steps in tests.items())
    suite.write_text(f"{settings}*** Test Cases ***\n{body}", encoding="utf-8")
    output = directory / "output.xml"
    robot.run(suite, output=output, log=None, report=None, stdout=io.StringIO(), console="none")
    return str(output)
