"""The book runner: presets, parameter checks, papermill execution, the Jupyter Book build.

A chapter is a jupytext percent-format ``.py`` file listed in ``_toc.yml`` (paired with an
``.ipynb`` of the same name). Its cell tagged ``parameters`` holds plain assignments with
literal defaults; those names and types are what a preset or ``-p NAME=VALUE`` may set.
Executed notebooks go to ``_build/<preset>/src`` beside copies of the book's other files;
the sources are never written.
"""

from __future__ import annotations

import ast
import html
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from lib import io
from lib.paths import BUILD, REPO

PRESETS = ("ci", "default", "paper")
PRESET_DIR = REPO / "book" / "presets"
KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
HIDE = "remove-cell"
#: Chapters that read the other chapters' executed notebooks: they run after all the others.
RUN_LAST = ("glance", "intro")


class BookError(Exception):
    """A problem with the book's configuration or a run; the message says what and where."""


# --------------------------------------------------------------------------- chapters
@dataclass
class Chapter:
    """One executable chapter: its name (file stem), source and parameter defaults."""

    name: str
    source: Path  # the .py file
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def rel(self) -> Path:
        """Path relative to the repository, without suffix (as in ``_toc.yml``)."""
        return self.source.relative_to(REPO).with_suffix("")


def _toc_files(node: Any) -> list[str]:
    files: list[str] = []
    if isinstance(node, dict):
        if "file" in node:
            files.append(node["file"])
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key, []) or []:
                files.extend(_toc_files(child))
    return files


def toc_files(root: Path = REPO) -> list[str]:
    """Every file of ``_toc.yml`` in reading order (root first), without suffix."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    return [toc["root"], *_toc_files(toc)]


_CELL = re.compile(r"^# %%(.*)$", re.M)
_TAGS = re.compile(r"\btags=(\[[^\]]*\])")


def parameters_source(source: Path) -> list[str]:
    """The text of every cell tagged ``parameters`` in a jupytext percent-format file.

    Read directly rather than through jupytext, whose import (nbformat, jsonschema) costs seconds:
    ``python -m lib book list`` answers at once. ``tests/test_book.py`` checks it against jupytext."""
    text = source.read_text(encoding="utf-8")
    headers = list(_CELL.finditer(text))
    cells = []
    for header, following in zip(headers, [*headers[1:], None], strict=True):
        tags = _TAGS.search(header.group(1))
        if tags and "parameters" in json.loads(tags.group(1)):
            body = text[header.end() : following.start() if following else len(text)]
            cells.append(body.strip("\n"))
    return cells


def parameter_defaults(source: Path) -> dict[str, Any]:
    """Names and literal default values of the ``parameters`` cell of a chapter."""
    cells = parameters_source(source)
    if len(cells) != 1:
        raise BookError(f"{source}: needs exactly one cell tagged 'parameters', found {len(cells)}")
    defaults = {}
    for node in ast.parse(cells[0]).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise BookError(f"{source}: the parameters cell may only hold 'name = literal' lines (line {node.lineno})")
        try:
            defaults[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            raise BookError(f"{source}: parameter '{node.targets[0].id}' needs a literal default") from None
    return defaults


def chapters(root: Path = REPO) -> list[Chapter]:
    """The executable chapters of the book in reading order."""
    found = []
    for rel in toc_files(root):
        source = (root / rel).with_suffix(".py")
        if source.is_file():
            found.append(Chapter(source.stem, source, parameter_defaults(source)))
    names = [c.name for c in found]
    if len(set(names)) != len(names):
        raise BookError(f"_toc.yml: chapter file names must be unique, got {names}")
    return found


# --------------------------------------------------------------------------- parameters
def check_value(chapter: Chapter, name: str, value: Any, origin: str) -> Any:
    """``value`` converted to the type of the chapter's default, or a clear error."""
    if name not in chapter.defaults:
        known = ", ".join(sorted(chapter.defaults)) or "none"
        raise BookError(f"{origin}: chapter '{chapter.name}' has no parameter '{name}' (it has: {known})")
    default = chapter.defaults[name]
    if default is None:
        return value
    expected = type(default)
    if expected is float and type(value) is int:
        return float(value)
    if type(value) is not expected:
        raise BookError(
            f"{origin}: parameter '{chapter.name}.{name}' must be {expected.__name__}, "
            f"got {type(value).__name__} {value!r}"
        )
    return value


def load_preset(preset: str, book: list[Chapter]) -> dict[str, dict[str, Any]]:
    """Per-chapter parameters of a preset file, checked against the chapters."""
    path = PRESET_DIR / f"{preset}.yml"
    if preset not in PRESETS or not path.is_file():
        raise BookError(f"unknown preset '{preset}' (choose from {', '.join(PRESETS)}; files in {PRESET_DIR})")
    raw = yaml.safe_load(path.read_text()) or {}
    by_name = {c.name: c for c in book}
    params: dict[str, dict[str, Any]] = {c.name: {} for c in book}
    for chapter_name, values in raw.items():
        if chapter_name not in by_name:
            raise BookError(f"{path}: unknown chapter '{chapter_name}' (chapters: {', '.join(by_name)})")
        for name, value in (values or {}).items():
            params[chapter_name][name] = check_value(by_name[chapter_name], name, value, str(path))
    return params


def apply_overrides(
    params: dict[str, dict[str, Any]], overrides: list[str], book: list[Chapter]
) -> dict[str, dict[str, Any]]:
    """Apply ``-p NAME=VALUE`` (every chapter that has NAME) or ``-p CHAPTER.NAME=VALUE``."""
    by_name = {c.name: c for c in book if c.name in params}
    for item in overrides:
        if "=" not in item:
            raise BookError(f"-p {item}: expected NAME=VALUE or CHAPTER.NAME=VALUE")
        key, text = item.split("=", 1)
        value = yaml.safe_load(text) if text else ""
        if "." in key:
            chapter_name, name = key.split(".", 1)
            if chapter_name not in by_name:
                raise BookError(f"-p {item}: unknown chapter '{chapter_name}' (chapters: {', '.join(by_name)})")
            targets = [by_name[chapter_name]]
        else:
            name = key
            targets = [c for c in by_name.values() if name in c.defaults]
            if not targets:
                raise BookError(f"-p {item}: no selected chapter has a parameter '{name}'")
        for chapter in targets:
            params[chapter.name][name] = check_value(chapter, name, value, f"-p {item}")
    return params


def plan(preset: str, only: list[str] | None = None, overrides: list[str] | None = None) -> list[tuple[Chapter, dict]]:
    """Chapters to run with their parameters; every check happens here, before anything runs."""
    book = chapters()
    params = load_preset(preset, book)
    if only:
        names = {c.name for c in book}
        unknown = [o for o in only if o not in names]
        if unknown:
            raise BookError(f"--only: unknown chapter(s) {', '.join(unknown)} (chapters: {', '.join(sorted(names))})")
        book = [c for c in book if c.name in only]
        params = {c.name: params[c.name] for c in book}
    params = apply_overrides(params, overrides or [], book)
    book = sorted(book, key=lambda c: c.name in RUN_LAST)  # stable: reading order otherwise
    return [(c, params[c.name]) for c in book]


# --------------------------------------------------------------------------- execution
def build_dir(preset: str) -> Path:
    """Where a preset's executed sources and HTML go."""
    return BUILD / preset


def _settings_cell(preset: str, params: dict[str, Any], defaults: dict[str, Any], seconds: float):
    import nbformat

    rows = "\n".join(
        f"| `{k}` | `{v!r}` | {'' if v == defaults.get(k) else 'preset'} |" for k, v in {**defaults, **params}.items()
    )
    text = (
        f":::{{admonition}} Run settings: preset {preset}, executed in {seconds:.0f} s\n:class: dropdown tip\n"
        f"This page was executed with these parameters; rerun it with others through "
        f"`python -m lib book run --preset {preset} --only CHAPTER -p NAME=VALUE`.\n\n"
        f"| Parameter | Value | From |\n|---|---|---|\n{rows}\n:::"
    )
    return nbformat.v4.new_markdown_cell(text, metadata={"tags": ["run-settings"]})


def execute(chapter: Chapter, params: dict[str, Any], preset: str) -> float:
    """Run one chapter with papermill into the preset's build folder; return seconds."""
    import jupytext
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    out = build_dir(preset) / "src" / chapter.rel.with_suffix(".ipynb")
    staged = build_dir(preset) / "input" / chapter.rel.with_suffix(".ipynb")
    staged.parent.mkdir(parents=True, exist_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    nb = jupytext.read(chapter.source)
    nb.metadata["kernelspec"] = dict(KERNEL)
    nbformat.write(nb, staged)
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(staged),
            str(out),
            parameters=params,
            kernel_name=KERNEL["name"],
            cwd=str(chapter.source.parent),
            progress_bar=False,
        )
    except PapermillExecutionError as err:
        first = (err.source or "").strip().splitlines()[:3]
        raise BookError(
            f"chapter '{chapter.name}' failed at In [{err.exec_count}] (notebook cell {err.cell_index + 1}): "
            f"{err.ename}: {err.evalue}\n  cell starts: {' / '.join(first)}\n  executed notebook: {out}"
        ) from None
    seconds = time.perf_counter() - start
    done = nbformat.read(out, as_version=4)
    for cell in done.cells:
        tags = cell.metadata.setdefault("tags", [])
        if {"parameters", "injected-parameters"} & set(tags) and HIDE not in tags:
            tags.append(HIDE)
    done.cells.insert(_first_heading(done) + 1, _settings_cell(preset, params, chapter.defaults, seconds))
    with io.atomic_open(out, "w") as handle:
        nbformat.write(done, handle)
    return seconds


def _first_heading(nb) -> int:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("# "):
            return i
    return -1


def run(preset: str, only: list[str] | None = None, overrides: list[str] | None = None) -> dict[str, float]:
    """Execute the planned chapters in order; stop at the first failure."""
    todo = plan(preset, only, overrides)
    timings_path = build_dir(preset) / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.is_file() else {}
    total = 0.0
    for i, (chapter, params) in enumerate(todo, 1):
        print(f"[{i}/{len(todo)}] {chapter.name} ({preset}) ...", flush=True)
        seconds = execute(chapter, params, preset)
        timings[chapter.name] = round(seconds, 1)
        io.write_json(timings_path, timings)
        total += seconds
        print(f"[{i}/{len(todo)}] {chapter.name}: {seconds:.1f} s", flush=True)
    width = max([len(c.name) for c, _ in todo] + [5])
    print(
        "\n".join([f"{'chapter':<{width}}  seconds"] + [f"{c.name:<{width}}  {timings[c.name]:>7.1f}" for c, _ in todo])
    )
    print(f"{'total':<{width}}  {total:>7.1f}")
    return {c.name: timings[c.name] for c, _ in todo}


# --------------------------------------------------------------------------- build
STAGED_SUFFIXES = {".md", ".bib", ".png", ".svg", ".jpg", ".csv", ".json"}


def stage(preset: str) -> Path:
    """Copy the book's non-notebook files beside the executed notebooks; check none is missing."""
    import plotly

    src = build_dir(preset) / "src"
    src.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "_toc.yml", src / "_toc.yml")
    _stage_config(src, preset)
    _stage_sources(src)
    for path in (REPO / "book").rglob("*"):
        if path.is_file() and path.suffix in STAGED_SUFFIXES and "presets" not in path.parts:
            target = src / path.relative_to(REPO)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    static = src / "_static"
    static.mkdir(exist_ok=True)
    shutil.copy2(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", static / "plotly.min.js")
    css = REPO / "book" / "_static" / "book.css"  # wide captioned tables (lib.tables.glue_table)
    if css.is_file():
        shutil.copy2(css, static / "book.css")
    mathjax = REPO / "book" / "_static" / "mathjax"  # shipped with the book (its README); absent in a test's mini book
    if mathjax.is_dir():
        shutil.copytree(mathjax, static / "mathjax", dirs_exist_ok=True)
    toc = toc_files(REPO)
    missing = [rel for rel in toc if not any((src / rel).with_suffix(s).is_file() for s in (".md", ".ipynb"))]
    if missing:
        raise BookError(
            f"not executed yet for preset '{preset}': {', '.join(missing)} "
            f"(run: python -m lib book run --preset {preset})"
        )
    return src


#: Staged chapter sources (``.py``) go here; Sphinx copies them beside the pages (``html_extra_path``).
SOURCES_DIR = "_chapter_sources"


def version() -> str:
    """The book's version, from ``pyproject.toml``."""
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def commit() -> str:
    """The git commit the book is built from (short hash, ``+local changes`` when the tracked files
    differ from it); ``unknown`` outside a git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True)  # fmt: skip
    except OSError:
        return "unknown"
    if head.returncode:
        return "unknown"
    return head.stdout.strip() + (" +local changes" if dirty.stdout.strip() else "")


def footer(preset: str, built: datetime | None = None) -> str:
    """The HTML line at the foot of every page: version, commit, build date (UTC) and preset."""
    built = built or datetime.now(UTC)
    return (
        f'<p class="build-info">Version {version()} · commit <code class="build-commit">{html.escape(commit())}</code>'
        f" · built {built:%Y-%m-%d %H:%M} UTC · preset <code>{html.escape(preset)}</code></p>"
    )


def _stage_config(src: Path, preset: str) -> None:
    """``_config.yml`` for the build: the repository's, with the page footer and the chapter sources added."""
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    config.setdefault("html", {})["extra_footer"] = footer(preset)
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["html_extra_path"] = [*sphinx.get("html_extra_path", []), SOURCES_DIR]
    with io.atomic_open(src / "_config.yml", "w") as handle:
        yaml.safe_dump(config, handle, sort_keys=False, allow_unicode=True)


def _stage_sources(src: Path) -> None:
    """Copy every chapter's ``.py`` source to ``src/_chapter_sources/<its path>.py``, so that the HTML
    book serves it beside the page (``book/ir/NAME.html`` and ``book/ir/NAME.py``)."""
    folder = src / SOURCES_DIR
    shutil.rmtree(folder, ignore_errors=True)
    for chapter in chapters(REPO):
        target = folder / chapter.source.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(chapter.source, target)


def build(preset: str, strict: bool = True) -> Path:
    """Build the HTML book from the executed notebooks (execution off); return its folder."""
    src = stage(preset)
    cmd = [
        str(Path(sys.executable).parent / "jupyter-book"),
        "build",
        str(src),
        "--path-output",
        str(build_dir(preset)),
    ]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    result = subprocess.run(cmd)
    if result.returncode:
        raise BookError(f"jupyter-book build failed for preset '{preset}' (exit {result.returncode})")
    return build_dir(preset) / "_build" / "html"
