"""A real lab leased from pabot's pool of lab descriptions (PabotLib value sets).

    pabot --processes 2 --pabotlib --resourcefile docs/pabot-labs.dat \\
          -V variables/leased_lab.py suites/5.4_网络虚拟化

Each pabot process leases one value set (one lab) tagged ``netvirt-lab`` before its suites start,
waiting while every lab is leased, and gives it back when the process exits. Outside pabot it is
``variables/record_lab.py`` as it is.
"""

import atexit
import os
import re
import sys
import time

from robot.libraries.Remote import Remote

import record_lab


def _pabot_variables() -> dict[str, str]:
    """CALLER_ID and PABOTLIBURI, read from the argument file pabot starts each process with
    (a variable file given with -V is loaded before Robot has set any variable)."""
    argv = sys.argv[1:]
    for flag, path in zip(argv, argv[1:], strict=False):
        if flag in ("-A", "--argumentfile"):
            with open(path, encoding="utf-8") as argfile:
                return dict(re.findall(r"^--variable (CALLER_ID|PABOTLIBURI):(.*)$", argfile.read(), re.M))
    return {}


def _lease(uri: str, caller: str, tag: str) -> dict[str, str]:
    pabotlib = Remote(uri)
    while True:
        name, values = pabotlib.run_keyword("acquire_value_set", [caller, tag], {})
        if name:
            print(f"leased_lab: {name}", file=sys.__stdout__)
            atexit.register(pabotlib.run_keyword, "release_value_set", [caller], {})
            return values
        time.sleep(1)  # every lab is leased: wait for a process to finish


def get_variables(tag: str = "netvirt-lab") -> dict:
    pabot = _pabot_variables()
    if "PABOTLIBURI" in pabot:
        for key, value in _lease(pabot["PABOTLIBURI"], pabot["CALLER_ID"], tag).items():
            if key.startswith("netvirt_"):  # ConfigParser lowercases keys; environment names are upper case
                os.environ[key.upper()] = value
    return record_lab.get_variables()
