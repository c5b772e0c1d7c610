"""Keyword documentation: scripts/make-docs.sh covers every library and resource, and fails on
undocumented keywords; every library keyword shows one example call (STYLE: as CSIT does)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from robot.libdoc import LibraryDocumentation

ROOT = Path(__file__).resolve().parents[2]
MAKE_DOCS = ROOT / "scripts" / "make-docs.sh"
LIBRARIES = sorted((ROOT / "libraries").glob("*.py"))
RESOURCES = sorted((ROOT / "resources").glob("*.resource"))


def make_docs(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON": sys.executable}
    return subprocess.run(
        ["bash", str(MAKE_DOCS), *map(str, args)], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_every_library_and_resource_gets_a_page_and_the_index_links_them(tmp_path):
    run = make_docs(tmp_path)
    assert run.returncode == 0, run.stderr
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for source in LIBRARIES + RESOURCES:
        page = tmp_path / f"{source.stem}.html"
        assert page.stat().st_size > 10_000, f"{page} missing or empty"
        assert f'href="{source.stem}.html"' in index
    # Resources are read with the zh-CN syntax: their Chinese keywords are in the page.
    ovs = (tmp_path / "ovs.html").read_text(encoding="utf-8")
    assert "启动并配置OVS".encode("unicode_escape").decode() in ovs or "启动并配置OVS" in ovs


def test_undocumented_keywords_fail_the_command_and_are_named(tmp_path):
    library = tmp_path / "SloppyLibrary.py"
    library.write_text(
        textwrap.dedent(
            '''
            from robot.api.deco import keyword, library


            @library(auto_keywords=False)
            class SloppyLibrary:
                """A library."""

                @keyword("没有说明的关键字")
                def undocumented(self):
                    pass

                @keyword("已写说明")
                def documented(self):
                    """Does it.

                    Example: | 已写说明 |
                    """
            '''
        ),
        encoding="utf-8",
    )
    resource = tmp_path / "sloppy.resource"
    resource.write_text(
        "*** 设置 ***\n说明    资源。\n\n\n*** 关键字 ***\n空说明\n    No Operation\n\n"
        "私有\n    [标签]    robot:private\n    No Operation\n",
        encoding="utf-8",
    )
    run = make_docs(tmp_path / "out", library, resource)
    assert run.returncode == 1
    assert "SloppyLibrary.py: 没有说明的关键字" in run.stderr
    assert "sloppy.resource: 空说明" in run.stderr
    assert "已写说明" not in run.stderr and "私有" not in run.stderr  # documented / private
    assert (tmp_path / "out" / "index.html").exists()


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda p: p.stem)
def test_every_library_keyword_documents_an_example_call(library):
    sys.path.insert(0, str(ROOT / "libraries"))
    try:
        doc = LibraryDocumentation(str(library))
    finally:
        sys.path.remove(str(ROOT / "libraries"))
    without = [kw.name for kw in doc.keywords if not re.search(r"^\s*Example:", kw.doc, re.M)]
    assert not without, f"{library.name}: keywords without an 'Example:' line: {without}"
