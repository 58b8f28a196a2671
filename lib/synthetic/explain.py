"""Do attribution methods point at the peaks that decide a class? Measured on S23's synthetic spectra.

On the functional-group data nobody knows which points *should* matter. On the universal
synthetic spectra (:mod:`lib.synthetic.generator`) we do: a class is a list of peaks, and a spectrum of it
has those peaks at known (shifted) positions. So we train R23's FGA net (:class:`lib.models.fga.FGANet`,
the architecture whose activation × weight R23 read) as a softmax classifier on a few classes
(:func:`train_fga`, one :func:`lib.train.fit` run on a :class:`lib.synthetic.benchmark_runs.Study`, with fresh
random variations every epoch), explain each test spectrum's class with every method of
:data:`lib.ir.explain.METHODS`, and count how often the most relevant points lie on the class's peaks
(:func:`pointing_study`).

**Which peaks decide.** A peak of class ``c`` is *distinctive* (:func:`distinctive_peaks`) when no
peak of another class in the study lies within ``reach`` points of it; with ``reach`` twice the
training shift (S23: ±50 points) no training spectrum of another class can put a peak where this one
may be. Distinctive peaks are enough to tell the class from the others; shared peaks are not. We
score both "on a distinctive peak" and "on any of the class's own peaks".

**On a peak.** Input point ``j`` (after averaging every ``downsample`` points) lies on a peak at
full-resolution position ``p`` of *this* spectrum when its block of original points comes within
``tolerance`` points of ``p`` (:func:`peak_windows`). Per spectrum and method (:func:`pointing_scores`):
``hit_at_1`` (the single most relevant point lies on such a peak: the "pointing game"),
``precision_at_k`` (share of the ``k`` most relevant points that do), ``peaks_found`` (share of the
peaks with at least one of the ``k`` points on them) and ``chance`` (share of all points on a peak:
what a random ranking gets for ``precision_at_k`` on average).

**Sanity checks.** Spectra here are zero away from their peaks, and methods that compare with
a zero baseline (Integrated Gradients, occlusion) can give relevance only where the input is not
zero: they land on *some* peak whatever the network learned. Two references separate that from
knowledge of the model: the ``input`` baseline (:data:`lib.ir.explain.BASELINES`: rank points by the
spectrum itself) and the same methods on an *untrained* net (:func:`untrained_fga`; the model
randomisation test of Adebayo et al. 2018, "Sanity checks for saliency maps"). What a method knows
about the model is how much it beats both on the *distinctive* peaks.

**Which score.** The explained score is the *centred* logit of the spectrum's class
(:func:`lib.ir.explain.centred_copy`): softmax ignores a constant added to every logit, so only
``z_c − mean_k z_k`` is determined by what separates the class from the others. Relevance is ranked
most positive first (evidence *for* the class), ties broken at random.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from lib.ir.explain.attribution import BASELINES, METHODS, centred_copy, method_kwargs, relevance
from lib.ir.explain.faithfulness import ranking
from lib.models.fga import FGANet
from lib.synthetic import benchmark_runs as br
from lib.synthetic import generator as synthetic
from lib.train import R23, FitResult, TrainConfig, fit

Windows = list[list[tuple[int, int]]]


def distinctive_peaks(classes: synthetic.ClassSet, reach: int = 100) -> list[np.ndarray]:
    """Per class, a boolean mask over its peaks: no peak of another class within ``reach`` points."""
    out = []
    for c in range(len(classes)):
        pos, _ = classes.peaks(c)
        others = [classes.peaks(k)[0] for k in range(len(classes)) if k != c]
        other = np.concatenate(others) if others else np.zeros(0, dtype=int)
        near = np.abs(pos[:, None] - other[None, :]) <= reach if other.size else np.zeros((len(pos), 0), bool)
        out.append(~near.any(axis=1))
    return out


def peak_windows(
    peaks: synthetic.Peaks,
    keep: Sequence[np.ndarray] | None,
    tolerance: int,
    downsample: int,
    input_len: int,
) -> Windows:
    """Per spectrum, the half-open ranges of input points (after down-sampling) that lie on its kept peaks.

    ``keep[c]`` masks the peaks of class ``c`` (in class-definition order, as the peak tables keep
    them); ``None`` keeps all. Peaks of height 0 in that spectrum (a minor peak varied to nothing)
    are left out. Point ``j`` averages original points ``j·d … j·d + d − 1`` and lies on a peak at
    ``p`` when that block meets ``[p − tolerance, p + tolerance]``.
    """
    out: Windows = []
    for i, label in enumerate(peaks.labels):
        rows = []
        for j, (p, h) in enumerate(zip(peaks.positions[i], peaks.heights[i], strict=True)):
            if p < 0 or h <= 0 or (keep is not None and not keep[int(label)][j]):
                continue
            lo, hi = max(0, (int(p) - tolerance) // downsample), min(input_len, (int(p) + tolerance) // downsample + 1)
            if lo < hi:
                rows.append((lo, hi))
        out.append(rows)
    return out


def window_mask(windows: Windows, input_len: int) -> np.ndarray:
    """Boolean ``(N, input_len)``: the points inside any window of each spectrum."""
    mask = np.zeros((len(windows), input_len), dtype=bool)
    for i, rows in enumerate(windows):
        for lo, hi in rows:
            mask[i, lo:hi] = True
    return mask


def pointing_scores(rel: np.ndarray, windows: Windows, k: int = 5, seed: int = 0) -> pd.DataFrame:
    """Per spectrum: ``hit_at_1``, ``precision_at_k``, ``peaks_found``, ``chance``, ``n_peaks`` (module docstring).

    Spectra without a window get NaN scores (and ``n_peaks`` 0).
    """
    rel = np.asarray(rel, dtype=float)
    n, p = rel.shape
    order = ranking(rel, seed)[:, : min(k, p)]
    mask = window_mask(windows, p)
    rows = []
    for i in range(n):
        if not windows[i]:
            rows.append({"hit_at_1": np.nan, "precision_at_k": np.nan, "peaks_found": np.nan, "chance": np.nan,
                         "n_peaks": 0})  # fmt: skip
            continue
        top = order[i]
        found = [bool(((top >= lo) & (top < hi)).any()) for lo, hi in windows[i]]
        rows.append({"hit_at_1": float(mask[i, top[0]]), "precision_at_k": float(mask[i, top].mean()),
                     "peaks_found": float(np.mean(found)), "chance": float(mask[i].mean()),
                     "n_peaks": len(windows[i])})  # fmt: skip
    return pd.DataFrame(rows)


def study_data(
    study: br.Study, classes: synthetic.ClassSet
) -> tuple[dict[str, np.ndarray], dict[str, synthetic.Peaks]]:
    """The study's spectra (as :meth:`lib.synthetic.benchmark_runs.Study.dataset`) and the peak tables behind them."""
    peaks = study.peaks(classes)
    data = synthetic.dataset_from_peaks(peaks, classes.datapoints)
    data = {k: br.prepare(v, study.downsample) if k.startswith("x_") else v for k, v in data.items()}
    return data, peaks


def train_fga(
    study: br.Study,
    classes: synthetic.ClassSet,
    seed: int = 0,
    max_epochs: int = 60,
    config: TrainConfig | None = None,
    data: dict[str, np.ndarray] | None = None,
) -> FitResult:
    """R23's FGA net as a softmax classifier of the study's classes (cross-entropy, R23's Adam and
    early stopping with patience 10, at most ``max_epochs``), on fresh random training spectra every
    epoch (:func:`lib.synthetic.benchmark_runs.fresh_variations`), validated on the study's validation spectra."""
    data = data if data is not None else study.dataset(classes)
    config = config or replace(R23, patience=10)
    config = replace(config, max_epochs=max_epochs)
    n_in, n_classes = data["x_train"].shape[1], len(study.labels)
    return fit(
        lambda: FGANet(input_len=n_in, n_groups=n_classes),
        br.fresh_variations(study, classes),
        (data["x_val"], data["y_val"]),
        config,
        seed=seed,
        device="cpu",
        progress=False,
        desc=f"FGA net, seed {seed}",
    )


def untrained_fga(input_len: int, n_classes: int, seed: int = 0) -> FGANet:
    """A freshly initialised FGA net (seeded; BatchNorm at its initial statistics), in eval mode."""
    import torch

    torch.manual_seed(seed)
    return FGANet(input_len=input_len, n_groups=n_classes).eval()


def pointing_study(
    model: FGANet,
    x: np.ndarray,
    y: np.ndarray,
    windows: dict[str, Windows],
    methods: Sequence[str] = METHODS + BASELINES,
    k: int = 5,
    ig_steps: int = 32,
    seed: int = 0,
) -> pd.DataFrame:
    """Every method on every spectrum, scored against each set of ``windows`` (e.g. ``{"distinctive": …,
    "own": …}``). Long table: ``spectrum``, ``label``, ``method``, ``peaks`` (the key of ``windows``) and
    the columns of :func:`pointing_scores`. The score explained is the centred logit of the label."""
    centred = centred_copy(model)
    x, y = np.asarray(x, dtype=float), np.asarray(y)
    frames = []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        for method in methods:
            kwargs = method_kwargs(centred, method, ig_steps, 0.0, seed + int(label))
            rel = relevance(centred, x[idx], int(label), method, **kwargs)
            for name, win in windows.items():
                scores = pointing_scores(rel, [win[i] for i in idx], k, seed)
                frames.append(scores.assign(spectrum=idx, label=int(label), method=method, peaks=name))
    cols = ["spectrum", "label", "method", "peaks", "hit_at_1", "precision_at_k", "peaks_found", "chance", "n_peaks"]
    return pd.concat(frames, ignore_index=True)[cols]


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean scores per peak set and method (spectra without peaks of that set left out), with ``n``."""
    valid = table[table["n_peaks"] > 0]
    agg = valid.groupby(["peaks", "method"])[["hit_at_1", "precision_at_k", "peaks_found", "chance"]].mean()
    agg["n"] = valid.groupby(["peaks", "method"]).size()
    return agg


@dataclass
class PointingRuns:
    """Pointing scores of trained and untrained nets over seeds and tolerances.

    ``table``: :func:`pointing_study` rows with ``model`` (``trained``/``untrained``), ``model_seed`` and
    ``tolerance``; ``accuracy``: test accuracy of each trained net; ``models``: the trained nets.
    """

    table: pd.DataFrame
    accuracy: list[float]
    models: list[FGANet]

    def precision(self, tolerance: int, score: str = "precision_at_k") -> pd.DataFrame:
        """Mean ``score`` over spectra with peaks: rows (model, peaks), columns the methods."""
        valid = self.table[(self.table["n_peaks"] > 0) & (self.table["tolerance"] == tolerance)]
        return valid.groupby(["model", "peaks", "method"])[score].mean().unstack("method")

    def chance(self, tolerance: int, peaks: str = "distinctive") -> float:
        """Mean chance precision (share of points on the peaks) of the trained nets' rows."""
        t = self.table
        rows = t[(t["n_peaks"] > 0) & (t["tolerance"] == tolerance) & (t["model"] == "trained") & (t["peaks"] == peaks)]
        return float(rows["chance"].mean())


def pointing_runs(
    study: br.Study,
    classes: synthetic.ClassSet,
    data: dict,
    windows: dict[int, dict[str, Windows]],
    seeds: Sequence[int],
    max_epochs: int,
    k: int = 5,
    ig_steps: int = 32,
    seed: int = 0,
) -> PointingRuns:
    """Train an FGA net per seed on ``data`` (:func:`study_data`) and score every method on it and on an
    untrained net of the same seed, for each tolerance of ``windows`` (tolerance → peak set → windows)."""
    from lib.models.fga import predict_proba

    tables, accuracy, models = [], [], []
    n_in = data["x_test"].shape[1]
    for s in seeds:
        result = train_fga(study, classes, s, max_epochs, data=data)
        accuracy.append(float((predict_proba(result.model, data["x_test"]).argmax(axis=1) == data["y_test"]).mean()))
        models.append(result.model)
        for kind, net in (("trained", result.model), ("untrained", untrained_fga(n_in, len(study.labels), s))):
            for tol, win in windows.items():
                table = pointing_study(net, data["x_test"], data["y_test"], win, k=k, ig_steps=ig_steps, seed=seed)
                tables.append(table.assign(model=kind, model_seed=s, tolerance=tol))
    return PointingRuns(pd.concat(tables, ignore_index=True), accuracy, models)


def relevance_figure(
    model: FGANet,
    spectrum: np.ndarray,
    label: int,
    positions: np.ndarray,
    heights: np.ndarray,
    distinctive: np.ndarray,
    downsample: int,
    k: int = 5,
    ig_steps: int = 32,
    seed: int = 0,
    methods: Sequence[str] = METHODS + BASELINES,
):
    """One test spectrum (top; dotted: its peaks, green distinctive, red shared) and below it the
    relevance of every method for its class's centred logit, scaled to a maximum of 1 (black: top ``k``)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from lib.notebook import PALETTE

    centred = centred_copy(model)
    x0 = np.asarray(spectrum, dtype=float)[None]
    n_in = x0.shape[1]
    points = np.arange(n_in) * downsample + (downsample - 1) / 2
    fig = make_subplots(rows=len(methods) + 1, cols=1, shared_xaxes=True, vertical_spacing=0.03,
                        subplot_titles=[f"test spectrum (class {label}); green: distinctive peaks, red: shared"]
                        + list(methods))  # fmt: skip
    fig.add_trace(go.Scatter(x=points, y=x0[0], line={"color": "black", "width": 1}, showlegend=False), 1, 1)
    for j, (p, h) in enumerate(zip(positions, heights, strict=True)):  # tables are padded with p = -1
        if p >= 0 and h > 0:
            colour = "#2ca02c" if distinctive[j] else "#d62728"
            fig.add_vline(x=int(p), line_dash="dot", line_color=colour, row=1, col=1)
    for j, method in enumerate(methods):
        rel = relevance(centred, x0, label, method, **method_kwargs(centred, method, ig_steps, 0.0, seed))[0]
        rel = rel / (np.abs(rel).max() or 1.0)
        top = ranking(rel[None], seed)[0, :k]
        fig.add_trace(go.Scatter(x=points, y=rel, line={"color": PALETTE[j % len(PALETTE)], "width": 1},
                                 showlegend=False), j + 2, 1)  # fmt: skip
        fig.add_trace(go.Scatter(x=points[top], y=rel[top], mode="markers", marker={"color": "black", "size": 6},
                                 showlegend=False), j + 2, 1)  # fmt: skip
    fig.update_xaxes(title_text="position (original points)", row=len(methods) + 1, col=1)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(height=150 * (len(methods) + 1), title=f"Relevance per method for a trained net (black: top {k})")
    return fig
