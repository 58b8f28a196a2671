"""Tables for people: what every chapter shows instead of a raw DataFrame.

:func:`table` turns a DataFrame into a :class:`Table` of display strings: human headers (units
in them), thousands separators, a fixed number of decimals per column, no ``NaN`` (a dash), no
``-0.000``, no index. Its HTML sits in a scroll container, so a wide table scrolls instead of
running off the page, and numeric columns are right-aligned.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

MISSING = "—"
#: Tables estimated wider than this many characters (:meth:`Table.width_chars`) are shown full width.
WIDE_CHARS = 90


def human(name: object) -> str:
    """A snake_case column name as a header: ``human("n_train") == "N train"``."""
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def number(value: object, digits: int = 3) -> str:
    """One cell as text: ``number(1234.5, 1) == "1,234.5"``, ``number(-0.0001) == "0.000"``,
    ``number(float("nan")) == "—"``; integers keep no decimals, text passes through."""
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
        return MISSING
    if value is pd.NA or value is pd.NaT:
        return MISSING
    if isinstance(value, list | tuple | set | np.ndarray):
        return ", ".join(number(v, digits) for v in value) or MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,d}".replace("-", "−")
    if isinstance(value, float | np.floating):
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        text = f"{float(value):,.{digits}f}"
        if float(text.replace(",", "")) == 0:  # no "-0.000"
            text = text.lstrip("-")
        return text.replace("-", "−")
    return str(value)


@dataclass(frozen=True)
class Table:
    """Display strings with headers; ``numeric`` names the right-aligned columns."""

    frame: pd.DataFrame
    numeric: frozenset[str]

    def _repr_html_(self) -> str:
        heads = "".join(
            f'<th style="text-align:{"right" if c in self.numeric else "left"}">{html.escape(str(c))}</th>'
            for c in self.frame.columns
        )
        rows = []
        for values in self.frame.itertuples(index=False):
            cells = "".join(
                f'<td style="text-align:{"right" if c in self.numeric else "left"}">{html.escape(str(v))}</td>'
                for c, v in zip(self.frame.columns, values, strict=True)
            )
            rows.append(f"<tr>{cells}</tr>")
        # A wide table takes the theme's full width (into the right margin) in a smaller font, so it
        # fits beside the text instead of needing a scroll bar; the scroll container stays as a last resort.
        box = (
            '<div class="book-table full-width" style="overflow-x:auto;font-size:0.85em">'
            if self.width_chars() > WIDE_CHARS
            else '<div class="book-table" style="overflow-x:auto;max-width:100%">'
        )
        return f'{box}<table class="table"><thead><tr>{heads}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'

    def width_chars(self) -> int:
        """Estimated width in characters: per column its longest header word or cell, plus padding
        (headers wrap at spaces, cells do not)."""
        total = 0
        for c in self.frame.columns:
            words = [len(w) for w in str(c).split()] or [0]
            cells = [len(str(v)) for v in self.frame[c]] or [0]
            total += max(max(words), max(cells)) + 3
        return total

    def __repr__(self) -> str:
        return self.frame.to_string(index=False)

    def to_markdown(self) -> str:
        """A pipe table (for a captioned ``{table}`` directive or a glued Markdown cell)."""
        cols = [str(c) for c in self.frame.columns]
        align = ["---:" if c in self.numeric else ":---" for c in self.frame.columns]

        def row(cells: list[str]) -> str:
            # a pipe ends a cell and a line break ends the table: escape the one, flatten the other
            return "| " + " | ".join(" ".join(str(c).split()).replace("|", "\\|") for c in cells) + " |"

        lines = [row(cols), "|" + "|".join(align) + "|"]
        lines += [row(list(values)) for values in self.frame.itertuples(index=False)]
        return "\n".join(lines)


def mean_sd(values, digits: int = 1, unit: str = "") -> str:
    """Seeds as text: ``mean_sd([7, 9, 7]) == "7.7 ± 1.2"`` (sample sd, ddof 1); one value alone has no
    ``± sd``: ``mean_sd([92.6], 1, " %") == "92.6 %"``."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if not v.size:
        raise ValueError("mean_sd needs at least one value")
    text = f"{v[0]:.{digits}f}" if v.size == 1 else f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"
    return text + unit


def table(
    df: pd.DataFrame,
    headers: Mapping[str, str] | None = None,
    digits: int | Mapping[str, int] = 3,
    index: bool | None = False,
) -> Table:
    """``df`` formatted for people.

    ``headers`` renames columns (and picks and orders them when given; others are dropped);
    columns not named get :func:`human`. ``digits`` is the decimals of float columns, one number
    or per (original) column name. ``index=True`` keeps the index as the first column(s);
    ``index=None`` keeps it only when it means something (it has a name, or holds text). Columns
    with several levels are joined into one header ("2 components V24").
    """
    if index is None:
        names = [n for n in df.index.names if n is not None]
        index = bool(names) or not pd.api.types.is_integer_dtype(df.index.dtype)
    if index:
        if df.index.nlevels == 1 and df.index.name is None:
            df = df.rename_axis("")  # an unnamed index gets a blank header, not "Index"
        df = df.reset_index()
    if isinstance(df.columns, pd.MultiIndex):
        df = df.set_axis([" ".join(str(p) for p in c if str(p)) for c in df.columns], axis=1)
    if headers is not None:
        missing = [c for c in headers if c not in df.columns]
        if missing:
            raise KeyError(f"table: no column(s) {missing} in {list(df.columns)}")
        df = df[list(headers)]
    out = {}
    numeric = set()
    for col in df.columns:
        series = df[col]
        places = digits.get(col, 3) if isinstance(digits, Mapping) else digits
        name = headers[col] if headers is not None else human(col)
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            numeric.add(name)
            out[name] = [number(v, places) for v in series.tolist()]
        else:
            out[name] = [number(v, places) for v in series]
    if len(out) != len(df.columns):
        raise ValueError(f"table: two columns map to the same header in {list(df.columns)}")
    return Table(pd.DataFrame(out), frozenset(numeric))


def glue_table(
    name: str, data: Table | pd.DataFrame | None, missing: str = "not available in this run", **options
) -> None:
    """Glue a table as Markdown under ``name`` (not shown in the cell).

    The page shows it with a numbered caption::

        ````{table} Caption.
        :name: tab-name
        ```{glue:md} name
        :format: myst
        ```
        ````

    The caption is the directive's first line only (MyST reads no more) and holds no backtick (a backtick
    fence's info string may not; the fence then never opens). A table wider than :data:`WIDE_CHARS` gets
    ``:class: full-width`` under ``:name:`` (``book/_static/book.css`` widens it into the margin).

    ``options`` go to :func:`table` when ``data`` is a DataFrame. A table the run does not have (``data`` is
    ``None``, or an empty frame) is glued as one cell saying ``missing``, so that the page's caption still has a
    table and the glue is never absent.
    """
    from IPython.display import Markdown
    from myst_nb import glue

    glue(name, Markdown(as_table(data, missing, **options).to_markdown()), display=False)


def as_table(data: Table | pd.DataFrame | None, missing: str = "not available in this run", **options) -> Table:
    """``data`` as a :class:`Table` (``options`` go to :func:`table`); ``None`` or an empty frame becomes one
    cell saying ``missing``."""
    if data is None or (isinstance(data, pd.DataFrame) and data.empty):
        return Table(pd.DataFrame({"": [missing]}), frozenset())
    return data if isinstance(data, Table) else table(data, **options)
