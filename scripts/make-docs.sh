#!/usr/bin/env bash
# Keyword documentation: libdoc HTML for every library (libraries/*.py) and resource
# (resources/*.resource), and an index page, in docs/keywords/. Fails, naming them, if a public
# keyword has no documentation.
#
#   bash scripts/make-docs.sh                    # docs/keywords/ for the whole project
#   bash scripts/make-docs.sh OUTDIR [FILE...]   # other files or another directory
#
# Resources are parsed with the zh-CN syntax (*** 设置 ***, [说明] ...). The libdoc command line has no
# option for the language of the data it reads (its --language is the HTML page's own language and
# knows no Chinese), so this drives libdoc's API with a resource parser set to zh-CN.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-$root/.venv/bin/python}
out=${1:-$root/docs/keywords}
[ $# -gt 0 ] && shift
if [ $# -eq 0 ]; then
  set -- "$root"/libraries/*.py "$root"/resources/*.resource
fi

exec "$PYTHON" - "$root/libraries" "$out" "$@" <<'PY'
import html
import sys
from pathlib import Path

from robot.libdocpkg import LibraryDocumentation
from robot.libdocpkg.robotbuilder import ResourceDocBuilder
from robot.running import ResourceFileBuilder

LANG = "zh-CN"


class ZhResourceDocBuilder(ResourceDocBuilder):
    """libdoc's resource builder, parsing with the project's language."""

    def _import_resource(self, path):
        resource = ResourceFileBuilder(lang=LANG, process_curdir=False).build(path)
        return resource, resource.name


def document(path: Path):
    if path.suffix == ".resource":
        return ZhResourceDocBuilder(None).build(str(path))
    return LibraryDocumentation(str(path))  # libraries/ is on sys.path for their netvirt imports


def own_doc(doc) -> str:
    """The library's or resource's own documentation; empty when libdoc filled in its placeholder
    (a library class without a docstring: libdoc reads the class's, not the module's)."""
    text = doc.doc.strip()
    return "" if text.startswith("Documentation for ") and text.endswith(f"``{doc.name}``.") else text


def index_page(entries) -> str:
    rows = "".join(
        f'<tr><td><a href="{html.escape(page)}">{html.escape(doc.name)}</a></td><td>{kind}</td>'
        f"<td>{len(doc.keywords)}</td><td>{html.escape((own_doc(doc).splitlines() or [''])[0])}</td></tr>"
        for page, kind, doc in entries
    )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>netvirt-robot 关键字文档</title>'
        "<style>body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;padding:4px 8px}"
        "table{border-collapse:collapse}</style></head><body><h1>netvirt-robot 关键字文档</h1>"
        "<p>用例（suites/）调用资源文件中的中文领域关键字，资源文件调用程序库中的关键字。"
        "由 <code>bash scripts/make-docs.sh</code> 生成。</p>"
        f"<table><tr><th>名称</th><th>类型</th><th>关键字数</th><th>说明</th></tr>{rows}</table></body></html>\n"
    )


def main(libraries: str, out: str, *files: str) -> int:
    sys.path.insert(0, libraries)
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    entries, missing, failed = [], [], []
    for name in files:
        path = Path(name)
        try:
            doc = document(path)
        except Exception as error:  # noqa: BLE001 - report every file, then fail once
            failed.append(f"{path}: {error}")
            continue
        kind = "资源文件" if path.suffix == ".resource" else "程序库"
        page = f"{path.stem}.html"
        doc.save(str(target / page), "HTML")
        entries.append((page, kind, doc))
        missing += [f"{path.name}: {kw.name}" for kw in doc.keywords if not kw.private and not kw.doc.strip()]
        print(f"make-docs: {target / page}（{kind}，{len(doc.keywords)} 个关键字）")
        if not own_doc(doc):
            print(f"make-docs: 注意：{path.name} 本身没有说明（程序库写在类的 docstring，资源文件写在 说明）")
    (target / "index.html").write_text(index_page(entries), encoding="utf-8")
    print(f"make-docs: {target / 'index.html'}")
    for line in failed:
        print(f"make-docs: 无法生成文档：{line}", file=sys.stderr)
    if missing:
        print("make-docs: 以下关键字没有文档（[说明] 或 docstring）：", file=sys.stderr)
        print("\n".join(f"  {line}" for line in missing), file=sys.stderr)
    return 1 if failed or missing else 0


sys.exit(main(*sys.argv[1:]))
PY
