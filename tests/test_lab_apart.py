"""The lab stays apart: no runtime module imports `voicecoach.lab` (issue #16). Only the
demo (simulated partners) and the `eval` and `bench` commands may."""

from __future__ import annotations

import ast
from pathlib import Path

import voicecoach

ALLOWED = {"demo", "cli/bench.py", "cli/evaluate.py", "lab"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_no_runtime_module_imports_the_lab() -> None:
    root = Path(voicecoach.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.split("/")[0] in ALLOWED or rel in ALLOWED:
            continue
        if any(n == "voicecoach.lab" or n.startswith("voicecoach.lab.") for n in _imports(path)):
            offenders.append(rel)
    assert offenders == []
