"""Model × seed training runs on the S23 synthetic data, saved per run, resumable; confused-pair analysis.

A *study* is a folder of runs that share one data set recipe (:class:`Study`): which classes
(a subset of the 500, relabelled 0…k−1 in the given order), how many training and validation
spectra per class, the test rules, and a down-sampling factor ``downsample`` (the spectra are
rendered at full resolution, then every ``downsample`` neighbouring points are averaged, so
the input length is ``datapoints // downsample``; ``1`` keeps S23's 5,000 points). Each run
(one model label × one seed) trains with :func:`lib.train.fit` under the S23 protocol (optionally
fewer epochs) and writes ``runs/<label>/seed<k>.json`` atomically: history, test and training
indices it gets wrong (with the predicted class), accuracies, parameters, multiply-adds,
seconds, device. ``summary.csv`` is rewritten after every run. A run whose JSON exists is
skipped, so a study resumes where it stopped, and a finished study (e.g. a ``paper`` run on a
GPU) renders without retraining (:func:`load_runs`).

:func:`pair_cause` attributes a confused class pair to one of S23's three causes from the class
definitions alone (see its docstring for the rule).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from lib import io
from lib.synthetic import generator as synthetic

CAUSES = ("minor peak", "overlapping positions", "overlapping intensities", "other")
#: S23's name of each cause (``lib.reference.S23_HARD_PAIRS``) -> the name :func:`pair_cause` gives it
S23_CAUSE_NAMES = {
    "overlooked minor peak": "minor peak",
    "overlapping positions": "overlapping positions",
    "overlapping intensities": "overlapping intensities",
}
MINOR = 0.1  # the highest peak :func:`pair_cause` still calls minor


# --------------------------------------------------------------------------- data
def subset_classes(classes: synthetic.ClassSet, labels: Sequence[int]) -> synthetic.ClassSet:
    """The classes ``labels`` (in that order) as a new class set, trimmed to their peak count."""
    labels = np.asarray(labels, dtype=int)
    width = max(int(classes.n_peaks[labels].max()), 1)
    return synthetic.ClassSet(
        classes.positions[labels, :width].copy(), classes.heights[labels, :width].copy(), classes.datapoints
    )


def subset_rules(rules: synthetic.TestRules, labels: Sequence[int]) -> synthetic.TestRules:
    """``rules`` with their per-class exceptions renumbered for the subset ``labels``."""
    new = {int(c): i for i, c in enumerate(labels)}
    return replace(
        rules,
        class_patterns={new[c]: p for c, p in rules.class_patterns.items() if c in new},
        shift_exceptions={new[c]: s for c, s in rules.shift_exceptions.items() if c in new},
        height_exceptions={new[c]: h for c, h in rules.height_exceptions.items() if c in new},
    )


def choose_classes(n_total: int, n: int, must: Sequence[int] = (), seed: int = 0) -> list[int]:
    """``n`` class labels: ``must`` first, then others in a fixed random order (all when ``n >= n_total``)."""
    if n >= n_total:
        return list(range(n_total))
    chosen = [int(c) for c in dict.fromkeys(must)][:n]
    rest = [int(c) for c in np.random.default_rng(seed).permutation(n_total) if c not in chosen]
    return chosen + rest[: n - len(chosen)]


def downsample_mean(x: np.ndarray, factor: int) -> np.ndarray:
    """Average every ``factor`` neighbouring points of the last axis (a trailing remainder is dropped)."""
    if factor == 1:
        return x
    n = x.shape[-1] // factor
    return x[..., : n * factor].reshape(*x.shape[:-1], n, factor).mean(axis=-1)


@dataclass(frozen=True)
class Study:
    """The data recipe shared by every run of a study (see the module docstring)."""

    labels: tuple[int, ...]
    data_seed: int = 0
    downsample: int = 1
    n_train: int = 50
    n_val: int = 10
    rules: str = "benchmark"  # a key of lib.synthetic.generator.RULES

    def key(self) -> dict:
        return {**asdict(self), "labels": list(self.labels)}

    def input_len(self, classes: synthetic.ClassSet) -> int:
        return classes.datapoints // self.downsample

    def peaks(self, classes: synthetic.ClassSet) -> dict[str, synthetic.Peaks]:
        sub = subset_classes(classes, self.labels)
        rules = subset_rules(synthetic.RULES[self.rules], self.labels)
        variation = synthetic.Variation(fix_max=self.rules == "challenge")  # the renumbered rules are a copy
        return synthetic.sample_peaks(sub, self.data_seed, self.n_train, self.n_val, rules, variation)

    def dataset(self, classes: synthetic.ClassSet) -> dict[str, np.ndarray]:
        """``x_*`` max-normalised, down-sampled float32 spectra and ``y_*`` labels 0…k−1."""
        data = synthetic.dataset_from_peaks(self.peaks(classes), classes.datapoints)
        return {k: prepare(v, self.downsample) if k.startswith("x_") else v for k, v in data.items()}


def prepare(x: np.ndarray, downsample: int = 1) -> np.ndarray:
    """The models' input: down-sampled, then every spectrum divided by its maximum (float32)."""
    from lib.train import max_normalise

    return max_normalise(downsample_mean(np.asarray(x, dtype=np.float32), downsample))


def fresh_variations(study: Study, classes: synthetic.ClassSet) -> Callable:
    """On-the-fly augmentation: a ``train_data`` callback for :func:`lib.train.fit` that draws new random
    training spectra (``study.n_train`` per class, the study's variation) from the class definitions every epoch."""
    sub = subset_classes(classes, study.labels)
    variation = synthetic.Variation(fix_max=study.rules == "challenge")

    def draw(epoch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        peaks = synthetic.vary_peaks(sub, study.n_train, rng, variation)
        return prepare(peaks.render(classes.datapoints), study.downsample), peaks.labels

    return draw


# --------------------------------------------------------------------------- runs
@dataclass(frozen=True)
class ModelSpec:
    """A run label: a model of :func:`lib.models.benchmark.build` with ablation switches."""

    label: str
    name: str
    switches: dict = field(default_factory=dict)


def as_spec(item: str | ModelSpec) -> ModelSpec:
    return item if isinstance(item, ModelSpec) else ModelSpec(item, item)


def run_path(folder: Path, label: str, seed: int) -> Path:
    return Path(folder) / "runs" / label / f"seed{seed}.json"


def run_study(
    folder: str | os.PathLike,
    study: Study,
    classes: synthetic.ClassSet,
    models: Sequence[str | ModelSpec],
    seeds: Sequence[int],
    max_epochs: int = 500,
    config=None,
    device: str = "auto",
    progress: bool = False,
    data: dict | None = None,
    train_data: Callable | None = None,
    log: Callable[[str], None] | None = print,
    save_models: Sequence[str] = (),
) -> pd.DataFrame:
    """Train every model × seed not yet saved in ``folder``; return :func:`summary` of all runs.

    ``config`` defaults to :data:`lib.train.S23` with ``max_epochs``. ``train_data`` optionally
    replaces the fixed training set by a per-epoch callback (on-the-fly augmentation). The weights
    of the labels in ``save_models`` are kept as ``runs/<label>/seed<k>.pt`` (:func:`load_model`).
    """
    import torch

    from lib import train
    from lib.models import benchmark

    folder = Path(folder)
    config = replace(config or train.S23, max_epochs=max_epochs)
    settings = {"study": study.key(), "config": config.to_dict()}
    settings_path = folder / "settings.json"
    if settings_path.is_file():
        saved = json.loads(settings_path.read_text())
        if saved != json.loads(json.dumps(settings)):
            raise ValueError(f"{folder} holds runs with other settings; use another results folder")
    else:
        io.write_json(settings_path, settings)
    data = data if data is not None else study.dataset(classes)
    n_classes, input_len = len(study.labels), data["x_train"].shape[-1]
    for spec in map(as_spec, models):
        for seed in seeds:
            path = run_path(folder, spec.label, seed)
            if path.is_file():
                continue
            start = time.perf_counter()
            result = train.fit(
                lambda spec=spec: benchmark.build(spec.name, input_len, n_classes, **spec.switches),
                train_data or (data["x_train"], data["y_train"]),
                (data["x_val"], data["y_val"]),
                config,
                seed=seed,
                device=device,
                progress=progress,
                desc=f"{spec.label} seed {seed}",
            )
            net = result.model
            test = train.evaluate(net, data["x_test"], data["y_test"])
            trn = train.evaluate(net, data["x_train"], data["y_train"])
            record = {
                "model": spec.label,
                "architecture": spec.name,
                "switches": spec.switches,
                "seed": seed,
                "n_test": test["n"],
                "test_wrong": test["wrong"].tolist(),
                "test_pred": test["pred"][test["wrong"]].tolist(),
                "test_accuracy": test["accuracy"],
                "n_train": trn["n"],
                "train_wrong": trn["wrong"].tolist(),
                "train_pred": trn["pred"][trn["wrong"]].tolist(),
                "train_accuracy": trn["accuracy"],
                "parameters": benchmark.count_parameters(net),
                "macs": benchmark.count_macs(net.cpu().eval(), input_len),
                "input_len": input_len,
                "train_seconds": result.seconds,
                "wall_seconds": time.perf_counter() - start,
                "torch_threads": torch.get_num_threads(),
                "history": result.history,
                **result.summary(),
            }
            if spec.label in save_models:
                with io.atomic_open(path.with_suffix(".pt"), "wb") as handle:
                    torch.save(net.cpu().state_dict(), handle)
            io.write_json(path, record)
            io.write_text(folder / "summary.csv", summary(load_runs(folder)).to_csv(index=False))
            if log is not None:
                log(
                    f"{spec.label} seed {seed}: {len(test['wrong'])}/{test['n']} test errors, "
                    f"{result.epochs} epochs, {result.seconds:.0f} s"
                )
    return summary(load_runs(folder))


def load_model(folder: str | os.PathLike, spec: str | ModelSpec, seed: int, input_len: int, n_classes: int):
    """The saved weights of one run (``save_models`` of :func:`run_study`) in a fresh network, eval mode."""
    import torch

    from lib.models import benchmark

    spec = as_spec(spec)
    net = benchmark.build(spec.name, input_len, n_classes, **spec.switches)
    state = torch.load(
        run_path(Path(folder), spec.label, seed).with_suffix(".pt"), map_location="cpu", weights_only=True
    )
    net.load_state_dict(state)
    return net.eval()


def load_runs(folder: str | os.PathLike) -> list[dict]:
    """Every saved run of a study folder (sorted by model label and seed)."""
    paths = sorted(Path(folder).glob("runs/*/seed*.json"))
    runs = [json.loads(p.read_text()) for p in paths]
    return sorted(runs, key=lambda r: (r["model"], r["seed"]))


def summary(runs: list[dict]) -> pd.DataFrame:
    """One row per run: model, seed, errors, accuracies, cost, epochs, time."""
    cols = ["model", "seed", "test_errors", "n_test", "test_accuracy", "train_errors", "n_train", "train_accuracy"]
    cols += ["parameters", "macs", "epochs", "best_epoch", "best_val_loss", "train_seconds", "device_name"]
    rows = [
        {**r, "test_errors": len(r["test_wrong"]), "train_errors": len(r["train_wrong"])} for r in runs
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def histories(runs: list[dict]) -> pd.DataFrame:
    """Long table of every run's per-epoch log."""
    return pd.DataFrame([{"model": r["model"], "seed": r["seed"], **h} for r in runs for h in r["history"]])


def wrong_predictions(runs: list[dict], labels: Sequence[int], y_test: np.ndarray) -> pd.DataFrame:
    """One row per wrong test prediction of every run: test index, true and predicted class (original numbers)."""
    rows = [
        {"index": int(i), "true": int(labels[int(y_test[i])]), "pred": int(labels[p]), "model": r["model"],
         "seed": r["seed"]}
        for r in runs
        for i, p in zip(r["test_wrong"], r["test_pred"], strict=True)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["index", "true", "pred", "model", "seed"])


def confusions(runs: list[dict], labels: Sequence[int], y_test: np.ndarray) -> pd.DataFrame:
    """Confused test pairs, in the original class numbers (``a < b``): errors, runs and models involved."""
    df = wrong_predictions(runs, labels, y_test)
    if df.empty:
        return pd.DataFrame(columns=["a", "b", "errors", "runs", "models"])
    df["a"], df["b"] = df[["true", "pred"]].min(axis=1), df[["true", "pred"]].max(axis=1)
    out = df.groupby(["a", "b"]).agg(
        errors=("true", "size"),
        runs=("seed", lambda s: len(set(zip(df.loc[s.index, "model"], s, strict=True)))),
        models=("model", lambda m: ", ".join(sorted(set(m)))),
    )
    return out.reset_index().sort_values(["errors", "a"], ascending=[False, True], ignore_index=True)


# --------------------------------------------------------------------------- causes
def match_peaks(pa: np.ndarray, pb: np.ndarray, reach: float) -> list[tuple[int, int]]:
    """Greedy one-to-one matching of two peak lists by position: closest pairs first, at most ``reach`` apart."""
    d = np.abs(pa[:, None].astype(float) - pb[None, :])
    pairs = []
    while d.size and np.isfinite(d).any():
        i, j = np.unravel_index(np.argmin(d), d.shape)
        if d[i, j] > reach:
            break
        pairs.append((int(i), int(j)))
        d[i, :], d[:, j] = np.inf, np.inf
    return pairs


def pair_cause(
    classes: synthetic.ClassSet,
    a: int,
    b: int,
    variation: synthetic.Variation | None = None,
    minor: float = MINOR,
) -> dict:
    """Attribute the confusion of classes ``a`` and ``b`` to one of S23's three causes.

    The rule, from the class definitions and the training variation (shift ``s``, height change ``h``):

    1. Peaks of the two classes are matched one-to-one, closest first, when their positions are
       at most ``2 s`` apart (their training ranges touch or overlap).
    2. Some peak has no partner: **minor peak** if every unmatched peak is at most ``minor``
       high and the matched heights differ by less than ``2 h`` (the two classes share their
       large peaks and differ by small ones), else **other**.
    3. Every peak matched and all matched heights agree within ``h / 2`` (the random height
       change cannot tell them apart, so only positions could): **overlapping positions**.
    4. Every peak matched and the heights differ, by less than ``2 h`` (their training ranges
       overlap): **overlapping intensities**; larger height differences: **other**.

    Returns the cause with the numbers behind it.
    """
    variation = variation or synthetic.Variation()
    pa, ha = classes.peaks(a)
    pb, hb = classes.peaks(b)
    pairs = match_peaks(pa, pb, 2 * variation.shift)
    unmatched = [float(ha[i]) for i in set(range(len(pa))) - {i for i, _ in pairs}]
    unmatched += [float(hb[j]) for j in set(range(len(pb))) - {j for _, j in pairs}]
    dp = [int(pb[j] - pa[i]) for i, j in pairs]
    dh = [float(abs(hb[j] - ha[i])) for i, j in pairs]
    if unmatched:
        minor_only = max(unmatched) <= minor and max(dh, default=0.0) < 2 * variation.height
        cause = "minor peak" if minor_only else "other"
    elif max(dh, default=0.0) <= variation.height / 2:
        cause = "overlapping positions"
    elif max(dh) < 2 * variation.height:
        cause = "overlapping intensities"
    else:
        cause = "other"
    return {
        "a": a,
        "b": b,
        "cause": cause,
        "unmatched_heights": unmatched,
        "max_shift": max(map(abs, dp), default=0),
        "max_height_diff": round(max(dh, default=0.0), 4),
    }


def attribute(pairs: pd.DataFrame, classes: synthetic.ClassSet, **kwargs) -> pd.DataFrame:
    """:func:`confusions` with the cause of every pair (:func:`pair_cause`) added."""
    causes = pd.DataFrame(
        [pair_cause(classes, int(a), int(b), **kwargs) for a, b in zip(pairs["a"], pairs["b"], strict=True)]
    )
    if causes.empty:
        return pairs.assign(cause=[], max_shift=[], max_height_diff=[], unmatched_heights=[])
    return pairs.merge(causes, on=["a", "b"], how="left")


def confusable_pairs(
    classes: synthetic.ClassSet, variation: synthetic.Variation | None = None, minor: float = MINOR
) -> pd.DataFrame:
    """Every class pair of ``classes`` to which :func:`pair_cause` gives one of S23's three causes.

    A pair can only have a cause when every peak higher than ``minor`` of each class has a peak
    of the other class within ``2 s``; that necessary condition is checked for all pairs at once,
    and :func:`pair_cause` decides for the pairs that pass it.
    """
    variation = variation or synthetic.Variation()
    reach = 2 * variation.shift
    pos = np.where(classes.positions >= 0, classes.positions, -(10**9)).astype(float)
    n = len(classes)
    covered = np.ones((n, n), dtype=bool)  # covered[a, b]: every major peak of a has a peak of b in reach
    major = (classes.positions >= 0) & (classes.heights > minor)
    for a in range(n):
        p = classes.positions[a][major[a]].astype(float)
        if p.size:
            nearest = np.abs(p[:, None, None] - pos[None]).min(axis=2)  # (peaks of a, classes)
            covered[a] = (nearest <= reach).all(axis=0)
    a_idx, b_idx = np.nonzero(np.triu(covered & covered.T, k=1))
    rows = [pair_cause(classes, int(a), int(b), variation, minor) for a, b in zip(a_idx, b_idx, strict=True)]
    table = pd.DataFrame(rows, columns=["a", "b", "cause", "unmatched_heights", "max_shift", "max_height_diff"])
    return table[table["cause"] != "other"].reset_index(drop=True)


def pair_enrichment(labels: Sequence[int], confusable: pd.DataFrame, n_total: int) -> dict:
    """How much richer the class subset ``labels`` is in confusable pairs than the full set of ``n_total``.

    ``confusable`` is :func:`confusable_pairs` of the full set. Returns the pairs of each (all
    and confusable), their shares and ``enrichment``, the subset's share over the full set's.
    """
    chosen = set(int(c) for c in labels)
    k = len(chosen)
    inside = confusable[confusable["a"].isin(chosen) & confusable["b"].isin(chosen)]
    pairs_subset, pairs_full = k * (k - 1) // 2, n_total * (n_total - 1) // 2
    share_subset = len(inside) / pairs_subset if pairs_subset else float("nan")
    share_full = len(confusable) / pairs_full
    return {
        "pairs_subset": pairs_subset,
        "confusable_subset": len(inside),
        "share_subset": share_subset,
        "pairs_full": pairs_full,
        "confusable_full": len(confusable),
        "share_full": share_full,
        "enrichment": share_subset / share_full if share_full else float("nan"),
        "classes_in_confusable_subset": len(set(inside["a"]) | set(inside["b"])),
        "classes_in_confusable_full": len(set(confusable["a"]) | set(confusable["b"])),
    }


def exception_classes(rules: synthetic.TestRules) -> list[int]:
    """Classes whose test variants the released data shrink (shift or height exceptions), ascending."""
    return sorted(set(rules.shift_exceptions) | set(rules.height_exceptions))


# --------------------------------------------------------------------------- comparing runs
#: Keras' ``ReduceLROnPlateau`` factor when none is given, as in S23's released ``training/benchmark.py``;
#: the paper text says 0.5 (``lib.train.S23.lr_factor``).
RELEASED_CODE_LR_FACTOR = 0.1


def per_model(summary: pd.DataFrame, order: Sequence[str] | None = None) -> pd.DataFrame:
    """Per model: mean, min and max of wrong test and training spectra, mean test accuracy, runs, epochs."""
    table = summary.groupby("model", sort=False).agg(
        test_mean=("test_errors", "mean"),
        test_min=("test_errors", "min"),
        test_max=("test_errors", "max"),
        train_mean=("train_errors", "mean"),
        train_min=("train_errors", "min"),
        train_max=("train_errors", "max"),
        accuracy=("test_accuracy", "mean"),
        runs=("seed", "size"),
        epochs=("epochs", "mean"),
    )
    if order is not None:
        table = table.reindex([m for m in order if m in table.index])
    return table


def count_difference(a: float, b: float, z: float = 2.0) -> str:
    """Compare two error counts (totals over the same test spectra and runs) as Poisson counts.

    The difference counts when ``|a - b| > z * sqrt(a + b)`` (the normal approximation of the
    difference of two Poisson counts): ``"fewer"`` or ``"more"`` (``a`` against ``b``); otherwise
    ``"within counting noise"``.
    """
    if abs(a - b) > z * np.sqrt(a + b):
        return "fewer" if a < b else "more"
    return "within counting noise"


def rank_agreement(ours: dict[str, float], theirs: dict[str, float]) -> dict:
    """Kendall's tau between two error rankings over the models both contain (``nan`` below 3 models)."""
    from scipy.stats import kendalltau

    common = [m for m in ours if m in theirs]
    tau = (
        float(kendalltau([ours[m] for m in common], [theirs[m] for m in common]).statistic)
        if len(common) >= 3
        else float("nan")
    )
    return {"models": common, "n": len(common), "tau": tau}


def loss_rise_share(hist: pd.DataFrame) -> pd.Series:
    """Per model: share of epochs whose validation loss went up from the previous epoch, mean over seeds."""
    per_run = (
        hist.sort_values("epoch")
        .groupby(["model", "seed"])["val_loss"]
        .apply(lambda s: float((s.diff().iloc[1:] > 0).mean()) if len(s) > 1 else float("nan"))
    )
    return per_run.groupby("model").mean()


def study_hours(epoch_seconds: Sequence[float], n_seeds: int, epochs: float) -> float:
    """Hours to train every model ``n_seeds`` times for ``epochs`` epochs, given each model's seconds per epoch."""
    return float(np.sum(epoch_seconds)) * n_seeds * epochs / 3600


#: S23 Table 2: each modified network and the original it is compared with (its published dense activation).
MODIFIED_ORIGINAL = {
    "CNN6-BN": "CNN6-relu",
    "CNN6-ConvDO": "CNN6-relu",
    "CNN-BN-noBN": "CNN-BN-linear",
    "VGG-noConvDO": "VGG-linear",
    "ResNet-dense": "ResNet-linear",
}
#: What each modification changes (as the authors' ``modifications.py`` builds them; ``lib.models.benchmark.MODIFIED``).
MODIFIED_CHANGE = {
    "CNN6-BN": "CNN6 + batch norm",
    "CNN6-ConvDO": "CNN6 + conv. dropout (no dense dropout)",
    "CNN-BN-noBN": "CNN-BN without batch norm, ReLU dense",
    "VGG-noConvDO": "VGG without conv. dropout, ReLU dense",
    "ResNet-dense": "ResNet without batch norm, ReLU dense head",
}


def originals_needed(modified: Sequence[str]) -> dict[str, str]:
    """The architecture and dense activation of the original of every modified network: ``{label: model}``."""
    unknown = [m for m in modified if m not in MODIFIED_ORIGINAL]
    if unknown:
        raise ValueError(f"modified: unknown network(s) {unknown}; choose from {list(MODIFIED_ORIGINAL)}")
    return {MODIFIED_ORIGINAL[m]: MODIFIED_ORIGINAL[m].rsplit("-", 1)[0] for m in modified}


def modified_comparison(median: pd.Series, modified: Sequence[str]) -> pd.DataFrame:
    """S23 Table 2 from median test accuracies per run label: one row per modified network whose
    original was trained as well (pairs with a side missing are left out)."""
    rows = [
        {"modified": m, "change": MODIFIED_CHANGE[m], "original": MODIFIED_ORIGINAL[m],
         "original median": float(median[MODIFIED_ORIGINAL[m]]), "modified median": float(median[m])}
        for m in modified
        if m in median.index and MODIFIED_ORIGINAL.get(m) in median.index
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=["modified", "change", "original", "original median", "modified median"])
    table["difference"] = table["modified median"] - table["original median"]
    return table


def activation_gain(mean: pd.Series, models: Sequence[str]) -> dict[str, float]:
    """Mean accuracy with ReLU minus with linear dense layers, for every model trained with both."""
    return {
        m: float(mean[f"{m}-relu"] - mean[f"{m}-linear"])
        for m in models
        if f"{m}-relu" in mean.index and f"{m}-linear" in mean.index
    }


def boundary_shares(grid: np.ndarray, a: int, b: int) -> dict[str, float]:
    """A decision map (:func:`decision_map`) in three numbers: the share of rows (fixed height) with
    one prediction at every position (1 for a purely height-based boundary), and the shares of the
    grid predicted as ``a`` and as ``b``."""
    grid = np.asarray(grid)
    return {
        "pure_rows": float(np.mean([np.unique(row).size == 1 for row in grid])),
        "share_a": float(np.mean(grid == a)),
        "share_b": float(np.mean(grid == b)),
    }


# --------------------------------------------------------------------------- throughput and decision maps
def throughput_table(
    names: Sequence[str], input_len: int, n_classes: int, batch_size: int, n_batches: int, device="auto"
):
    """:func:`lib.train.throughput` of every architecture, with parameters and multiply-adds."""
    from lib import train
    from lib.models import benchmark

    rows = []
    for name in names:
        net = benchmark.build(name, input_len, n_classes)
        row = train.throughput(net, input_len, batch_size=batch_size, n_batches=n_batches, device=device)
        rows.append(
            {**row, "parameters": benchmark.count_parameters(net), "macs": benchmark.count_macs(net, input_len)}
        )
    return pd.DataFrame(rows)


def decision_map(
    model,
    base_positions: np.ndarray,
    base_heights: np.ndarray,
    peak: int,
    positions: np.ndarray,
    heights: np.ndarray,
    datapoints: int,
    downsample: int = 1,
    sigma: float = 2.0,
) -> np.ndarray:
    """Predicted class (argmax) over a grid: peak ``peak`` moved to each position and set to each height.

    The other peaks stay at ``base_positions`` / ``base_heights``. Returns ``(len(heights), len(positions))``.
    """
    from lib import train

    pp, hh = np.meshgrid(positions, heights)
    n = pp.size
    pos = np.repeat(np.asarray(base_positions, dtype=np.int64)[None], n, axis=0)
    hei = np.repeat(np.asarray(base_heights, dtype=float)[None], n, axis=0)
    pos[:, peak], hei[:, peak] = pp.ravel(), hh.ravel()
    x = synthetic.render(pos, hei, np.full(n, sigma), datapoints)
    logits = train.predict(model, prepare(x, downsample))
    return logits.argmax(axis=1).reshape(pp.shape)
