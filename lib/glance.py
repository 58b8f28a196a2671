"""Results at a glance: every headline claim of the four works beside the book's own number.

The chapters publish their numbers with myst-nb's ``glue``; papermill keeps each glued value in
the executed notebook as a ``display_data`` output whose metadata names it. This module reads
those values (and the parameters a chapter ran with) from a preset's executed notebooks, pairs
them with the published numbers of :mod:`lib.reference` through the registry :data:`CLAIMS`,
and applies one rule per claim (:func:`verdict`). Nothing here is typed in: a claim whose
chapter did not run, or did not glue the value, reads "not run".
"""

from __future__ import annotations

import ast
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lib import reference

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
NOT_AT_SCALE = "not tested at this scale"
NOT_TESTED = "not tested"
NOT_RUN = "not run"

_WRAPPED = re.compile(r"^(?:np|numpy)\.\w+\((.*)\)$", re.S)


@dataclass(frozen=True)
class Claim:
    """One published claim and where the book measures it.

    ``published`` is a number, an interval ``(low, high)`` (R23's truncated two-decimal values) or
    the word ``"confirmed"`` for a qualitative claim whose chapter glues a verdict word.
    ``tolerance`` widens the comparison on both sides (absolute, in the claim's unit).
    ``full_scale`` lists chapter parameters and the values at which the chapter runs the paper's
    setting; any other value makes the verdict "not tested at this scale". ``not_at_scale`` lists
    parameter values (a tuple: any of them) that make it so (e.g. training on simulated instead of
    measured spectra).
    """

    paper: str
    claim: str
    chapter: str
    key: str
    published: float | tuple[float, float] | str
    tolerance: float = 0.0
    unit: str = ""
    full_scale: Mapping[str, Any] = field(default_factory=dict)
    not_at_scale: Mapping[str, Any] = field(default_factory=dict)
    scale_params: tuple[str, ...] = ()


def parse_glued(text: str) -> Any:
    """The Python value of a glued ``text/plain`` repr (numpy scalars unwrapped); else the text."""
    text = text.strip()
    match = _WRAPPED.match(text)
    if match:
        text = match.group(1)
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text.strip("'\"")


_NUMBER = re.compile(r"^\s*([-+]?[\d,]*\.?\d+)\s*(%?)\s*$")


def as_number(value: Any) -> float | None:
    """A glued value as a number: ``0.87``, ``"8,273"`` and ``"98.89 %"`` (→ 0.9889); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    match = _NUMBER.match(str(value))
    if not match:
        return None
    number = float(match.group(1).replace(",", ""))
    return number / 100 if match.group(2) else number


def read_notebook(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Glued values and injected parameters of one executed notebook."""
    nb = json.loads(Path(path).read_text())
    values: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell.get("source", []))
            for node in ast.parse(source).body:
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                    params[node.targets[0].id] = ast.literal_eval(node.value)
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is None:
                continue
            data = output.get("data", {})
            text = data.get("application/papermill.record/text/plain")
            if text is not None:
                values[name] = parse_glued("".join(text) if isinstance(text, list) else text)
    return values, params


def _in(value: float, published: float | tuple[float, float], tolerance: float) -> bool:
    low, high = published if isinstance(published, tuple) else (published, published)
    return low - tolerance <= value <= high + tolerance


def verdict(claim: Claim, value: Any, params: Mapping[str, Any]) -> str:
    """The rule for one claim: not run / not tested at this scale / reproduced / not reproduced."""
    if value is None:
        return NOT_RUN
    if any(params.get(name) != wanted for name, wanted in claim.full_scale.items()) or any(
        params.get(name) in (value if isinstance(value, tuple) else (value,))
        for name, value in claim.not_at_scale.items()
    ):
        return NOT_AT_SCALE
    if isinstance(claim.published, str):
        word = str(value).strip().lower()
        if word == claim.published.lower():
            return REPRODUCED
        return NOT_TESTED if word in (NOT_TESTED, NOT_RUN) else NOT_REPRODUCED
    number = as_number(value)
    if number is None:
        raise ValueError(f"claim {claim.key!r} of chapter {claim.chapter!r}: glued value {value!r} is not a number")
    return REPRODUCED if _in(number, claim.published, claim.tolerance) else NOT_REPRODUCED


def fmt(value: Any, unit: str = "") -> str:
    """A number or interval as the table shows it."""
    if value is None:
        return "–"
    if isinstance(value, tuple):
        return f"[{value[0]:.4g}, {value[1]:.4g})" + (f" {unit}" if unit else "")
    if isinstance(value, float):
        text = f"{value:.4g}"
    else:
        text = str(value)
    return text + (f" {unit}" if unit else "")


def table(
    chapters: Mapping[str, tuple[dict[str, Any], dict[str, Any]]],
    claims: tuple[Claim, ...] | None = None,
    links: Mapping[str, str] | None = None,
    preset: str = "",
) -> pd.DataFrame:
    """One row per claim: paper, claim, published, book, setting, verdict, chapter.

    ``chapters`` maps a chapter name to its ``(values, params)`` as :func:`read_notebook` gives;
    ``links`` maps a chapter name to the link text shown in the last column.
    """
    rows = []
    for claim in CLAIMS if claims is None else claims:
        values, params = chapters.get(claim.chapter, ({}, {}))
        value = values.get(claim.key)
        setting = ", ".join(f"{p}={params[p]}" for p in claim.scale_params if p in params)
        rows.append(
            {
                "paper": claim.paper,
                "claim": claim.claim,
                "published": fmt(claim.published, claim.unit),
                "book": fmt(value, claim.unit),
                "run": f"{preset}" + (f" ({setting})" if setting else ""),
                "verdict": verdict(claim, value, params),
                "chapter": (links or {}).get(claim.chapter, claim.chapter),
            }
        )
    return pd.DataFrame(rows)


def collect(src: str | Path, chapter_paths: Mapping[str, str]) -> dict[str, tuple[dict, dict]]:
    """Read the executed notebooks of a preset (``_build/PRESET/src``) that exist."""
    out = {}
    for name, rel in chapter_paths.items():
        path = Path(src) / f"{rel}.ipynb"
        if path.is_file():
            out[name] = read_notebook(path)
    return out


def counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many claims got each verdict."""
    return {k: int(v) for k, v in frame["verdict"].value_counts().items()}


def book_table(preset: str, claims: tuple[Claim, ...] | None = None) -> pd.DataFrame:
    """The claims table for a preset's executed chapters under ``_build/PRESET/src``."""
    from lib import book

    chapters = book.chapters()
    paths = {c.name: str(c.rel) for c in chapters}
    links = {c.name: _link(c) for c in chapters}
    found = collect(book.build_dir(preset) / "src", paths)
    # a parameter the preset did not set ran with the chapter's own default
    with_defaults = {
        c.name: (found[c.name][0], {**c.defaults, **found[c.name][1]}) for c in chapters if c.name in found
    }
    return table(with_defaults, claims, links, preset)


def _link(chapter: Any) -> str:
    """An HTML link from the glance page (``book/glance.html``) to a chapter's page."""
    rel = Path(chapter.rel).relative_to("book").with_suffix(".html")
    title = chapter.name.replace("_", " ")
    for line in chapter.source.read_text().splitlines():
        if line.startswith("# # "):
            title = line[4:].strip()
            break
    return f'<a href="{rel.as_posix()}">{html.escape(title)}</a>'


def to_html(frame: pd.DataFrame) -> str:
    """The table as HTML (links kept, everything else escaped)."""
    shown = frame.copy()
    for column in shown.columns:
        if column != "chapter":
            shown[column] = shown[column].map(lambda v: html.escape(str(v)))
    return shown.to_html(escape=False, index=False, classes="glance")


VERDICT_COLOURS = {
    REPRODUCED: "#2a9d8f",
    NOT_REPRODUCED: "#e76f51",
    NOT_AT_SCALE: "#e9c46a",
    NOT_TESTED: "#8d99ae",
    NOT_RUN: "#d9d9d9",
}


def verdict_figure(frame: pd.DataFrame):
    """Stacked bars: how many of each paper's claims got each verdict."""
    import plotly.graph_objects as go

    papers = list(dict.fromkeys(frame["paper"]))
    fig = go.Figure()
    for word, colour in VERDICT_COLOURS.items():
        sub = frame[frame["verdict"] == word]
        fig.add_bar(x=papers, y=[int((sub["paper"] == p).sum()) for p in papers], name=word, marker_color=colour)
    fig.update_layout(barmode="stack", yaxis_title="claims", height=320, legend_title_text="verdict")
    return fig


def _s22(number: int, text: str) -> Claim:
    """One of the talk's six claims, judged by the named rule of the chapter's verdict table."""
    return Claim("S22", text, "review_experiments", f"v{number}_outcome", "confirmed")


# R23 trained and tested on measured NIST spectra; ours are simulated (of R23's molecules, or of our own set)
_R23_MEASURED = {"data": ("nist", "curated", "simulated")}
_S23_FULL = {"n_classes": 500, "downsample": 1}
_S23_SCALE = ("n_classes", "downsample", "max_epochs")
_S23_CHALLENGE_FULL = {"n_train": 50, "downsample": 1}
_V24_FULL = {"n_classes": 500, "downsample": 1}
_V24_SCALE = ("n_classes", "downsample", "max_epochs")


def _mean_std(value: tuple[float, float]) -> tuple[float, float]:
    mean, std = value
    return (round(mean - std, 4), round(mean + std, 4))


# Registry of headline claims. Keys are the names each chapter glues.
CLAIMS: tuple[Claim, ...] = (
    Claim(
        "S23",
        "the benchmark's spectra generated in under 15 s (S23: 30,000; we time all 34,500)",
        "synthetic_spectra",
        "gen_seconds",
        (0.0, float(reference.S23_GENERATION_SECONDS)),
        unit="s",
    ),
    Claim(
        "S23",
        "the best network's wrong test spectra (CNN6, mean of 5 seeds, of 4,500)",
        "synthetic_benchmark",
        "best_errors",
        tuple(float(v) for v in reference.S23_CNN6_TEST_ERROR_RANGE),
        full_scale=_S23_FULL,
        scale_params=_S23_SCALE,
    ),
    Claim(
        "S23",
        "every network at least 98.9 % accurate on the test set",
        "synthetic_benchmark",
        "worst_accuracy",
        (reference.S23_MIN_TEST_ACCURACY, 1.0),
        full_scale=_S23_FULL,
        scale_params=_S23_SCALE,
    ),
    Claim(
        "S23",
        "challenge set: the best network close to 90 % (CNN6)",
        "challenge_set",
        "top_acc",
        reference.S23_CHALLENGE_CNN6_ACCURACY,
        tolerance=0.03,
        full_scale=_S23_CHALLENGE_FULL,
        scale_params=("n_train", "downsample", "max_epochs"),
    ),
    Claim(
        "S23",
        "every network at least 98.9 % accurate (full scale, the shipped runs; time-capped ones included)",
        "synthetic_benchmark",
        "fs_worst_accuracy",
        (reference.S23_MIN_TEST_ACCURACY, 1.0),
    ),
    Claim(
        "S23",
        "challenge set: CNN6 close to 90 % (full scale, the shipped runs)",
        "challenge_set",
        "fs_challenge_cnn6",
        reference.S23_CHALLENGE_CNN6_ACCURACY,
        tolerance=0.03,
    ),
    Claim(
        "R23",
        "17 group proportions of Table 1 within the tolerance (groups)",
        "fg_labelling",
        "n_within_tol",
        float(len(reference.R23_TABLE1)),
    ),
    Claim(
        "R23",
        "macro-F1 over the 17 groups (Table 1)",
        "fg_benchmark",
        "macro_best",
        reference.r23_macro("f1"),
        not_at_scale=_R23_MEASURED,
        scale_params=("data", "n_seeds"),
    ),
    Claim(
        "R23",
        "molecular perfection (Table 2, mean ± std)",
        "fg_benchmark",
        "perf_best",
        _mean_std(reference.R23_MOLECULAR["perfection"]),
        not_at_scale=_R23_MEASURED,
        scale_params=("data", "n_seeds"),
    ),
    Claim(
        "R23",
        "molecular F1 (Table 2, mean ± std)",
        "fg_benchmark",
        "molf1_best",
        _mean_std(reference.R23_MOLECULAR["molecular F1"]),
        not_at_scale=_R23_MEASURED,
        scale_params=("data", "n_seeds"),
    ),
    Claim(
        "S22",
        "CNN accuracy on shifted single peaks",
        "review_experiments",
        "cnn_acc",
        reference.S22_CNN_ACCURACY,
        tolerance=0.02,
    ),  # fmt: skip
    Claim(
        "S22",
        "random forest accuracy on the same task",
        "review_experiments",
        "rf_raw",
        reference.S22_RF_ACCURACY,
        tolerance=0.02,
    ),  # fmt: skip
    _s22(1, "a CNN beats a random forest on shifted peaks"),
    _s22(2, "max pooling the inputs helps the random forest"),
    _s22(3, "convolutions isolate the peak from background and noise"),
    _s22(4, "a single random ReLU filter is often blind"),
    _s22(5, "pooling loses positions near the class border (ResNet)"),
    _s22(6, "batch normalisation hurts on spectra"),
    Claim(
        "V24",
        "triplet encoder + k-NN on the S23 benchmark",
        "metric_learning",
        "main_acc",
        _mean_std(reference.V24_ACCURACY),
        full_scale=_V24_FULL,
        scale_params=_V24_SCALE,
    ),  # fmt: skip
    Claim(
        "V24",
        "classes unseen in training (20 references)",
        "metric_learning",
        "unseen_acc",
        reference.V24_UNSEEN_ACCURACY,
        tolerance=0.003,
        full_scale=_V24_FULL,
        scale_params=_V24_SCALE,
    ),  # fmt: skip
    Claim(
        "V24",
        "challenge set",
        "metric_learning",
        "ch_acc",
        reference.V24_CHALLENGE_ACCURACY,
        tolerance=0.03,
        full_scale=_V24_FULL,
        scale_params=_V24_SCALE,
    ),  # fmt: skip
    Claim(
        "V24",
        "triplet encoder + k-NN on the S23 benchmark (full scale, the shipped run)",
        "metric_learning",
        "fs_main_acc",
        _mean_std(reference.V24_ACCURACY),
    ),
    Claim(
        "V24",
        "classes unseen in training, 20 references (full scale, the shipped run)",
        "metric_learning",
        "fs_unseen_acc",
        reference.V24_UNSEEN_ACCURACY,
        tolerance=0.003,
    ),
    Claim(
        "V24",
        "challenge set (full scale, the shipped run)",
        "metric_learning",
        "fs_ch_acc",
        reference.V24_CHALLENGE_ACCURACY,
        tolerance=0.03,
    ),
)
