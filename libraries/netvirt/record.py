"""The test record, generated from Robot's ``output.xml`` in the acceptance record's own Markdown format.

    python -m netvirt.record results/output.xml [-o results/网络虚拟化测试记录.md] [--title 标题]

The QA engineer used to paste command output into ``网络虚拟化用例记录.md`` by hand; this writes the
same document from a run: a table of contents, ``# 测试前准备`` with the server configuration table
read from the lab, then per case ``## <number>\\t<name>``, its requirement, ``### 测试结果 -- PASS``
(or FAIL/SKIP with the reason) and the key commands, outputs and tables of the case.

It reads the run's evidence as data: what ``netvirt.evidence`` handed on while the run logged it
(commands with host, rc and output, tables, preformatted blocks, equivalent commands of changes made
through an API, notes about the lab, images) and the run's warnings, written beside output.xml by
``netvirt.evidencefile.EvidenceListener`` (``output.evidence.jsonl``). output.xml (read with
``robot.api.ExecutionResult``) gives the structure: suites, cases, steps, statuses, messages, metadata.
A run without that file (an output.xml of a run before it existed, or of a run without the listener)
is refused, saying so.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from robot.api import ExecutionResult
from robot.errors import DataError
from robot.result import Keyword, Message, Result, TestCase, TestSuite, Var

from netvirt import emulation, evidencefile, rerun
from netvirt.evidence import EQUIVALENT, LAB_NOTE
from netvirt.evidencefile import EvidenceFileError

MAX_LINES = 60  # longer outputs are cut in the record (log.html keeps them whole)
KEEP_LINES = 50
NUMBERED = re.compile(r"^(?P<number>\d+(?:\.\d+)+)\s+(?P<name>.+)$", re.S)
# A leading ``env NAME=value ...`` is how a lab reaches its tools (OVS_RUNDIR of the embedded lab),
# not part of what the record shows; log.html keeps the full command.
ENV_PREFIX = re.compile(r"^env\s+(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)+")

# --- evidence: what one piece of evidence of the file stands for ------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A command run on a host, with its output (``evidence.command``)."""

    host: str
    command: str
    output: str
    status: str = ""


@dataclass(frozen=True)
class Equivalent:
    """A change made through an API, logged as the command line a person would type."""

    command: str


@dataclass(frozen=True)
class Pre:
    """A titled preformatted block (``evidence.pre``)."""

    title: str
    text: str


@dataclass(frozen=True)
class Cell:
    text: str
    marked: bool = False  # highlighted in the log (``evidence.table(highlight=...)``)


@dataclass(frozen=True)
class Table:
    """An HTML table of the log (``evidence.table``): ping matrices, throughput, versions."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Image:
    """A picture in the log (a plot), by its ``src``."""

    title: str
    src: str


@dataclass(frozen=True)
class Note:
    """A remark for the reader: a warning, or a note about the lab (``about_lab``)."""

    text: str
    about_lab: bool = False


@dataclass(frozen=True)
class Step:
    """The test step (top-level keyword and arguments) the following evidence belongs to."""

    label: str


Evidence = Command | Equivalent | Pre | Table | Image | Note | Step

PROMPT = re.compile(r"^\[[^\]]+\]# \S")


def command_output(stdout: str, stderr: str) -> str:
    """What the log shows under a command: its stdout, then its stderr (``evidence.command``)."""
    body = stdout.rstrip()
    if stderr.strip():
        body += ("\n" if body else "") + stderr.rstrip()
    return body


def table_of(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], highlight: Iterable[Sequence[int]]
) -> Table:
    """A ``Table`` as the log shows it: cells without surrounding blanks, empty rows left out."""
    marked = {(r, c) for r, c in highlight}
    body = tuple(
        tuple(Cell(str(value).strip(), (r, c) in marked) for c, value in enumerate(row))
        for r, row in enumerate(rows)
        if row
    )
    return Table(title, tuple(str(h).strip() for h in headers), body)


def from_message(level: str, text: str) -> Evidence:
    """A warning or an error of the run as a note for the reader."""
    text = text.strip()
    if text.startswith(EQUIVALENT):
        return Equivalent(text.removeprefix(EQUIVALENT).strip())
    if text.startswith(LAB_NOTE):
        return Note(text.removeprefix(LAB_NOTE).strip(), about_lab=True)
    return Note(f"{level}：{text}")


def from_item(item: evidencefile.Item) -> Evidence | None:
    """The evidence one item of the evidence file stands for (None for a kind this module does not know)."""
    data = item.payload
    match item.kind:
        case "command":
            return Command(
                host=data["host"],
                command=data["command"],
                output=command_output(data["stdout"], data["stderr"]),
                status="" if data["ok"] else f"[rc={data['rc']}]",
            )
        case "pre":
            return Pre(data["title"], data["text"].rstrip())
        case "table":
            return table_of(data["title"], data["headers"], data["rows"], data["highlight"])
        case "image":
            return Image(data["title"], f"data:{data['media_type']};base64,{data['data']}")
        case "equivalent":
            return Equivalent(data["command"].strip())
        case "lab_note":
            return Note(data["text"].strip(), about_lab=True)
        case "message":
            return from_message(data["level"], data["text"])
    return None


# --- walking the result tree ---------------------------------------------------------------------


def _children(item: object) -> Iterator[object]:
    """Body items in execution order, with a suite's, test's or keyword's setup and teardown around them."""
    setup = getattr(item, "setup", None)
    if setup:
        yield setup
    if isinstance(item, TestSuite):
        yield from item.suites
        yield from item.tests
    else:
        yield from getattr(item, "body", ())
    teardown = getattr(item, "teardown", None)
    if teardown:
        yield teardown


Anchor = tuple[evidencefile.Owner, tuple[str, ...]]


def _anchors(item: object) -> Iterator[Anchor]:
    """The places evidence is kept under, in the order of the run: each test and suite phase (a suite's
    setup or teardown), then each of their top-level steps."""
    if isinstance(item, TestSuite):
        for phase in (item.setup, *item.suites, *item.tests, item.teardown):
            if phase:
                yield from _anchors(phase)
        return
    owner, path = evidencefile.location(item)
    yield owner, path
    for child in _children(item):
        if not isinstance(child, Message):
            yield evidencefile.location(child)


class EvidenceIndex:
    """The evidence of a run, found by where in output.xml it was logged (``evidencefile.location``).

    The evidence of several files (pabot's processes, each with its own file) is ordered as output.xml
    orders their top-level steps, and in the order it was logged within one step.
    """

    def __init__(self, root: TestSuite | TestCase, files: Sequence[list[evidencefile.Item]]) -> None:
        order = {anchor: index for index, anchor in enumerate(_anchors(root))}
        entries = []
        self.unplaced = 0
        for number, items in enumerate(files):
            for item in items:
                found = from_item(item)
                if found is None:
                    continue
                place = order.get((item.owner, item.path[:1]), order.get((item.owner, ())))
                if place is None:
                    self.unplaced += 1
                    continue
                entries.append(((place, number, item.seq), item.owner, item.path, found))
        entries.sort(key=lambda entry: entry[0])
        self.entries = [(owner, path, found) for _, owner, path, found in entries]

    @classmethod
    def read(cls, suite: TestSuite, output_xml: Path) -> EvidenceIndex:
        """The evidence beside ``output_xml`` (for pabot's merged output: that of each process; for a run merged
        with its rerun, ``netvirt.rerun``: the rerun's too, in ``rerun/``, where each rerun test's evidence is)."""
        paths = [evidencefile.path_for(output_xml)]
        if not paths[0].exists():
            paths = sorted(output_xml.parent.glob(f"pabot_results/**/*{evidencefile.SUFFIX}")) or paths
        if any(rerun.TAG in test.tags for test in suite.all_tests):
            paths.append(evidencefile.path_for(output_xml.parent / "rerun" / output_xml.name))
        index = cls(suite, [list(evidencefile.read(path)) for path in paths])
        if index.unplaced and not index.entries:
            names = "、".join(str(path) for path in paths)
            raise EvidenceFileError(f"证据文件 {names} 与 {output_xml} 不是同一次运行（没有一条证据在其中找到位置）")
        return index

    def own(self, item: TestCase) -> list[Evidence]:
        """The evidence logged under the test ``item`` itself, in no step of it (by a listener as the test started)."""
        owner, path = evidencefile.location(item)
        return [e for o, p, e in self.entries if o == owner and p == path]

    def of(self, item: object) -> list[Evidence]:
        """The evidence logged under ``item`` (a suite, a test, a keyword or control structure), in order."""
        if isinstance(item, TestSuite):
            prefix = item.full_name + "."
            return [e for owner, _, e in self.entries if owner[1] == item.full_name or owner[1].startswith(prefix)]
        owner, path = evidencefile.location(item)
        return [e for o, p, e in self.entries if o == owner and p[: len(path)] == path]


ASSIGNED = re.compile(r"^(?P<name>\$\{[^}]+\}) = (?P<value>[^\n]{1,80})$")


def _label(keyword: Keyword, values: dict[str, str]) -> str:
    """``name arg ...`` with the test's own scalar variables replaced by the values they got
    (``配置业务地址 vm02 ${nic} ...`` -> ``配置业务地址 vm02 eth2 ...``)."""
    label = " ".join([keyword.name or "", *(str(arg) for arg in keyword.args)]).strip()
    for name, value in values.items():
        label = label.replace(name, value)
    return label


def _assigned(step: object) -> dict[str, str]:
    """The short one-line values a step assigned (``${nic}= 挂载网卡 ...`` logs ``${nic} = eth2``;
    ``VAR ${nic} eth2``)."""
    if isinstance(step, Var) and step.name.startswith("${") and len(step.value) == 1:
        return {step.name: step.value[0]}
    if not isinstance(step, Keyword) or not step.assign:
        return {}
    lines = (m.message for m in step.body if isinstance(m, Message) and not m.html)
    return {match["name"]: match["value"] for line in lines if (match := ASSIGNED.match(line))}


QUIET_STEPS = {"Log", "Log Many", "Log To Console", "Comment"}  # BuiltIn steps that only write to the log


def _worth_a_comment(step: object, found: list[Evidence]) -> bool:
    """Whether a step's evidence gets a ``#step arguments`` comment, as the record comments its commands.

    Not for logging steps, and not when the step is one command given as an argument
    (``在主机上执行 vm01 ethtool -l eth1``): the comment would only repeat it.
    """
    if not isinstance(step, Keyword) or (step.owner == "BuiltIn" and step.name in QUIET_STEPS):
        return False
    commands = [e for e in found if isinstance(e, Command)]
    return not (len(found) == 1 and len(commands) == 1 and commands[0].command in step.args)


def steps_evidence(steps: Iterable[object], index: EvidenceIndex) -> list[Evidence]:
    """The evidence of a sequence of top-level steps, each step introduced by a ``Step`` comment."""
    items: list[Evidence] = []
    values: dict[str, str] = {}
    for step in steps:
        found = index.of(step)
        if found and _worth_a_comment(step, found):
            items.append(Step(_label(step, values)))
        items += found
        values.update(_assigned(step))
    return merge_row_tables(collapse_snapshots(items))


def case_evidence(test: TestCase, index: EvidenceIndex) -> list[Evidence]:
    """A test's evidence: what was logged as it started, outside any step (a guest that did not answer restarted
    first, by VMLibrary's listener), its setup and body; not the teardown that restores the lab."""
    before = index.own(test)
    steps = [step for step in ([test.setup, *test.body] if test.setup else test.body) if not isinstance(step, Message)]
    return ([Step("用例开始前"), *before] if before else []) + steps_evidence(steps, index)


def collapse_snapshots(items: list[Evidence]) -> list[Evidence]:
    """Drop the "state after" snapshots that a later identical snapshot supersedes.

    OVS keywords log the equivalent command and then ``ovs-vsctl show``; a chain of such changes
    would repeat the whole configuration after every line. The record shows the commands and the
    final state, so a snapshot that directly follows a change and is repeated after nothing but
    further changes is dropped; a baseline taken before any change is kept.
    """
    return [item for i, item in enumerate(items) if not _superseded(items, i)]


def _is_row_table(item: Evidence) -> bool:
    return isinstance(item, Table) and not item.title and bool(item.headers) and len(item.rows) == 1


def merge_row_tables(items: list[Evidence]) -> list[Evidence]:
    """Join untitled one-row tables with the same header into one table, where the last of them was.

    A keyword called once per item (``版本应不低于`` per software) logs a one-row table each time;
    the record shows one table with a row per item, after the evidence it sums up.
    """
    rows: dict[tuple[str, ...], list[tuple[Cell, ...]]] = {}
    last: dict[tuple[str, ...], int] = {}
    for index, item in enumerate(items):
        if isinstance(item, Table) and _is_row_table(item):
            rows.setdefault(item.headers, []).extend(item.rows)
            last[item.headers] = index
    merged: list[Evidence] = []
    for index, item in enumerate(items):
        if isinstance(item, Table) and _is_row_table(item):
            if last[item.headers] == index:
                merged.append(Table("", item.headers, tuple(rows[item.headers])))
        else:
            merged.append(item)
    return merged


def _superseded(items: list[Evidence], index: int) -> bool:
    item = items[index]
    if not isinstance(item, Command):
        return False
    before = next((e for e in reversed(items[:index]) if not isinstance(e, Step)), None)
    if not isinstance(before, Equivalent):
        return False
    for later in items[index + 1 :]:
        if isinstance(later, Equivalent | Step):
            continue
        return isinstance(later, Command) and (later.host, later.command) == (item.host, item.command)
    return False


# --- the lab: the server configuration table --------------------------------------------------

HOST_TABLE = ("主机", "角色", "管理地址", "网卡")  # the first columns of LabLibrary.记录实验环境's tables
VM_TABLE = ("VM", "vCPU")
VERSIONS = {  # key in the logged "key: value" blocks -> (row of the record's table, where it comes from)
    "qemu": ("QEMU version", "libvirt 报告"),
    "dpdk_version": ("DPDK version", "OVSDB `dpdk_version`"),
    "ovs_version": ("OVS(with DPDK) version", "OVSDB `ovs_version`"),
    "libvirt": ("libvirt version", "libvirt 报告"),
}


@dataclass
class LabFacts:
    """What the run logged about its lab: description tables, kernels, versions, notes."""

    names: list[str] = field(default_factory=list)
    hosts: Table | None = None
    vms: Table | None = None
    kernels: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, item: Evidence) -> None:
        if isinstance(item, Table) and item.headers[: len(HOST_TABLE)] == HOST_TABLE:
            self.names.append(re.sub(r"^实验环境：", "", item.title))
            self.hosts = self.hosts or item  # pabot: one lab per process, all alike but for addresses
        elif isinstance(item, Table) and item.headers[: len(VM_TABLE)] == VM_TABLE:
            self.vms = self.vms or item
        elif isinstance(item, Command) and item.command == "uname -r" and item.output:
            self.kernels.setdefault(item.host, item.output.splitlines()[0].strip())
        elif isinstance(item, Pre):
            for line in item.text.splitlines():
                key, _, value = line.partition(": ")
                if key.strip() in VERSIONS and value.strip():
                    self.versions.setdefault(key.strip(), value.strip())
        elif isinstance(item, Note) and item.about_lab and item.text not in self.notes:
            self.notes.append(item.text)

    def is_lab_table(self, item: Evidence) -> bool:
        """Tables the server configuration already shows (not repeated in 测试前准备)."""
        return isinstance(item, Table) and item.headers[:2] in (HOST_TABLE[:2], VM_TABLE)


def lab_facts(suite: TestSuite, index: EvidenceIndex) -> LabFacts:
    facts = LabFacts()
    for item in index.of(suite):
        facts.add(item)
    return facts


def _host_title(name: str) -> str:
    """``hosta`` -> ``Host A`` (the record's naming); other names unchanged."""
    match = re.fullmatch(r"host([a-z])", name)
    return f"Host {match[1].upper()}" if match else name


def server_table(facts: LabFacts) -> list[str]:
    """The record's 服务器配置 table: one column per host, then the Note column (where it comes from)."""
    if facts.hosts is None:
        return ["（本次运行的日志中没有实验环境描述：`记录实验环境` 未执行）", ""]
    hosts: dict[str, list[tuple[str, ...]]] = {}
    for row in facts.hosts.rows:
        hosts.setdefault(row[0].text, []).append(tuple(cell.text for cell in row))
    names = list(hosts)
    rows = [
        ["角色", *(hosts[h][0][1] for h in names), "实验环境描述"],
        ["管理地址", *(hosts[h][0][2] for h in names), "实验环境描述"],
        ["NIC", *("\n".join(_nic(nic) for nic in hosts[h]) for h in names), "实验环境描述"],
        ["kernel", *(facts.kernels.get(h, "NA") for h in names), "`uname -r`"],
    ]
    hypervisors = {h for h in names if hosts[h][0][1] == "hypervisor"}
    for key, (row, source) in VERSIONS.items():
        if key in facts.versions:
            rows.append([row, *(facts.versions[key] if h in hypervisors else "NA" for h in names), source])
    headers = ["服务器", *(_host_title(h) for h in names), "Note"]
    return md_table(headers, [[Cell(text) for text in row] for row in rows])


def _nic(columns: tuple[str, ...]) -> str:
    """One NIC of the lab description: ``enP5p1s0 0005:01:00.0 → hosta:enP5p1s0, SR-IOV 8 VF, 10000 Mb/s``."""
    name, pci, peer, sriov, speed = (list(columns[3:8]) + [""] * 5)[:5]
    vfs = re.fullmatch(r"True \((\d+)\)", sriov)  # the table's "SR-IOV (max VFs)" cell: "True (8)"
    return f"{name} {pci} → {peer}, {f'SR-IOV {vfs[1]} VF' if vfs else '无 SR-IOV'}, {speed} Mb/s"


def vm_table(facts: LabFacts) -> list[str]:
    """The record's VM table (``| VM | VM01 | VM02 |``): the lab's VM description, one column per VM."""
    if facts.vms is None:
        return []
    headers = [facts.vms.headers[0], *(row[0].text.upper() for row in facts.vms.rows)]
    rows = [[Cell(label), *(row[i] for row in facts.vms.rows)] for i, label in enumerate(facts.vms.headers) if i > 0]
    return md_table(headers, rows)


# --- Markdown ---------------------------------------------------------------------------------------


def md_cell(cell: Cell) -> str:
    text = cell.text.replace("|", r"\|").replace("\n", "<br>") or " "
    return f"**{text}**" if cell.marked else text


def md_table(headers: Iterable[str], rows: Iterable[Iterable[Cell]]) -> list[str]:
    """A Markdown table; highlighted cells are bold, as the record marks its notable cells (``**N**``)."""
    head = [md_cell(Cell(h)) for h in headers]
    body = [[md_cell(c) for c in row] for row in rows]
    width = max([len(head), *(len(row) for row in body)])
    if not head:  # a table without header cells: its first row heads it
        head, body = (body[0], body[1:]) if body else ([], [])
    lines = [head + [" "] * (width - len(head)), ["---"] * width] + [row + [" "] * (width - len(row)) for row in body]
    return ["| " + " | ".join(cells) + " |" for cells in lines] + [""]


def clip(text: str) -> list[str]:
    lines = text.splitlines()
    if len(lines) <= MAX_LINES:
        return lines
    return lines[:KEEP_LINES] + [f"...（省略 {len(lines) - KEEP_LINES} 行，完整输出见 log.html）"]


def command_lines(item: Command) -> list[str]:
    status = f"   [{item.status.strip('[]')}]" if item.status else ""
    return [f"[{item.host}]# {ENV_PREFIX.sub('', item.command)}{status}", *clip(item.output)]


def anchor(text: str, seen: dict[str, int]) -> str:
    """The heading anchor Markdown renderers (and the record's table of contents) use."""
    slug = "".join(ch for ch in text.lower() if ch.isalnum() or ch in "-_ ").replace(" ", "-")
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return f"{slug}-{count}" if count else slug


class ImageStore:
    """Writes pictures logged inline (``data:`` URIs) next to the record, as the record keeps its
    pictures in ``img/``; other sources are linked as they are."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.count = 0

    def link(self, src: str) -> str:
        match = re.match(r"data:image/(?P<ext>\w+);base64,(?P<data>.+)", src, re.S)
        if not match:
            return src
        if self.directory is None:
            return "（图见 log.html）"
        try:
            data = base64.b64decode(match["data"], validate=False)
        except binascii.Error:
            return "（图见 log.html）"
        self.count += 1
        path = self.directory / "img" / f"record-{self.count}.{match['ext']}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return f"img/{path.name}"


def _in_shell(item: Evidence) -> bool:
    """Whether the item is written inside a ``bash`` block (commands, outputs, plain text blocks)."""
    return isinstance(item, Command | Equivalent) or (isinstance(item, Pre) and not item.text.lstrip().startswith("<"))


def evidence_lines(items: Iterable[Evidence], images: ImageStore) -> list[str]:
    """Evidence as the record writes it: commands and outputs in ``bash`` blocks, each step as a ``#``
    comment (or a line of text before a table or picture), XML in ``xml`` blocks, tables as Markdown
    tables, pictures as images."""
    lines: list[str] = []
    shell: list[str] = []
    step = ""

    def flush() -> None:
        if shell:
            lines.extend(["```bash", *shell, "```", ""])
            shell.clear()

    for item in items:
        if isinstance(item, Step):
            step = item.label
            continue
        if step and _in_shell(item):
            shell.append(f"#{step}")
        elif step:
            flush()
            lines.extend([f"{step}：", ""])
        step = ""
        match item:
            case Command():
                shell.extend(command_lines(item))
            case Equivalent(command=command):
                shell.append(command)
            case Pre(title=title, text=text) if _in_shell(item):
                # A block titled with its command (``[hosta]# iperf3 ...``) reads as the command itself.
                shell.extend([title if PROMPT.match(title) else f"#{title}", *clip(text)])
            case Pre(title=title, text=text):
                flush()
                lines.extend([title, "```xml", *clip(text), "```", ""])
            case Table(title=title, headers=headers, rows=rows):
                flush()
                lines.extend(([f"**{title}**", ""] if title else []) + md_table(headers, rows))
            case Image(title=title, src=src):
                flush()
                lines.extend([f"![{title}]({images.link(src)})", ""])
            case Note(text=text):
                flush()
                lines.extend([f"> {text}", ""])
    flush()
    return lines


# --- the document ----------------------------------------------------------------------------------


def split_number(name: str) -> tuple[str, str]:
    """``"5.4.1.1 OVS采用DPDK"`` -> ``("5.4.1.1", "OVS采用DPDK")``; ``("", name)`` if unnumbered."""
    match = NUMBERED.match(name.strip())
    return (match["number"], match["name"].strip()) if match else ("", name.strip())


def numbered_heading(name: str) -> str:
    number, title = split_number(name)
    return f"{number}\t{title}" if number else title


def chapter_of(number: str) -> str:
    return ".".join(number.split(".")[:2])


def setup_rounds(setup: Keyword) -> list[list[object]]:
    """The setup's top-level steps, one list per process that ran them.

    pabot merges the suite setups of all its processes into one keyword, appending their steps. A step
    that started before the previous one ended was run by another process at the same time. Processes
    that ran one after the other are told apart by their steps: the same sequence of keywords (two or
    more steps, the same arguments) over again.
    """
    rounds: list[list[object]] = []
    previous_end = None
    for step in setup.body:
        start = getattr(step, "start_time", None)
        if not rounds or (start and previous_end and start < previous_end):
            rounds.append([])
        rounds[-1].append(step)
        previous_end = getattr(step, "end_time", None) or previous_end
    return [part for steps in rounds for part in _repeats(steps)]


def _repeats(steps: list[object]) -> list[list[object]]:
    """``steps`` split where its first step comes again, if that makes rounds of one same sequence."""

    def key(step: object) -> tuple:
        return getattr(step, "name", None), tuple(getattr(step, "args", ()))

    starts = [i for i, step in enumerate(steps) if key(step) == key(steps[0])]
    parts = [steps[a:b] for a, b in zip(starts, [*starts[1:], len(steps)], strict=True)]
    if len(parts) > 1 and len(parts[0]) >= 2 and all([key(s) for s in p] == [key(s) for s in parts[0]] for p in parts):
        return parts
    return [steps]


class RecordWriter:
    """Assembles the record: title, summary, contents, 测试前准备, then the chapters case by case."""

    def __init__(
        self, result: Result, evidence: EvidenceIndex, title: str | None = None, image_dir: Path | None = None
    ) -> None:
        self.result = result
        self.suite = result.suite
        self.evidence = evidence
        self.title = title or default_title(result.suite)
        self.images = ImageStore(image_dir)
        self.facts = lab_facts(self.suite, evidence)
        self.lines: list[str] = []
        self.headings: list[tuple[int, str]] = []
        chapter_suites = [s for s in self._suites(self.suite) if split_number(s.name)[0].count(".") == 1]
        self.chapters = {split_number(s.name)[0]: s for s in chapter_suites}

    def _suites(self, suite: TestSuite) -> Iterator[TestSuite]:
        yield suite
        for child in suite.suites:
            yield from self._suites(child)

    def heading(self, level: int, text: str) -> None:
        self.headings.append((level, text))
        self.lines.extend([f"{'#' * level} {text}", ""])

    def render(self) -> str:
        tests = list(self.suite.all_tests)
        chapters = {id(t): self.chapter_of(t) for t in tests}
        self.preparation([t for t in tests if chapters[id(t)] is None])
        for number, chapter in self.chapters.items():
            self.chapter(chapter, [t for t in tests if chapters[id(t)] == number])
        self.failed_teardowns()
        body, self.lines = self.lines, []
        return "\n".join(self.front() + self.contents() + body).rstrip() + "\n"

    def chapter_of(self, test: TestCase) -> str | None:
        """The chapter a case is recorded in: the one of its number (5.4.1.1 -> 5.4) if the run has that
        chapter; a numbered case of another chapter is a check the record makes in 测试前准备 (5.1.1);
        an unnumbered case goes to the chapter suite it is in."""
        number = split_number(test.name)[0]
        if number:
            return chapter_of(number) if chapter_of(number) in self.chapters else None
        suite = test.parent
        while suite is not None and split_number(suite.name)[0] not in self.chapters:
            suite = suite.parent
        return split_number(suite.name)[0] if suite is not None else None

    def failed_teardowns(self) -> None:
        """Suite teardowns restore the lab; the record mentions them only when they failed."""
        failed = [s for s in self._suites(self.suite) if s.teardown and s.teardown.status == "FAIL"]
        if failed:
            self.heading(1, "测试后清理")
        for suite in failed:
            self.heading(2, f"{suite.name}：{suite.teardown.name} -- FAIL")
            self.lines.extend([*(f"> {line}" for line in suite.teardown.message.splitlines()), ""])

    def front(self) -> list[str]:
        stats = self.result.statistics.total
        labs = "、".join(self.facts.names) or "（未记录）"
        lines = [
            f"# {self.title}",
            "",
            "> 本记录由 netvirt-robot 从 Robot Framework 的 output.xml 自动生成，格式与《网络虚拟化用例记录》相同；",
            "> 每条命令的完整输出见同一次运行的 log.html。",
            f"> 运行：{self.suite.name}，开始于 {str(self.suite.start_time or '')[:19]}，"
            f"用时 {str(self.suite.elapsed_time).split('.')[0]}；实验环境：{labs}。",
            f"> 结果：{stats.total} 个用例，PASS {stats.passed}，FAIL {stats.failed}，SKIP {stats.skipped}。",
            "",
        ]
        emulated = [t for t in self.suite.all_tests if any(tag.startswith(emulation.TAG_PREFIX) for tag in t.tags)]
        if emulated:
            tags = "、".join(
                sorted({f"`{tag}`" for t in emulated for tag in t.tags if tag.startswith(emulation.TAG_PREFIX)})
            )
            lines[-1:-1] = [
                f"> 模拟：{len(emulated)} 个用例的判定依赖本机模拟的行为（标签 {tags}），不是真实硬件的判定；"
                "各用例的说明写明模拟了什么。",
            ]
        rows = [
            [Cell(split_number(t.name)[0]), Cell(split_number(t.name)[1]), Cell(t.status, t.status == "FAIL")]
            + [Cell(self.summary(t))]
            for t in self.suite.all_tests
        ]
        return lines + md_table(["编号", "用例", "结果", "说明"], rows)

    @staticmethod
    def summary(test: TestCase) -> str:
        """The 说明 of a case's row: the first line of its message, and what of it was emulated."""
        lines = test.message.splitlines()
        first = lines[0] if lines and not lines[0].startswith(emulation.MARK) else ""
        emulated = emulation.emulated_line(test.message)
        return " ".join(part for part in (first, emulated) if part)

    def contents(self) -> list[str]:
        seen: dict[str, int] = {}
        lines = [
            f"{'  ' * (level - 1)}- [{text}](#{anchor(text, seen)})" for level, text in self.headings if level <= 3
        ]
        return lines + [""]

    def preparation(self, tests: list[TestCase]) -> None:
        """``# 测试前准备``: server configuration, the cases the record checks there (5.1.1), and the
        chapter's suite setup (启动并配置OVS, 创建并配置VM ...)."""
        self.heading(1, "测试前准备")
        self.heading(2, "服务器配置")
        if len(self.facts.names) > 1:
            self.lines.extend(
                [f"本次运行用了 {len(self.facts.names)} 个实验环境（pabot 每个进程一个），下表为第一个。", ""]
            )
        self.lines.extend(server_table(self.facts))
        self.lines.extend(f"注: {note}" for note in self.facts.notes)
        self.lines.append("")
        if self.facts.vms is not None:
            self.lines.extend(["虚拟机配置如下:", "", *vm_table(self.facts)])
        for test in tests:
            self.case(test)
        for suite in self._suites(self.suite):
            if suite.setup and (suite is self.suite or split_number(suite.name)[0] in self.chapters):
                self.suite_setup(suite.setup, level=2, by_step=True)

    def suite_setup(self, setup: Keyword, level: int, by_step: bool) -> None:
        """A suite setup; ``by_step``: one subsection per step, as the record's 测试前准备 has
        (启动并配置OVS, 创建并配置VM), else its evidence in one piece with a comment per step."""
        self.heading(level, f"{setup.name} -- {setup.status}" if setup.status != "PASS" else setup.name)
        if setup.status != "PASS" and setup.message:
            self.lines.extend([*(f"> {line}" for line in setup.message.splitlines()), ""])
        rounds = setup_rounds(setup)
        if len(rounds) > 1:
            self.lines.extend([f"本用例集启程由 {len(rounds)} 个进程各执行了一次（pabot），下面是第一次。", ""])
        steps = rounds[0] if rounds else []
        if not by_step:
            self.lines.extend(evidence_lines(self._without_lab(steps_evidence(steps, self.evidence)), self.images))
            return
        for name, group in self._group_steps(steps):
            found = self._without_lab(
                merge_row_tables(collapse_snapshots([e for s in group for e in self.evidence.of(s)]))
            )
            if found:
                self.heading(level + 1, name)
                self.lines.extend(evidence_lines(found, self.images))

    def _without_lab(self, items: list[Evidence]) -> list[Evidence]:
        """Without what 服务器配置 already shows (the lab's description tables and notes)."""
        return [e for e in items if not self.facts.is_lab_table(e) and not (isinstance(e, Note) and e.about_lab)]

    @staticmethod
    def _group_steps(steps: list[object]) -> list[tuple[str, list[object]]]:
        groups: list[tuple[str, list[object]]] = []
        for step in steps:
            name = getattr(step, "name", None) or getattr(step, "type", "")
            if groups and groups[-1][0] == name:
                groups[-1][1].append(step)
            else:
                groups.append((name, [step]))
        return groups

    def chapter(self, chapter: TestSuite, tests: list[TestCase]) -> None:
        self.heading(1, numbered_heading(chapter.name))
        shown: set[str] = set()
        for test in tests:
            parent = test.parent
            if parent is not chapter and parent.setup and parent.name not in shown:
                shown.add(parent.name)
                self.heading(2, numbered_heading(parent.name))
                if parent.doc:
                    self.lines.extend([parent.doc, ""])
                self.suite_setup(parent.setup, level=3, by_step=False)
            self.case(test)

    def case(self, test: TestCase) -> None:
        """``## <number>\\t<name>``, the requirement, ``### 测试结果 -- <status>`` and the evidence."""
        self.heading(2, numbered_heading(test.name))
        if test.doc:
            self.lines.extend([test.doc, ""])
        tags = " ".join(f"`{tag}`" for tag in test.tags)
        self.lines.extend([f"标签：{tags or '无'}；用时 {test.elapsed_time.total_seconds():.1f} 秒", ""])
        self.heading(3, f"测试结果 -- {test.status}")
        if test.message:
            reason = {"FAIL": "失败原因", "SKIP": "跳过原因"}.get(test.status, "说明")
            lines = test.message.splitlines()
            self.lines.extend([f"> {reason}：{lines[0]}", *(f"> {line}" for line in lines[1:]), ""])
        self.lines.extend(evidence_lines(case_evidence(test, self.evidence), self.images))


def default_title(suite: TestSuite) -> str:
    """From the chapter's ``记录`` metadata (``网络虚拟化用例记录.md`` -> ``网络虚拟化测试记录``)."""
    for candidate in [suite, *suite.suites]:
        record = candidate.metadata.get("记录")
        if record:
            return Path(str(record)).stem.replace("用例记录", "测试记录")
    return f"{split_number(suite.name)[1]}测试记录"


def render(output_xml: Path, title: str | None = None, image_dir: Path | None = None) -> str:
    """The record of the run in ``output_xml`` (and the evidence file beside it) as Markdown."""
    result = ExecutionResult(str(output_xml))
    return RecordWriter(result, EvidenceIndex.read(result.suite, output_xml), title, image_dir).render()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netvirt.record", description=__doc__.splitlines()[0])
    parser.add_argument("output_xml", type=Path, help="Robot 的 output.xml（robot 或 pabot 的合并结果）")
    parser.add_argument("-o", "--out", type=Path, help="写到哪里（默认：output.xml 所在目录下的 <标题>.md）")
    parser.add_argument("--title", help="记录标题（默认取用例集元数据“记录”：网络虚拟化测试记录）")
    args = parser.parse_args(argv)
    try:
        result = ExecutionResult(str(args.output_xml))
    except DataError as error:
        print(f"record: 读不了 {args.output_xml}：{error}", file=sys.stderr)
        return 2
    try:
        evidence = EvidenceIndex.read(result.suite, args.output_xml)
    except EvidenceFileError as error:
        print(
            f"record: {error}。测试记录由运行时写下的证据文件生成（{evidencefile.SUFFIX}，与 output.xml 同目录），"
            "它由 robot.toml 注册的监听器 netvirt.evidencefile.EvidenceListener 写出；"
            "没有它的运行（早于证据文件的 output.xml，或不经 robot.toml 也没有 --listener 的运行）请重新运行后再生成。",
            file=sys.stderr,
        )
        return 2
    if evidence.unplaced:
        print(
            f"record: 证据文件中有 {evidence.unplaced} 条证据在 output.xml 中找不到所在的步骤，未写入记录",
            file=sys.stderr,
        )
    title = args.title or default_title(result.suite)
    out = args.out or args.output_xml.parent / f"{title}.md"
    out.write_text(RecordWriter(result, evidence, title, image_dir=out.parent).render(), encoding="utf-8")
    print(f"record: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
