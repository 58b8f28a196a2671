"""The critical-review experiments of Schuetzke et al.'s ECM 2022 talk (S22, ``schuetzke2022``).

Toy data and small experiments that explain *why* CNNs work on spectra:

* :func:`toy_spectra` — one Gaussian peak per spectrum, two classes that differ only in the
  peak's maximum (0.8 vs 0.6, each ± 0.1), the position varied by ± 50 points, the width varied,
  plus a smooth background curve and Gaussian noise; :func:`position_spectra` — the position
  task (class A maximum at 950–999, class B at 1000–1050).
* :func:`cnn_vs_forest` — the talk's comparison: CNN3 (the "Lee-style 3-layer CNN" of
  :mod:`lib.models.benchmark`) against a random forest on raw inputs, on max-pooled inputs
  (:func:`max_pool`, one and two pooling steps) and on the CNN's convolutional feature maps
  (:func:`conv_feature_maps`).
* :class:`SingleFilterNet` / :func:`dead_fraction` — one convolution filter with ReLU: with
  zero-mean random weights the filter's response to a positive peak is negative about half of
  the time, ReLU makes the output empty and no gradient flows; ``init="positive"`` fixes it.
* :func:`accuracy_by_distance` — accuracy on the position task against the distance to the
  class border; :func:`shallow_cnn` — a CNN without pooling for that comparison.
* :func:`stability` — how much a validation-loss curve jumps (batch norm on/off);
  :class:`PreciseBatchNorm` — evaluation with batch-norm statistics computed on the training
  data (:func:`calibrate_batch_norm`) instead of Keras' slowly moving averages.

The rules that turn these measurements into verdicts on the talk's claims are in
:mod:`lib.synthetic.review_verdicts`.

All data are drawn from ``numpy.random.default_rng(seed)`` in a few vectorised steps; training
uses :func:`lib.train.fit`. The toy spectra are *not* divided by their maximum: the classes
differ only in intensity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lib import train
from lib.models.benchmark import SameConv1d, build, count_parameters, keras_init
from lib.notebook import pct as notebook_pct
from lib.synthetic.generator import render

#: The position task's class limits (inclusive): class A (label 0) 950–999, class B (label 1) 1000–1050.
POSITION_A = (950, 999)
POSITION_B = (1000, 1050)


# --------------------------------------------------------------------------- toy data
@dataclass(frozen=True)
class Toy:
    """Parameters of the single-peak two-class toy task.

    ``maxima``: the peak maximum of class 0 and class 1; ``intensity``: uniform change of the
    maximum in ``[-intensity, intensity)``; ``shift``: integer position shift in ``[-shift, shift]``
    around ``centre`` (default: the middle); ``sigma``: Gaussian width range ``[low, high)``;
    ``background``: largest amplitude of the background curve (0: none); ``noise``: standard
    deviation of the Gaussian noise.
    """

    length: int = 1000
    maxima: tuple[float, float] = (0.8, 0.6)
    intensity: float = 0.1
    shift: int = 50
    centre: int | None = None
    sigma: tuple[float, float] = (4.0, 12.0)
    background: float = 0.5
    noise: float = 0.02

    def __post_init__(self):
        centre = self.length // 2 if self.centre is None else self.centre
        if not (0 <= centre - self.shift and centre + self.shift < self.length):
            raise ValueError(f"centre {centre} ± shift {self.shift} leaves the spectrum of {self.length} points")
        if not 0 < self.sigma[0] <= self.sigma[1]:
            raise ValueError(f"sigma must be a range 0 < low <= high, got {self.sigma}")
        if self.noise < 0 or self.background < 0 or self.intensity < 0:
            raise ValueError("noise, background and intensity must be >= 0")


def peaks(positions: np.ndarray, maxima: np.ndarray, sigma: np.ndarray, length: int) -> np.ndarray:
    """One Gaussian peak per row whose largest value is ``maxima`` (float32 ``(n, length)``)."""
    unit = render(np.asarray(positions, dtype=np.int64)[:, None], np.ones((len(positions), 1)), sigma, length)
    return unit / unit.max(axis=1, keepdims=True) * np.asarray(maxima, dtype=np.float32)[:, None]


def background_curves(n: int, length: int, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """Smooth random backgrounds: a decaying exponential plus a broad hump, each up to ``amplitude``.

    Decay length 0.2–0.6 of the spectrum; hump centred anywhere, width 0.1–0.3 of the spectrum.
    """
    t = np.linspace(0.0, 1.0, length)[None, :]
    a, b = rng.uniform(0, amplitude, (2, n, 1))
    tau = rng.uniform(0.2, 0.6, (n, 1))
    centre = rng.uniform(0, 1, (n, 1))
    width = rng.uniform(0.1, 0.3, (n, 1))
    return (a * np.exp(-t / tau) + b * np.exp(-0.5 * ((t - centre) / width) ** 2)).astype(np.float32)


def _labels(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.permutation(np.arange(n) % 2).astype(np.int64)


def toy_spectra(n: int, seed: int = 0, toy: Toy = Toy()) -> dict[str, np.ndarray]:
    """``n`` toy spectra with balanced labels.

    Returns ``x`` (float32), ``y`` and each peak's ``position``, ``maximum`` and ``sigma``. The
    spectrum is peak + background + noise; ``maximum`` is the peak's own height.
    """
    rng = np.random.default_rng(seed)
    y = _labels(n, rng)
    centre = toy.length // 2 if toy.centre is None else toy.centre
    position = centre + rng.integers(-toy.shift, toy.shift + 1, n)
    maximum = np.asarray(toy.maxima)[y] + rng.uniform(-toy.intensity, toy.intensity, n)
    sigma = rng.uniform(*toy.sigma, n)
    x = peaks(position, maximum, sigma, toy.length)
    if toy.background > 0:
        x += background_curves(n, toy.length, toy.background, rng)
    if toy.noise > 0:
        x += rng.normal(0, toy.noise, x.shape).astype(np.float32)
    return {"x": x.astype(np.float32), "y": y, "position": position, "maximum": maximum, "sigma": sigma}


def position_spectra(
    n: int,
    seed: int = 0,
    length: int = 1200,
    start: int = 0,
    sigma: Sequence[float] = (4.0, 12.0),
    intensity: float = 0.1,
    noise: float = 0.02,
) -> dict[str, np.ndarray]:
    """The position task: one peak of maximum 1 ± ``intensity``; class 0 at 950–999, class 1 at 1000–1050.

    The spectrum shows the points ``start … start + length - 1`` of the talk's axis (a crop keeps
    the networks small; the peak positions stay the talk's). Returns ``x`` (float32), ``y``,
    ``position`` (on the talk's axis) and ``distance`` (points to the class border: 0 for 999 and
    1000, 49 for 950, 50 for 1050).
    """
    if not start <= POSITION_A[0] - 4 * sigma[1] or start + length <= POSITION_B[1] + 4 * sigma[1]:
        raise ValueError(
            f"points {start}..{start + length - 1} do not hold the peaks at {POSITION_A[0]}..{POSITION_B[1]}"
        )
    rng = np.random.default_rng(seed)
    y = _labels(n, rng)
    low = np.where(y == 0, POSITION_A[0], POSITION_B[0])
    high = np.where(y == 0, POSITION_A[1], POSITION_B[1])
    position = rng.integers(low, high + 1)
    maximum = 1 + rng.uniform(-intensity, intensity, n)
    x = peaks(position - start, maximum, rng.uniform(*sigma, n), length)
    if noise > 0:
        x += rng.normal(0, noise, x.shape).astype(np.float32)
    return {"x": x.astype(np.float32), "y": y, "position": position, "distance": border_distance(position)}


def border_distance(position: np.ndarray) -> np.ndarray:
    """Points between a peak position and the class border of the position task (999 | 1000)."""
    position = np.asarray(position)
    return np.where(position <= POSITION_A[1], POSITION_A[1] - position, position - POSITION_B[0])


# --------------------------------------------------------------------------- pooling and features
def max_pool(x: np.ndarray, size: int = 2, steps: int = 1) -> np.ndarray:
    """Non-overlapping max pooling (window = stride = ``size``, no padding) applied ``steps`` times on the last axis."""
    if size < 1 or steps < 0:
        raise ValueError(f"size must be >= 1 and steps >= 0, got {size}, {steps}")
    x = np.asarray(x)
    for _ in range(steps):
        keep = x.shape[-1] // size * size
        if keep == 0:
            raise ValueError(f"a window of {size} is longer than the {x.shape[-1]} points left")
        x = x[..., :keep].reshape(*x.shape[:-1], keep // size, size).max(axis=-1)
    return x


def conv_feature_maps(model: nn.Module, x: np.ndarray, batch_size: int = 256) -> list[np.ndarray]:
    """Outputs of every pooling layer of a benchmark model's ``features`` (conv → ReLU → pool), eval mode.

    Returns one float32 array ``(n, channels, points)`` per convolution block.
    """
    model.eval()
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    outs: list[list[np.ndarray]] = []
    with torch.no_grad():
        for start in range(0, len(xt), batch_size):
            h = xt[start : start + batch_size].unsqueeze(1)
            maps = []
            for layer in model.features:
                h = layer(h)
                if isinstance(layer, nn.MaxPool1d):
                    maps.append(h.numpy().copy())
            outs.append(maps)
    return [np.concatenate([o[k] for o in outs]) for k in range(len(outs[0]))]


def peak_contrast(signal: np.ndarray, position: int, half_width: int) -> float:
    """Share of a trace's absolute signal that lies within ``position ± half_width`` (1: only the peak is left).

    ``signal`` is one trace ``(points,)``; an all-zero trace gives 0.
    """
    signal = np.abs(np.asarray(signal, dtype=np.float64))
    idx = np.arange(signal.shape[-1])
    inside = np.abs(idx - position) <= half_width
    total = signal.sum()
    return float(signal[inside].sum() / total) if total > 0 else 0.0


def block_contrast(maps: list[np.ndarray], position: int, sigma: float, length: int, row: int = 0) -> list[tuple]:
    """``(contrast, channel)`` of the channel with the highest :func:`peak_contrast` in every block of ``maps``.

    The peak window is ``position ± 2 sigma`` (input points), scaled to each block's length.
    """
    best = []
    for m in maps:
        scale = length / m.shape[-1]
        window = max(1, int(2 * sigma / scale))
        values = [peak_contrast(m[row, c], int(position / scale), window) for c in range(m.shape[1])]
        k = int(np.nanargmax(values))
        best.append((float(values[k]), k))
    return best


# --------------------------------------------------------------------------- training helpers
def fit_model(name_or_model, data: dict, config: train.TrainConfig, seed: int = 0, **switches) -> train.FitResult:
    """Train a benchmark model by name (or a model / factory) on ``data`` with ``train`` and ``val`` splits."""
    if isinstance(name_or_model, str):
        n_classes = int(data["train"]["y"].max()) + 1
        length = data["train"]["x"].shape[1]

        def factory():
            return build(name_or_model, length, n_classes, **switches)

        model = factory
    else:
        model = name_or_model
    return train.fit(
        model,
        (data["train"]["x"], data["train"]["y"]),
        (data["val"]["x"], data["val"]["y"]),
        config,
        seed=seed,
        device="cpu",
        progress=False,
    )


def forest_scores(
    x_train: np.ndarray,
    y_train: np.ndarray,
    evaluate_on: dict[str, tuple[np.ndarray, np.ndarray]],
    n_estimators: int = 100,
    seed: int = 0,
    n_jobs: int = 1,
) -> dict[str, float]:
    """Accuracy of one random forest, trained on flattened inputs, on every ``(x, y)`` of ``evaluate_on``."""
    from sklearn.ensemble import RandomForestClassifier

    rf = RandomForestClassifier(n_estimators=n_estimators, random_state=seed, n_jobs=n_jobs)
    rf.fit(np.asarray(x_train).reshape(len(x_train), -1), y_train)
    return {name: float(rf.score(np.asarray(x).reshape(len(x), -1), y)) for name, (x, y) in evaluate_on.items()}


def forest(x_train, y_train, x_test, y_test, n_estimators: int = 100, seed: int = 0, n_jobs: int = 1) -> float:
    """Test accuracy of a scikit-learn random forest trained on flattened inputs."""
    return forest_scores(x_train, y_train, {"test": (x_test, y_test)}, n_estimators, seed, n_jobs)["test"]


def max_threshold(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> dict:
    """The simplest rule for the toy task: class 1 when a spectrum's largest value lies below a threshold.

    The threshold is the training spectrum maximum with the best training accuracy (first one on
    ties). Returns ``threshold`` and the ``accuracy`` on the test spectra.
    """
    peak_train, peak_test = np.asarray(x_train).max(axis=1), np.asarray(x_test).max(axis=1)
    grid = np.sort(peak_train)
    train_acc = [((peak_train < t) == np.asarray(y_train)).mean() for t in grid]
    threshold = float(grid[int(np.argmax(train_acc))])
    return {"threshold": threshold, "accuracy": float(((peak_test < threshold) == np.asarray(y_test)).mean())}


def val_accuracy(result: train.FitResult) -> float:
    """Validation accuracy of the epoch whose weights a run kept (its best epoch; else the last)."""
    epoch = result.best_epoch or result.epochs
    return float(result.history[epoch - 1]["val_accuracy"])


def cnn_vs_forest(
    data: dict,
    config: train.TrainConfig,
    seed: int = 0,
    n_estimators: int = 100,
    model: str = "CNN3",
) -> dict:
    """The talk's comparison on toy data with ``train``/``val``/``test`` splits.

    Returns ``accuracy`` (``cnn``: test accuracy of the network, ``cnn_val``: its validation
    accuracy at the kept epoch, ``rf_raw``: the forest on the raw spectra, ``rf_conv``: the
    forest on the flattened last convolution block of the trained network) and the ``fit`` result.
    """
    result = fit_model(model, data, config, seed)
    tr, te = data["train"], data["test"]
    acc = {
        "cnn": train.evaluate(result.model, te["x"], te["y"])["accuracy"],
        "cnn_val": val_accuracy(result),
        "rf_raw": forest(tr["x"], tr["y"], te["x"], te["y"], n_estimators, seed),
    }
    f_train = conv_feature_maps(result.model, tr["x"])[-1]
    f_test = conv_feature_maps(result.model, te["x"])[-1]
    acc["rf_conv"] = forest(f_train, tr["y"], f_test, te["y"], n_estimators, seed)
    return {"accuracy": acc, "fit": result}


def forest_pool_sweep(data: dict, sizes: Sequence[int], n_estimators: int = 100, seed: int = 0) -> list[dict]:
    """Random-forest accuracy on inputs max-pooled with every window of ``sizes``, one and two steps.

    Every forest is trained on ``train`` and scored on ``val`` and ``test``. Sizes whose second
    step would not fit are skipped. Rows: ``size``, ``steps``, ``val``, ``test``.
    """
    tr = data["train"]
    rows = []
    for size in sizes:
        for steps in (1, 2):
            if tr["x"].shape[1] < size**steps:
                continue
            pooled = {s: (max_pool(data[s]["x"], size, steps), data[s]["y"]) for s in ("val", "test")}
            scores = forest_scores(max_pool(tr["x"], size, steps), tr["y"], pooled, n_estimators, seed)
            rows.append({"size": int(size), "steps": steps, **scores})
    return rows


def choose_window(rows: Sequence[dict]) -> dict:
    """The pooling window chosen on validation data from :func:`forest_pool_sweep` rows.

    The window whose single pooling step has the highest ``val`` accuracy (the smallest window on
    ties). Returns ``size``, the one-step row ``one`` and the two-step row ``two`` of that window
    (``None`` when a second step does not fit).
    """
    one_step = [r for r in rows if r["steps"] == 1]
    if not one_step:
        raise ValueError("rows hold no single-step pooling result")
    best = max(one_step, key=lambda r: (r["val"], -r["size"]))
    two = next((r for r in rows if r["steps"] == 2 and r["size"] == best["size"]), None)
    return {"size": best["size"], "one": best, "two": two}


def peak_shares(
    model: nn.Module, x: np.ndarray, positions: np.ndarray, sigmas: np.ndarray, length: int
) -> dict[str, np.ndarray]:
    """:func:`peak_contrast` of every spectrum of ``x``: ``input`` ``(n,)`` and ``blocks`` ``(n, blocks)``.

    The input's share uses the window ``position ± 2 sigma``; every block's value is its best
    channel (:func:`block_contrast`).
    """
    maps = conv_feature_maps(model, x)
    inputs = np.array(
        [peak_contrast(x[r], int(p), int(2 * s)) for r, (p, s) in enumerate(zip(positions, sigmas, strict=True))]
    )
    blocks = np.array(
        [
            [c for c, _ in block_contrast(maps, int(p), float(s), length, row=r)]
            for r, (p, s) in enumerate(zip(positions, sigmas, strict=True))
        ]
    )
    return {"input": inputs, "blocks": blocks}


def pct(x: float) -> str:
    """A share as a percentage with one decimal: ``0.915`` → ``"91.5 %"`` (:func:`lib.notebook.pct`)."""
    return notebook_pct(x, 1)


# --------------------------------------------------------------------------- single filter
class SingleFilterNet(nn.Module):
    """One convolution filter (``"same"``) → ReLU → global max pooling → linear layer to the classes.

    ``init``: ``"glorot"`` (Keras' default, zero-mean weights, zero bias) or ``"positive"``
    (the absolute values of the Glorot draw: the filter sums to a positive number, so a positive
    peak always gives a positive response and ReLU never empties the output).
    """

    def __init__(self, kernel: int = 21, n_classes: int = 2, init: str = "glorot"):
        super().__init__()
        if init not in ("glorot", "positive"):
            raise ValueError(f"init must be 'glorot' or 'positive', got {init!r}")
        self.conv = SameConv1d(1, 1, kernel)
        self.output = nn.Linear(1, n_classes)
        keras_init(self)
        if init == "positive":
            with torch.no_grad():
                self.conv.weight.abs_()

    def response(self, x: torch.Tensor) -> torch.Tensor:
        """The filter's ReLU output ``(n, points)``."""
        if x.dim() == 2:
            x = x.unsqueeze(1)
        return torch.relu(self.conv(x))[:, 0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.response(x).amax(dim=1, keepdim=True))


def dead_fraction(
    x: np.ndarray, positions: np.ndarray, n_inits: int = 200, kernel: int = 21, init: str = "glorot", seed: int = 0
) -> float:
    """Share of ``n_inits`` fresh filters that are blind to the peak: ReLU output zero at the peak of most spectra.

    ``positions``: the peak position of every row of ``x``. (With noise a filter's output is
    rarely zero *everywhere*; what matters is that it is zero where the peak is.)
    """
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    rows = torch.arange(len(xt))
    cols = torch.as_tensor(np.asarray(positions, dtype=np.int64))
    dead = 0
    with torch.no_grad():
        for k in range(n_inits):
            torch.manual_seed(seed + k)
            net = SingleFilterNet(kernel, init=init)
            at_peak = net.response(xt)[rows, cols]
            dead += int((at_peak <= 0).float().mean() > 0.5)
    return dead / n_inits


def train_single_filters(
    data: dict,
    config: train.TrainConfig,
    inits: Sequence[str] = ("glorot", "positive"),
    seeds: Sequence[int] = (0,),
) -> list[dict]:
    """Train :class:`SingleFilterNet` for every ``init`` and seed on toy ``data``.

    Rows: ``init``, ``seed``, test ``accuracy`` and ``blind`` (the trained filter's ReLU output
    is zero at the peak centre of most test spectra).
    """
    te = data["test"]
    rows = []
    for init in inits:
        for s in seeds:
            res = fit_model(lambda init=init: SingleFilterNet(init=init), data, config, seed=s)
            with torch.no_grad():
                out = res.model.response(torch.as_tensor(te["x"]))
            at_peak = out[np.arange(len(out)), te["position"]].numpy()
            rows.append(
                {
                    "init": init,
                    "seed": s,
                    "accuracy": train.evaluate(res.model, te["x"], te["y"])["accuracy"],
                    "blind": bool((at_peak <= 0).mean() > 0.5),
                }
            )
    return rows


# --------------------------------------------------------------------------- position task
def shallow_cnn(input_len: int, n_classes: int = 2, filters: int = 8, kernel: int = 21) -> nn.Module:
    """A shallow CNN without pooling: conv(filters, kernel, "same") → ReLU → flatten → linear (Keras init)."""

    class Shallow(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(SameConv1d(1, filters, kernel), nn.ReLU())
            self.output = nn.Linear(filters * input_len, n_classes)
            keras_init(self)

        def forward(self, x):
            if x.dim() == 2:
                x = x.unsqueeze(1)
            return self.output(self.features(x).flatten(1))

    return Shallow()


def total_stride(model: nn.Module) -> int:
    """Product of the strides of a model's convolutions and poolings: input points per point of the last map."""
    stride = 1
    for m in model.modules():
        if isinstance(m, (nn.Conv1d, nn.MaxPool1d)):
            s = m.stride[0] if isinstance(m.stride, tuple) else m.stride
            if isinstance(m, nn.Conv1d) and m.kernel_size[0] == 1 and s > 1:
                continue  # ResNet's strided shortcut repeats its block's stride
            stride *= s
    return stride


def accuracy_by_distance(correct: np.ndarray, distance: np.ndarray, bin_width: int = 5) -> dict[str, np.ndarray]:
    """Accuracy in bins of the distance to the class border: ``low`` edges, ``accuracy``, ``n``."""
    correct, distance = np.asarray(correct, dtype=float), np.asarray(distance)
    bins = distance // bin_width
    low = np.unique(bins)
    return {
        "low": low * bin_width,
        "accuracy": np.array([correct[bins == b].mean() for b in low]),
        "n": np.array([(bins == b).sum() for b in low]),
    }


def position_experiment(
    pdata: dict,
    factories: dict[str, Callable[[], nn.Module]],
    config: train.TrainConfig,
    seed: int = 0,
    near: int = 5,
    far: int = 25,
    bin_width: int = 5,
    precise: bool = True,
) -> tuple[list[dict], dict[str, dict]]:
    """Train every network of ``factories`` on the position task and score it by distance to the border.

    Networks with batch norm are evaluated with :class:`PreciseBatchNorm` (``precise=False``:
    with Keras' running statistics). Rows: ``model``,
    ``parameters``, ``total stride``, ``val accuracy``, test ``accuracy``, ``near`` (accuracy for
    peaks fewer than ``near`` points from the border), ``far`` (``far`` points or more). Curves:
    :func:`accuracy_by_distance` per network.
    """
    te = pdata["test"]
    rows, curves = [], {}
    for name, factory in factories.items():

        def build_net(factory=factory):
            return with_precise_batch_norm(factory(), pdata["train"]["x"]) if precise else factory()

        res = fit_model(build_net, pdata, config, seed)
        ev = train.evaluate(res.model, te["x"], te["y"])
        correct = ev["pred"] == te["y"]
        curves[name] = accuracy_by_distance(correct, te["distance"], bin_width)
        rows.append(
            {
                "model": name,
                "parameters": count_parameters(res.model),
                "total stride": total_stride(res.model),
                "val accuracy": val_accuracy(res),
                "accuracy": ev["accuracy"],
                "near": float(correct[te["distance"] < near].mean()),
                "far": float(correct[te["distance"] >= far].mean()),
            }
        )
    return rows, curves


# --------------------------------------------------------------------------- batch norm
def stability(val_loss: Sequence[float]) -> float:
    """Mean absolute epoch-to-epoch change of a validation-loss curve divided by its median (0: smooth)."""
    v = np.asarray(val_loss, dtype=float)
    if len(v) < 2:
        return 0.0
    return float(np.abs(np.diff(v)).mean() / max(np.median(v), 1e-12))


def splits(make, sizes: dict[str, int], seed: int = 0, **kwargs) -> dict[str, dict]:
    """``{split: make(n, seed + k, **kwargs)}`` with a different seed per split (train, val, test …)."""
    return {name: make(n, seed=seed * 1000 + k, **kwargs) for k, (name, n) in enumerate(sizes.items())}


# --------------------------------------------------------------------------- batch-norm statistics
def batch_norm_layers(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    """Every batch-norm layer of ``model``."""
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def calibrate_batch_norm(model: nn.Module, x: np.ndarray, batch_size: int = 256) -> nn.Module:
    """Replace every batch-norm layer's running statistics by their exact averages over ``x``.

    The layers see ``x`` in mini-batches of ``batch_size`` with the current weights (every
    other layer in eval mode, so dropout stays off); the running mean and variance become the
    plain averages of the batch statistics (PyTorch's ``momentum=None``). Afterwards the model
    is in eval mode and the layers' momentum is what it was. A model without batch norm is
    returned unchanged.
    """
    layers = batch_norm_layers(model)
    if not layers:
        return model
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    momenta = [layer.momentum for layer in layers]
    model.eval()
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None
        layer.train()
    try:
        with torch.no_grad():
            for start in range(0, len(xt), batch_size):
                model(xt[start : start + batch_size])
    finally:
        for layer, momentum in zip(layers, momenta, strict=True):
            layer.momentum = momentum
            layer.eval()
    return model


class PreciseBatchNorm(nn.Module):
    """A model whose batch-norm statistics are recomputed on ``x`` every time it switches to eval mode.

    Keras' batch norm (momentum 0.99) averages its running statistics over the last ~100
    training steps; after a few short epochs they still lag behind the weights, and a network
    that trains well can predict one class in eval mode. Wrapped in this module, every
    validation (and every later evaluation) uses :func:`calibrate_batch_norm` on the training
    inputs ``x`` instead. The wrapped network is :attr:`model`; calls pass through.
    """

    def __init__(self, model: nn.Module, x: np.ndarray, batch_size: int = 256):
        super().__init__()
        self.model = model
        self.calibration = np.asarray(x, dtype=np.float32)
        self.batch_size = batch_size

    def train(self, mode: bool = True) -> PreciseBatchNorm:
        """Set the mode; a switch from training to eval recomputes the batch-norm statistics."""
        was_training = self.training
        super().train(mode)
        if was_training and not mode:
            calibrate_batch_norm(self.model, self.calibration, self.batch_size)
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def with_precise_batch_norm(model: nn.Module, x: np.ndarray, batch_size: int = 256) -> nn.Module:
    """``model`` wrapped in :class:`PreciseBatchNorm` when it has batch-norm layers, else ``model`` itself."""
    return PreciseBatchNorm(model, x, batch_size) if batch_norm_layers(model) else model


def batch_norm_experiment(
    model: str,
    data: dict,
    config: train.TrainConfig,
    seeds: Sequence[int] = (0,),
    precise: bool = True,
    variants: Sequence[bool] = (False, True),
) -> tuple[list[dict], list[dict]]:
    """Train benchmark network ``model`` on toy ``data`` without and with batch norm (``variants``) for every seed.

    ``precise``: evaluate the batch-norm network with :class:`PreciseBatchNorm` (else with the
    running statistics of Keras' momentum 0.99). Rows: ``batch norm``, ``seed``, ``stability``
    (:func:`stability` of the validation loss), ``val accuracy`` (kept epoch), ``test accuracy``;
    curves: ``batch norm``, ``seed``, ``val_loss``, ``val_accuracy`` per epoch.
    """
    rows, curves = [], []
    x_train = data["train"]["x"]
    n_classes, length = int(data["train"]["y"].max()) + 1, x_train.shape[1]
    for batch_norm in variants:
        for s in seeds:

            def factory(batch_norm=batch_norm):
                net = build(model, length, n_classes, batch_norm=batch_norm)
                return with_precise_batch_norm(net, x_train) if precise else net

            res = fit_model(factory, data, config, seed=s)
            val = [h["val_loss"] for h in res.history]
            curves.append(
                {
                    "batch norm": batch_norm,
                    "seed": s,
                    "val_loss": val,
                    "val_accuracy": [h["val_accuracy"] for h in res.history],
                }
            )
            rows.append(
                {
                    "batch norm": batch_norm,
                    "seed": s,
                    "stability": stability(val),
                    "val accuracy": val_accuracy(res),
                    "test accuracy": train.evaluate(res.model, data["test"]["x"], data["test"]["y"])["accuracy"],
                }
            )
    return rows, curves
