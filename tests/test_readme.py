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
