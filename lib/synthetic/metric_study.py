"""The experiments of the chapter *Learning a metric* (V24) and the tables and sentences it reports.

The building blocks (encoder, triplet loss, k-NN, mixtures, beam search) live in
:mod:`lib.synthetic.metric_learning`; this module runs them the way the chapter does and turns
the results into tables and short sentences whose wording follows from the numbers:

* :class:`Trainer` trains (or reloads) encoders with one set of settings and scores them by k-NN;
  :func:`fraction_study`, :func:`unseen_study`, :func:`mixture_study` are the chapter's experiments.
* :func:`hard_classes`, :func:`hard_enrichment`: S23's hard classes and how strongly a class subset
  is enriched in them.
* Named rules: :data:`SEPARATED_AUC` (:func:`separation_sentence`), :data:`HARD_KIND`
  (:func:`challenge_sentence`), the member-sum test of :func:`additive`.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from torch import nn

from lib import reference
from lib import train as tr
from lib.notebook import count, join_and, pct
from lib.synthetic import benchmark_runs as br
from lib.synthetic import generator as synthetic
from lib.synthetic import metric_learning as metric

#: A distance distribution "barely overlaps" when a random different-class pair is farther apart than a
#: random same-class pair with probability at least this (ROC AUC).
SEPARATED_AUC = 0.999
#: A kind of challenge triplet counts as hard when its test accuracy is below this.
HARD_KIND = 0.75
#: The three kinds of challenge triplets, nine classes each, in class order.
CHALLENGE_KINDS = ("minor peak", "peak position", "peak height")


def settings_tag(settings: Mapping) -> str:
    """Ten hex digits that identify a set of settings (the name of its cache folder)."""
    return hashlib.sha1(json.dumps(dict(settings), sort_keys=True).encode()).hexdigest()[:10]


# --------------------------------------------------------------------------- S23's hard classes
def hard_classes(rules: synthetic.TestRules = synthetic.BENCHMARK_RULES) -> list[int]:
    """S23's hard classes: the members of its three hard pairs, then the classes with test-rule exceptions."""
    pairs = [c for pair in reference.S23_HARD_PAIRS.values() for c in pair]
    return list(dict.fromkeys(pairs + sorted({*rules.shift_exceptions, *rules.height_exceptions})))


def hard_enrichment(labels: Sequence[int], n_total: int, hard: Sequence[int]) -> dict[str, float]:
    """How many of the ``hard`` classes a subset ``labels`` of ``n_total`` classes holds, against the full set.

    ``factor``: the share of hard classes in the subset divided by their share in the full set.
    """
    hard_all = {int(c) for c in hard if 0 <= c < n_total}
    n_in = len(hard_all & {int(c) for c in labels})
    share, share_full = n_in / len(labels), len(hard_all) / n_total
    return {
        "hard_in_subset": n_in,
        "n_subset": len(labels),
        "hard_in_full": len(hard_all),
        "n_full": n_total,
        "share_subset": share,
        "share_full": share_full,
        "factor": share / share_full if share_full else math.nan,
    }


# --------------------------------------------------------------------------- splits
def keep_per_class(y: np.ndarray, n: int) -> np.ndarray:
    """Indices of the first ``n`` samples of every class, in their original order."""
    y = np.asarray(y)
    rank = np.zeros(len(y), dtype=int)
    for c in np.unique(y):
        rank[y == c] = np.arange((y == c).sum())
    return np.flatnonzero(rank < n)


def relabel(split: Mapping[str, np.ndarray], keep: Sequence[int]) -> dict[str, np.ndarray]:
    """The rows of the classes ``keep`` of a train/val/test split, relabelled ``0 … len(keep) − 1`` in that order."""
    new = {int(c): i for i, c in enumerate(keep)}
    out = {}
    for part in ("train", "val", "test"):
        rows = np.isin(split[f"y_{part}"], list(new))
        out[f"x_{part}"] = split[f"x_{part}"][rows]
        out[f"y_{part}"] = np.array([new[int(c)] for c in split[f"y_{part}"][rows]], dtype=np.int64)
    return out


def split_seen(n_classes: int, seen_share: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A random ``seen_share`` of ``0 … n_classes − 1`` (trained on) and the rest (unseen)."""
    if not 0 < seen_share < 1:
        raise ValueError(f"seen_share must lie in (0, 1), got {seen_share!r}")
    order = np.random.default_rng([seed, 11]).permutation(n_classes)
    n_seen = int(round(seen_share * n_classes))
    if not 0 < n_seen < n_classes:
        raise ValueError(f"seen_share={seen_share} of {n_classes} classes leaves no seen or no unseen class")
    return order[:n_seen], order[n_seen:]


def group_size(y_train: np.ndarray, per_class: int, batch_size: int) -> int:
    """Spectra per class in a batch: at most ``per_class`` and the rarest class's count, dividing ``batch_size``."""
    fewest = int(np.bincount(np.asarray(y_train)).min())
    return max(g for g in range(1, max(1, min(per_class, fewest)) + 1) if batch_size % g == 0)


# --------------------------------------------------------------------------- training and scoring
@dataclass(frozen=True)
class Trainer:
    """One set of encoder settings: trains encoders into ``folder`` (reloading finished ones) and scores them."""

    config: tr.TrainConfig
    folder: str | Path
    dim: int = 64
    margin: float = 0.2
    mining: str = "batch-hard"
    per_class: int = 8
    seed: int = 0
    device: str = "auto"
    bn_momentum: float | None = None
    ks: tuple[int, ...] = (1, 3, 5, 7, 9)

    def fit(
        self,
        name: str,
        split: Mapping[str, np.ndarray],
        epochs: int | None = None,
        patience: int | None = None,
        train_data: Callable | None = None,
        **encoder,
    ) -> tuple[tr.FitResult, float]:
        """Train the encoder ``name`` on ``split`` (or load it); the result on the CPU in eval mode, and seconds."""
        cfg = replace(
            self.config, max_epochs=epochs or self.config.max_epochs, patience=patience or self.config.patience
        )
        start = time.perf_counter()
        result = metric.train_encoder(
            dict(split),
            cfg,
            dim=self.dim,
            margin=self.margin,
            mining=self.mining,
            per_class=group_size(split["y_train"], self.per_class, cfg.batch_size),
            seed=self.seed,
            device=self.device,
            train_data=train_data,
            checkpoint=f"{self.folder}/{name}",
            bn_momentum=self.bn_momentum,
            **encoder,
        )
        result.model.cpu().eval()
        return result, time.perf_counter() - start

    def knn(self, model: nn.Module, split: Mapping[str, np.ndarray], refs: int) -> dict:
        """k-NN on ``split``: ``refs`` training spectra per class as references, ``k`` chosen on its validation set."""
        idx = metric.select_references(split["y_train"], refs, self.seed)
        return metric.evaluate_knn(
            model,
            (split["x_train"][idx], split["y_train"][idx]),
            (split["x_val"], split["y_val"]),
            (split["x_test"], split["y_test"]),
            self.ks,
        )


@dataclass
class FractionStudy:
    """Encoders trained on shares of the training set: one table row per share, the full run kept."""

    table: pd.DataFrame
    fits: dict[str, tr.FitResult]
    main: tr.FitResult
    main_eval: dict


def fraction_study(
    trainer: Trainer, data: Mapping[str, np.ndarray], fractions: Sequence[float], refs_per_class: int
) -> FractionStudy:
    """Train on the first share of every class's training spectra (``fractions``; must hold 1.0).

    A reduced set trains for proportionally more epochs (and patience), so every run may take the same
    number of mini-batch steps; references come from the run's own training spectra.
    """
    if 1.0 not in fractions:
        raise ValueError(f"fractions must contain 1.0 (the main run), got {list(fractions)}")
    n_full = int(np.bincount(data["y_train"]).min())
    cfg = trainer.config
    rows, fits, main = [], {}, None
    for fraction in fractions:
        n_keep = max(2, round(fraction * n_full))
        idx = keep_per_class(data["y_train"], n_keep)
        split = {**data, "x_train": data["x_train"][idx], "y_train": data["y_train"][idx]}
        scale = n_full / n_keep
        patience = math.ceil(cfg.patience * scale) if cfg.patience else None
        res, seconds = trainer.fit(f"fraction{fraction:g}", split, math.ceil(cfg.max_epochs * scale), patience)
        ev = trainer.knn(res.model, split, refs_per_class)
        name = f"{100 * fraction:g} % of the training set"
        fits[name] = res
        rows.append(
            {"run": name, "fraction": fraction, "train spectra per class": n_keep,
             "references per class": min(refs_per_class, n_keep), "k": ev["k"], "epochs": res.epochs,
             "best epoch": res.best_epoch, "test errors": ev["n_wrong"], "n test": ev["n"], "accuracy": ev["accuracy"],
             "V24": reference.V24_FRACTION_ACCURACY.get(fraction, (math.nan,))[0], "seconds": seconds}
        )  # fmt: skip
        if fraction == 1.0:
            main = (res, ev)
    return FractionStudy(pd.DataFrame(rows).set_index("run"), fits, main[0], main[1])


def fraction_sentence(table: pd.DataFrame) -> str:
    """The reduced training sets' accuracies beside V24's, one clause each."""
    reduced = table[table["fraction"] < 1]
    if reduced.empty:
        return "No reduced training set was run."
    return (
        "With "
        + ", ".join(
            f"{100 * r.fraction:g} % of the training set {pct(r.accuracy)}"
            + ("" if math.isnan(r.V24) else f" (V24 {pct(r.V24)})")
            for r in reduced.itertuples()
        )
        + "."
    )


# --------------------------------------------------------------------------- errors and distances
def confusion_pairs(
    classes: synthetic.ClassSet, labels: Sequence[int], y_true: np.ndarray, pred: np.ndarray
) -> pd.DataFrame:
    """Wrongly classified test spectra by (true, predicted) benchmark class, with S23's cause of the confusion."""
    labels, y_true, pred = np.asarray(labels), np.asarray(y_true), np.asarray(pred)
    wrong = np.flatnonzero(pred != y_true)
    columns = ["true", "predicted", "test spectra", "cause"]
    if not len(wrong):
        return pd.DataFrame(columns=columns)
    confused = pd.DataFrame({"true": labels[y_true[wrong]], "predicted": labels[pred[wrong]]})
    pairs = confused.value_counts().rename("test spectra").reset_index()
    pairs["cause"] = [
        br.pair_cause(classes, int(a), int(b))["cause"] for a, b in zip(pairs["true"], pairs["predicted"], strict=True)
    ]
    return pairs[columns]


def confusion_sentence(pairs: pd.DataFrame) -> str:
    """How many test spectra went wrong, in how many class pairs, by cause."""
    if pairs.empty:
        return "The main run classifies every test spectrum correctly."
    causes = pairs.groupby("cause")["test spectra"].sum().sort_values(ascending=False)
    return (
        f"{count(int(pairs['test spectra'].sum()), 'wrong test spectrum', 'wrong test spectra')} in "
        f"{count(len(pairs), 'class pair')}; causes: " + ", ".join(f"{c} ({n})" for c, n in causes.items()) + "."
    )


def distance_stats(pos: np.ndarray, neg: np.ndarray) -> dict[str, float]:
    """Summary of same-class (``pos``) and different-class (``neg``) pair distances, with the ROC AUC."""
    pos, neg = np.asarray(pos, dtype=float), np.asarray(neg, dtype=float)
    auc = roc_auc_score(np.r_[np.ones(len(pos)), np.zeros(len(neg))], -np.r_[pos, neg])
    return {
        "n_pos": len(pos),
        "n_neg": len(neg),
        "pos_median": float(np.median(pos)),
        "pos_p95": float(np.percentile(pos, 95)),
        "neg_median": float(np.median(neg)),
        "neg_p5": float(np.percentile(neg, 5)),
        "auc": float(auc),
        "overlap": float((neg < pos.max()).mean()),
    }


def separation_sentence(stats: Mapping[str, float], threshold: float = SEPARATED_AUC) -> str:
    """Whether the two distance distributions barely overlap (AUC at least ``threshold``) or overlap."""
    if stats["auc"] >= threshold:
        return f"The two distributions barely overlap (AUC at least {threshold:g})."
    return (
        f"The two distributions overlap: the AUC is below {threshold:g}, the level at which we would call them "
        "barely overlapping."
    )


# --------------------------------------------------------------------------- unseen classes
@dataclass
class UnseenStudy:
    """An encoder trained on the seen classes, scored on the unseen ones with several reference counts."""

    table: pd.DataFrame
    seen: np.ndarray
    unseen: np.ndarray
    seen_eval: dict
    unseen_eval: dict
    seconds: float


def unseen_study(
    trainer: Trainer,
    data: Mapping[str, np.ndarray],
    seen_share: float,
    unseen_refs: Sequence[int],
    refs_per_class: int,
) -> UnseenStudy:
    """Train on ``seen_share`` of the classes; classify the others among themselves with each of ``unseen_refs``.

    The unseen classes' references come from their training split and ``k`` from their validation split.
    """
    n_classes = int(np.asarray(data["y_train"]).max()) + 1
    seen, unseen = split_seen(n_classes, seen_share, trainer.seed)
    seen_data, unseen_data = relabel(data, seen), relabel(data, unseen)
    res, seconds = trainer.fit("seen", seen_data)
    rows, last = [], None
    for refs in sorted(unseen_refs):
        last = trainer.knn(res.model, unseen_data, refs)
        rows.append({"references per class": refs, "k": last["k"], "test errors": last["n_wrong"],
                     "accuracy": last["accuracy"]})  # fmt: skip
    table = pd.DataFrame(rows).set_index("references per class")
    return UnseenStudy(table, seen, unseen, trainer.knn(res.model, seen_data, refs_per_class), last, seconds)


def unseen_compared_at(refs: Sequence[int], max_refs: int = reference.TARGET_UNSEEN_MAX_REFS) -> int:
    """The reference count compared with the target: the largest at most ``max_refs``, else the smallest."""
    within = [r for r in refs if r <= max_refs]
    return max(within) if within else min(refs)


# --------------------------------------------------------------------------- challenge set
def challenge_by_kind(y_true: np.ndarray, pred: np.ndarray, per_kind: int = 9) -> pd.Series:
    """Test accuracy per kind of challenge triplet (classes ``0 … 8``, ``9 … 17``, ``18 … 26``), in class order."""
    y_true = np.asarray(y_true)
    kinds = np.array(CHALLENGE_KINDS)[y_true // per_kind]
    acc = pd.Series(np.asarray(pred) == y_true).groupby(kinds).mean()
    return acc.reindex([k for k in CHALLENGE_KINDS if k in acc.index]).rename("accuracy")


def challenge_sentence(by_kind: pd.Series, threshold: float = HARD_KIND) -> str:
    """Which kinds of triplet this run finds hard (accuracy below ``threshold``), from the hardest on."""
    ranked = by_kind.sort_values()
    hard, easy = ranked[ranked < threshold], ranked[ranked >= threshold]

    def kinds(series: pd.Series) -> str:
        return join_and([f"a {k} ({pct(a, 1)})" for k, a in series.items()])

    if hard.empty:
        return f"In this run every kind of triplet reaches at least {pct(threshold, 0)}: {kinds(easy)}."
    text = f"In this run the triplets that differ by {kinds(hard)} are hard (below {pct(threshold, 0)}, hardest first)"
    if len(easy):
        text += f"; those that differ by {kinds(easy)} reach at least {pct(threshold, 0)}"
    return text + "."


# --------------------------------------------------------------------------- mixtures
def beam_extensions(n: int, k: int, width: int) -> int:
    """Extensions a beam search of ``width`` scores per mixture: at step ``t``, ``min(width, C(n, t))`` sets × ``n``."""
    return sum(min(width, math.comb(n, t)) * n for t in range(k))


def search_methods(n_pool: int, ks: Sequence[int], beam: int, max_combinations: int) -> dict[int, str]:
    """The method reported per number of components: ``"exact"`` where ``C(n, k)`` fits, else the beam."""
    return {k: "exact" if math.comb(n_pool, k) <= max_combinations else f"beam {beam}" for k in ks}


@dataclass
class MixtureStudy:
    """Component accuracies (long table), search costs, and the member-sum check per encoder and ``k``."""

    accuracy: pd.DataFrame
    search: pd.DataFrame
    check: pd.DataFrame
    sums: dict = field(repr=False)


def mixture_study(
    encoders: Mapping[str, nn.Module],
    references: tuple[np.ndarray, np.ndarray],
    n_classes: int,
    mixtures: Mapping[int, metric.Mixtures],
    pool: np.ndarray,
    beam: int,
    max_combinations: int,
    seed: int = 0,
) -> MixtureStudy:
    """Embed the mixtures with every encoder, check additivity and classify them exactly, by beam and greedily.

    ``references``: reference spectra and labels ``0 … n_classes − 1``; class centroids are restricted to
    ``pool`` (the classes the mixtures are drawn from), and predictions are mapped back through it.
    """
    acc_rows, search_rows, check_rows, sums = [], [], [], {}
    for enc_name, model in encoders.items():
        cents = metric.centroids(metric.embed(model, references[0]), references[1], n_classes)[pool]
        for k, mixes in mixtures.items():
            mix_emb = metric.embed(model, mixes.x)
            n, _, length = mixes.components.shape
            member_emb = metric.embed(model, mixes.components.reshape(-1, length)).reshape(n, k, -1)
            sc = sums[enc_name, k] = metric.sum_consistency(member_emb, mix_emb, seed)
            check_rows.append(
                {"encoder": enc_name, "components": k, "sum: mean": sc["sum"].mean(),
                 "sum: 5th percentile": np.percentile(sc["sum"], 5), "closest member: mean": sc["best_member"].mean(),
                 "other mixture: mean": sc["other"].mean()}
            )  # fmt: skip
            size = math.comb(len(pool), k)
            methods = {}
            if size <= max_combinations:
                t0 = time.perf_counter()
                exact = metric.nearest_combination(mix_emb, cents, k, max_combinations=max_combinations)[0]
                methods["exact"] = (exact, time.perf_counter() - t0, size)
            for name, width in [(f"beam {beam}", beam), ("greedy", 1)]:
                t0 = time.perf_counter()
                pred = metric.beam_search(mix_emb, cents, k, beam=width)[0]
                methods[name] = (pred, time.perf_counter() - t0, beam_extensions(len(pool), k, width))
            exact = methods["exact"][0] if "exact" in methods else None
            for name, (pred, seconds, cost) in methods.items():
                acc = metric.component_accuracy(pool[pred], mixes.members)
                acc_rows += [
                    {"encoder": enc_name, "components": k, "method": name, "at least j right": j, "accuracy": a}
                    for j, a in enumerate(acc, 1)
                ]
                search_rows.append(
                    {"encoder": enc_name, "components": k, "method": name, "combinations scored per mixture": cost,
                     "all members right": acc[-1],
                     "same answer as exact": math.nan if exact is None else float((pred == exact).all(axis=1).mean()),
                     "seconds": seconds}
                )  # fmt: skip
    check = pd.DataFrame(check_rows).set_index(["encoder", "components"])
    return MixtureStudy(pd.DataFrame(acc_rows), pd.DataFrame(search_rows), check, sums)


def additive(check: pd.DataFrame) -> dict[str, bool]:
    """Per encoder: is the normalised member sum closer (mean cosine) than the closest member at every ``k``?"""
    ok = check["sum: mean"] > check["closest member: mean"]
    return {str(e): bool(v) for e, v in ok.groupby(level="encoder", sort=False).all().items()}


def additivity_sentence(check: pd.DataFrame) -> str:
    """What the member-sum check shows per encoder, from :func:`additive`."""
    result = additive(check)
    yes = [e for e, ok in result.items() if ok]
    no = [e for e, ok in result.items() if not ok]
    parts = []
    if yes:
        parts.append(
            f"For {join_and(['the ' + e for e in yes])} the normalised member sum lies closer to the mixture "
            "on average than the closest single member at every number of components, which is what a "
            "nearest-combination classifier needs"
        )
    for e in no:
        ks = [
            k for k in check.loc[e].index if check.loc[(e, k), "sum: mean"] <= check.loc[(e, k), "closest member: mean"]
        ]
        parts.append(
            f"for the {e} the closest single member is on average at least as close as the member sum with "
            + join_and([str(k) for k in ks])
            + " components"
        )
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def table1(accuracy: pd.DataFrame, encoders: Sequence[str], methods: Mapping[int, str]) -> pd.DataFrame:
    """V24 Table 1 beside ours: rows ``at least j right``, columns ``(k components, V24 | encoder)``."""
    cols = {}
    for k, method in methods.items():
        cols[(f"{k} components", "V24")] = pd.Series(
            reference.V24_MIXTURE_ACCURACY.get(k, (math.nan,) * k), index=range(1, k + 1)
        )
        for e in encoders:
            sel = accuracy[(accuracy["encoder"] == e) & (accuracy["components"] == k) & (accuracy["method"] == method)]
            cols[(f"{k} components", e)] = sel.set_index("at least j right")["accuracy"]
    out = pd.DataFrame(cols)
    out.index.name = "at least j right"
    return out


def mixture_sentence(table: pd.DataFrame, k: int) -> str:
    """Shares of ``k``-component mixtures with at least 1, 2, … members right, ours and V24's."""
    block = table[f"{k} components"]
    ours = [c for c in block.columns if c != "V24"]

    def row(col: str) -> str:
        return " / ".join(pct(a, 1) for a in block[col].dropna())

    return (
        f"With {k} components, "
        + "; ".join(f"{c}: {row(c)}" for c in ours)
        + f" (V24: {row('V24')}) of the mixtures have at least 1, 2, … members right."
    )


def agreement_sentence(search: pd.DataFrame, encoder: str, beam: int) -> str:
    """How often the beam search returns the exact classifier's combination."""
    rows = search[(search["encoder"] == encoder) & (search["method"] == f"beam {beam}")]
    agree = rows.set_index("components")["same answer as exact"].dropna()
    if agree.empty:
        return "No exact table was small enough to compare with in this run."
    return (
        "The beam search returns the exact classifier's answer for "
        + ", ".join(f"{pct(a, 1)} ({k} components)" for k, a in agree.items())
        + " of the mixtures."
    )


# --------------------------------------------------------------------------- summary
def summary_table(
    main: float,
    fresh: float | None,
    fractions: pd.DataFrame,
    unseen: tuple[int, float],
    challenge: float,
    plain: pd.DataFrame,
    beyond: pd.DataFrame | None,
) -> pd.DataFrame:
    """Our results (V24's method; beyond the paper) beside V24's, one row per measurement.

    ``fractions``: :func:`fraction_study`'s table; ``unseen``: (references, accuracy); ``plain`` and
    ``beyond``: one encoder's column of :func:`table1` per ``k`` as a frame with the same layout.
    """
    nan = math.nan
    rows = {"benchmark, 100 %": (main, nan if fresh is None else fresh, reference.V24_ACCURACY[0])}
    for r in fractions[fractions["fraction"] < 1].itertuples():
        rows[f"benchmark, {100 * r.fraction:g} %"] = (r.accuracy, nan, r.V24)
    rows[f"unseen classes, {unseen[0]} refs"] = (unseen[1], nan, reference.V24_UNSEEN_ACCURACY)
    rows["challenge set"] = (challenge, nan, reference.V24_CHALLENGE_ACCURACY)
    for col in plain.columns:
        k = int(str(col).split()[0])
        for j in range(1, k + 1):
            rows[f"mixture of {k}, ≥ {j} right"] = (
                plain.loc[j, col],
                nan if beyond is None else beyond.loc[j, col],
                reference.V24_MIXTURE_ACCURACY.get(k, (nan,) * k)[j - 1],
            )
    return pd.DataFrame(rows, index=["ours, V24's method", "ours, beyond the paper", "V24"]).T


def targets_table(main: Mapping[str, float], unseen: tuple[int, float], summary: pd.DataFrame) -> pd.DataFrame:
    """The beyond-the-paper targets (:mod:`lib.reference`), what this run reached and whether it meets them.

    ``main``: benchmark accuracy per encoder; ``unseen``: (references, accuracy); the mixture target compares the
    3rd and 4th components of ``summary`` beyond the paper where given, else with V24's method.
    """
    # per row the beyond-the-paper value where there is one, else V24's method
    ours = summary["ours, beyond the paper"].fillna(summary["ours, V24's method"])
    deltas = {
        name.replace("mixture of ", ""): ours[name] - summary.loc[name, "V24"]
        for name in summary.index
        if name.startswith("mixture of") and (name.endswith("≥ 3 right") or name.endswith("≥ 4 right"))
    }
    rows = [
        ["benchmark accuracy", f"≥ {pct(reference.TARGET_MAIN_ACCURACY, 1)}",
         ", ".join(f"{pct(v)} ({n})" for n, v in main.items()), max(main.values()) >= reference.TARGET_MAIN_ACCURACY],
        [f"unseen classes, ≤ {reference.TARGET_UNSEEN_MAX_REFS} references",
         f"≥ {pct(reference.TARGET_UNSEEN_ACCURACY, 1)}", f"{pct(unseen[1])} ({unseen[0]} references)",
         unseen[1] >= reference.TARGET_UNSEEN_ACCURACY],
        ["3rd and 4th mixture components", "better than V24",
         ", ".join(f"{n}: {d:+.3f}" for n, d in deltas.items()) or "–", bool(deltas) and min(deltas.values()) > 0],
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=["target (beyond the paper)", "goal", "this run", "met"])
    out["met"] = out["met"].map({True: "yes", False: "no"})
    return out


def scale_sentence(full: bool, n_classes: int, n_pool: int, input_len: int, max_epochs: int, field: int) -> str:
    """What the run's scale allows one to conclude (nothing about V24's numbers for a reduced run)."""
    if full:
        return "This run uses V24's data settings, so its numbers can be set beside V24's."
    return (
        f"These numbers come from a reduced run ({n_classes} classes, mixtures of {n_pool} classes, "
        f"{input_len:,} input points, at most {max_epochs} epochs, one seed). Fewer classes make classification "
        "easier, while down-sampling and short training make it harder; down-sampling hurts the mixtures most, "
        f"because it brings the peaks of different members within the receptive field ({field} input points). "
        "The differences to V24 therefore say little; the shipped full-scale runs (first section of the results) "
        "are the comparison, and the paper preset reruns the whole study at V24's scale."
    )


# --------------------------------------------------------------------------- sentences about the setting
def closest_s23_network(target: float = reference.V24_SOFTMAX_ACCURACY[0]) -> tuple[str, float]:
    """The S23 network whose mean benchmark accuracy is closest to ``target`` (V24's softmax network) and it."""
    acc = {m: 1 - e / reference.S23_TEST_SIZE for m, e in reference.S23_TEST_ERRORS.items()}
    name = min(acc, key=lambda m: abs(acc[m] - target))
    return name, acc[name]


def published_facts() -> dict[str, str]:
    """V24's and S23's published numbers the chapter quotes, formatted, by glue name."""
    cnn, cnn_acc = closest_s23_network()
    (f40, sd40), (f10, sd10) = reference.V24_FRACTION_ACCURACY[0.4], reference.V24_FRACTION_ACCURACY[0.1]
    return {
        "v24_acc": pct(reference.V24_ACCURACY[0]),
        "v24_acc_sd": pct(reference.V24_ACCURACY[1]),
        "v24_softmax": pct(reference.V24_SOFTMAX_ACCURACY[0]),
        "v24_softmax_sd": pct(reference.V24_SOFTMAX_ACCURACY[1]),
        "v24_notebook_errors": str(reference.V24_NOTEBOOK_TEST_ERRORS),
        "s23_test_size": f"{reference.S23_TEST_SIZE:,}",
        "v24_acc40": f"{pct(f40)} ± {pct(sd40)}",
        "v24_acc10": f"{pct(f10)} ± {pct(sd10)}",
        "v24_unseen": pct(reference.V24_UNSEEN_ACCURACY, 3),
        "v24_unseen_train": str(reference.V24_UNSEEN_CLASSES[0]),
        "v24_unseen_test": str(reference.V24_UNSEEN_CLASSES[1]),
        "v24_refs": str(reference.V24_REFS_PER_CLASS),
        "v24_challenge": pct(reference.V24_CHALLENGE_ACCURACY),
        "v24_challenge_softmax": pct(reference.V24_CHALLENGE_SOFTMAX_ACCURACY),
        "s23_cnn6_challenge": pct(reference.S23_CHALLENGE_CNN6_ACCURACY, 0),
        "s23_closest": cnn,
        "s23_closest_acc": pct(cnn_acc),
        "s23_closest_errors": f"{reference.S23_TEST_ERRORS[cnn]:g}",
    }


def enrichment_sentence(e: Mapping[str, float], n_pool_hard: int, n_pool: int) -> str:
    """How the run's class subset (and the mixtures' pool) relates to S23's hard classes."""
    if e["n_subset"] >= e["n_full"]:
        return (
            f"The run uses all {e['n_full']} classes, so S23's {e['hard_in_full']} hard classes keep their "
            f"share of {pct(e['share_full'], 1)}."
        )
    return (
        f"The subset always includes S23's hard classes: {e['hard_in_subset']} of its {e['n_subset']} classes "
        f"({pct(e['share_subset'], 1)}) against {e['hard_in_full']} of {e['n_full']} ({pct(e['share_full'], 1)}) "
        f"in the full benchmark, so it is enriched {e['factor']:.1f}-fold in hard pairs; its error counts are "
        f"not comparable with the full set's, not even scaled to its size. The mixtures are drawn from {n_pool} "
        f"classes, {n_pool_hard} of them hard."
    )


def glue_all(values: Mapping[str, object]) -> None:
    """Glue every value under its name for ``{glue:text}`` in the chapter's Markdown (not displayed)."""
    from myst_nb import glue

    for name, value in values.items():
        glue(name, value, display=False)
