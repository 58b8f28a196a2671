"""A Sphinx extension with fixes for the book's HTML (listed in ``_config.yml``).

- Jupyter Book 1.0.4 with Sphinx 7.4 adds some inline scripts twice to every page (sphinx-thebe's
  ``const THEBE_JS_URL = ...`` among them); the second ``const`` declaration is a JavaScript error.
  We drop repeated scripts from each page's list, keeping the first.
- ``plotly.min.js`` (4.8 MB, one static file in ``_static``) is loaded only by pages that hold a
  plotly figure.
- The notebooks offered for download (``_sources/**/*.ipynb``) are the executed chapters without
  their outputs: the code and prose a reader reruns, not megabytes of figure data; the theme's
  source maps are left out.
- myst-nb marks every glued value (``{glue:text}`` and friends) with the class ``pasted-text``,
  which its stylesheet prints in bold: a sentence glued whole becomes a bold paragraph. Glued
  values are the book's prose, so :class:`PlainGlue` drops that class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

PLOTLY_JS = "plotly.min.js"
PLOTLY_MARK = 'class="plotly-graph-div'


def add_plotly_where_drawn(app, pagename, templatename, context, doctree) -> None:
    """``html-page-context`` handler: a page with a plotly figure loads ``plotly.min.js``.

    ``app.builder.add_js_file`` adds it to this page only (``app.add_js_file`` would also register
    it for every page written after).
    """
    if PLOTLY_MARK in (context.get("body") or ""):
        app.builder.add_js_file(PLOTLY_JS)


def strip_outputs(path: Path) -> None:
    """Rewrite one notebook without outputs and execution counts (the cells' sources stay)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, path)


def lighten_site(app, exception) -> None:
    """``build-finished`` handler: the downloadable notebooks lose their outputs, and the theme's
    source maps (``*.map``, 3.5 MB read only by a browser's developer tools) are not published."""
    if exception is None and app.builder.format == "html":
        out = Path(app.outdir)
        for path in (out / "_sources").rglob("*.ipynb"):
            strip_outputs(path)
        for path in (out / "_static").rglob("*.map"):
            path.unlink()


def _script_key(script: Any) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    filename = getattr(script, "filename", script) or ""  # inline scripts come as None or ""
    return (str(filename), tuple(sorted(attributes.items())))


def _filename(script: Any) -> str:
    """A script's file relative to ``_static`` (Jupyter Book lists ``_static``'s files with the prefix)."""
    return str(getattr(script, "filename", script) or "").removeprefix("_static/")


def drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    """``html-page-context`` handler: keep each script once, in order; a script file once whatever
    its attributes (the deferred entry where there is one: MathJax after its configuration).
    ``plotly.min.js`` stays only on a page with a plotly figure and MathJax only on a page with
    math, whatever else registered them (Jupyter Book lists every ``.js`` in ``_static``)."""
    scripts = context.get("script_files")
    if not scripts:
        return
    drop = set()
    if PLOTLY_MARK not in (context.get("body") or ""):
        drop.add(PLOTLY_JS)
    math = app.env.get_domain("math") if app.env is not None else None
    if app.config.mathjax_path and not (math is not None and math.has_equations(pagename)):
        drop.add(str(app.config.mathjax_path))
    # of several entries for one file, the one that waits (defer/async: MathJax after its config)
    waits = {_filename(x) for x in scripts if {"defer", "async"} & set(getattr(x, "attributes", {}) or {})}
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        name = _filename(script)
        if name in drop or (name in waits and not {"defer", "async"} & set(getattr(script, "attributes", {}) or {})):
            continue
        key = (name, ()) if name else _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


class PlainGlue(SphinxPostTransform):
    """Glued text reads as the sentence around it: no ``pasted-text`` class (bold)."""

    default_priority = 900  # after myst-nb resolves glue from other pages (priority 5)

    def run(self, **kwargs: Any) -> None:
        for node in self.document.findall(nodes.inline):
            if "pasted-text" in node["classes"]:
                node["classes"].remove("pasted-text")


def setup(app) -> dict[str, Any]:
    app.connect("html-page-context", add_plotly_where_drawn)
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    app.add_post_transform(PlainGlue)
    app.connect("build-finished", lighten_site)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
