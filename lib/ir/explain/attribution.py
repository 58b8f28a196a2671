"""Relevance per input point: R23's activation × weight, Integrated Gradients, Grad-CAM-1D, occlusion, random."""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from lib.ir.explain._common import _dtype, _group_index, _tensor
from lib.ir.explain.receptive import columns_to_points
from lib.ir.explain.spectrum import column_contributions
from lib.models.fga import FGANet, receptive_field

METHODS = ("act_x_weight", "integrated_gradients", "gradcam", "occlusion", "random")


#: Model-free references besides ``random``: ``input`` ranks the points by the spectrum itself (the
#: strongest absorbance first). A method that does no better than it says nothing about the model.
BASELINES = ("input",)


def centred_copy(model: FGANet) -> FGANet:
    """A copy whose logits are the original ones minus their mean over the outputs.

    For a softmax classifier only differences between logits matter (adding the same number to
    every logit changes no probability), so a class's raw logit carries an arbitrary common part;
    the centred logit ``z_c − mean_k z_k`` is what distinguishes class ``c`` from the others. The
    classifier is linear, so centring its weights and bias does it exactly and every method here
    (activation × weight included) explains the centred logit.
    """
    out = copy.deepcopy(model).eval()
    with torch.no_grad():
        layer = out.classifier[0]
        layer.weight -= layer.weight.mean(dim=0, keepdim=True)
        layer.bias -= layer.bias.mean()
    return out


def act_x_weight(model: FGANet, spectra: np.ndarray, group: int | str) -> np.ndarray:
    """R23's relevance per input point ``(N, P)``: :func:`column_contributions` spread over each window."""
    return columns_to_points(column_contributions(model, spectra, group), model)


def integrated_gradients(
    model: nn.Module,
    spectra: np.ndarray,
    group: int | str,
    baseline: float | np.ndarray = 0.0,
    steps: int = 64,
    batch_size: int = 4096,
) -> np.ndarray:
    """Integrated Gradients of the group's logit, ``(N, P)``, by the midpoint rule with ``steps`` points.

    Attribution ``(x − x′) · mean_s ∇f(x′ + α_s (x − x′))`` with ``α_s = (s + ½)/steps``; their
    sum approximates ``f(x) − f(x′)`` (completeness). ``baseline`` ``x′`` defaults to zeros.
    """
    model.eval()
    g = _group_index(group)
    dtype = _dtype(model)
    x = _tensor(spectra, dtype)
    base = torch.broadcast_to(_tensor(np.asarray(baseline, dtype=float), dtype), x.shape)
    alphas = (torch.arange(steps, dtype=dtype) + 0.5) / steps
    total = torch.zeros_like(x)
    per = max(1, batch_size // max(1, len(x)))
    for i in range(0, steps, per):
        a = alphas[i : i + per].view(-1, 1, 1)
        path = (base + a * (x - base)).reshape(-1, x.shape[1]).requires_grad_(True)
        out = model(path)[:, g].sum()
        (grad,) = torch.autograd.grad(out, path)
        total += grad.reshape(len(a), *x.shape).sum(0)
    return ((x - base) * total / steps).numpy().astype(float)


@torch.no_grad()
def completeness_gap(
    model: nn.Module,
    spectra: np.ndarray,
    attributions: np.ndarray,
    group: int | str,
    baseline: float | np.ndarray = 0.0,
) -> np.ndarray:
    """``Σ attributions − (f(x) − f(x′))`` per spectrum for the group's logit: 0 for exact Integrated Gradients.

    The published R23 nets can be far from smooth along the straight path (dead channels and the last
    BatchNorm's tiny running variances amplify ReLU kinks): on real spectra 64 steps leave a median gap
    of ~2 % of ``|f(x) − f(0)|`` (512 steps: ~0.2 %), on random inputs much more.
    """
    model.eval()
    g = _group_index(group)
    dtype = _dtype(model)
    x = _tensor(spectra, dtype)
    base = torch.broadcast_to(_tensor(np.asarray(baseline, dtype=float), dtype), x.shape).contiguous()
    diff = (model(x)[:, g] - model(base)[:, g]).double().numpy()
    return np.asarray(attributions, dtype=float).sum(axis=1) - diff


def _gradcam_split(model: FGANet, layer: int | None) -> int:
    """Index (in ``model.features``) of the layer whose output Grad-CAM uses: default the last conv's ReLU."""
    if layer is not None:
        return int(layer)
    convs = [i for i, m in enumerate(model.features) if isinstance(m, nn.Conv1d)]
    i = convs[-1]
    if i + 1 < len(model.features) and isinstance(model.features[i + 1], nn.ReLU | nn.LeakyReLU):
        i += 1
    return i


def gradcam(model: FGANet, spectra: np.ndarray, group: int | str, layer: int | None = None) -> np.ndarray:
    """Grad-CAM-1D of the group's logit on the last conv layer (after its ReLU), upsampled to ``(N, P)``.

    Channel weights are the position-mean of the gradients; the map is ``ReLU(Σ_c α_c A_c)``, placed
    at each position's receptive-field centre (from the layer arithmetic) and linearly interpolated.
    """
    model.eval()
    g = _group_index(group)
    split = _gradcam_split(model, layer)
    x = model._as_batch(_tensor(spectra, _dtype(model)))
    act = model.features[: split + 1](x).detach().requires_grad_(True)
    out = model.classifier(model.features[split + 1 :](act))[:, g].sum()
    (grad,) = torch.autograd.grad(out, act)
    alpha = grad.mean(dim=2, keepdim=True)
    cam = torch.relu((alpha * act).sum(dim=1)).detach().numpy().astype(float)
    rf = receptive_field(model.features[: split + 1], model.input_len)
    centres = rf.start + np.arange(rf.length) * rf.stride + (rf.size - 1) / 2
    points = np.arange(model.input_len)
    return np.stack([np.interp(points, centres, row) for row in cam])


@torch.no_grad()
def _scores(model: nn.Module, x: torch.Tensor, g: int, score: str, batch_size: int = 8192) -> np.ndarray:
    out = torch.cat([model(x[i : i + batch_size])[:, g] for i in range(0, len(x), batch_size)])
    if score == "proba":
        out = torch.sigmoid(out)
    elif score != "logit":
        raise ValueError(f"score must be 'proba' or 'logit', not {score!r}")
    return out.double().numpy()


def occlusion(
    model: nn.Module,
    spectra: np.ndarray,
    group: int | str,
    window: int = 16,
    stride: int = 4,
    baseline: float = 0.0,
    score: str = "logit",
) -> np.ndarray:
    """Occlusion relevance ``(N, P)``: drop of the score when a sliding window is set to ``baseline``,
    averaged over the windows covering each point (points no window covers get 0)."""
    model.eval()
    g = _group_index(group)
    x = _tensor(spectra, _dtype(model))
    n, p = x.shape
    starts = list(range(0, p - window + 1, stride))
    if starts and starts[-1] + window < p:
        starts.append(p - window)
    ref = _scores(model, x, g, score)
    occluded = x.unsqueeze(1).repeat(1, len(starts), 1)
    for j, s in enumerate(starts):
        occluded[:, j, s : s + window] = baseline
    drop = ref[:, None] - _scores(model, occluded.reshape(-1, p), g, score).reshape(n, len(starts))
    total, count = np.zeros((n, p)), np.zeros(p)
    for j, s in enumerate(starts):
        total[:, s : s + window] += drop[:, j : j + 1]
        count[s : s + window] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def random_relevance(spectra: np.ndarray, seed: int = 0) -> np.ndarray:
    """A random ranking (uniform noise) of the same shape: the floor any method should beat."""
    return np.random.default_rng(seed).random(np.asarray(spectra).shape)


def relevance(model: FGANet, spectra: np.ndarray, group: int | str, method: str, **kwargs) -> np.ndarray:
    """Relevance per input point ``(N, P)`` by one of :data:`METHODS` or :data:`BASELINES`."""
    funcs: dict[str, Callable[..., np.ndarray]] = {
        "act_x_weight": lambda: act_x_weight(model, spectra, group),
        "integrated_gradients": lambda: integrated_gradients(model, spectra, group, **kwargs),
        "gradcam": lambda: gradcam(model, spectra, group, **kwargs),
        "occlusion": lambda: occlusion(model, spectra, group, **kwargs),
        "random": lambda: random_relevance(spectra, **kwargs),
        "input": lambda: np.array(spectra, dtype=float),
    }
    if method not in funcs:
        raise ValueError(f"unknown method {method!r}; choose from {METHODS + BASELINES}")
    return funcs[method]()


def method_kwargs(model: FGANet, method: str, ig_steps: int = 32, baseline: float = 0.0, seed: int = 0) -> dict:
    """The settings every comparison here uses: IG with ``ig_steps`` points from ``baseline``, occlusion
    by one receptive field slid by its stride, a seeded random ranking."""
    if method == "integrated_gradients":
        return {"steps": ig_steps, "baseline": baseline}
    if method == "random":
        return {"seed": seed}
    if method == "occlusion":
        rf = receptive_field(model, model.input_len)
        return {"window": rf.size, "stride": rf.stride, "baseline": baseline}
    return {}
