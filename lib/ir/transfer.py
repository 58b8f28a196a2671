"""From simulated line spectra to measured gas-phase spectra: the training set of the NIST index and the
physics and augmentation that turn GFN2-xTB lines into spectra that look measured.

**Data**: :class:`lib.ir.linesets.LineSet` parts of the simulated NIST index (:mod:`lib.ir.linesets`).

**Physics** (:class:`Physics`, :func:`render`): harmonic wavenumbers are scaled by one factor below
``split`` (2,500 cm⁻¹) and by another above it (X–H stretches are more anharmonic than the fingerprint
region); each line becomes a band of the chosen shape — Lorentzian, pseudo-Voigt, or the P/R-branch
envelope of a gas-phase band (two Gaussians ``pr_separation`` apart); intensities may get log-normal
noise, the spectrum a smooth baseline and white noise; and the per-spectrum scale factors, width and
P/R separation may be drawn afresh for every spectrum (domain randomisation, :class:`Randomise`), together
with a per-line frequency jitter (GFN2-xTB's errors differ from mode to mode). Every spectrum is divided
by its maximum, as measured ones are.

**Training** (:func:`train_ensemble`): R23's net and loss (:mod:`lib.ir.fg`) on spectra rendered afresh
every epoch (:func:`lib.train.fit`'s data callback), early-stopped on the simulated validation part
rendered once with the nominal physics (no randomisation).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from lib.ir import fg, simulate
from lib.ir.datasets import IRSet
from lib.ir.linesets import LineSet
from lib.reference import r23_grid

SPLIT_WAVENUMBER = 2500.0  # cm⁻¹: above, X–H stretches (larger anharmonic red shift)


# --------------------------------------------------------------------------- physics
@dataclass(frozen=True)
class Randomise:
    """Per-spectrum draws (domain randomisation); zero widths switch a draw off.

    ``scale`` and ``high_scale``: half-widths of uniform draws around :class:`Physics`' factors;
    ``fwhm``: factor range ``(low, high)`` (log-uniform) on the width; ``jitter``: standard deviation
    (cm⁻¹) of an independent shift of every line; ``pr_separation``: range (cm⁻¹) of the P/R separation.
    """

    scale: float = 0.0
    high_scale: float = 0.0
    fwhm: tuple[float, float] = (1.0, 1.0)
    jitter: float = 0.0
    pr_separation: tuple[float, float] | None = None


@dataclass(frozen=True)
class Physics:
    """How lines become a spectrum (see the module docstring). Intensity noise is the standard deviation of
    the log of a per-line factor; ``noise`` that of white noise and ``baseline`` the largest amplitude of a
    smooth drift and ``offset`` that of a constant one (all relative to the maximum); ``atmosphere`` the largest
    height of water-vapour and CO₂ bands (:func:`atmosphere`), ``water`` that of water vapour in the sample path
    (:func:`water_vapour`) in a share ``water_share`` of the spectra."""

    scale: float = 1.0
    high_scale: float | None = None  # None: ``scale`` everywhere
    split: float = SPLIT_WAVENUMBER
    shape: str = "lorentzian"  # "lorentzian", "pseudo-voigt", "pr" or "rotor"
    fwhm: float = 30.0
    eta: float = 0.5
    pr_separation: float = 15.0
    intensity_noise: float = 0.0
    noise: float = 0.0
    baseline: float = 0.0
    atmosphere: float = 0.0
    randomise: Randomise = Randomise()
    offset: float = 0.0
    water: float = 0.0
    water_share: float = 1.0  # share of the spectra that carry water vapour (when ``water`` > 0)

    def to_dict(self) -> dict:
        """Plain dictionary for JSON files."""
        return asdict(self)

    def spectra(self, lines: LineSet, grid: np.ndarray | None = None, rng: np.random.Generator | None = None):
        """:func:`render` of ``lines`` under this physics (nominal without ``rng``)."""
        return render(lines, grid, self, rng)

    def training_data(self, lines: LineSet, grid: np.ndarray | None = None, copies: int = 1):
        """:func:`renderer`: a ``train_data`` callback drawing ``copies`` renderings of ``lines`` every epoch."""
        return renderer(lines, grid, self, copies)

    @classmethod
    def from_dict(cls, values: dict) -> Physics:
        """Inverse of :meth:`to_dict`."""
        values = dict(values)
        rand = dict(values.pop("randomise", {}))
        for key in ("fwhm", "pr_separation"):
            if isinstance(rand.get(key), list):
                rand[key] = tuple(rand[key])
        return cls(**values, randomise=Randomise(**rand))


def scale_frequencies(
    wavenumbers: np.ndarray, scale: float, high_scale: float | None = None, split: float = SPLIT_WAVENUMBER
) -> np.ndarray:
    """Harmonic wavenumbers times ``scale``, and times ``high_scale`` for those above ``split`` (cm⁻¹)."""
    nu = np.asarray(wavenumbers, dtype=float)
    factor = np.where(nu > split, scale if high_scale is None else high_scale, scale)
    return nu * factor


def band_profile(
    dx: np.ndarray, fwhm: float, shape: str = "lorentzian", eta: float = 0.5, pr_separation: float = 15.0
) -> np.ndarray:
    """Unit-area band of full width ``fwhm`` at offsets ``dx`` (cm⁻¹) from its centre.

    ``"pr"``: a gas-phase band without Q branch, two Gaussians (P and R branch) of width ``fwhm`` at
    ``±pr_separation / 2``. ``"rotor"``: the envelope of a rigid rotor's P and R branches, ``|x| exp(−x²/2σ²)``
    with maxima ``pr_separation = 2σ`` apart (:mod:`lib.ir.mode_physics`), convolved with a Gaussian of width
    ``fwhm``, plus a share ``eta`` of that Gaussian alone at the centre (a Q branch).
    """

    def gauss(d: np.ndarray) -> np.ndarray:
        sigma = fwhm / (2 * np.sqrt(2 * np.log(2)))
        return np.exp(-0.5 * (d / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))

    gamma = fwhm / 2
    if shape == "lorentzian":
        return gamma / np.pi / (dx**2 + gamma**2)
    if shape == "pseudo-voigt":
        return eta * gamma / np.pi / (dx**2 + gamma**2) + (1 - eta) * gauss(dx)
    if shape == "pr":
        return 0.5 * (gauss(dx - pr_separation / 2) + gauss(dx + pr_separation / 2))
    if shape == "rotor":
        sigma = pr_separation / 2
        step = min(0.05, fwhm / 40, sigma / 40)
        half = 8 * sigma + 4 * fwhm
        y = np.arange(-half, half + step / 2, step)
        envelope = np.abs(y) * np.exp(-0.5 * (y / sigma) ** 2) / (2 * sigma**2)
        branches = np.convolve(envelope, gauss(y), mode="same") * step
        return (1 - eta) * np.interp(dx, y, branches, left=0.0, right=0.0) + eta * gauss(dx)
    raise ValueError(f"shape must be 'lorentzian', 'pseudo-voigt', 'pr' or 'rotor', got {shape!r}")


def band_transform(
    freq: np.ndarray,
    fwhm: np.ndarray | float,
    shape: str = "lorentzian",
    eta: float = 0.5,
    pr_separation: np.ndarray | float = 15.0,
) -> np.ndarray:
    """Fourier transform of :func:`band_profile` at ``freq`` (cycles per cm⁻¹): what a spectrum of lines is
    multiplied by to broaden it. ``fwhm`` and ``pr_separation`` broadcast against ``freq`` (e.g. one per row)."""
    f = np.abs(np.asarray(freq, dtype=float))
    fwhm = np.asarray(fwhm, dtype=float)
    sigma = fwhm / (2 * np.sqrt(2 * np.log(2)))
    lorentz = np.exp(-np.pi * fwhm * f)
    gauss = np.exp(-2 * (np.pi * sigma * f) ** 2)
    if shape == "lorentzian":
        return lorentz
    if shape == "pseudo-voigt":
        return eta * lorentz + (1 - eta) * gauss
    if shape == "pr":
        return gauss * np.cos(np.pi * np.asarray(pr_separation, dtype=float) * f)
    if shape == "rotor":  # ∫|x| e^{−x²/2σ²} cos(2πfx) dx / 2σ² = 1 − 2z D(z), z = √2 π σ f, D: Dawson's integral
        from scipy.special import dawsn

        z = np.sqrt(2) * np.pi * (np.asarray(pr_separation, dtype=float) / 2) * f
        return gauss * ((1 - eta) * (1 - 2 * z * dawsn(z)) + eta)
    raise ValueError(f"shape must be 'lorentzian', 'pseudo-voigt', 'pr' or 'rotor', got {shape!r}")


def smooth_baseline(grid: np.ndarray, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """A slow drift over the grid: a random quadratic plus a half-to-two-period sine, non-negative, with its
    maximum drawn uniformly in ``[0, amplitude]``."""
    t = (grid - grid.min()) / max(np.ptp(grid), 1e-12)
    curve = rng.normal(0, 1) * t + rng.normal(0, 1) * t**2
    curve = curve + np.sin(2 * np.pi * rng.uniform(0.25, 1.0) * t + rng.uniform(0, 2 * np.pi))
    curve -= curve.min()
    peak = curve.max()
    return curve / peak * rng.uniform(0, amplitude) if peak > 0 else curve


#: Centres (cm⁻¹) and relative heights of the atmospheric bands left in measured spectra by an imperfect
#: background: CO₂'s antisymmetric stretch and bend, and water vapour's bend and stretches (rotational
#: structure at the grid's 4 cm⁻¹ sampling rendered as bands ~100–200 cm⁻¹ wide, comb-modulated).
ATMOSPHERE_BANDS = (
    (2349.0, 25.0, 1.0),  # CO₂ ν3 (P/R envelope ~ 50 cm⁻¹)
    (667.0, 10.0, 0.4),  # CO₂ ν2
    (1595.0, 150.0, 0.5),  # H₂O ν2 (rotational lines over ~1,300–1,900 cm⁻¹)
    (3756.0, 120.0, 0.4),  # H₂O ν3 / ν1 (~3,500–3,950 cm⁻¹)
)


def atmosphere(grid: np.ndarray, height: float, rng: np.random.Generator) -> np.ndarray:
    """Residual water-vapour and CO₂ absorption: each band of :data:`ATMOSPHERE_BANDS` (a Gaussian envelope of
    half-width ``w``; water's modulated by a random comb of rotational lines) with a random sign (over- or
    under-subtracted background) and size up to ``height``."""
    out = np.zeros_like(grid, dtype=float)
    for centre, width, rel in ATMOSPHERE_BANDS:
        envelope = np.exp(-0.5 * ((grid - centre) / width) ** 2)
        if width > 50:  # water: line structure
            envelope = envelope * rng.uniform(0, 1, grid.size) ** 2
        out += rng.choice((-1.0, 1.0)) * rng.uniform(0, height) * rel * envelope
    return out


def water_vapour(grid: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Water vapour in the sample path, as absorption (positive): the bend and stretch bands of
    :data:`ATMOSPHERE_BANDS` with their random comb of rotational lines, relative heights as there, maximum 1."""
    out = np.zeros_like(grid, dtype=float)
    for centre, width, rel in ATMOSPHERE_BANDS:
        if width > 50:
            out += rel * np.exp(-0.5 * ((grid - centre) / width) ** 2) * rng.uniform(0, 1, grid.size) ** 2
    peak = out.max()
    return out / peak if peak > 0 else out


FINE_STEP = 1.0  # cm⁻¹: lines are binned on this step and convolved with the band (FFT) before sampling the grid
FFT_LEN = 8192  # points of the circular convolution (> grid span + margins, so no band wraps around)


def render(
    lines: LineSet,
    grid: np.ndarray | None = None,
    physics: Physics = Physics(),
    rng: np.random.Generator | None = None,
    separations: np.ndarray | None = None,
) -> np.ndarray:
    """Spectra (float32, n × grid, each row's maximum 1) of the molecules of ``lines`` under ``physics``.

    ``separations``: one P/R separation (cm⁻¹) per molecule (e.g. from its rotational constants), used instead
    of ``physics.pr_separation`` and its random draw by the ``"pr"`` and ``"rotor"`` shapes.

    Each line's intensity is split between the two nearest points of a :data:`FINE_STEP` grid, convolved with
    the unit-area band (:func:`band_profile`, by FFT) and sampled on ``grid`` by linear interpolation. Without
    ``rng`` nothing random is applied (no noise, baseline, atmosphere or randomisation): the nominal spectra,
    e.g. for validation.
    """
    grid = r23_grid() if grid is None else np.asarray(grid, dtype=float)
    n = len(lines)
    origin = grid.min() - 300.0
    if (grid.max() + 300.0 - origin) / FINE_STEP > FFT_LEN / 2:
        raise ValueError(f"grid of {np.ptp(grid):.0f} cm⁻¹ too wide for FFT_LEN={FFT_LEN}")
    sticks = np.zeros((n, FFT_LEN))
    widths = np.full(n, physics.fwhm)
    given = separations is not None
    if given:
        separations = np.asarray(separations, dtype=float).copy()
        if separations.shape != (n,) or not (separations > 0).all():
            raise ValueError(f"separations: need {n} positive values, got shape {separations.shape}")
    else:
        separations = np.full(n, physics.pr_separation)
    rand = physics.randomise
    rows, positions, weights = [], [], []
    for i, (nu, strength) in enumerate(zip(lines.wavenumbers, lines.intensities, strict=True)):
        keep = nu > 0
        nu, strength = nu[keep], strength[keep]
        scale, high = physics.scale, physics.high_scale
        if rng is not None:
            scale += rng.uniform(-rand.scale, rand.scale) if rand.scale else 0.0
            if rand.high_scale:
                high = (scale if high is None else high) + rng.uniform(-rand.high_scale, rand.high_scale)
            widths[i] *= float(np.exp(rng.uniform(*np.log(rand.fwhm))))
            if rand.pr_separation:
                drawn = rng.uniform(*rand.pr_separation)  # drawn either way: the same stream with or without
                separations[i] = separations[i] if given else drawn
        centres = scale_frequencies(nu, scale, high, physics.split)
        if rng is not None and rand.jitter:
            centres = centres + rng.normal(0, rand.jitter, centres.size)
        if rng is not None and physics.intensity_noise:
            strength = strength * np.exp(rng.normal(0, physics.intensity_noise, strength.size))
        rows.append(np.full(nu.size, i))
        positions.append((centres - origin) / FINE_STEP)
        weights.append(strength)
    if n:
        row, pos, weight = np.concatenate(rows), np.concatenate(positions), np.concatenate(weights)
        inside = (pos >= 0) & (pos < FFT_LEN - 1)
        row, pos, weight = row[inside], pos[inside], weight[inside]
        low = np.floor(pos).astype(int)
        frac = pos - low
        np.add.at(sticks, (row, low), weight * (1 - frac))
        np.add.at(sticks, (row, low + 1), weight * frac)
    freq = np.fft.rfftfreq(FFT_LEN, d=FINE_STEP)[None, :]
    kernel = band_transform(freq, widths[:, None], physics.shape, physics.eta, separations[:, None])
    spectra_fine = np.fft.irfft(np.fft.rfft(sticks, axis=1) * kernel, n=FFT_LEN, axis=1) / FINE_STEP
    where = (grid - origin) / FINE_STEP
    low = np.floor(where).astype(int)
    frac = where - low
    out = spectra_fine[:, low] * (1 - frac) + spectra_fine[:, low + 1] * frac
    out = np.clip(out, 0, None)
    peak = out.max(axis=1, keepdims=True)
    out = np.divide(out, peak, out=np.zeros_like(out), where=peak > 0)
    if rng is not None and (physics.baseline or physics.atmosphere or physics.noise or physics.offset or physics.water):
        for i in range(n):
            spectrum = out[i]
            if physics.baseline:
                spectrum = spectrum + smooth_baseline(grid, physics.baseline, rng)
            if physics.offset:
                spectrum = spectrum + rng.uniform(0, physics.offset)
            if physics.atmosphere:
                spectrum = spectrum + atmosphere(grid, physics.atmosphere, rng)
            if physics.water and rng.uniform() < physics.water_share:
                spectrum = spectrum + rng.uniform(0, physics.water) * water_vapour(grid, rng)
            if physics.noise:
                spectrum = spectrum + rng.normal(0, rng.uniform(0, physics.noise), grid.size)
            spectrum = np.clip(spectrum, 0, None)
            out[i] = spectrum / spectrum.max() if spectrum.max() > 0 else spectrum
    return out.astype(np.float32)


def as_irset(lines: LineSet, grid: np.ndarray | None = None, physics: Physics = Physics()) -> IRSet:
    """The nominal spectra of ``lines`` (:func:`render` without randomness) as an :class:`IRSet`."""
    grid = r23_grid() if grid is None else np.asarray(grid, dtype=float)
    x = render(lines, grid, physics)
    return IRSet(x, lines.y, grid, list(lines.ids), [""] * len(lines), list(lines.inchikeys), list(lines.groups),
                 {"physics": physics.to_dict()})  # fmt: skip


def renderer(lines: LineSet, grid: np.ndarray | None = None, physics: Physics = Physics(), copies: int = 1):
    """A ``train_data`` callback for :func:`lib.train.fit`: every epoch ``copies`` renderings of ``lines`` with the
    epoch's generator, one after another (the same nominal spectra repeated when ``physics`` has nothing random).

    Several copies make an epoch of a few hundred molecules long enough for BatchNorm's running statistics to
    settle before the validation loss is measured (:func:`lib.ir.fg.bn_settling_batches`)."""
    grid = r23_grid() if grid is None else np.asarray(grid, dtype=float)
    if copies < 1:
        raise ValueError(f"copies must be at least 1, got {copies}")
    nominal = None if is_random(physics) else render(lines, grid, physics)

    def draw(epoch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = [nominal if nominal is not None else render(lines, grid, physics, rng) for _ in range(copies)]
        return np.concatenate(x), np.concatenate([lines.y] * copies)

    return draw


def is_random(physics: Physics) -> bool:
    """Whether :func:`render` with a generator differs from the nominal spectra."""
    r = physics.randomise
    return bool(physics.intensity_noise or physics.noise or physics.baseline or physics.atmosphere or physics.offset
                or physics.water or r.scale
                or r.high_scale or r.fwhm != (1.0, 1.0) or r.jitter or r.pr_separation)  # fmt: skip


# --------------------------------------------------------------------------- fitting to measured spectra
def fit_scaling(
    pairs: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    grid: np.ndarray,
    scales: Sequence[float],
    high_scales: Sequence[float | None],
    fwhms: Sequence[float],
    base: Physics = Physics(),
    shapes: Sequence[str] | None = None,
) -> tuple[Physics, float]:
    """The ``scale`` × ``high_scale`` × ``fwhm`` (× ``shape``, default ``base``'s) of ``base`` that maximises the
    mean cosine similarity of nominal spectra to measured ones; ``pairs`` are ``(wavenumbers, intensities,
    measured spectrum)``. Returns the fitted physics and its similarity (ties: the first in grid order)."""
    from lib.ir.validation import cosine

    if not pairs:
        raise ValueError("no simulated/measured pair to fit the scaling on")
    lines = LineSet([p[0] for p in pairs], [p[1] for p in pairs], np.zeros((len(pairs), 1)), [""] * len(pairs),
                    [""] * len(pairs), ["none"])  # fmt: skip
    measured = np.stack([p[2] for p in pairs])
    best, best_sim = base, -np.inf
    for shape in shapes or [base.shape]:
        for scale in scales:
            for high in high_scales:
                for fwhm in fwhms:
                    same = high is None or float(high) == float(scale)
                    physics = replace(base, scale=float(scale), high_scale=None if same else float(high),
                                      fwhm=float(fwhm), shape=shape)  # fmt: skip
                    sim = float(cosine(render(lines, grid, physics), measured).mean())
                    if sim > best_sim + 1e-12:
                        best, best_sim = physics, sim
    return best, best_sim


def paired_lines(records: Sequence[dict], real: IRSet, rows: Sequence[int]) -> list[tuple]:
    """``(wavenumbers, intensities, measured)`` of the real spectra in ``rows`` that have an ``ok`` record with
    the same full InChIKey."""
    by_key = {r.get("inchikey"): r for r in records if r["status"] == "ok"}
    return [(np.asarray(by_key[real.inchikeys[i]]["wavenumbers"], dtype=float),
             np.asarray(by_key[real.inchikeys[i]]["intensities"], dtype=float), real.x[i])
            for i in rows if real.inchikeys[i] in by_key]  # fmt: skip


# --------------------------------------------------------------------------- training
def train_ensemble(
    parts: dict[str, LineSet],
    physics,
    seeds: Sequence[int],
    folder: str | os.PathLike,
    grid: np.ndarray | None = None,
    max_epochs: int = 60,
    patience: int | None = None,
    reweight: bool = True,
    copies: int = 4,
    extra: dict | None = None,
    checkpoints: str | os.PathLike | None = None,
) -> Path:
    """Train every seed not yet saved in ``folder`` on ``parts["train"]`` rendered afresh every epoch with
    ``physics`` (a :class:`Physics` or a :class:`lib.ir.mode_physics.ModePhysics`: its ``training_data``,
    ``copies`` renderings per epoch), early-stopped on the nominal
    ``parts["val"]``; saved as :func:`lib.ir.fg.save_model` does (``seed<k>.pt`` + ``runs.json``, with the
    physics and ``extra`` under ``settings``). ``patience=0``: no early stopping, the weights of the last of
    ``max_epochs`` epochs are kept (the reweighted validation loss of a few hundred molecules keeps rising
    while the validation micro-F1 still improves, so stopping on it picks under-trained nets). ``checkpoints``: where
    the per-epoch checkpoints of an unfinished seed go (default ``folder/checkpoints``)."""
    from lib import metrics
    from lib.losses import r23_l2_penalty
    from lib.models.fga import FGANet, predict_proba, read_runs
    from lib.train import R23, fit

    grid = r23_grid() if grid is None else np.asarray(grid, dtype=float)
    folder = Path(folder)
    checkpoints = Path(checkpoints) if checkpoints is not None else folder / "checkpoints"
    if patience == 0:  # a fixed number of epochs, the last weights kept
        config = replace(R23, max_epochs=max_epochs, patience=None, restore_best=False)
    else:
        config = replace(R23, max_epochs=max_epochs, patience=patience or R23.patience)
    train, val = parts["train"], parts["val"]
    x_val = physics.spectra(val, grid)
    settings = {"config": config.to_dict(), "physics": physics.to_dict(), "reweight": reweight,
                "copies": copies, "groups": list(train.groups), **(extra or {})}  # fmt: skip
    for seed in seeds:
        stem = f"seed{seed}"
        if (folder / f"{stem}.pt").is_file() and stem in read_runs(folder):
            continue
        data = physics.training_data(train, grid, copies)
        result = fit(
            lambda: FGANet(input_len=grid.size, n_groups=train.y.shape[1]), data, (x_val, val.y), config,
            seed=seed, loss=fg.make_loss(train.y, reweight), metric=fg.micro_f1_metric, penalty=r23_l2_penalty,
            device="cpu", checkpoint=checkpoints / stem, progress=False, desc=stem,
        )  # fmt: skip
        x_train = physics.spectra(train, grid)
        thresholds = metrics.best_f1_thresholds(train.y, predict_proba(result.model, x_train))
        info = {"seed": seed, "split_seed": None, "groups": list(train.groups), "thresholds": thresholds.tolist(),
                "n_train": len(train), "n_val": len(val), "history": result.history, "settings": settings,
                **result.summary()}  # fmt: skip
        fg.save_model(folder, result.model.cpu(), info, stem)
    return folder


# --------------------------------------------------------------------------- the other direction
def measured_to_simulated(
    ensemble, real: IRSet, records: Sequence[dict], fwhms: Sequence[float], scale: float = 1.0
) -> list[dict]:
    """Models trained on measured spectra (R23's) scored on our simulated spectra of the same molecules.

    Every molecule of ``real`` with an ``ok`` record in ``records`` (matched by InChIKey) is
    broadened with :func:`lib.ir.simulate.broaden` at ``scale`` and each width of ``fwhms``
    (Lorentzian) and keeps its labels from ``real``. One row per width: ``fwhm``, ``n``, the
    members' mean micro-F1, the ensemble's micro-F1 and exact-match share (threshold 0.5). This is
    a view of how realistic the simulations look to a network that learnt from measurements; no
    setting of ours is chosen on it.
    """
    by_key = {r.get("inchikey"): r for r in records if r.get("status") == "ok"}
    index = [i for i, key in enumerate(real.inchikeys) if key in by_key]
    if not index:
        raise ValueError("no molecule of the real spectra has an ok simulated record (matched by InChIKey)")
    measured = real.subset(index)
    rows = []
    for fwhm in fwhms:
        x = np.array([simulate.broaden(by_key[key]["wavenumbers"], by_key[key]["intensities"], real.grid,
                                       fwhm=float(fwhm), scale=scale) for key in measured.inchikeys])  # fmt: skip
        score = fg.score_fixed_set(ensemble, replace(measured, x=x.astype(np.float32)))
        rows.append({"fwhm": float(fwhm), "n": len(index),
                     "member_micro_f1": float(score["members"]["micro_f1"].mean()),
                     "ensemble_micro_f1": float(score["ensemble"]["micro_f1"]),
                     "ensemble_exact_match": float(score["ensemble"]["molecular_perfection"])})  # fmt: skip
    return rows
