"""The eight CNNs of the S23 benchmark (REFERENCE.md §2 "Architectures"), in PyTorch.

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

import inspect
import math
from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F

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


def _plain_stack(
    stack: Sequence[tuple[int, int, int, int, int]],
    batch_norm: bool,
    conv_dropout: float,
    activation: Callable[[], nn.Module] = nn.ReLU,
    in_channels: int = 1,
) -> tuple[list[nn.Module], int]:
    """Conv → (BN) → activation → max-pool → (dropout) for every ``(filters, kernel, stride, pool, pool stride)``."""
    _check_conv_dropout(conv_dropout)
    layers: list[nn.Module] = []
    for filters, kernel, stride, pool, pool_stride in stack:
        layers += conv_unit(in_channels, filters, kernel, stride, batch_norm, activation)
        layers.append(nn.MaxPool1d(pool, pool_stride))
        if conv_dropout > 0:
            layers.append(nn.Dropout(conv_dropout))
        in_channels = filters
    return layers, in_channels


def _switches(**kwargs) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}


# --------------------------------------------------------------------------- the eight models
def cnn2(
    input_len: int = 5000,
    n_classes: int = 500,
    *,
    dense: Sequence[int] = (2000, 500),
    dense_activation: str = "linear",
    dropout: float = 0.3,
    batch_norm: bool = False,
    conv_dropout: float = 0.0,
    init: str = "keras",
) -> BenchmarkNet:
    """CNN2 (Lee 2020): conv(64, 50, /2) → pool(3, 2); conv(64, 25, /3) → pool(2, 3); dense 2000, 500 linear; 0.3."""
    layers, _ = _plain_stack(CNN2_STACK, batch_norm, conv_dropout)
    sw = _switches(dense=dense, dense_activation=dense_activation, dropout=dropout, batch_norm=batch_norm,
                   conv_dropout=conv_dropout)  # fmt: skip
    return BenchmarkNet(
        "CNN2", nn.Sequential(*layers), input_len, n_classes, dense, dense_activation, dropout, init, sw
    )


def cnn3(
    input_len: int = 5000,
    n_classes: int = 500,
    *,
    dense: Sequence[int] = (2500, 1000),
    dense_activation: str = "linear",
    dropout: float = 0.3,
    batch_norm: bool = False,
    conv_dropout: float = 0.0,
    init: str = "keras",
) -> BenchmarkNet:
    """CNN3 (Lee 2020): (64, 20)→pool(3, 3); (64, 15)→pool(2, 3); (64, 10, /2)→pool(1, 2); dense 2500, 1000 linear."""
    layers, _ = _plain_stack(CNN3_STACK, batch_norm, conv_dropout)
    sw = _switches(dense=dense, dense_activation=dense_activation, dropout=dropout, batch_norm=batch_norm,
                   conv_dropout=conv_dropout)  # fmt: skip
    return BenchmarkNet(
        "CNN3", nn.Sequential(*layers), input_len, n_classes, dense, dense_activation, dropout, init, sw
    )


def cnn6(
    input_len: int = 5000,
    n_classes: int = 500,
    *,
    dense: Sequence[int] = (3100, 1200),
    dense_activation: str = "relu",
    dropout: float = 0.7,
    batch_norm: bool = False,
    conv_dropout: float = 0.0,
    init: str = "keras",
) -> BenchmarkNet:
    """CNN6 (Szymanski 2021): six conv(64, 35…10) + pools; dense 3100, 1200 **ReLU**; dropout 0.7."""
    layers, _ = _plain_stack(CNN6_STACK, batch_norm, conv_dropout)
    sw = _switches(dense=dense, dense_activation=dense_activation, dropout=dropout, batch_norm=batch_norm,
                   conv_dropout=conv_dropout)  # fmt: skip
    return BenchmarkNet(
        "CNN6", nn.Sequential(*layers), input_len, n_classes, dense, dense_activation, dropout, init, sw
    )


def _inception(
    name: str,
    blocks: int,
    input_len: int,
    n_classes: int,
    dense: Sequence[int],
    dense_activation: str,
    dropout: float,
    batch_norm: bool,
    conv_dropout: float,
    init: str,
) -> BenchmarkNet:
    layers, channels = _plain_stack(CNN3_STACK, batch_norm, conv_dropout)
    for filters in INCEPTION_FILTERS[:blocks]:
        block = InceptionBlock(channels, filters, batch_norm)
        layers.append(block)
        channels = block.out_channels
    sw = _switches(dense=dense, dense_activation=dense_activation, dropout=dropout, batch_norm=batch_norm,
                   conv_dropout=conv_dropout)  # fmt: skip
    return BenchmarkNet(name, nn.Sequential(*layers), input_len, n_classes, dense, dense_activation, dropout, init, sw)


def inc3(
    input_len: int = 5000,
    n_classes: int = 500,
    *,
    dense: Sequence[int] = (3700, 740),
    dense_activation: str = "linear",
    dropout: float = 0.3,
    batch_norm: bool = False,
    conv_dropout: float = 0.0,
    init: str = "keras",
) -> BenchmarkNet:
    """INC3 (Lee 2020): CNN3's stack + 3 inception blocks; dense 3700, 740 linear; dropout 0.3."""
    return _inception("INC3", 3, input_len, n_classes, dense, dense_activation, dropout, batch_norm, conv_dropout, init)


def inc6(
    input_len: int = 5000,
    n_classes: int = 500,
    *,
    dense: Sequence[int] = (4000, 400),
    dense_activation: str = "linear",
    dropout: float = 0.3,
    batch_norm: bool = False,
    conv_dropout: float = 0.0,
    init: str = "keras",
) -> BenchmarkNet:
    """INC6 (Lee 2020): CNN3's stack + 6 inception blocks; dense 4000, 400 linear; dropout 0.3."""
    return _inception("INC6", 6, input_len, n_classes, dense, dense_activation, dropout, batch_norm, conv_dropout, init)


def vgg(
    input_len: int = 5000,
    n_classes: int = 500,
    *,
    dense: Sequence[int] = (120, 84, 186),
    dense_activation: str = "linear",
    dropout: float = 0.0,
    batch_norm: bool = False,
    conv_dropout: float = 0.2,
    kernel_size: int = 5,
    init: str = "keras",
) -> BenchmarkNet:
    """VGG (Wang 2020): (6) | (16, 16) | (32, 32) | (64, 64) convs of kernel 5, each group → pool(2, 2) → dropout 0.2;
    dense 120, 84, 186 linear without dropout.

    ``kernel_size`` is only there for the authors' modified VGG (kernel 20, see :data:`MODIFIED`).
    """
    _check_conv_dropout(conv_dropout)
    layers: list[nn.Module] = []
    channels = 1
    for group in VGG_BLOCKS:
        for filters in group:
            layers += conv_unit(channels, filters, kernel_size, 1, batch_norm)
            channels = filters
        layers.append(nn.MaxPool1d(2, 2))
        if conv_dropout > 0:
            layers.append(nn.Dropout(conv_dropout))
    sw = _switches(dense=dense, dense_activation=dense_activation, dropout=dropout, batch_norm=batch_norm,
                   conv_dropout=conv_dropout, kernel_size=kernel_size)  # fmt: skip
    return BenchmarkNet("VGG", nn.Sequential(*layers), input_len, n_classes, dense, dense_activation, dropout, init, sw)


def cnn_bn(
    input_len: int = 5000,
    n_classes: int = 500,
    *,
    dense: Sequence[int] = (2048,),
    dense_activation: str = "linear",
    dropout: float = 0.5,
    batch_norm: bool = True,
    conv_dropout: float = 0.0,
    init: str = "keras",
) -> BenchmarkNet:
    """CNN-BN (Liu 2017): (16, 21) | (32, 11) | (64, 5), each conv → BN → LeakyReLU(0.1) → pool(2, 2); dense 2048
    linear; dropout 0.5."""
    layers, _ = _plain_stack(CNNBN_STACK, batch_norm, conv_dropout, activation=lambda: nn.LeakyReLU(0.1))
    sw = _switches(dense=dense, dense_activation=dense_activation, dropout=dropout, batch_norm=batch_norm,
                   conv_dropout=conv_dropout)  # fmt: skip
    return BenchmarkNet(
        "CNN-BN", nn.Sequential(*layers), input_len, n_classes, dense, dense_activation, dropout, init, sw
    )


def resnet(
    input_len: int = 5000,
    n_classes: int = 500,
    *,
    dense: Sequence[int] = (),
    dense_activation: str = "linear",
    dropout: float = 0.5,
    batch_norm: bool = True,
    conv_dropout: float = 0.0,
    stages: int = 6,
    blocks_per_stage: int = 2,
    filters: int = 100,
    stem_relu: bool | None = None,
    init: str = "keras",
) -> BenchmarkNet:
    """ResNet (Ho 2019): conv(64, 5) + BN; 6 stages × 2 residual blocks (100 filters, kernel 5, the first of a stage
    strides 2 with a strided 1×1 shortcut); no dense layer; dropout 0.5 before the output.

    The stem convolution is linear when followed by batch norm (the original); ``stem_relu``
    (default: ``not batch_norm``) adds a ReLU, as the authors' modified ResNet without BN has.
    ``conv_dropout`` acts after every stage.
    """
    _check_conv_dropout(conv_dropout)
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
    sw = _switches(dense=dense, dense_activation=dense_activation, dropout=dropout, batch_norm=batch_norm,
                   conv_dropout=conv_dropout, stem_relu=stem_relu)  # fmt: skip
    return BenchmarkNet(
        "ResNet", nn.Sequential(*layers), input_len, n_classes, dense, dense_activation, dropout, init, sw
    )


def lite(
    input_len: int = 5000,
    n_classes: int = 500,
    *,
    dense: Sequence[int] = (512,),
    dense_activation: str = "relu",
    dropout: float = 0.5,
    batch_norm: bool = False,
    conv_dropout: float = 0.0,
    init: str = "keras",
) -> BenchmarkNet:
    """Lite (**ours**, not an S23 model): CNN6's recipe — plain convolutions, a ReLU dense layer, heavy
    dropout, no batch norm — at about a tenth of its multiply-adds.

    Five conv(16…64, kernel 15…5) → pool(2, 2) steps keep every 32nd position (CNN6: every 64th)
    with narrow early layers, where the resolution is high and the compute lies; one dense layer of
    512 ReLU units with dropout 0.5. At S23's 5,000 points and 500 classes: ≈ 45 M multiply-adds
    per spectrum (CNN6: 543 M) and ≈ 5.4 M parameters (CNN6: 20 M).
    """
    layers, _ = _plain_stack(LITE_STACK, batch_norm, conv_dropout)
    sw = _switches(dense=dense, dense_activation=dense_activation, dropout=dropout, batch_norm=batch_norm,
                   conv_dropout=conv_dropout)  # fmt: skip
    return BenchmarkNet(
        "Lite", nn.Sequential(*layers), input_len, n_classes, dense, dense_activation, dropout, init, sw
    )


FACTORIES: dict[str, Callable[..., BenchmarkNet]] = {
    "CNN2": cnn2,
    "CNN3": cnn3,
    "CNN6": cnn6,
    "INC3": inc3,
    "INC6": inc6,
    "VGG": vgg,
    "CNN-BN": cnn_bn,
    "ResNet": resnet,
    "Lite": lite,
}

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
    if name not in FACTORIES:
        raise ValueError(f"unknown model name {name!r}; choose from {MODELS + OURS + list(MODIFIED)}")
    factory = FACTORIES[name]
    allowed = [p for p in inspect.signature(factory).parameters if p not in ("input_len", "n_classes")]
    unknown = sorted(set(switches) - set(allowed))
    if unknown:
        raise ValueError(f"{name} has no switch {', '.join(map(repr, unknown))}; its switches are {allowed}")
    return factory(input_len, n_classes, **switches)


# --------------------------------------------------------------------------- cost
def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters; batch-norm running statistics are buffers and never count."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def count_macs(model: nn.Module, input_len: int | None = None) -> int:
    """Multiply-adds per spectrum of the convolutions and dense layers (FLOPs / 2).

    Counted with ``torch.utils.flop_counter.FlopCounterMode`` on one spectrum in eval mode;
    pooling, batch norm, activations, biases and additions are not counted.
    """
    from torch.utils.flop_counter import FlopCounterMode

    if input_len is None:
        input_len = getattr(model, "input_len", None)
        if input_len is None:
            raise ValueError("input_len is needed for a model without an 'input_len' attribute")
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, 1, input_len, device=device))
    finally:
        model.train(was_training)
    return int(counter.get_total_flops()) // 2


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
