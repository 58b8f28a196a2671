"""The functional-group CNN of Rieger et al. 2023 (R23), the "FGA net", and its published weights.

Architecture (R23 and the authors' ``code_fga/models.py``), every convolution unpadded
("valid"), stride 1, kernel 3::

    features:   0 Conv(1→c) · 1 ReLU · 2 BN(c) · 3 Conv(c→c) · 4 ReLU · 5 BN(c) · 6 MaxPool(2) ·
                7 Conv(c→2c) · 8 ReLU · 9 BN(2c) · 10 Conv(2c→2c) · 11 ReLU · 12 MaxPool(2) ·
                13 BN(2c, affine=False) · 14 Flatten
    classifier: 0 Linear(2c·L → n_groups)

With ``c = 4`` and 850 input points the latent matrix is 8 × 209 (``L = 209``), the classifier
has 1,672 inputs and the network 28,845 parameters. The indices above are the ``nn.Sequential``
positions, so the state-dict keys are ``features.{0,2,3,5,7,9,10,13}.*`` and ``classifier.0.*``,
exactly those of the released weight files, which load with ``strict=True``.

**Outputs.** :meth:`FGANet.forward` returns *logits* (the authors' ``forward`` applied the sigmoid
itself; we keep it out so that the loss can work on logits, see :mod:`lib.losses`).
:meth:`FGANet.predict_proba` and :func:`predict_proba` give probabilities.

**Receptive field.** :func:`receptive_field` walks the layers (conv and pooling arithmetic, no
hard-coded numbers): one latent column of the published net sees 16 input points and adjacent
columns are 4 points apart, so column ``k`` covers input points ``4k … 4k+15``
(:meth:`ReceptiveField.window`). The last two of the 850 input points fall in no column (the
pooling floors away the odd ends).

**Notes on the released files** (``r23_weights/*.pt``): they hold CUDA tensors (we load with
``map_location="cpu"``); BatchNorm 13 has buffers only (``affine=False``); 7 of the 10 nets have
1–3 dead first-layer channels (ReLU output always 0 in training: running mean 0, running variance
~1e-25), which BatchNorm turns into constants; ``features.10`` weights are ~25× smaller than
``features.7``'s (the released code's extra L2 term, see :mod:`lib.losses`); and
``num_batches_tracked`` = 45 × best epoch + 1 (45 batches of 128 per epoch on 5,687 spectra, +1
from a train-mode dry run in the authors' ``__init__``), so every run stopped 6 epochs after its
best (``epochs_run`` in ``runs.json``): the code stops when ``patience > 5``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from lib.models import count_parameters
from lib.reference import R23_GRID

# Output order of the released weights (and of the labels the authors trained on): the order of
# the SMARTS table of R23 (after Fine et al. 2020). Confirmed by the indices the authors' evaluation notebook
# prints (alkane 0, methyl 1, alkene 2, alcohols 4, aromatics 7, alkyl halides 8, esters 9,
# carboxylic acids 12, ether 13).
R23_GROUPS: tuple[str, ...] = (
    "alkane",
    "methyl",
    "alkene",
    "alkyne",
    "alcohols",
    "amines",
    "nitriles",
    "aromatics",
    "alkyl halides",
    "esters",
    "ketones",
    "aldehydes",
    "carboxylic acids",
    "ether",
    "acyl halides",
    "amides",
    "nitro",
)
R23_INPUT_LEN = R23_GRID[2]
R23_CONV_CHANNELS = 4
RUNS_FILE = "runs.json"


# --------------------------------------------------------------------------- receptive field
@dataclass(frozen=True)
class ReceptiveField:
    """Where one output column of a stack of 1-D layers looks in the input.

    ``size`` input points per column, ``stride`` points between adjacent columns, ``start`` the
    first input index of column 0 (negative with padding), ``length`` the number of output
    columns for an input of ``input_len`` points.
    """

    size: int
    stride: int
    start: int
    length: int
    input_len: int

    def window(self, k: int, clip: bool = True) -> tuple[int, int]:
        """Half-open input range ``[lo, hi)`` seen by output column ``k`` (clipped to the input)."""
        if not 0 <= k < self.length:
            raise IndexError(f"column {k} outside 0..{self.length - 1}")
        lo = self.start + k * self.stride
        hi = lo + self.size
        if clip:
            lo, hi = max(lo, 0), min(hi, self.input_len)
        return lo, hi

    def columns_seeing(self, i: int) -> range:
        """The output columns whose window contains input point ``i`` (the inverse of :meth:`window`)."""
        first = -(-(i - self.start - self.size + 1) // self.stride)  # ceil division
        last = (i - self.start) // self.stride
        return range(max(first, 0), min(last, self.length - 1) + 1)

    def mask(self) -> np.ndarray:
        """Boolean ``(length, input_len)`` matrix: column ``k`` sees input point ``i``."""
        out = np.zeros((self.length, self.input_len), dtype=bool)
        for k in range(self.length):
            lo, hi = self.window(k)
            out[k, lo:hi] = True
        return out


_POINTWISE = (nn.ReLU, nn.LeakyReLU, nn.BatchNorm1d, nn.Dropout, nn.Identity, nn.Sigmoid, nn.Tanh, nn.GELU)


def _single(value) -> int:
    value = value if isinstance(value, int) else value[0]
    return int(value)


def _leaves(layers: nn.Module | Sequence[nn.Module]):
    """The layers in order, nested ``Sequential``/``ModuleList`` containers opened."""
    for layer in layers:
        if isinstance(layer, nn.Sequential | nn.ModuleList):
            yield from _leaves(layer)
        else:
            yield layer


def receptive_field(layers: nn.Module | Sequence[nn.Module], input_len: int = R23_INPUT_LEN) -> ReceptiveField:
    """Receptive field of one output column of ``layers`` (a module with ``features``, or layers).

    Walks the layers in order (nested ``Sequential`` containers opened) up to the first
    ``Flatten`` with the usual recursion: a layer of kernel ``k``, stride ``s``, dilation ``d``
    and padding ``p`` turns (size ``r``, jump ``j``, start ``a``, length ``n``) into
    (``r + (k-1)·d·j``, ``j·s``, ``a − p·j``, ``floor((n + 2p − d(k−1) − 1)/s) + 1``).
    Pointwise layers (ReLU, BatchNorm, dropout) change nothing; any other layer raises
    ``TypeError``.
    """
    if hasattr(layers, "features"):
        layers = layers.features
    size, jump, start, length = 1, 1, 0, int(input_len)
    for layer in _leaves(layers):
        if isinstance(layer, nn.Flatten):
            break
        if isinstance(layer, _POINTWISE):
            continue
        if isinstance(layer, nn.Conv1d | nn.MaxPool1d | nn.AvgPool1d):
            k, s = _single(layer.kernel_size), _single(layer.stride)
            d = _single(getattr(layer, "dilation", 1))
            p = layer.padding
            if isinstance(p, str):
                if p != "valid":
                    raise TypeError(f"padding={p!r} is not supported by receptive_field")
                p = 0
            p = _single(p)
            if getattr(layer, "ceil_mode", False):
                raise TypeError("ceil_mode pooling is not supported by receptive_field")
            size += (k - 1) * d * jump
            start -= p * jump
            length = (length + 2 * p - d * (k - 1) - 1) // s + 1
            jump *= s
        else:
            raise TypeError(f"receptive_field does not know the layer {layer!r}")
    if length < 1:
        raise ValueError(f"input of {input_len} points is too short for these layers")
    return ReceptiveField(size=size, stride=jump, start=start, length=length, input_len=int(input_len))


def input_window(model: nn.Module, k: int, input_len: int | None = None) -> tuple[int, int]:
    """Half-open input range ``[lo, hi)`` behind latent column ``k`` of ``model`` (``4k, 4k + 16`` for R23)."""
    input_len = input_len if input_len is not None else getattr(model, "input_len", R23_INPUT_LEN)
    return receptive_field(model, input_len).window(k)


# --------------------------------------------------------------------------- the model
class FGANet(nn.Module):
    """R23's FGA net. ``forward`` returns logits ``(N, n_groups)``; see the module docstring.

    Input: ``(N, 1, input_len)`` or ``(N, input_len)`` spectra, each divided by its own maximum.
    """

    def __init__(
        self,
        input_len: int = R23_INPUT_LEN,
        n_groups: int = len(R23_GROUPS),
        conv_channels: int = R23_CONV_CHANNELS,
        kernel_size: int = 3,
        in_channels: int = 1,
    ):
        super().__init__()
        c, k = conv_channels, kernel_size
        self.input_len, self.n_groups, self.conv_channels = int(input_len), int(n_groups), int(conv_channels)
        self.in_channels = int(in_channels)
        self.features = nn.Sequential(
            nn.Conv1d(in_channels, c, k),  # 0
            nn.ReLU(),  # 1
            nn.BatchNorm1d(c),  # 2
            nn.Conv1d(c, c, k),  # 3
            nn.ReLU(),  # 4
            nn.BatchNorm1d(c),  # 5
            nn.MaxPool1d(2),  # 6
            nn.Conv1d(c, 2 * c, k),  # 7
            nn.ReLU(),  # 8
            nn.BatchNorm1d(2 * c),  # 9
            nn.Conv1d(2 * c, 2 * c, k),  # 10
            nn.ReLU(),  # 11
            nn.MaxPool1d(2),  # 12
            nn.BatchNorm1d(2 * c, affine=False),  # 13
            nn.Flatten(),  # 14
        )
        self.rf = receptive_field(self.features, self.input_len)
        self.latent_shape = (2 * c, self.rf.length)
        self.classifier = nn.Sequential(nn.Linear(2 * c * self.rf.length, n_groups))

    def _as_batch(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2 and self.in_channels == 1:
            x = x.unsqueeze(1)
        if x.dim() != 3 or x.shape[1] != self.in_channels or x.shape[2] != self.input_len:
            raise ValueError(
                f"expected spectra of shape (N, {self.in_channels}, {self.input_len}), got {tuple(x.shape)}"
            )
        return x

    def latent(self, x: torch.Tensor) -> torch.Tensor:
        """The latent matrix ``(N, 2c, L)`` (after the last BatchNorm, before flattening)."""
        return self.features[:-1](self._as_batch(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(self._as_batch(x)))

    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Sigmoid of the logits: the per-group probability of presence."""
        return torch.sigmoid(self(x))

    def classifier_weights(self) -> torch.Tensor:
        """The linear layer's weights reshaped ``(n_groups, 2c, L)`` (flattening is channel-major)."""
        return self.classifier[0].weight.detach().reshape(self.n_groups, *self.latent_shape)

    def extra_repr(self) -> str:
        return (
            f"input_len={self.input_len}, n_groups={self.n_groups}, conv_channels={self.conv_channels}, "
            f"latent={self.latent_shape[0]}x{self.latent_shape[1]}, receptive_field={self.rf.size}/{self.rf.stride}"
        )


#: Number of (trainable) parameters (:func:`lib.models.count_parameters`).
n_parameters = count_parameters


def load_fga(path: str | os.PathLike, input_len: int = R23_INPUT_LEN, device: str | torch.device = "cpu") -> FGANet:
    """One weight file (a PyTorch state dict) as an :class:`FGANet` in eval mode.

    ``conv_channels`` and ``n_groups`` are read from the tensor shapes; ``input_len`` cannot be
    (848–851 points all give 209 latent columns), so it is a parameter, checked against the
    classifier's input size. Loading is ``strict=True`` and ``weights_only=True``.
    """
    path = Path(path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or "features.0.weight" not in state or "classifier.0.weight" not in state:
        raise ValueError(f"{path} is not an FGA net state dict (keys: {list(state)[:5]}...)")
    conv_channels, in_channels, kernel_size = state["features.0.weight"].shape
    n_groups, n_in = state["classifier.0.weight"].shape
    model = FGANet(
        input_len=input_len,
        n_groups=n_groups,
        conv_channels=conv_channels,
        kernel_size=kernel_size,
        in_channels=in_channels,
    )
    expected = model.classifier[0].in_features
    if n_in != expected:
        raise ValueError(
            f"{path.name}: classifier takes {n_in} inputs but conv_channels={conv_channels} and "
            f"input_len={input_len} give {expected}; pass the input length the weights were trained on"
        )
    model.load_state_dict(state, strict=True)
    return model.to(device).eval()


def read_runs(folder: str | os.PathLike) -> dict[str, dict]:
    """``runs.json`` of a weight folder (run info keyed by file stem), or ``{}`` when absent."""
    path = Path(folder) / RUNS_FILE
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


class FGAEnsemble(nn.Module):
    """Several FGA nets (e.g. the ten seeds) with their names and run info.

    ``forward`` returns every member's logits stacked ``(n_models, N, n_groups)``;
    :meth:`predict_proba` the mean of the members' probabilities ``(N, n_groups)``.
    """

    def __init__(self, models: Sequence[FGANet], names: Sequence[str] | None = None, runs: Sequence[dict] = ()):
        super().__init__()
        if not models:
            raise ValueError("an ensemble needs at least one model")
        self.members = nn.ModuleList(models)
        self.names = list(names) if names is not None else [str(i) for i in range(len(models))]
        self.runs = list(runs) if runs else [{} for _ in models]
        if not len(self.names) == len(self.runs) == len(self.members):
            raise ValueError("models, names and runs must have the same length")

    def __len__(self) -> int:
        return len(self.members)

    def __iter__(self) -> Iterator[FGANet]:
        return iter(self.members)

    def __getitem__(self, i: int) -> FGANet:
        return self.members[i]

    @property
    def seeds(self) -> list[int | None]:
        return [run.get("seed") for run in self.runs]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(x) for m in self.members])

    def predict_proba_all(self, x: torch.Tensor) -> torch.Tensor:
        """Every member's probabilities ``(n_models, N, n_groups)``."""
        return torch.sigmoid(self(x))

    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Mean over the members of their probabilities ``(N, n_groups)``."""
        return self.predict_proba_all(x).mean(dim=0)


def load_ensemble(
    folder: str | os.PathLike,
    input_len: int = R23_INPUT_LEN,
    device: str | torch.device = "cpu",
) -> FGAEnsemble:
    """Every ``*.pt`` in ``folder`` (R23's published nets: :func:`lib.ir.weights.published_weights_dir`), sorted by
    name, in eval mode.

    Run info comes from ``runs.json`` in the folder when present (keyed by file stem); when it
    names ``conv_channels``, that is checked against the weights.
    """
    folder = Path(folder)
    files = sorted(folder.glob("*.pt"))
    if not files:
        raise FileNotFoundError(f"no *.pt weight files in {folder}")
    runs = read_runs(folder)
    models, infos = [], []
    for f in files:
        model = load_fga(f, input_len=input_len, device=device)
        info = dict(runs.get(f.stem, {}))
        if "conv_channels" in info and int(info["conv_channels"]) != model.conv_channels:
            raise ValueError(
                f"{f.name}: runs.json says conv_channels={info['conv_channels']}, weights have {model.conv_channels}"
            )
        models.append(model)
        infos.append(info)
    return FGAEnsemble(models, names=[f.stem for f in files], runs=infos)


@torch.no_grad()
def predict_proba(
    model: FGANet | FGAEnsemble,
    spectra: np.ndarray | torch.Tensor,
    batch_size: int = 256,
    device: str | torch.device | None = None,
) -> np.ndarray:
    """Probabilities ``(N, n_groups)`` as float64 numpy, in eval mode and batches (ensemble: member mean).

    The default batch of 256 is the fastest on a 2-core CPU (about 5× faster than 4,096, whose
    activations no longer fit the caches; measured in the chapter *Benchmarking*).

    ``spectra`` is ``(N, input_len)`` or ``(N, 1, input_len)``, already normalised. The model is
    put in eval mode (and left there).
    """
    model.eval()
    if device is None:
        device = next(model.parameters()).device
    x = torch.as_tensor(np.asarray(spectra, dtype=np.float32)) if isinstance(spectra, np.ndarray) else spectra
    out = [
        model.predict_proba(x[i : i + batch_size].to(device=device, dtype=torch.float32)).cpu()
        for i in range(0, len(x), batch_size)
    ]
    if not out:
        n_groups = model.n_groups if isinstance(model, FGANet) else model[0].n_groups
        return np.zeros((0, n_groups))
    return torch.cat(out).double().numpy()
