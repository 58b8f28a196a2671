"""A Sphinx extension (listed in ``_config.yml``): the chapter's ``.py`` source among the download buttons.

sphinx-book-theme's download menu offers the executed ``.ipynb`` and print-to-PDF. ``python -m lib book
build`` stages each chapter's jupytext source under ``_chapter_sources/`` (:func:`lib.book.stage`), which
Sphinx copies beside the pages (``html_extra_path``); this adds a ``.py`` entry that links to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lib.book import SOURCES_DIR


def add_py_download(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    """``html-page-context`` handler, after the theme's own (priority 501): a ``.py`` download entry
    for pages whose source was staged."""
    if not (Path(app.srcdir) / SOURCES_DIR / f"{pagename}.py").is_file():
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].insert(
                0,
                {
                    "type": "link",
                    "url": context["pathto"](f"{pagename}.py", 1),
                    "text": ".py",
                    "tooltip": "Download the source (jupytext percent format)",
                    "icon": "fas fa-file-code",
                    "label": "download-py-button",
                },
            )


def setup(app) -> dict[str, Any]:
    app.connect("html-page-context", add_py_download, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
