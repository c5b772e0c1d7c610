"""Version numbers as the tools print them, compared numerically (3.10 > 3.9).

``Version("3.10.0-957.el7.x86_64")`` keeps the dotted release ``(3, 10, 0)`` and the
numeric build after the dash ``(957,)``; missing release parts count as zero, so
``2.12 == 2.12.0``, and a release without a build sorts before the same release with one.
"""

from __future__ import annotations

import functools
import re

_VERSION_RE = re.compile(r"(\d+(?:\.\d+)*)(?:-(\d+(?:\.\d+)*))?")
_BARE = r"^\s*v?(\d+(?:\.\d+)+(?:-[\w.+]+)?)\s*$"
# Where each tool states its own version; the bare form fits a value copied from a table.
_TOOL_PATTERNS: dict[str, list[str]] = {
    "kernel": [r"(?<![\w.])(\d+\.\d+\.\d+(?:-[\w.+]+)?)"],
    "qemu": [r"QEMU emulator version (\d\S*)", _BARE],
    "ovs": [r"\(Open vSwitch\) (\d\S*)", r'ovs_version: "?(\d[^"\s]*)', _BARE],
    "dpdk": [r"DPDK[ -]v?(\d+\.\d+(?:\.\d+)*)", r"(?<![\w.])v(\d+\.\d+(?:\.\d+)*)", _BARE],
    "libvirt": [r"\(libvirt\) (\d\S*)", r"library: libvirt (\d\S*)", _BARE],
    "ofed": [r"OFED(?:_LINUX)?-(\d+\.\d+-[\d.]*\d)", _BARE],
}


@functools.total_ordering
class Version:
    """A version found in tool output, ordered by numbers rather than text.

    >>> Version("QEMU emulator version 2.12.0") > Version("2.3.0")
    True
    """

    def __init__(self, text: str) -> None:
        found = _VERSION_RE.search(text)
        if not found:
            raise ValueError(f"expected a version number such as 2.8.4 in {text!r}")
        self.text = found.group(0)
        self.release = tuple(int(part) for part in found.group(1).split("."))
        self.build = tuple(int(part) for part in found.group(2).split(".")) if found.group(2) else ()

    def _key(self, width: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Comparison key with the release padded by zeros to ``width`` parts."""
        return self.release + (0,) * (width - len(self.release)), self.build

    def __eq__(self, other: object) -> bool:
        other_version = _coerce(other)
        if other_version is None:
            return NotImplemented
        width = max(len(self.release), len(other_version.release))
        return self._key(width) == other_version._key(width)

    def __lt__(self, other: object) -> bool:
        other_version = _coerce(other)
        if other_version is None:
            return NotImplemented
        width = max(len(self.release), len(other_version.release))
        return self._key(width) < other_version._key(width)

    def __hash__(self) -> int:
        release = list(self.release)
        while len(release) > 1 and release[-1] == 0:  # equal versions must hash alike: 2.12 == 2.12.0
            release.pop()
        return hash((tuple(release), self.build))

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Version({self.text!r})"


def _coerce(value: object) -> Version | None:
    """Accept a Version or a string holding one; None for anything else."""
    if isinstance(value, Version):
        return value
    if isinstance(value, str):
        return Version(value)
    return None


def extract_version(text: str, tool: str) -> Version:
    """Find ``tool``'s version in its output (``uname -r``, ``qemu-system-* --version`` ...).

    ``tool`` is one of kernel, qemu, ovs, dpdk, libvirt, ofed.

    >>> extract_version("ovs-vsctl (Open vSwitch) 3.1.0\\nDB Schema 8.3.1", "ovs")
    Version('3.1.0')
    """
    patterns = _TOOL_PATTERNS.get(tool)
    if patterns is None:
        raise ValueError(f"unknown tool {tool!r}: expected one of {', '.join(_TOOL_PATTERNS)}")
    for pattern in patterns:
        found = re.search(pattern, text, re.MULTILINE)
        if found:
            return Version(found.group(1))
    raise ValueError(f"no {tool} version found in {text.strip()!r}")


def version_at_least(found: str | Version, required: str | Version) -> bool:
    """True when ``found`` is the ``required`` version or newer, comparing numbers.

    >>> version_at_least("hxt-dev-v17.08", "16.11.0")
    True
    """
    found_version, required_version = _coerce(found), _coerce(required)
    if found_version is None or required_version is None:
        raise ValueError(f"expected version strings, got {found!r} and {required!r}")
    return found_version >= required_version


# -- DPDK's version where OVS does not record it (OVS before 2.10) ---------------------------------
_RTE_DEFINE_RE = re.compile(r"^\s*#\s*define\s+RTE_VER_(PREFIX|YEAR|MONTH|MINOR|SUFFIX|RELEASE)\s+(\S.*?)\s*$", re.M)


def dpdk_version_from_vswitchd(text: str) -> str | None:
    """The ``DPDK 17.11.0`` line ``ovs-vswitchd --version`` prints on a DPDK build (OVS 2.9 on;
    ``print_dpdk_version()`` in ``lib/dpdk.c``); None where it prints none (OVS 2.8, builds without DPDK).

    >>> dpdk_version_from_vswitchd("ovs-vswitchd (Open vSwitch) 2.9.0\\nDPDK 17.11.0\\n")
    'DPDK 17.11.0'
    """
    found = re.search(r"^(DPDK \d\S*)\s*$", text, re.M)
    return found.group(1) if found else None


def dpdk_version_from_log(text: str) -> str | None:
    """The DPDK version ovs-vswitchd's log states, the last one logged: ``Using DPDK 17.11.0`` (OVS 2.9 on,
    at DPDK init) or EAL's ``RTE Version: 'DPDK 17.08.0'`` (any OVS whose ``other_config:dpdk-extra`` gives
    EAL ``-v``); None where the log says neither (OVS 2.8 without ``-v``).

    >>> dpdk_version_from_log("...|dpdk|INFO|Using DPDK 17.11.0\\n")
    'DPDK 17.11.0'
    """
    found = re.findall(r"Using (DPDK \d[^\s|]*)|RTE Version: '(DPDK [^']+)'", text)
    return next((a or b for a, b in reversed(found)), None)


def dpdk_version_from_header(text: str) -> str | None:
    """What ``rte_version()`` returns for the DPDK whose ``rte_version.h`` (make builds, up to 20.08) or
    ``rte_build_config.h`` (meson builds) is ``text``: ``"%s %d.%02d.%d"`` of prefix, year, month and
    minor, with the suffix and the release number when there is a suffix; None without the defines.

    >>> dpdk_version_from_header("#define RTE_VER_YEAR 17\\n#define RTE_VER_MONTH 8\\n#define RTE_VER_MINOR 0\\n")
    'DPDK 17.08.0'
    """
    defines = dict(_RTE_DEFINE_RE.findall(text))
    try:
        year, month, minor = (int(defines[k]) for k in ("YEAR", "MONTH", "MINOR"))
    except (KeyError, ValueError):
        return None
    prefix = defines.get("PREFIX", '"DPDK"').strip('"')
    suffix = defines.get("SUFFIX", '""').strip('"')
    version = f"{prefix} {year}.{month:02d}.{minor}"
    if suffix:
        release = int(defines["RELEASE"]) if defines.get("RELEASE", "").isdigit() else 16
        version += f"{suffix}{release if release < 16 else release - 16}"
    return version
