"""The eight S23 benchmark networks against REFERENCE.md §2 "Architectures", worked out by hand."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from torch import nn

from lib.models import benchmark as bm


def meta_build(name: str, input_len: int = 5000, n_classes: int = 500, **switches) -> bm.BenchmarkNet:
    """Full-size models on the meta device: shapes and counts without allocating 190M weights."""
    with torch.device("meta"):
        return bm.build(name, input_len, n_classes, **switches)


def kinds(modules) -> list[str]:
    return [type(m).__name__ for m in modules]


@pytest.mark.parametrize("name", bm.MODELS + bm.OURS)
def test_output_shape_full_length(name):
    net = meta_build(name)
    with torch.device("meta"):
        assert net(torch.zeros(4, 1, 5000)).shape == (4, 500)
        assert net(torch.zeros(4, 5000)).shape == (4, 500)  # (N, L) is accepted too


@pytest.mark.parametrize("name", bm.MODELS + bm.OURS + list(bm.MODIFIED))
def test_output_shape_short_input_real_forward(name):
    torch.manual_seed(0)
    net = bm.build(name, input_len=600, n_classes=10).eval()
    with torch.no_grad():
        out = net(torch.rand(2, 600))
    assert out.shape == (2, 10) and torch.isfinite(out).all()


def test_flatten_sizes_follow_the_pooling_arithmetic():
    # valid max-pool: floor((L - size) / stride) + 1; "same" conv: ceil(L / stride)
    pool = lambda n, size, stride: (n - size) // stride + 1  # noqa: E731
    # CNN2: conv /2 -> 2500, pool(3,2) -> 1249, conv /3 -> 417, pool(2,3) -> 139
    assert pool(math.ceil(pool(math.ceil(5000 / 2), 3, 2) / 3), 2, 3) == 139
    assert meta_build("CNN2").flat_size == 139 * 64
    # CNN6: 5000 -> 2499 -> 1249 -> 624 -> 312 -> 156 -> 78
    n = 5000
    for size, stride in [(3, 2), (3, 2), (2, 2), (1, 2), (1, 2), (1, 2)]:
        n = pool(n, size, stride)
    assert n == 78 and meta_build("CNN6").flat_size == 78 * 64
    # CNN3 / INC: 5000 -> 1666 -> 555 -> conv /2 278 -> 139; inception outputs a+c+e+f channels
    assert meta_build("CNN3").flat_size == 139 * 64
    assert meta_build("INC3").flat_size == 139 * (37 + 73 + 18 + 19)
    assert meta_build("INC6").flat_size == 139 * (85 + 166 + 38 + 43)
    assert meta_build("VGG").flat_size == 312 * 64  # 5000 / 2 / 2 / 2 / 2 (floor)
    assert meta_build("CNN-BN").flat_size == 625 * 64
    assert meta_build("ResNet").flat_size == 79 * 100  # ceil(5000 / 2**6)
    assert meta_build("CNN6", input_len=1000).flat_size == 16 * 64  # 499, 249, 124, 62, 31, 16: derived


def test_parameter_count_cnn2_by_hand():
    conv1 = 64 * 1 * 50 + 64  # 3,264
    conv2 = 64 * 64 * 25 + 64  # 102,464
    dense1 = 139 * 64 * 2000 + 2000  # 8,896 inputs -> 17,794,000
    dense2 = 2000 * 500 + 500  # 1,000,500
    output = 500 * 500 + 500  # 250,500
    assert conv1 + conv2 + dense1 + dense2 + output == 19_150_728
    assert bm.count_parameters(meta_build("CNN2")) == 19_150_728


def test_parameter_count_cnn6_by_hand():
    convs = (64 * 35 + 64) + sum(64 * 64 * k + 64 for k in (30, 25, 20, 15, 10))  # 412,224
    dense1 = 78 * 64 * 3100 + 3100  # 4,992 inputs -> 15,478,300
    dense2 = 3100 * 1200 + 1200  # 3,721,200
    output = 1200 * 500 + 500  # 600,500
    assert convs == 412_224
    assert convs + dense1 + dense2 + output == 20_212_224
    assert bm.count_parameters(meta_build("CNN6")) == 20_212_224


def test_parameter_count_vgg_and_resnet_by_hand():
    vgg_convs = sum(o * i * 5 + o for i, o in [(1, 6), (6, 16), (16, 16), (16, 32), (32, 32), (32, 64), (64, 64)])
    vgg_dense = (19968 * 120 + 120) + (120 * 84 + 84) + (84 * 186 + 186) + (186 * 500 + 500)
    assert vgg_convs + vgg_dense == 2_556_174 == bm.count_parameters(meta_build("VGG"))
    bn = lambda c: 2 * c  # noqa: E731  (scale and shift; running statistics are buffers)
    stem = 64 * 5 + 64 + bn(64)
    conv5 = lambda i: 100 * i * 5 + 100 + bn(100)  # noqa: E731
    short = lambda i: 100 * i + 100 + bn(100)  # noqa: E731
    first = conv5(64) + conv5(100) + short(64) + 2 * conv5(100)
    later = 5 * (conv5(100) + conv5(100) + short(100) + 2 * conv5(100))
    output = 79 * 100 * 500 + 500
    assert stem + first + later + output == 5_198_412 == bm.count_parameters(meta_build("ResNet"))


def test_macs_cnn2_by_hand():
    conv1 = 2500 * 64 * 50  # output points x filters x kernel x input channels (1)
    conv2 = 417 * 64 * 25 * 64
    dense = 8896 * 2000 + 2000 * 500 + 500 * 500
    assert bm.count_macs(meta_build("CNN2")) == conv1 + conv2 + dense == 69_742_800


def test_lite_by_hand_and_under_a_tenth_of_cnn6():
    """Our Lite: five conv -> pool(2, 2) steps (5000 -> 156 points), dense 512; <= 1/10 of CNN6's multiply-adds."""
    net = meta_build("Lite")
    assert net.flat_size == 156 * 64
    convs = [m for m in net.features if isinstance(m, nn.Conv1d)]
    assert [(c.out_channels, c.kernel_size[0]) for c in convs] == [(16, 15), (32, 9), (32, 9), (64, 7), (64, 5)]
    points, channels, macs = 5000, 1, 0
    for filters, kernel, *_ in bm.LITE_STACK:
        macs += points * filters * kernel * channels
        points, channels = points // 2, filters
    macs += 156 * 64 * 512 + 512 * 500
    assert bm.count_macs(net) == macs
    assert macs <= bm.count_macs(meta_build("CNN6")) / 10
    assert kinds(net.head) == ["Dropout", "Linear", "ReLU", "Dropout"]


def test_layer_order_cnn6_and_cnn_bn():
    net = meta_build("CNN6")
    assert kinds(net.features) == ["SameConv1d", "ReLU", "MaxPool1d"] * 6
    assert [m.kernel_size[0] for m in net.features if isinstance(m, nn.Conv1d)] == [35, 30, 25, 20, 15, 10]
    assert [(m.kernel_size, m.stride) for m in net.features if isinstance(m, nn.MaxPool1d)] == [
        (3, 2), (3, 2), (2, 2), (1, 2), (1, 2), (1, 2)
    ]  # fmt: skip
    assert kinds(net.head) == ["Dropout", "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout"]
    assert all(m.p == 0.7 for m in net.head if isinstance(m, nn.Dropout))
    assert net.output.out_features == 500

    net = meta_build("CNN-BN")
    assert kinds(net.features) == ["SameConv1d", "BatchNorm1d", "LeakyReLU", "MaxPool1d"] * 3
    assert net.features[2].negative_slope == 0.1
    assert kinds(net.head) == ["Dropout", "Linear", "Identity", "Dropout"]


def test_layer_order_vgg_and_resnet():
    net = meta_build("VGG")
    assert kinds(net.features) == (
        ["SameConv1d", "ReLU", "MaxPool1d", "Dropout"] + (["SameConv1d", "ReLU"] * 2 + ["MaxPool1d", "Dropout"]) * 3
    )
    assert kinds(net.head) == ["Linear", "Identity"] * 3  # VGG has no dense dropout
    net = meta_build("ResNet")
    assert kinds(net.features) == ["SameConv1d", "BatchNorm1d"] + ["ResidualBlock"] * 12
    assert kinds(net.head) == ["Dropout"]
    first, second = net.features[2], net.features[3]
    assert kinds(first.body) == ["SameConv1d", "BatchNorm1d", "ReLU", "SameConv1d", "BatchNorm1d"]
    assert first.body[0].stride == (2,) and kinds(first.shortcut) == ["SameConv1d", "BatchNorm1d"]
    assert isinstance(second.shortcut, nn.Identity)


def test_inception_block():
    block = bm.InceptionBlock(64, (22, 32, 42, 6, 12, 10))
    assert block.out_channels == 22 + 42 + 12 + 10
    assert block(torch.rand(2, 64, 17)).shape == (2, 86, 17)
    assert kinds(block.branch_pool)[0] == "AvgPool1d" and block.branch_pool[0].count_include_pad is False
    assert kinds(meta_build("INC6").features)[-6:] == ["InceptionBlock"] * 6


def test_same_padding_is_tensorflows():
    # TensorFlow: out = ceil(L / s), total = max((out - 1) * s + k - L, 0), extra point on the right
    assert bm.same_padding(10, 4, 2) == (1, 1)
    assert bm.same_padding(9, 4, 2) == (1, 2)
    assert bm.same_padding(5000, 50, 2) == (24, 24)
    assert bm.same_padding(1249, 25, 3) == (12, 12)
    assert bm.same_padding(10, 1, 2) == (0, 0)
    for length in (9, 10, 11, 555):
        for kernel, stride in ((4, 2), (5, 2), (10, 2), (25, 3), (30, 1), (35, 1)):
            conv = bm.SameConv1d(1, 1, kernel, stride)
            assert conv(torch.zeros(1, 1, length)).shape[-1] == math.ceil(length / stride)
    # stride 1 agrees with PyTorch's own "same" (which also pads the extra point on the right)
    torch.manual_seed(0)
    ours, ref = bm.SameConv1d(2, 3, 6), nn.Conv1d(2, 3, 6, padding="same")
    ref.load_state_dict(ours.state_dict())
    x = torch.rand(2, 2, 21)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # PyTorch notes the zero-padded copy for even kernels
        expected = ref(x)
    torch.testing.assert_close(ours(x), expected)


def test_keras_initialisation():
    net = bm.build("CNN-BN", input_len=200, n_classes=5)
    for m in net.modules():
        if isinstance(m, (nn.Conv1d, nn.Linear)):
            assert torch.count_nonzero(m.bias) == 0
        if isinstance(m, nn.BatchNorm1d):
            assert (m.eps, m.momentum) == (1e-3, 0.01)
    fan = 16 * 21 + 1 * 21  # Glorot bound sqrt(6 / (fan_in + fan_out)) for the first convolution
    assert net.features[0].weight.abs().max() <= math.sqrt(6 / fan)
    assert any(torch.count_nonzero(m.bias) for m in bm.build("CNN2", 200, 5, init="torch").modules() if
               isinstance(m, nn.Linear))  # fmt: skip


def test_switch_dense_activation():
    linear, relu = meta_build("CNN2"), meta_build("CNN2", dense_activation="relu")
    assert kinds(linear.head) == ["Dropout", "Linear", "Identity", "Dropout", "Linear", "Identity", "Dropout"]
    assert kinds(relu.head) == ["Dropout", "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout"]
    assert bm.count_parameters(linear) == bm.count_parameters(relu)
    assert list(linear.state_dict()) == list(relu.state_dict())  # same keys: weights are interchangeable
    assert "ReLU" not in kinds(meta_build("CNN6", dense_activation="linear").head)


def test_switch_batch_norm_and_conv_dropout():
    count = lambda net, kind: sum(isinstance(m, kind) for m in net.features.modules())  # noqa: E731
    assert count(meta_build("CNN6"), nn.BatchNorm1d) == 0
    cnn6_bn = meta_build("CNN6-BN")
    assert count(cnn6_bn, nn.BatchNorm1d) == 6
    assert kinds(cnn6_bn.features)[:4] == ["SameConv1d", "BatchNorm1d", "ReLU", "MaxPool1d"]
    assert count(meta_build("CNN-BN", batch_norm=False), nn.BatchNorm1d) == 0
    assert count(meta_build("ResNet", batch_norm=False), nn.BatchNorm1d) == 0
    assert count(meta_build("ResNet"), nn.BatchNorm1d) == 1 + 6 * 3 + 6 * 2

    convdo = meta_build("CNN6-ConvDO")
    assert count(convdo, nn.Dropout) == 6 and all(m.p == 0.2 for m in convdo.features if isinstance(m, nn.Dropout))
    assert kinds(convdo.head) == ["Linear", "ReLU", "Linear", "ReLU"]  # authors' cnn6_convdo: dense dropout 0
    assert count(meta_build("VGG"), nn.Dropout) == 4
    assert count(meta_build("VGG", conv_dropout=0.0), nn.Dropout) == 0


def test_modified_models():
    resnet = meta_build("ResNet-dense")
    assert resnet.name == "ResNet-dense"
    assert kinds(resnet.head) == ["Dropout", "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout"]
    assert [m.out_features for m in resnet.head if isinstance(m, nn.Linear)] == [3100, 1200]
    assert kinds(resnet.features)[:2] == ["SameConv1d", "ReLU"]  # linear stem + BN becomes conv + ReLU
    vgg = meta_build("VGG-noConvDO")
    assert {m.kernel_size[0] for m in vgg.features if isinstance(m, nn.Conv1d)} == {20}
    assert "Dropout" not in kinds(vgg.features) and "ReLU" in kinds(vgg.head)
    cnnbn = meta_build("CNN-BN-noBN")
    assert "BatchNorm1d" not in kinds(cnnbn.features) and "ReLU" in kinds(cnnbn.head)
    # switches given to build() win over the preset
    assert "BatchNorm1d" in kinds(meta_build("CNN-BN-noBN", batch_norm=True).features)


def test_errors_name_the_parameter():
    with pytest.raises(ValueError, match="unknown model name"):
        bm.build("CNN7")
    with pytest.raises(ValueError, match="kernel_size"):
        bm.build("CNN2", kernel_size=3)
    with pytest.raises(ValueError, match="dense_activation"):
        meta_build("CNN2", dense_activation="tanh")
    with pytest.raises(ValueError, match="input_len"):
        bm.build("CNN6", input_len=10, n_classes=3)
    with pytest.raises(ValueError, match="dropout"):
        meta_build("CNN6", dropout=1.0)


def test_model_table_columns():
    rows = bm.model_table(["CNN2"], input_len=500, n_classes=8)
    assert rows[0]["model"] == "CNN2" and rows[0]["parameters"] > 0 and rows[0]["macs"] > 0


def test_one_table_one_builder():
    assert list(bm.SPECS) == bm.MODELS + bm.OURS
    assert bm.lite.__name__ == "lite" and bm.FACTORIES["CNN-BN"] is bm.cnn_bn
    assert bm.cnn_bn.__doc__.startswith("CNN-BN (Liu 2017)")
    torch.manual_seed(0)
    a = bm.cnn6(600, 7, dropout=0.5)
    torch.manual_seed(0)
    b = bm.build("CNN6", 600, 7, dropout=0.5)
    assert repr(a) == repr(b)
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb)
    assert a.switches == {
        "dense": [3100, 1200], "dense_activation": "relu", "dropout": 0.5, "batch_norm": False, "conv_dropout": 0.0
    }  # fmt: skip
    assert meta_build("VGG").switches["kernel_size"] == 5
    with pytest.raises(ValueError, match=r"its switches are \['dense', .*'kernel_size', 'init'\]"):
        bm.build("VGG", stages=2)


def test_parameter_counter_is_shared():
    from lib.models import count_parameters, fga

    assert bm.count_parameters is count_parameters is fga.n_parameters
    frozen = bm.build("CNN2", 300, 4)
    frozen.output.requires_grad_(False)
    assert count_parameters(frozen) == count_parameters(frozen, trainable_only=False) - (500 * 4 + 4)  # output 500 -> 4


def test_layer_macs_small_case_by_hand():
    """A two-layer toy: conv(3 filters, kernel 4, stride 2) on 10 points -> 5 points; dense 15 -> 2."""
    net = nn.Sequential(bm.SameConv1d(1, 3, 4, 2), nn.ReLU(), nn.Flatten(), nn.Linear(15, 2))
    rows = bm.layer_macs(net, 10)
    assert [(r["layer"], r["kind"], r["macs"]) for r in rows] == [
        ("0", "SameConv1d", 5 * 3 * 1 * 4),
        ("3", "Linear", 30),
    ]
    assert bm.count_macs(net, 10) == 60 + 30
    grouped = nn.Sequential(nn.Conv1d(1, 4, 1), nn.Conv1d(4, 6, 3, padding=1, groups=2))
    assert bm.count_macs(grouped, 8) == 8 * 4 + 8 * 6 * 2 * 3  # each grouped filter sees 4 / 2 channels


@pytest.mark.parametrize("name", bm.MODELS + bm.OURS + ["VGG-noConvDO", "ResNet-dense"])
def test_layer_macs_agree_with_torch_flop_counter(name):
    from torch.utils.flop_counter import FlopCounterMode

    net = meta_build(name).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(torch.zeros(1, 1, 5000, device="meta"))
    assert bm.count_macs(net) == counter.get_total_flops() // 2
