"""Several ``ip`` commands as one process: ``ip -batch``.

Each ``ip`` costs a TCG guest a fork and exec of a dynamically linked program (a tenth to a third of a second
on a 2-core machine); ``ip -batch -`` reads the commands from its standard input and runs them in one process,
stopping at the first that fails (rc 1, and ``Command failed -:<line>`` on stderr after that command's own
message). iproute2 has had it since long before the record's CentOS 7.5 (3.10).

    >>> print(batch([["addr", "replace", "5.5.5.51/24", "dev", "eth1"], ["link", "set", "eth1", "up"]], "-4"))
    ip -4 -batch - <<'NETVIRT-IP'
    addr replace 5.5.5.51/24 dev eth1
    link set eth1 up
    NETVIRT-IP
"""

from __future__ import annotations

import shlex

END = "NETVIRT-IP"


def batch(steps: list[list[str]], *options: str) -> str:
    """The shell command line that runs ``steps`` (each the arguments of one ``ip`` command, without ``ip``)
    in one ``ip -batch`` process; ``options`` (e.g. ``-4``) apply to every step. The arguments must already be
    checked (interface names, addresses): a line of the batch is split by ``ip``, not by a shell. A single step
    is an ordinary ``ip`` command line.

    >>> batch([["link", "set", "eth1", "up"]])
    'ip link set eth1 up'
    """
    if not steps:
        raise ValueError("ip -batch 至少要有一条命令")
    if len(steps) == 1:
        return shlex.join(["ip", *options, *steps[0]])
    lines = [shlex.join(step) for step in steps]
    for line in lines:
        if "\n" in line or line.strip() == END:
            raise ValueError(f"ip -batch 的命令不能含换行或结束标记：{line!r}")
    head = shlex.join(["ip", *options, "-batch", "-"])
    return "\n".join([f"{head} <<'{END}'", *lines, END])
