"""The eight CNNs of the S23 benchmark (S23 Table 1 and the authors' released code), in PyTorch.

CNN2, CNN3, INC3, INC6 (Lee 2020), CNN6 (Szymanski 2021), VGG (Wang 2020), CNN-BN (Liu 2017)
and ResNet (Ho 2019), as Schuetzke et al. re-implemented them in Keras
(``jschuetzke/synthetic-spectra-benchmark``, ``model_implementations/``). Every network maps
spectra ``(N, L)`` or ``(N, 1, L)`` to logits ``(N, n_classes)``; the softmax belongs to the loss.
The input length and the number of classes are parameters and the flatten size is derived.

Ablation switches (keyword arguments of every model; the defaults are the published models):
``dense`` (hidden dense sizes), ``dense_activation`` (``"linear"`` or ``"relu"``), ``dropout``
(before every dense layer and before the output), ``batch_norm`` (conv → BN → activation),
``conv_dropout`` (after every pooling / down-sampling step). :data:`MODIFIED` names S23 Table 2's
modified models as the authors built them (``model_implementations/modifications.py``).

Where the Keras originals leave details open we match them exactly:

* ``"same"`` padding is TensorFlow's: output length ``ceil(L / stride)``, the total padding
  ``max((out - 1) * stride + kernel - L, 0)`` split with the extra point on the *right*.
  PyTorch's ``padding="same"`` refuses strides > 1, so :class:`SameConv1d` pads explicitly
  (even kernels and strided convolutions included); results equal Keras' for any length.
* Max pooling is unpadded (Keras ``"valid"``): ``floor((L - size) / stride) + 1`` points.
* The inception block's average pooling is ``"same"`` padded and, like TensorFlow, averages
  only over the real points (``count_include_pad=False``).
* ``init="keras"`` (the default) draws weights Glorot-uniform with zero biases, Keras' default
  for ``Conv1D`` and ``Dense``; batch norm uses Keras' ``momentum=0.99, epsilon=1e-3``
  (PyTorch ``momentum=0.01, eps=1e-3``). ``init="torch"`` keeps PyTorch's defaults.

Deliberate differences from the Keras code: the networks end in logits, not a softmax layer
(the softmax is in the loss, :func:`lib.train.cross_entropy`); we flatten channels-first
``(C, L)`` where Keras flattens ``(L, C)``, which only permutes the rows of the first dense
weight matrix (same function class, same parameter count) but matters if Keras weights were
ever imported; with ``dropout=0`` no dropout layer is created (Keras' helper does the same).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from lib.models import count_parameters  # the one parameter counter, also offered here

#: The eight benchmark networks, in S23's order of Table 1.
MODELS = ["CNN2", "CNN3", "CNN6", "INC3", "INC6", "VGG", "CNN-BN", "ResNet"]
#: Our own architectures (not in S23), for the "beyond the paper" comparisons.
OURS = ["Lite"]

ACTIVATIONS = ("linear", "relu")

# (filters, kernel, stride, pool size, pool stride) of the plain convolution stacks
CNN2_STACK = [(64, 50, 2, 3, 2), (64, 25, 3, 2, 3)]
CNN3_STACK = [(64, 20, 1, 3, 3), (64, 15, 1, 2, 3), (64, 10, 2, 1, 2)]
CNN6_STACK = [
    (64, 35, 1, 3, 2),
    (64, 30, 1, 3, 2),
    (64, 25, 1, 2, 2),
    (64, 20, 1, 1, 2),
    (64, 15, 1, 1, 2),
    (64, 10, 1, 1, 2),
]
# Lite (ours): five narrow conv → pool(2, 2) steps with kernels shrinking as the resolution halves
LITE_STACK = [(16, 15, 1, 2, 2), (32, 9, 1, 2, 2), (32, 9, 1, 2, 2), (64, 7, 1, 2, 2), (64, 5, 1, 2, 2)]
CNNBN_STACK = [(16, 21, 1, 2, 2), (32, 11, 1, 2, 2), (64, 5, 1, 2, 2)]
VGG_BLOCKS = [(6,), (16, 16), (32, 32), (64, 64)]  # filters of the convolutions before each pool(2, 2)
# inception filter lists (a, b, c, d, e, f); INC3 uses the first three, INC6 all six
INCEPTION_FILTERS = [
    (22, 32, 42, 6, 12, 10),
    (28, 43, 56, 7, 14, 14),
    (37, 56, 73, 9, 18, 19),
    (49, 74, 96, 12, 24, 25),
    (65, 97, 126, 16, 32, 32),
    (85, 128, 166, 19, 38, 43),
]


# --------------------------------------------------------------------------- layers
def same_padding(length: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's ``"same"`` padding ``(left, right)`` for an input of ``length`` points."""
    out = math.ceil(length / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - length, 0)
    return total // 2, total - total // 2


class SameConv1d(nn.Conv1d):
    """``Conv1d`` with Keras/TensorFlow ``"same"`` padding for any kernel and stride.

    Odd kernels at stride 1 pad symmetrically inside the convolution; otherwise the input is
    padded explicitly (extra point on the right), as TensorFlow does.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1):
        symmetric = stride == 1 and kernel_size % 2 == 1
        super().__init__(in_channels, out_channels, kernel_size, stride, padding=(kernel_size - 1) // 2 * symmetric)
        self.symmetric = symmetric

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.symmetric:
            x = F.pad(x, same_padding(x.shape[-1], self.kernel_size[0], self.stride[0]))
        return super().forward(x)


def _batch_norm(channels: int) -> nn.BatchNorm1d:
    return nn.BatchNorm1d(channels, eps=1e-3, momentum=0.01)  # Keras' defaults (momentum 0.99)


def conv_unit(
    in_channels: int,
    filters: int,
    kernel: int,
    stride: int = 1,
    batch_norm: bool = False,
    activation: Callable[[], nn.Module] | None = nn.ReLU,
) -> list[nn.Module]:
    """Convolution (``"same"``) → optional batch norm → optional activation."""
    layers: list[nn.Module] = [SameConv1d(in_channels, filters, kernel, stride)]
    if batch_norm:
        layers.append(_batch_norm(filters))
    if activation is not None:
        layers.append(activation())
    return layers


class InceptionBlock(nn.Module):
    """Inception v1 block: 1×1 | 1×1→3 | 1×1→5 | avg-pool 3→1×1, concatenated on channels."""

    def __init__(self, in_channels: int, filters: Sequence[int], batch_norm: bool = False):
        super().__init__()
        if len(filters) != 6:
            raise ValueError(f"filters must be six numbers (a, b, c, d, e, f), got {filters!r}")
        a, b, c, d, e, f = filters
        self.branch1 = nn.Sequential(*conv_unit(in_channels, a, 1, batch_norm=batch_norm))
        self.branch3 = nn.Sequential(
            *conv_unit(in_channels, b, 1, batch_norm=batch_norm), *conv_unit(b, c, 3, batch_norm=batch_norm)
        )
        self.branch5 = nn.Sequential(
            *conv_unit(in_channels, d, 1, batch_norm=batch_norm), *conv_unit(d, e, 5, batch_norm=batch_norm)
        )
        self.branch_pool = nn.Sequential(
            nn.AvgPool1d(3, stride=1, padding=1, count_include_pad=False),
            *conv_unit(in_channels, f, 1, batch_norm=batch_norm),
        )
        self.out_channels = a + c + e + f

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)], dim=1)


class ResidualBlock(nn.Module):
    """Ho 2019 residual block: conv→BN→ReLU→conv→BN, plus the shortcut, then ReLU.

    ``downsample``: the first convolution strides 2 and the shortcut is a strided 1×1
    convolution (+ BN); otherwise the shortcut is the identity.
    """

    def __init__(
        self, in_channels: int, filters: int = 100, kernel: int = 5, downsample: bool = False, batch_norm: bool = True
    ):
        super().__init__()
        if not downsample and in_channels != filters:
            raise ValueError(f"an identity block needs in_channels == filters, got {in_channels} and {filters}")
        stride = 2 if downsample else 1
        self.body = nn.Sequential(
            *conv_unit(in_channels, filters, kernel, stride, batch_norm),
            *conv_unit(filters, filters, kernel, 1, batch_norm, activation=None),
        )
        self.shortcut = (
            nn.Sequential(*conv_unit(in_channels, filters, 1, 2, batch_norm, activation=None))
            if downsample
            else nn.Identity()
        )
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + self.shortcut(x))


# --------------------------------------------------------------------------- the network
class BenchmarkNet(nn.Module):
    """``features`` (convolutions) → flatten → ``head`` (dropout, dense, activation …, dropout) → ``output``.

    ``embed`` returns the input of the output layer (the last hidden representation).
    """

    def __init__(
        self,
        name: str,
        features: nn.Sequential,
        input_len: int,
        n_classes: int,
        dense: Sequence[int],
        dense_activation: str,
        dropout: float,
        init: str = "keras",
        switches: dict | None = None,
    ):
        super().__init__()
        _check_common(input_len, n_classes, dense, dense_activation, dropout, init)
        self.name, self.input_len, self.n_classes = name, input_len, n_classes
        self.switches = dict(switches or {})
        self.features = features
        self.flatten = nn.Flatten()
        self.flat_size = self._flat_size(input_len)
        layers: list[nn.Module] = []
        width = self.flat_size
        for size in dense:
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            layers += [nn.Linear(width, size), nn.ReLU() if dense_activation == "relu" else nn.Identity()]
            width = size
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        self.head = nn.Sequential(*layers)
        self.output = nn.Linear(width, n_classes)
        if init == "keras":
            keras_init(self)

    def _flat_size(self, input_len: int) -> int:
        was_training = self.features.training
        self.features.eval()
        try:
            with torch.no_grad():
                shape = self.features(torch.zeros(1, 1, input_len)).shape
        except RuntimeError as err:  # a pooling window longer than what is left
            raise ValueError(f"input_len={input_len} is too short for {self.name} ({err})") from None
        finally:
            self.features.train(was_training)
        if shape[-1] < 1:
            raise ValueError(f"input_len={input_len} is too short for {self.name}")
        return int(shape[1] * shape[2])

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's output (the input of :attr:`output`)."""
        if x.dim() == 2:
            x = x.unsqueeze(1)
        return self.head(self.flatten(self.features(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.embed(x))


def keras_init(model: nn.Module) -> nn.Module:
    """Keras' default initialisation: Glorot-uniform weights, zero biases (conv and dense)."""
    for module in model.modules():
        if isinstance(module, (nn.Conv1d, nn.Linear)):
            nn.init.xavier_uniform_(module.weight)  # fan_in = in·k, fan_out = out·k, as Keras
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    return model


def _check_common(input_len, n_classes, dense, dense_activation, dropout, init) -> None:
    if not isinstance(input_len, int) or input_len < 1:
        raise ValueError(f"input_len must be a positive integer, got {input_len!r}")
    if not isinstance(n_classes, int) or n_classes < 1:
        raise ValueError(f"n_classes must be a positive integer, got {n_classes!r}")
    if any((not isinstance(s, int)) or s < 1 for s in dense):
        raise ValueError(f"dense must be positive integers, got {dense!r}")
    if dense_activation not in ACTIVATIONS:
        raise ValueError(f"dense_activation must be one of {ACTIVATIONS}, got {dense_activation!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
    if init not in ("keras", "torch"):
        raise ValueError(f"init must be 'keras' or 'torch', got {init!r}")


def _check_conv_dropout(conv_dropout: float) -> None:
    if not 0 <= conv_dropout < 1:
        raise ValueError(f"conv_dropout must lie in [0, 1), got {conv_dropout!r}")


# --------------------------------------------------------------------------- convolution stacks
Stack = list[nn.Module]


def _plain_stack(
    stack: Sequence[tuple[int, int, int, int, int]],
    batch_norm: bool,
    conv_dropout: float,
    activation: Callable[[], nn.Module] = nn.ReLU,
    in_channels: int = 1,
) -> tuple[Stack, int]:
    """Conv → (BN) → activation → max-pool → (dropout) for every ``(filters, kernel, stride, pool, pool stride)``."""
    layers: Stack = []
    for filters, kernel, stride, pool, pool_stride in stack:
        layers += conv_unit(in_channels, filters, kernel, stride, batch_norm, activation)
        layers.append(nn.MaxPool1d(pool, pool_stride))
        if conv_dropout > 0:
            layers.append(nn.Dropout(conv_dropout))
        in_channels = filters
    return layers, in_channels


def _leaky_relu() -> nn.Module:
    return nn.LeakyReLU(0.1)


def _plain(stack: Sequence[tuple[int, int, int, int, int]], activation: Callable[[], nn.Module] = nn.ReLU):
    """Stack builder of a plain convolution stack (CNN2, CNN3, CNN6, CNN-BN, Lite)."""

    def features(batch_norm: bool, conv_dropout: float) -> Stack:
        return _plain_stack(stack, batch_norm, conv_dropout, activation)[0]

    return features


def _inception(blocks: int):
    """Stack builder of INC3 / INC6: CNN3's stack, then ``blocks`` inception blocks."""

    def features(batch_norm: bool, conv_dropout: float) -> Stack:
        layers, channels = _plain_stack(CNN3_STACK, batch_norm, conv_dropout)
        for filters in INCEPTION_FILTERS[:blocks]:
            block = InceptionBlock(channels, filters, batch_norm)
            layers.append(block)
            channels = block.out_channels
        return layers

    return features


def _vgg_features(batch_norm: bool, conv_dropout: float, kernel_size: int) -> Stack:
    """VGG: the convolution groups of :data:`VGG_BLOCKS` (kernel ``kernel_size``), each → pool(2, 2) → (dropout)."""
    layers: Stack = []
    channels = 1
    for group in VGG_BLOCKS:
        for filters in group:
            layers += conv_unit(channels, filters, kernel_size, 1, batch_norm)
            channels = filters
        layers.append(nn.MaxPool1d(2, 2))
        if conv_dropout > 0:
            layers.append(nn.Dropout(conv_dropout))
    return layers


def _resnet_features(
    batch_norm: bool, conv_dropout: float, stages: int, blocks_per_stage: int, filters: int, stem_relu: bool | None
) -> Stack:
    """ResNet: stem conv(64, 5) (+ BN, or + ReLU), then ``stages`` × ``blocks_per_stage`` residual blocks."""
    if stem_relu is None:
        stem_relu = not batch_norm
    layers = conv_unit(1, 64, 5, 1, batch_norm, activation=nn.ReLU if stem_relu else None)
    channels = 64
    for _ in range(stages):
        for b in range(blocks_per_stage):
            layers.append(ResidualBlock(channels, filters, 5, downsample=b == 0, batch_norm=batch_norm))
            channels = filters
        if conv_dropout > 0:
            layers.append(nn.Dropout(conv_dropout))
    return layers


# --------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class NetSpec:
    """One network: its convolution stack and the published values of its switches.

    ``features(batch_norm, conv_dropout, **extra)`` builds the convolution stack; ``extra`` holds
    the network's own switches with their defaults (e.g. VGG's ``kernel_size``).
    """

    summary: str
    features: Callable[..., Stack]
    dense: tuple[int, ...]
    dense_activation: str = "linear"
    dropout: float = 0.0
    batch_norm: bool = False
    conv_dropout: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def defaults(self) -> dict[str, Any]:
        """Every switch with its published value, ``init`` included."""
        common = {
            "dense": self.dense,
            "dense_activation": self.dense_activation,
            "dropout": self.dropout,
            "batch_norm": self.batch_norm,
            "conv_dropout": self.conv_dropout,
        }
        return {**common, **self.extra, "init": "keras"}


#: The networks by name (S23 Table 1, plus our Lite): one row per network.
SPECS: dict[str, NetSpec] = {
    "CNN2": NetSpec(
        "CNN2 (Lee 2020): conv(64, 50, /2) → pool(3, 2); conv(64, 25, /3) → pool(2, 3); dense 2000, 500 linear; 0.3.",
        _plain(CNN2_STACK), (2000, 500), "linear", 0.3,
    ),
    "CNN3": NetSpec(
        "CNN3 (Lee 2020): (64, 20)→pool(3, 3); (64, 15)→pool(2, 3); (64, 10, /2)→pool(1, 2); dense 2500, 1000 linear.",
        _plain(CNN3_STACK), (2500, 1000), "linear", 0.3,
    ),
    "CNN6": NetSpec(
        "CNN6 (Szymanski 2021): six conv(64, 35…10) + pools; dense 3100, 1200 **ReLU**; dropout 0.7.",
        _plain(CNN6_STACK), (3100, 1200), "relu", 0.7,
    ),
    "INC3": NetSpec(
        "INC3 (Lee 2020): CNN3's stack + 3 inception blocks; dense 3700, 740 linear; dropout 0.3.",
        _inception(3), (3700, 740), "linear", 0.3,
    ),
    "INC6": NetSpec(
        "INC6 (Lee 2020): CNN3's stack + 6 inception blocks; dense 4000, 400 linear; dropout 0.3.",
        _inception(6), (4000, 400), "linear", 0.3,
    ),
    "VGG": NetSpec(
        "VGG (Wang 2020): (6) | (16, 16) | (32, 32) | (64, 64) convs of kernel 5, each group → pool(2, 2) → "
        "dropout 0.2; dense 120, 84, 186 linear without dropout. ``kernel_size`` is only there for the "
        "authors' modified VGG (kernel 20, see :data:`MODIFIED`).",
        _vgg_features, (120, 84, 186), "linear", 0.0, conv_dropout=0.2, extra={"kernel_size": 5},
    ),
    "CNN-BN": NetSpec(
        "CNN-BN (Liu 2017): (16, 21) | (32, 11) | (64, 5), each conv → BN → LeakyReLU(0.1) → pool(2, 2); "
        "dense 2048 linear; dropout 0.5.",
        _plain(CNNBN_STACK, _leaky_relu), (2048,), "linear", 0.5, batch_norm=True,
    ),
    "ResNet": NetSpec(
        "ResNet (Ho 2019): conv(64, 5) + BN; 6 stages × 2 residual blocks (100 filters, kernel 5, the first of a "
        "stage strides 2 with a strided 1×1 shortcut); no dense layer; dropout 0.5 before the output. The stem "
        "convolution is linear when followed by batch norm (the original); ``stem_relu`` (default: "
        "``not batch_norm``) adds a ReLU, as the authors' modified ResNet without BN has. ``conv_dropout`` acts "
        "after every stage.",
        _resnet_features, (), "linear", 0.5, batch_norm=True,
        extra={"stages": 6, "blocks_per_stage": 2, "filters": 100, "stem_relu": None},
    ),
    "Lite": NetSpec(
        "Lite (**ours**, not an S23 model): CNN6's recipe — plain convolutions, a ReLU dense layer, heavy "
        "dropout, no batch norm — at about a tenth of its multiply-adds. Five conv(16…64, kernel 15…5) → "
        "pool(2, 2) steps keep every 32nd position (CNN6: every 64th) with narrow early layers, where the "
        "resolution is high and the compute lies; one dense layer of 512 ReLU units with dropout 0.5. At S23's "
        "5,000 points and 500 classes: ≈ 45 M multiply-adds per spectrum (CNN6: 543 M) and ≈ 5.4 M parameters "
        "(CNN6: 20 M).",
        _plain(LITE_STACK), (512,), "relu", 0.5,
    ),
}  # fmt: skip


def _build_spec(name: str, input_len: int, n_classes: int, switches: dict[str, Any]) -> BenchmarkNet:
    """The one builder: the network ``name`` of :data:`SPECS` with ``switches`` over its defaults."""
    spec = SPECS[name]
    defaults = spec.defaults()
    unknown = sorted(set(switches) - set(defaults))
    if unknown:
        raise ValueError(f"{name} has no switch {', '.join(map(repr, unknown))}; its switches are {list(defaults)}")
    opts = {**defaults, **switches}
    _check_conv_dropout(opts["conv_dropout"])
    features = spec.features(opts["batch_norm"], opts["conv_dropout"], **{k: opts[k] for k in spec.extra})
    recorded = {k: (list(v) if isinstance(v, tuple) else v) for k, v in opts.items() if k != "init"}
    return BenchmarkNet(
        name, nn.Sequential(*features), input_len, n_classes, opts["dense"], opts["dense_activation"],
        opts["dropout"], opts["init"], recorded,
    )  # fmt: skip


def _factory(name: str) -> Callable[..., BenchmarkNet]:
    """``factory(input_len=5000, n_classes=500, **switches)`` for one row of :data:`SPECS`."""

    def factory(input_len: int = 5000, n_classes: int = 500, **switches: Any) -> BenchmarkNet:
        return _build_spec(name, input_len, n_classes, switches)

    factory.__name__ = factory.__qualname__ = name.lower().replace("-", "_")
    factory.__doc__ = SPECS[name].summary
    return factory


#: One factory per network, named after it (``lite`` builds ``"Lite"``): ``build`` without the name.
FACTORIES: dict[str, Callable[..., BenchmarkNet]] = {name: _factory(name) for name in SPECS}
cnn2, cnn3, cnn6, inc3, inc6, vgg, cnn_bn, resnet, lite = FACTORIES.values()

#: S23 Table 2's modified models, as the authors' ``modifications.py`` builds them: base model and switches.
#: Note that the authors changed more than the table's names say: CNN6-ConvDO also drops the dense
#: dropout; the modified CNN-BN, VGG and ResNet also get ReLU dense layers, VGG kernel 20 and dense
#: 2000, 500 (dropout 0.3), ResNet dense 3100, 1200 (dropout 0.5) and no batch norm.
MODIFIED: dict[str, tuple[str, dict]] = {
    "CNN6-BN": ("CNN6", {"batch_norm": True}),
    "CNN6-ConvDO": ("CNN6", {"conv_dropout": 0.2, "dropout": 0.0}),
    "CNN-BN-noBN": ("CNN-BN", {"batch_norm": False, "dense_activation": "relu"}),
    "VGG-noConvDO": (
        "VGG",
        {"conv_dropout": 0.0, "kernel_size": 20, "dense": (2000, 500), "dense_activation": "relu", "dropout": 0.3},
    ),
    "ResNet-dense": ("ResNet", {"batch_norm": False, "dense": (3100, 1200), "dense_activation": "relu"}),
}


def build(name: str, input_len: int = 5000, n_classes: int = 500, **switches) -> BenchmarkNet:
    """A benchmark model by name (:data:`MODELS`, :data:`OURS` or :data:`MODIFIED`), with optional switches.

    Example: ``build("CNN2", dense_activation="relu")`` is CNN2 with ReLU dense layers (S23 Fig. 7).
    """
    if name in MODIFIED:
        base, preset = MODIFIED[name]
        net = build(base, input_len, n_classes, **{**preset, **switches})
        net.name = name
        return net
    if name not in SPECS:
        raise ValueError(f"unknown model name {name!r}; choose from {MODELS + OURS + list(MODIFIED)}")
    return _build_spec(name, input_len, n_classes, switches)


# --------------------------------------------------------------------------- cost
def layer_macs(model: nn.Module, input_len: int | None = None) -> list[dict[str, Any]]:
    """Multiply-adds per spectrum of every convolution and dense layer, in the order they run.

    Analytic, from the layer shapes seen on one spectrum: a ``Conv1d`` with ``C_in`` input
    channels, ``C_out`` filters, kernel ``k``, ``g`` groups and ``L_out`` output points costs
    ``L_out · C_out · (C_in / g) · k``; a ``Linear`` layer ``in · out``. Rows: ``layer`` (module
    name), ``kind``, ``macs``. Works on the meta device (no weights allocated).
    """
    if input_len is None:
        input_len = getattr(model, "input_len", None)
        if input_len is None:
            raise ValueError("input_len is needed for a model without an 'input_len' attribute")
    rows: list[dict[str, Any]] = []

    def hook(name: str):
        def record(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            if isinstance(module, nn.Conv1d):
                per_point = module.out_channels * (module.in_channels // module.groups) * module.kernel_size[0]
                macs = int(output.shape[-1]) * per_point
            else:
                macs = module.in_features * module.out_features
            rows.append({"layer": name, "kind": type(module).__name__, "macs": macs})

        return record

    handles = [
        m.register_forward_hook(hook(name))
        for name, m in model.named_modules()
        if isinstance(m, (nn.Conv1d, nn.Linear))
    ]
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, 1, input_len, device=device))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return rows


def count_macs(model: nn.Module, input_len: int | None = None) -> int:
    """Multiply-adds per spectrum of the convolutions and dense layers (FLOPs / 2), see :func:`layer_macs`.

    Pooling, batch norm, activations, biases and additions are not counted.
    """
    return sum(row["macs"] for row in layer_macs(model, input_len))


def model_table(names: Sequence[str] = MODELS, input_len: int = 5000, n_classes: int = 500, **switches) -> list[dict]:
    """One row per model: name, parameters, multiply-adds per spectrum, flatten size."""
    rows = []
    for name in names:
        net = build(name, input_len, n_classes, **switches)
        rows.append(
            {
                "model": name,
                "parameters": count_parameters(net),
                "macs": count_macs(net, input_len),
                "flat_size": net.flat_size,
            }
        )
    return rows
