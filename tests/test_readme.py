"""The README's layout table must stay true: every module of lib/ is named there."""

from __future__ import annotations

import re

from lib.paths import REPO


def test_readme_layout_names_every_module():
    text = (REPO / "README.md").read_text()
    named = set(re.findall(r"`(lib/[\w/]+(?:\.py|/))`", text))
    missing = []
    for path in sorted((REPO / "lib").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if path.name == "__init__.py" and path.parent != REPO / "lib" / "models":
            continue
        folders = {p.relative_to(REPO).as_posix() + "/" for p in path.parents if p != REPO and REPO in p.parents}
        if rel not in named and not folders & named:
            missing.append(rel)
    assert not missing, f"README layout table does not name: {missing}"


def test_readme_layout_names_no_missing_module():
    text = (REPO / "README.md").read_text()
    gone = [p for p in re.findall(r"`(lib/[\w/]+\.py)`", text) if not (REPO / p).exists()]
    assert not gone, f"README names paths that do not exist: {gone}"


#: Top-level modules that gather the parts (the command line, the results page) and so may import them.
GATHERERS = {"lib/__main__.py", "lib/glance.py"}


def test_shared_modules_never_import_the_parts():
    """The README's map: shared pieces at the top of ``lib/`` (and ``lib/models/``) serve ``lib/ir`` and
    ``lib/synthetic``, never the other way round; ``lib/ir`` never imports ``lib/synthetic`` (which applies R23's
    explanation method, ``lib.ir.explain``, to synthetic spectra)."""
    import ast

    def imported(path):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                yield node.module
                yield from (f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                yield from (a.name for a in node.names)

    allowed = {"lib/ir/": ("lib.ir",), "lib/synthetic/": ("lib.synthetic", "lib.ir.explain")}
    wrong = []
    for path in sorted((REPO / "lib").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        ok = next((v for k, v in allowed.items() if rel.startswith(k)), ())
        if rel in GATHERERS:
            continue
        for name in imported(path):
            part = name.startswith(("lib.ir", "lib.synthetic")) and name.split(".")[1] in ("ir", "synthetic")
            if part and not any(name == a or name.startswith(a + ".") for a in ok):
                wrong.append(f"{rel} imports {name}")
    assert not wrong, wrong
