"""Results at a glance: every headline claim of the four works, and the book's own, with a fair verdict.

Two kinds of numbers feed the page. Full-scale numbers come from the shipped run records under
``book/synthetic/results/full`` (read here, so the page never depends on a chapter's preset);
the other numbers are glued by the chapters, and papermill keeps each glued value in the executed
notebook as a ``display_data`` output whose metadata names it (:func:`read_notebook`).

Each claim names its network and its denominator and has one rule (:func:`judge`):

- ``at_least`` / ``at_most`` ("at least as good as the paper"): a one-sided 95 % test. With a count
  behind the number the bound is the exact (Clopper-Pearson) binomial bound, pooled over seeds; the
  verdict is *better than the paper* where the bound clears the paper's figure, *not reproduced*
  where the opposite bound falls short of it, and *reproduced* otherwise.
- ``match``: the paper's figure (or interval, for R23's truncated values) lies within our two-sided
  95 % interval (or within the tolerance, where no count is known).
- ``word``: a qualitative claim whose chapter glues the verdict word.

The book's own claims (:data:`BEYOND`) carry the burden of proof: *holds* only where the one-sided
bound is on the right side of the target, *does not hold* where the opposite bound is on the wrong
side, *undecided* otherwise. A run that a time limit ended is never a headline: it is listed apart
(:func:`capped_table`). A reduced run's number never stands in the "ours" column; the row reads
*not run at full scale* and the reduced number goes into its note.
"""

from __future__ import annotations

import ast
import html
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from lib import reference
from lib.tables import Table

REPRODUCED = "reproduced"
BETTER = "better than the paper"
NOT_REPRODUCED = "not reproduced"
NOT_AT_SCALE = "not run at full scale"
NOT_CONVERGED = "not run to convergence"
NOT_TESTED = "not tested"
NOT_RUN = "not run"
HOLDS = "holds"
FAILS = "does not hold"
UNDECIDED = "undecided"
CAPPED = "time-capped"
VERDICTS = (BETTER, REPRODUCED, HOLDS, UNDECIDED, NOT_REPRODUCED, FAILS, NOT_CONVERGED, NOT_AT_SCALE, NOT_TESTED,
            NOT_RUN, CAPPED)  # fmt: skip
#: CSS class of each verdict's badge.
BADGE = {
    BETTER: "better",
    REPRODUCED: "good",
    HOLDS: "good",
    UNDECIDED: "open",
    NOT_REPRODUCED: "bad",
    FAILS: "bad",
    NOT_CONVERGED: "open",
    NOT_AT_SCALE: "open",
    NOT_TESTED: "none",
    NOT_RUN: "none",
    CAPPED: "capped",
}
CONFIDENCE = 0.95
COLUMNS = ["paper", "claim", "published", "ours", "rule", "verdict", "coverage", "source", "note", "chapter"]
S23_NETWORKS = tuple(reference.S23_TEST_ERRORS)

_WRAPPED = re.compile(r"^(?:np|numpy)\.\w+\((.*)\)$", re.S)
_NUMBER = re.compile(r"^\s*([-+]?[\d,]*\.?\d+)\s*(%?)\s*$")


# --------------------------------------------------------------------------- reading executed chapters
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


def collect(src: str | Path, chapter_paths: Mapping[str, str]) -> dict[str, tuple[dict, dict]]:
    """Read the executed notebooks of a preset (``_build/PRESET/src``) that exist."""
    out = {}
    for name, rel in chapter_paths.items():
        path = Path(src) / f"{rel}.ipynb"
        if path.is_file():
            out[name] = read_notebook(path)
    return out


# --------------------------------------------------------------------------- measurements and rules
@dataclass(frozen=True)
class Measure:
    """The book's number for a claim, in the claim's unit, and what stands behind it.

    ``count`` of ``trials`` (correct spectra for a share, wrong ones for an error count, pooled over
    seeds) gives the binomial interval; ``per`` rescales an error count to the paper's denominator
    (errors per 4,500). ``coverage`` says how much of the paper's claim was tested ("1 of 8 networks").
    """

    value: float | str | None
    count: int | None = None
    trials: int | None = None
    per: int | None = None
    source: str = ""
    coverage: str = ""
    note: str = ""
    reduced: bool = False
    capped: bool = False
    unconverged: bool = False
    ci: tuple[float, float] | None = None

    def interval(self, level: float) -> tuple[float, float] | None:
        """Exact binomial two-sided interval at ``level``, in the claim's unit; None without a count.

        A measure with a given ``ci`` (a chapter's bootstrap 95 % interval) returns it at every level:
        used for a one-sided test it is conservative (97.5 % each side)."""
        if self.ci is not None:
            return self.ci
        if self.count is None or not self.trials:
            return None
        from scipy.stats import binomtest

        ci = binomtest(self.count, self.trials).proportion_ci(confidence_level=level, method="exact")
        scale = self.per if self.per is not None else 1.0
        return float(ci.low) * scale, float(ci.high) * scale


def judge(rule: str, published: Any, measure: Measure | None, tolerance: float = 0.0, own: bool = False) -> str:
    """The verdict of one rule (see the module docstring); ``own``: the book's claim, burden of proof on us."""
    if measure is not None and measure.unconverged:
        return NOT_CONVERGED
    if measure is None or measure.value is None:
        return NOT_RUN
    if measure.capped:
        return CAPPED
    if measure.reduced:
        return NOT_AT_SCALE
    if rule == "word":
        word = str(measure.value).strip().lower()
        if word == str(published).lower():
            return REPRODUCED
        return NOT_TESTED if word in (NOT_TESTED, NOT_RUN) else NOT_REPRODUCED
    value = as_number(measure.value)
    if value is None:
        raise ValueError(f"rule {rule!r}: value {measure.value!r} is not a number")
    low_pub, high_pub = published if isinstance(published, tuple) else (published, published)
    if rule == "match":
        ci = measure.interval(CONFIDENCE)
        lo, hi = ci if ci is not None else (value, value)
        return REPRODUCED if lo - tolerance <= high_pub and low_pub <= hi + tolerance else NOT_REPRODUCED
    if rule not in ("at_least", "at_most"):
        raise ValueError(f"unknown rule {rule!r} (at_least, at_most, match or word)")
    # one-sided 95 %: the bounds of the two-sided 90 % interval
    ci = measure.interval(1 - 2 * (1 - CONFIDENCE))
    lo, hi = ci if ci is not None else (value, value)
    if rule == "at_most":  # fewer is better: mirror onto "at least"
        lo, hi, low_pub, high_pub = -hi, -lo, -high_pub, -low_pub
    target = low_pub - tolerance
    if own:
        return HOLDS if lo >= target else FAILS if hi < target else UNDECIDED
    if hi < target:
        return NOT_REPRODUCED
    return BETTER if ci is not None and lo > high_pub + tolerance else REPRODUCED


RULE_WORDS = {
    "at_least": "one-sided 95 %, at least the paper's",
    "at_most": "one-sided 95 %, at most the paper's",
    "match": "within the 95 % interval",
    "word": "the chapter's rule",
}


# --------------------------------------------------------------------------- claims
@dataclass(frozen=True)
class Claim:
    """One claim, its rule and where the book's number comes from.

    ``measure(chapters)`` returns the book's :class:`Measure` (``chapters`` maps a chapter name to
    its ``(values, params)``); :func:`glued` makes one from a chapter's glued value.
    """

    paper: str
    claim: str
    chapter: str
    published: float | tuple[float, float] | str
    rule: str
    unit: str
    measure: Callable[[Mapping[str, tuple[dict, dict]]], Measure | None]
    tolerance: float = 0.0
    published_note: str = ""
    key: str = ""


def glued(
    chapter: str,
    key: str,
    *,
    full_scale: Mapping[str, Any] | None = None,
    not_at_scale: Mapping[str, Any] | None = None,
    scale_params: tuple[str, ...] = (),
    source: str = "",
    trials_key: str | None = None,
) -> Callable[[Mapping[str, tuple[dict, dict]]], Measure | None]:
    """A measure read from a chapter's glued ``key``: reduced where the chapter's parameters are not full scale."""

    def read(chapters: Mapping[str, tuple[dict, dict]]) -> Measure | None:
        values, params = chapters.get(chapter, ({}, {}))
        if values.get(key) is None:
            return None
        value = values[key]
        reduced = any(params.get(n) != v for n, v in (full_scale or {}).items()) or any(
            params.get(n) in (v if isinstance(v, tuple) else (v,)) for n, v in (not_at_scale or {}).items()
        )
        setting = ", ".join(f"{p} = {params[p]}" for p in scale_params if p in params)
        trials = as_number(values.get(trials_key)) if trials_key else None
        number = as_number(value)
        count = round(number * trials) if trials and number is not None else None
        where = source or "the chapter's run"
        return Measure(
            value,
            count=count,
            trials=int(trials) if trials else None,
            source=where + (f" ({setting})" if setting else ""),
            reduced=reduced,
        )

    return read


def _records(folder: Path) -> list[dict[str, Any]]:
    from lib.synthetic import full_scale

    return full_scale.load_records(folder) if folder.is_dir() and any(folder.glob("*.json")) else []


def _metric_records() -> dict[str, dict[str, Any]]:
    from lib.synthetic import metric_full

    folder = metric_full.RESULTS
    return metric_full.load_records(folder) if folder.is_dir() and any(folder.glob("*.json")) else {}


def machine(record: Mapping[str, Any]) -> str:
    """The hardware a record ran on, in words: ``NVIDIA H200`` or ``AMD EPYC, 1 thread``."""
    return machines_words([record])


def machines_words(records: list[Mapping[str, Any]]) -> str:
    """The hardware of a group of runs, each machine once: ``AMD EPYC, 1 thread / Intel Xeon, 1 or 2 threads``."""
    threads: dict[str, list[int]] = {}
    for r in records:
        name = str(r.get("machine", "?")).split(" (")[0]
        counts = threads.setdefault(name, [])
        if r.get("device") == "cpu" and int(r.get("threads", 1)) not in counts:
            counts.append(int(r.get("threads", 1)))
    return " / ".join(
        name + (f", {' or '.join(map(str, sorted(n)))} thread{'' if n == [1] else 's'}" if n else "")
        for name, n in threads.items()
    )


def ended(record: Mapping[str, Any]) -> str:
    """How a run ended: ``converged (early stop, epoch 98)`` or ``capped at epoch 13 (best 9)``."""
    if record.get("time_capped"):
        return f"capped at epoch {record['epochs']} (best {record['best_epoch']})"
    if record.get("stopped_early"):
        return f"converged (early stop at epoch {record['epochs']})"
    return f"epoch limit {record['epochs']}"


def converged(record: Mapping[str, Any]) -> bool:
    """A run that early stopping ended (the only kind that enters a headline)."""
    return bool(record.get("stopped_early")) and not record.get("time_capped")


def describe(records: list[Mapping[str, Any]]) -> str:
    """Source words of a group of runs: shipped run(s), machine(s), seeds, how they ended."""
    if not records:
        return ""
    seeds = ", ".join(str(r["seed"]) for r in records)
    machines = machines_words(records)
    precision = " / ".join(dict.fromkeys("bf16" if r.get("bf16") else "fp32" for r in records))
    ends = "; ".join(dict.fromkeys(ended(r) for r in records)) if len(records) == 1 else (
        "all converged" if all(converged(r) for r in records) else "; ".join(ended(r) for r in records))  # fmt: skip
    runs = "shipped run" if len(records) == 1 else f"{len(records)} shipped runs"
    return f"{runs}, {machines}, {precision}, seed{'s' if len(records) > 1 else ''} {seeds}, {ends}"


def pooled(records: list[Mapping[str, Any]], unit: str, per: int | None = None, **extra) -> Measure | None:
    """A measure pooled over runs: mean errors (``unit="errors"``, rescaled to ``per``) or accuracy."""
    if not records:
        return None
    wrong = sum(int(r["test_errors"]) for r in records)
    trials = sum(int(r["n_test"]) for r in records)
    src = describe(records)
    if len(records) > 1:
        extra["note"] = "; ".join(x for x in (spread(records, unit, per), extra.get("note", "")) if x)
    if unit == "errors":
        scale = per or int(records[0]["n_test"])
        return Measure(wrong / trials * scale, count=wrong, trials=trials, per=scale, source=src, **extra)
    return Measure(1 - wrong / trials, count=trials - wrong, trials=trials, source=src, **extra)


def spread(records: list[Mapping[str, Any]], unit: str, per: int | None = None) -> str:
    """Mean ± sd over seeds and each seed's number: ``mean ± sd over 3 seeds 7.7 ± 1.2 wrong (per seed 7, 9, 7)``."""
    from lib.tables import mean_sd

    n = f"{len(records)} seed{'s' if len(records) != 1 else ''}"
    if unit == "errors":
        values = [int(r["test_errors"]) * (per or int(r["n_test"])) / int(r["n_test"]) for r in records]
        each = ", ".join(f"{v:g}" for v in values)
        return f"mean ± sd over {n} {mean_sd(values, 1)} wrong (per seed {each})"
    values = [100 * (1 - int(r["test_errors"]) / int(r["n_test"])) for r in records]
    each = ", ".join(f"{v:.2f}" for v in values)
    return f"mean ± sd over {n} {mean_sd(values, 2, ' %')} (per seed {each} %)"


def _runs(folder: Path, model: str, fresh: bool = False) -> tuple[list[dict], list[dict]]:
    """Converged and time-capped shipped runs of one network in ``folder``."""
    found = sorted((r for r in _records(folder) if r["model"] == model and bool(r.get("fresh")) == fresh),
                   key=lambda r: r["seed"])  # fmt: skip
    return [r for r in found if converged(r)], [r for r in found if not converged(r)]


def _folders() -> tuple[Path, Path]:
    from lib.synthetic import full_scale

    return full_scale.default_out("benchmark"), full_scale.default_out("challenge")


def shipped(
    model: str,
    unit: str,
    *,
    challenge: bool = False,
    fresh: bool = False,
    seeds_wanted: int = 5,
    reduced: Callable[[Mapping[str, tuple[dict, dict]]], Measure | None] | None = None,
) -> Callable[[Mapping[str, tuple[dict, dict]]], Measure | None]:
    """The converged shipped runs of a network (pooled); without one, *not run to convergence*.

    ``reduced``: the chapter's reduced measure, quoted in the note when no full-scale run converged.
    """

    def read(chapters: Mapping[str, tuple[dict, dict]]) -> Measure | None:
        folder = _folders()[1 if challenge else 0]
        done, capped = _runs(folder, model, fresh)
        per = None if challenge else reference.S23_TEST_SIZE
        if done:
            return pooled(done, unit, per, coverage=f"{len(done)} of {seeds_wanted} seeds", note=_capped(len(capped)))
        small = reduced(chapters) if reduced else None
        if capped:
            notes = [_capped(len(capped))]
            if small is not None and small.value is not None:
                notes.append(f"reduced run: {fmt(small.value, unit)} ({small.source})")
            return Measure(None, note="; ".join(notes), unconverged=True)
        return small if small is not None and small.value is not None else None

    return read


def every_network(chapters: Mapping[str, tuple[dict, dict]]) -> Measure | None:
    """S23's "every network ≥ 98.9 %": the worst converged shipped network, with the coverage of 8."""
    folder = _folders()[0]
    done = [r for r in _records(folder) if r["model"] in S23_NETWORKS and not r.get("fresh") and converged(r)]
    if not done:
        return None
    nets = sorted({r["model"] for r in done})
    worst = min(nets, key=lambda n: pooled([r for r in done if r["model"] == n], "%").value)
    runs = [r for r in done if r["model"] == worst]
    return pooled(
        runs,
        "%",
        coverage=f"{len(nets)} of {len(S23_NETWORKS)} networks converged ({', '.join(nets)})",
        note=f"the worst converged network: {worst}",
    )


def metric(part: str, model: str | None = None, fresh: bool = False):
    """A shipped metric-learning record's accuracy (V24's main, unseen-class or challenge-set result)."""

    def read(chapters: Mapping[str, tuple[dict, dict]]) -> Measure | None:
        found = [
            r for r in _metric_records().values()
            if r["part"] == part and model in (None, r["model"]) and r.get("fresh", False) == fresh
        ]  # fmt: skip
        if not found:
            return None
        done = sorted((r for r in found if converged(r)), key=lambda r: r["seed"])
        if not done:
            return Measure(None, note="a time-capped run, listed apart", unconverged=True)
        return pooled(done, "%", coverage=_seeds(len(done)), note=_capped(len(found) - len(done)))

    return read


def all_class_mixtures(components: int, method: str):
    """Beyond V24: share of mixtures over all 500 classes with every member named by V24's mixture-aware
    encoder (:func:`lib.synthetic.mixture_v24.all_classes`); a reduced record only in the note."""

    def row(r: Mapping[str, Any]) -> dict | None:
        rows = [a for a in r.get("all_classes", {}).get("accuracy", [])
                if a["components"] == components == a["at least j right"] and a["method"] == method]  # fmt: skip
        return rows[0] if rows else None

    def read(chapters: Mapping[str, tuple[dict, dict]]) -> Measure | None:
        measure = _v24_pooled(row, all_classes=True)
        if measure is None or measure.reduced or method == "exact":
            return measure
        full = [r for r in _v24_records() if row(r) is not None and not r.get("reduced")]
        return replace(measure, note=v24_exactness(full[0], method))

    return read


def v24_exactness(record: Mapping[str, Any], method: str) -> str:
    """How often the beam found the exact answer, where that was measured (per pool and components)."""
    rows = [s for s in record.get("all_classes", {}).get("search", []) if s["method"] == method]
    return "; ".join(
        f"the {method} search finds the exact answer in {100 * s['same answer as exact']:.1f} % at {s['components']} "
        f"components of {s['pool']} classes"
        for s in rows
    )


def _v24_records() -> list[dict[str, Any]]:
    from lib.synthetic import mixture_v24

    return mixture_v24.load_records()


def v24_mixtures(components: int):
    """Share of mixtures with every member named on V24's protocol (:mod:`lib.synthetic.mixture_v24`), pooled
    over the full-scale records; reduced records (fewer points) only in the note."""

    def row(r: Mapping[str, Any]) -> dict | None:
        rows = [a for a in r["accuracy"] if a["components"] == components == a["at least j right"]]
        return rows[0] if rows else None

    return lambda chapters: _v24_pooled(row)


def _v24_pooled(row: Callable[[Mapping[str, Any]], dict | None], all_classes: bool = False) -> Measure | None:
    """The share in ``row(record)`` pooled over the full-scale V24-protocol records (``n`` mixtures each; with
    ``all_classes`` the source names the pool of the mixtures over all classes);
    without one, the first reduced record's share, marked reduced; None where no record has the row."""
    records = [r for r in _v24_records() if row(r) is not None]
    full = [r for r in records if not r.get("reduced")]
    if not full:
        if not records:
            return None
        r = records[0]
        return Measure(row(r)["accuracy"], source=f"{r['points']:,} points, {_v24_words(r)}", reduced=True)
    right = sum(round(row(r)["accuracy"] * row(r)["n"]) for r in full)
    trials = sum(int(row(r)["n"]) for r in full)
    seeds = ", ".join(str(r["protocol"]["seed"]) for r in full)
    which = f"{_runs_words(len(full))}, {_v24_words(full[0])}, seed{'s' if len(full) > 1 else ''} {seeds}"
    where = f"{full[0]['all_classes']['pool']} classes, " if all_classes else ""
    return Measure(right / trials, count=right, trials=trials, source=f"{which}, {where}{trials:,} mixtures",
                   coverage=_seeds(len(full)))  # fmt: skip


def _seeds(n: int) -> str:
    return f"{n} seed{'s' if n != 1 else ''}"


def _capped(n: int) -> str:
    """The note on time-capped runs of a claim: ``2 time-capped runs listed apart`` (empty for none)."""
    return f"{n} time-capped run{'s' if n != 1 else ''} listed apart" if n else ""


def _runs_words(n: int) -> str:
    return "shipped run" if n == 1 else f"{n} shipped runs"


def _v24_words(r: Mapping[str, Any]) -> str:
    precision = "bf16" if r["protocol"].get("bf16") else "fp32"
    return f"{r['machine'].split(' (')[0]}, {precision}, {r['epochs']} epochs as V24"


# --------------------------------------------------------------------------- formatting
def fmt(value: Any, unit: str = "") -> str:
    """A value as the table shows it, in the claim's unit (shares as percentages)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, tuple):
        return f"{fmt(value[0], unit)} – {fmt(value[1], unit)}"
    number = as_number(value)
    if number is None:
        return str(value)
    if unit == "%":
        return f"{100 * number:.2f} %"
    if unit == "errors":
        return f"{number:.1f} wrong"
    if unit == "s":
        return f"{number:.2f} s"
    if unit == "gap":
        return f"{number:+.3f}".replace("-", "−")  # a minus sign, as in every table
    if unit == "groups":
        return f"{number:.0f}"
    return f"{number:.3f}"


def _row(claim: Claim, chapters: Mapping[str, tuple[dict, dict]], links: Mapping[str, str], own: bool) -> dict:
    measure = claim.measure(chapters)
    word = judge(claim.rule, claim.published, measure, claim.tolerance, own=own)
    shown = measure is not None and not measure.reduced and not measure.capped
    note = measure.note if measure else ""
    if measure is not None and measure.reduced and measure.value not in (None, ""):
        note = "; ".join(x for x in (f"reduced run: {fmt(measure.value, claim.unit)} ({measure.source})", note) if x)
    return {
        "paper": claim.paper,
        "claim": claim.claim,
        "published": fmt(claim.published, claim.unit) + (f" ({claim.published_note})" if claim.published_note else ""),
        "ours": fmt(measure.value, claim.unit) if shown else "–",
        "rule": RULE_WORDS[claim.rule].replace("the paper's", "the target" if own else "the paper's"),
        "verdict": word,
        "coverage": measure.coverage if measure else "",
        "source": measure.source if shown else "",
        "note": note,
        "chapter": links.get(claim.chapter, claim.chapter),
    }


def table(
    chapters: Mapping[str, tuple[dict[str, Any], dict[str, Any]]],
    claims: tuple[Claim, ...] | None = None,
    links: Mapping[str, str] | None = None,
    own: bool = False,
) -> pd.DataFrame:
    """One row per claim (:data:`COLUMNS`); ``own``: the book's claims, judged by the burden-of-proof rule."""
    rows = [_row(c, chapters, links or {}, own) for c in (CLAIMS if claims is None else claims)]
    return pd.DataFrame(rows, columns=COLUMNS)


def counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many claims got each verdict."""
    return {k: int(v) for k, v in frame["verdict"].value_counts().items()}


def by_paper(frame: pd.DataFrame) -> pd.DataFrame:
    """Verdict counts per paper (rows, in the table's order) and verdict (columns, in :data:`VERDICTS` order)."""
    counts = pd.crosstab(frame["paper"], frame["verdict"])
    papers = list(dict.fromkeys(frame["paper"]))
    return counts.reindex(index=papers, columns=[v for v in VERDICTS if v in counts.columns], fill_value=0)


def capped_table() -> pd.DataFrame:
    """Every shipped run that a time limit ended: network, data set, errors, where it stopped; never a headline."""
    bench, chall = _folders()
    rows = []
    for data, folder in (("benchmark", bench), ("challenge set", chall)):
        for r in _records(folder):
            if converged(r):
                continue
            name = r["model"] + ("-fresh" if r.get("fresh") else "")
            paper = reference.S23_TEST_ERRORS.get(r["model"]) if data == "benchmark" and not r.get("fresh") else None
            rows.append({
                "network": name, "data": data, "seed": r["seed"],
                "wrong": f"{r['test_errors']} of {r['n_test']:,}",
                "accuracy": fmt(1 - r["test_errors"] / r["n_test"], "%"),
                "S23": f"{paper:.1f} of 4,500 (converged)" if paper is not None else "–",
                "ended": ended(r), "machine": machine(r),
            })  # fmt: skip
    for r in _metric_records().values():
        if not converged(r):
            rows.append({
                "network": f"{r['model']} encoder" + (" (fresh)" if r.get("fresh") else ""), "data": f"V24 {r['part']}",
                "seed": r["seed"], "wrong": f"{r['test_errors']} of {r['n_test']:,}",
                "accuracy": fmt(r["test_accuracy"], "%"), "S23": "–", "ended": ended(r), "machine": machine(r),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=["network", "data", "seed", "wrong", "accuracy", "S23", "ended", "machine"])


def book_table(preset: str, claims: tuple[Claim, ...] | None = None, own: bool = False) -> pd.DataFrame:
    """The claims table for a preset's executed chapters under ``_build/PRESET/src`` (and the shipped records)."""
    from lib import book

    chapters = book.chapters()
    paths = {c.name: str(c.rel) for c in chapters}
    links = {c.name: _link(c) for c in chapters}
    found = collect(book.build_dir(preset) / "src", paths)
    # a parameter the preset did not set ran with the chapter's own default
    with_defaults = {
        c.name: (found[c.name][0], {**c.defaults, **found[c.name][1]}) for c in chapters if c.name in found
    }
    return table(with_defaults, claims, links, own)


def beyond_table(preset: str) -> pd.DataFrame:
    """The book's own claims (:data:`BEYOND`), judged with the burden of proof on the book."""
    return book_table(preset, BEYOND, own=True)


def _link(chapter: Any) -> str:
    """An HTML link from the glance page (``book/glance.html``) to a chapter's page."""
    rel = Path(chapter.rel).relative_to("book").with_suffix(".html")
    title = chapter.name.replace("_", " ")
    for line in chapter.source.read_text().splitlines():
        if line.startswith("# # "):
            title = line[4:].strip()
            break
    return f'<a href="{rel.as_posix()}">{html.escape(title)}</a>'


_MARKDOWN = re.compile(r"([\\`*_\[\]{}#~$!])")
_UNIT_SPACE = re.compile(r"(?<=\d) (?=\S)")


def _md(text: Any) -> str:
    """Plain text for a Markdown table cell: HTML-escaped, with Markdown's own punctuation backslash-escaped."""
    return _MARKDOWN.sub(r"\\\1", html.escape(str(text), quote=False))


def _figure(text: Any) -> str:
    """A number for a Markdown cell that never breaks from its unit (``99.40&nbsp;%``, ``8.4&nbsp;wrong``)."""
    return _UNIT_SPACE.sub("&nbsp;", _md(text))


def _note(text: Any) -> str:
    """A grey line beneath a cell's text (``book/_static/book.css``); nothing for no text."""
    return f'<span class="glance-note">{_md(text)}</span>' if text else ""


def badge(word: str, coverage: str = "") -> str:
    """A verdict as a coloured badge (``<span class="glance-badge good">``), its coverage beneath."""
    return f'<span class="glance-badge {BADGE.get(word, "none")}">{_md(word)}</span>{_note(coverage)}'


def board(frame: pd.DataFrame, own: bool = False) -> Table:
    """Claims as a page table for :func:`lib.tables.glue_table`: the claim with its note, the paper's figure,
    ours, the verdict as a badge with its coverage and rule, the source, and a link to the chapter.

    Cells are Markdown holding HTML spans that ``book/_static/book.css`` styles; text is escaped for both. For the
    book's ``own`` claims the paper's figure is a target, and the frame's ``paper`` column (the area a claim
    belongs to) comes first, as "Area".
    """
    figure = "Target" if own else "Paper's figure"
    shown = pd.DataFrame({
        "Claim": [_md(c) + _note(n) for c, n in zip(frame["claim"], frame["note"], strict=True)],
        figure: [_figure(v) for v in frame["published"]],
        "Ours": [_figure(v) for v in frame["ours"]],
        "Verdict": [badge(r.verdict, r.coverage) + _note(r.rule) for r in frame.itertuples()],
        "Source": [_md(v) for v in frame["source"]],
        "Chapter": list(frame["chapter"]),
    })  # fmt: skip
    if own:
        shown.insert(0, "Area", [_md(v) for v in frame["paper"]])
    return Table(shown, frozenset({figure, "Ours"}))


def boards(frame: pd.DataFrame) -> dict[str, Table]:
    """One :func:`board` per paper, in the frame's order."""
    return {str(paper): board(rows) for paper, rows in frame.groupby("paper", sort=False)}


def capped_board(frame: pd.DataFrame) -> Table:
    """The time-capped runs (:func:`capped_table`) as a page table for :func:`lib.tables.glue_table`."""
    shown = frame.map(_md).rename(columns=lambda c: c[:1].upper() + c[1:])
    numeric = frozenset({"Seed", "Wrong", "Accuracy"})
    for column in numeric & set(shown.columns):
        shown[column] = shown[column].str.replace(" ", "&nbsp;")  # "36 of 4,500" on one line
    return Table(shown, numeric)


# --------------------------------------------------------------------------- registries
def _s22(number: int, text: str) -> Claim:
    """One of the talk's six claims, judged by the named rule of the chapter's verdict table."""
    key = f"v{number}_outcome"
    return Claim("S22", text, "review_experiments", "confirmed", "word", "", glued("review_experiments", key), key=key)


# R23 trained and tested on measured NIST spectra; ours are simulated (of R23's molecules, or of our own set)
_R23_MEASURED = {"data": ("nist", "curated", "simulated")}
_S23_FULL = {"n_classes": 500, "downsample": 1}
_S23_SCALE = ("n_classes", "downsample", "max_epochs")
_S23_CHALLENGE_FULL = {"n_train": 50, "downsample": 1}


def _mean_std(value: tuple[float, float]) -> tuple[float, float]:
    mean, std = value
    return (round(mean - std, 4), round(mean + std, 4))


_S23_CNN6 = reference.S23_TEST_ERRORS["CNN6"]
_S23_RANGE = reference.S23_CNN6_TEST_ERROR_RANGE
_REDUCED_BEST = glued("synthetic_benchmark", "best_errors", full_scale=_S23_FULL, scale_params=_S23_SCALE)

# Registry of the four works' headline claims.
CLAIMS: tuple[Claim, ...] = (
    Claim("S23", "the benchmark's 34,500 spectra generated in under 15 s (S23: 30,000 spectra)", "synthetic_spectra",
          float(reference.S23_GENERATION_SECONDS), "at_most", "s", glued("synthetic_spectra", "gen_seconds"),
          key="gen_seconds"),
    Claim("S23", "CNN6 (S23's best network): wrong test spectra of 4,500, mean over seeds", "synthetic_benchmark",
          _S23_CNN6, "at_most", "errors", shipped("CNN6", "errors", reduced=_REDUCED_BEST),
          published_note=f"{_S23_RANGE[0]}–{_S23_RANGE[1]} over 5 seeds"),
    Claim("S23", "CNN2: wrong test spectra of 4,500, mean over seeds", "synthetic_benchmark",
          reference.S23_TEST_ERRORS["CNN2"], "at_most", "errors", shipped("CNN2", "errors"), published_note="5 seeds"),
    Claim("S23", "VGG: wrong test spectra of 4,500, mean over seeds", "synthetic_benchmark",
          reference.S23_TEST_ERRORS["VGG"], "at_most", "errors", shipped("VGG", "errors"), published_note="5 seeds"),
    Claim("S23", "every network at least 98.9 % accurate on the 4,500 test spectra (the worst network)",
          "synthetic_benchmark", reference.S23_MIN_TEST_ACCURACY, "at_least", "%", every_network,
          published_note="8 networks"),
    Claim("S23", "challenge set: CNN6 close to 90 % of 162 test spectra", "challenge_set",
          reference.S23_CHALLENGE_CNN6_ACCURACY, "at_least", "%",
          shipped("CNN6", "%", challenge=True, reduced=glued("challenge_set", "top_acc", full_scale=_S23_CHALLENGE_FULL,
                                                             scale_params=("n_train", "downsample", "max_epochs")))),
    Claim("R23", "proportions of the 17 groups within the tolerance of Table 1 (of 17 groups)", "fg_labelling",
          float(len(reference.R23_TABLE1)), "at_least", "groups", glued("fg_labelling", "n_within_tol"),
          key="n_within_tol"),
    Claim("R23", "macro-F1 over the 17 groups, measured spectra (Table 1)", "fg_benchmark", reference.r23_macro("f1"),
          "match", "F1", glued("fg_benchmark", "macro_best", not_at_scale=_R23_MEASURED, scale_params=("data",)),
          published_note="truncated means", key="macro_best"),
    Claim("R23", "molecular perfection, measured spectra (Table 2)", "fg_benchmark",
          _mean_std(reference.R23_MOLECULAR["perfection"]), "match", "F1",
          glued("fg_benchmark", "perf_best", not_at_scale=_R23_MEASURED, scale_params=("data",)),
          published_note="mean ± sd", key="perf_best"),
    Claim("R23", "molecular F1, measured spectra (Table 2)", "fg_benchmark",
          _mean_std(reference.R23_MOLECULAR["molecular F1"]), "match", "F1",
          glued("fg_benchmark", "molf1_best", not_at_scale=_R23_MEASURED, scale_params=("data",)),
          published_note="mean ± sd", key="molf1_best"),
    Claim("S22", "CNN accuracy on shifted single peaks (toy task)", "review_experiments", reference.S22_CNN_ACCURACY,
          "match", "%", glued("review_experiments", "cnn_acc"), tolerance=0.02, published_note="± 2 points",
          key="cnn_acc"),
    Claim("S22", "random forest accuracy on the same task", "review_experiments", reference.S22_RF_ACCURACY,
          "match", "%", glued("review_experiments", "rf_raw"), tolerance=0.02, published_note="± 2 points",
          key="rf_raw"),
    _s22(1, "a CNN beats a random forest on shifted peaks"),
    _s22(2, "max pooling the inputs helps the random forest"),
    _s22(3, "convolutions isolate the peak from background and noise"),
    _s22(4, "a single random ReLU filter is often blind"),
    _s22(5, "pooling loses positions near the class border (ResNet)"),
    _s22(6, "batch normalisation hurts on spectra"),
    Claim("V24", "triplet encoder + k-NN on the benchmark: Lite encoder, accuracy of 4,500", "metric_learning",
          reference.V24_ACCURACY[0], "at_least", "%", metric("main", "Lite"),
          published_note=f"± {100 * reference.V24_ACCURACY[1]:.2f}, 5 seeds"),
    Claim("V24", "classes unseen in training: Lite encoder, 20 references, accuracy of 900", "metric_learning",
          reference.V24_UNSEEN_ACCURACY, "at_least", "%", metric("unseen", "Lite")),
    Claim("V24", "challenge set: CNN-BN encoder (V24's network), accuracy of 162", "metric_learning",
          reference.V24_CHALLENGE_ACCURACY, "at_least", "%", metric("challenge", "CNN-BN")),
    *(
        Claim("V24", f"mixtures of {k} of the 100 held-out classes (V24's protocol): all {k} named",
              "metric_learning", reference.V24_MIXTURE_ACCURACY[k][-1], "at_least", "%", v24_mixtures(k),
              published_note="Table 1")
        for k in (2, 3, 4)
    ),
)  # fmt: skip

_LITE_MACS_SHARE = "a twelfth of CNN6's multiply-adds"

# Registry of the book's own claims beyond the papers, each with its own target.
BEYOND: tuple[Claim, ...] = (
    Claim("Functional groups", "networks trained on simulated spectra as good as R23's measured-trained ones on "
          "measured spectra: gap in ensemble micro-F1", "fg_benchmark", 0.0, "at_least", "gap",
          lambda ch: _vs_r23(ch), key="d_sim_micro_f1"),
    Claim("Functional groups", "the explanation (activation × weight) beats ranking by the spectrum itself, "
          "share of groups", "explainability", 0.5, "at_least", "%", lambda ch: _faithful(ch), key="beats_input",
          published_note="more than half"),
    Claim("Synthetic benchmark", f"Lite-fresh at {_LITE_MACS_SHARE}: wrong test spectra of 4,500 at most S23's CNN6",
          "synthetic_benchmark", float(reference.TARGET_BENCHMARK_ERRORS), "at_most", "errors",
          shipped("Lite", "errors", fresh=True), published_note=f"target; S23's CNN6 {_S23_CNN6}"),
    Claim("Synthetic benchmark", "challenge set: Lite-fresh at least 95 % of 162 (S23's CNN6 ≈ 90 %)", "challenge_set",
          reference.TARGET_CHALLENGE_ACCURACY, "at_least", "%", shipped("Lite", "%", challenge=True, fresh=True),
          published_note="target"),
    Claim("Metric learning", "mixtures of 3 over all 500 classes, V24's mixture-aware encoder, exact search: all 3 "
          "named, as often as V24 over 100", "metric_learning", reference.V24_MIXTURE_ACCURACY[3][-1], "at_least", "%",
          all_class_mixtures(3, "exact"), published_note="V24, 100 classes"),
    Claim("Metric learning", "mixtures of 4 over all 500 classes, V24's mixture-aware encoder, beam of 16: all 4 "
          "named, as often as V24 over 100", "metric_learning", reference.V24_MIXTURE_ACCURACY[4][-1], "at_least", "%",
          all_class_mixtures(4, "beam 16"), published_note="V24, 100 classes"),
)  # fmt: skip


_GAP = re.compile(r"^\s*([-+−]?[\d.]+)\s*\[\s*([-+−]?[\d.]+)\s*,\s*([-+−]?[\d.]+)\s*\]")


def _vs_r23(chapters: Mapping[str, tuple[dict, dict]]) -> Measure | None:
    """Micro-F1 of the simulation-trained ensemble minus R23's on the measured spectra, with the chapter's
    bootstrap interval (glued as ``d_sim_micro_f1``: ``"+0.01 [-0.02, +0.04], not resolved"``)."""
    values, _ = chapters.get("fg_benchmark", ({}, {}))
    match = _GAP.match(str(values.get("d_sim_micro_f1", "")).replace("−", "-"))
    if match is None:
        return None
    gap, lo, hi = (float(g) for g in match.groups())
    n = values.get("n_real_all")
    status = values.get("sim_status", "development: chosen while looking at these spectra")
    return Measure(gap, ci=(lo, hi), source=f"the chapter's run, {n} measured spectra" if n else "the chapter's run",
                   note=f"bootstrap 95 % interval over skeletons; sim ensemble: {status}")  # fmt: skip


def _faithful(chapters: Mapping[str, tuple[dict, dict]]) -> Measure | None:
    values, _ = chapters.get("explainability", ({}, {}))
    wins, groups = values.get("beats_input"), values.get("faith_groups")
    if wins is None or not groups:
        return None
    return Measure(int(wins) / int(groups), count=int(wins), trials=int(groups),
                   source=f"the chapter's run, {groups} groups", note=f"{wins} of {groups} groups")  # fmt: skip
