"""The chapter runner, the presets and the paired-notebook gate."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.compare import compare_notebooks

from lib import book
from lib.paths import REPO

SOURCES = sorted((REPO / "book").rglob("*.py"))


def test_every_chapter_source_has_a_notebook_in_sync():
    """nbdev-style gate: edit the .py, then `make sync`."""
    assert SOURCES, "no chapter sources found"
    for source in SOURCES:
        paired = source.with_suffix(".ipynb")
        assert paired.is_file(), f"{paired} missing: run `make sync`"
        try:
            compare_notebooks(jupytext.read(paired), jupytext.read(source), fmt="py:percent")
        except Exception as err:  # jupytext raises NotebookDifference with the diff
            pytest.fail(f"{paired.name} is out of sync with {source.name} (run `make sync`):\n{err}")


def test_every_cell_marker_starts_a_cell():
    """A Markdown fence that never closes (a ```` ```{table} ```` line with a backtick in its caption is no
    fence, so its closing line opens one) swallows the ``# %%`` markers after it: code runs as text."""
    for source in SOURCES:
        markers = sum(line.startswith("# %%") for line in source.read_text().splitlines())
        assert len(jupytext.read(source).cells) == markers, f"{source.name}: a fence swallows cell markers"


def test_table_captions_are_one_line_without_backticks():
    """MyST takes a directive's argument from its first line only, and a backtick fence's info string may
    hold no backtick: the caption is that line and ``:name:`` follows it."""
    for source in SOURCES:
        lines = source.read_text().splitlines()
        for i, line in enumerate(lines):
            if re.match(r"# `{3,}\{table\}", line):
                where = f"{source.name}:{i + 1}"
                assert "`" not in line.split("{table}", 1)[1], f"{where}: a backtick in the caption"
                assert lines[i + 1].startswith("# :name: tab-"), f"{where}: the caption must be one line, then :name:"


def test_notebooks_carry_no_outputs():
    for source in SOURCES:
        nb = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), source


def test_every_toc_entry_exists_and_chapters_follow_the_toc():
    for rel in book.toc_files():
        assert any((REPO / rel).with_suffix(s).is_file() for s in (".md", ".py")), rel
    chapters = book.chapters()
    order = [c.rel.as_posix() for c in chapters]
    toc = [r for r in book.toc_files() if r in order]
    assert order == toc


@pytest.mark.parametrize("preset", book.PRESETS)
def test_every_preset_is_valid_for_every_chapter(preset):
    todo = book.plan(preset)
    names = [c.name for c in book.chapters()]
    in_order = [n for n in names if n not in book.RUN_LAST] + [n for n in names if n in book.RUN_LAST]
    assert [c.name for c, _ in todo] == in_order


def test_plan_rejects_bad_requests_before_running():
    name = next(c.name for c in book.chapters() if "seed" in c.defaults)
    with pytest.raises(book.BookError, match=r"unknown chapter\(s\) nope"):
        book.plan("ci", only=["nope"])
    with pytest.raises(book.BookError, match="unknown preset"):
        book.plan("fast")
    with pytest.raises(book.BookError, match="no selected chapter has a parameter 'nope'"):
        book.plan("ci", overrides=["nope=1"])
    with pytest.raises(book.BookError, match=f"'{name}.seed' must be int, got str"):
        book.plan("ci", only=[name], overrides=["seed=abc"])
    with pytest.raises(book.BookError, match="expected NAME=VALUE"):
        book.plan("ci", overrides=["seed"])
    (chapter, params), *_ = book.plan("ci", only=[name], overrides=[f"{name}.seed=7"])
    assert params["seed"] == 7


def _tiny_book(root: Path, body: str) -> None:
    (root / "book").mkdir(parents=True)
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/tiny\n")
    (root / "book" / "tiny.py").write_text(
        '# %% [markdown]\n# # Tiny\n\n# %% tags=["parameters"]\nvalue = 1\nscale = 0.5\n\n' + body
    )


@pytest.fixture
def tiny_repo(tmp_path, monkeypatch):
    monkeypatch.setattr(book, "REPO", tmp_path)
    monkeypatch.setattr(book, "BUILD", tmp_path / "_build")
    return tmp_path


def test_a_chapter_runs_with_overrides_into_the_build_folder_only(tiny_repo):
    _tiny_book(tiny_repo, "# %%\nresult = value * scale\nprint('result', result)\n")
    source_before = (tiny_repo / "book" / "tiny.py").read_text()
    chapter = book.chapters(tiny_repo)[0]
    assert chapter.defaults == {"value": 1, "scale": 0.5}
    params = {
        "value": book.check_value(chapter, "value", 6, "test"),
        "scale": book.check_value(chapter, "scale", 2, "t"),
    }
    assert params["scale"] == 2.0 and isinstance(params["scale"], float)
    seconds = book.execute(chapter, params, "ci")
    assert seconds > 0
    out = nbformat.read(tiny_repo / "_build" / "ci" / "src" / "book" / "tiny.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in out.cells if c.cell_type == "code" for o in c.outputs)
    assert "result 12.0" in printed
    hidden = [c for c in out.cells if book.HIDE in c.metadata.get("tags", [])]
    assert {t for c in hidden for t in c.metadata["tags"]} >= {"parameters", "injected-parameters"}
    settings = [c for c in out.cells if "run-settings" in c.metadata.get("tags", [])]
    assert len(settings) == 1 and "`value` | `6`" in settings[0].source
    assert (tiny_repo / "book" / "tiny.py").read_text() == source_before
    assert not (tiny_repo / "book" / "tiny.ipynb").exists()


def test_a_failing_chapter_names_itself_and_the_cell(tiny_repo):
    _tiny_book(tiny_repo, "# %%\nx = 1\n\n# %%\nraise ValueError('bad spectrum')\n")
    chapter = book.chapters(tiny_repo)[0]
    with pytest.raises(book.BookError) as err:
        book.execute(chapter, {}, "ci")
    message = str(err.value)
    assert "chapter 'tiny'" in message and "ValueError: bad spectrum" in message
    assert "raise ValueError" in message and "In [3]" in message


def test_parameters_cell_must_hold_literals(tiny_repo):
    (tiny_repo / "book").mkdir()
    (tiny_repo / "_toc.yml").write_text("format: jb-book\nroot: book/tiny\n")
    (tiny_repo / "book" / "tiny.py").write_text('# %% tags=["parameters"]\nvalue = len("ab")\n')
    with pytest.raises(book.BookError, match="'value' needs a literal default"):
        book.chapters(tiny_repo)


def test_cli_reports_an_unknown_chapter_without_running():
    result = subprocess.run(
        [sys.executable, "-m", "lib", "book", "run", "--preset", "ci", "--only", "nope"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "unknown chapter(s) nope" in result.stderr


def test_the_built_book_shows_version_commit_date_preset_and_offers_the_py_source(tiny_repo):
    """The footer of every page and the ``.py`` download (lib.sphinx_download), on a one-chapter book."""
    _tiny_book(tiny_repo, "# %%\nprint('tiny', value)\n")
    (tiny_repo / "pyproject.toml").write_text('[project]\nname = "tiny"\nversion = "9.8.7"\n')
    (tiny_repo / "_config.yml").write_text(
        "title: Tiny\nauthor: Someone\nonly_build_toc_files: true\nexecute:\n  execute_notebooks: 'off'\n"
        "html:\n  use_download_button: true\nsphinx:\n  extra_extensions: [lib.sphinx_download]\n"
    )
    book.execute(book.chapters(tiny_repo)[0], {}, "ci")
    html_dir = book.build("ci", strict=True)
    page = (html_dir / "book" / "tiny.html").read_text(encoding="utf-8")
    footer = re.search(r'<p class="build-info">(.*?)</p>', page).group(1)
    assert "Version 9.8.7" in footer and "preset <code>ci</code>" in footer
    assert 'commit <code class="build-commit">unknown</code>' in footer  # tmp_path is no git checkout
    assert re.search(r"built \d{4}-\d\d-\d\d \d\d:\d\d UTC", footer)
    assert re.search(r'<a href="tiny\.py"[^>]*class="btn btn-sm btn-download-py-button', page)
    assert (html_dir / "book" / "tiny.py").read_text() == (tiny_repo / "book" / "tiny.py").read_text()
    assert not (tiny_repo / "_config.yml").read_text().count("extra_footer")  # the source config is untouched


def test_commit_names_head_and_local_changes():
    head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO, capture_output=True, text=True)
    if head.returncode:
        pytest.skip("not a git checkout")
    assert book.commit().split()[0] == head.stdout.strip()


def test_the_parameters_reader_agrees_with_jupytext():
    """``book list`` reads the parameters cell without jupytext; for every chapter it reads the same text."""
    for chapter in book.chapters():
        nb = jupytext.read(chapter.source)
        cells = [c.source.strip("\n") for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert book.parameters_source(chapter.source) == cells, chapter.name


def test_the_parameters_reader_needs_exactly_one_tagged_cell(tmp_path):
    source = tmp_path / "two.py"
    source.write_text('# %% tags=["parameters"]\na = 1\n\n# %% tags=["x", "parameters"]\nb = 2\n\n# %%\nc = 3\n')
    assert book.parameters_source(source) == ["a = 1", "b = 2"]
    with pytest.raises(book.BookError, match="exactly one cell tagged 'parameters', found 2"):
        book.parameter_defaults(source)
