"""Physics per mode type: GFN2-xTB's lines corrected by their type, randomised around the correction, and
drawn as gas-phase band contours from each molecule's rotational constants.

**Corrections** (``data/xtb_mode_corrections.csv``, :func:`load_corrections`): per mode type
(:data:`lib.ir.modes.TYPES`) a frequency factor on the harmonic wavenumber with its relative spread, and a
shift of the natural log of the intensity with its spread, each with its source. No value comes from the 64
measured test spectra. Where no published per-type factor for GFN2-xTB exists, :func:`derive_corrections`
makes one from a textbook group-frequency range (``data/group_frequencies.csv``): the centre of the range
divided by GFN2-xTB's mean wavenumber of the lines of that type in the *training* molecules of the index,
with a spread of a quarter of the range (the range taken as ±2 sd). Intensities have no published per-type
comparison: their shifts come from a B3LYP/6-31G* reference computed here on small training molecules
(:mod:`lib.ir.dft`, :func:`dft_comparison`), which also gives the frequency factors of the types without a
textbook band (ring, skeletal, deformation, S=O); without it those keep the base physics' global scale.

**Randomised** (:func:`corrected_lines` with a generator): per spectrum and type, the factor is drawn as
``f (1 + N(0, freq_sd))`` and the intensity multiplied by ``exp(shift + N(0, log_intensity_sd))``, so that all
lines of one type in one molecule move together, as a systematic error of the method does.

**Band contours** (:func:`pr_separation`): a rigid rotor's P and R branches peak where ``(2J+1) exp(−B J(J+1)
hc/kT)`` does, ``2B(J+½) = √(2BkT/hc)`` from the band centre, so the branch maxima are ``Δν = √(8BkT/hc)``
apart (Herzberg, *Molecular Spectra and Molecular Structure II: Infrared and Raman Spectra of Polyatomic
Molecules*, Van Nostrand 1945, ch. IV; at 298 K ``Δν ≈ 40.7 √B`` for ``B`` in cm⁻¹, e.g. 131 cm⁻¹ for HCl's
``B = 10.4``, where ≈ 105 is observed, because the branches of a light molecule are resolved lines). For a
non-linear molecule ``B`` is the mean of the two smaller constants, the exact value for a symmetric top's
parallel band and an approximation for the others (Gerhard & Dennison, Phys. Rev. 43, 197 (1933), give a
factor depending on the asymmetry). The contour itself is the envelope of those lines, ``|x| exp(−x²/2σ²)``
with ``σ = Δν/2`` (shape ``"rotor"`` of :func:`lib.ir.transfer.band_profile`), convolved with a narrow
Gaussian for what the rotor leaves out (hot bands, unresolved structure, the spectrometer).

:func:`render_modes` renders a :class:`lib.ir.linesets.LineSet` whose molecules carry types and constants
(the typed shards); :func:`renderer` makes it a training-data callback, a candidate training physics.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from lib.ir import modes
from lib.ir.linesets import LineSet
from lib.ir.transfer import Physics, render

C2 = 1.438776877  # cm K, the second radiation constant hc/k (CODATA 2018)
ROOM = 298.15  # K
GROUP_FREQUENCIES = "group_frequencies.csv"
CORRECTIONS = "xtb_mode_corrections.csv"
COLUMNS = ("type", "freq_factor", "freq_sd", "log_intensity_shift", "log_intensity_sd", "n_lines", "source")


def pr_separation(constants: Sequence[float | None] | None, temperature: float = ROOM) -> float:
    """P/R branch separation ``√(8 B kT/hc)`` (cm⁻¹) from rotational constants ``[A, B, C]`` (cm⁻¹; ``A`` may be
    ``None`` for a linear molecule); ``B`` is the mean of the two smaller constants. NaN without constants."""
    if not constants or len(constants) != 3 or constants[1] is None or constants[2] is None:
        return float("nan")
    b = 0.5 * (float(constants[1]) + float(constants[2]))
    if not b > 0 or not temperature > 0:
        raise ValueError(f"rotational constant {b} cm-1 and temperature {temperature} K must be positive")
    return float(np.sqrt(8.0 * b * temperature / C2))


def textbook_ranges(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The textbook group-frequency ranges (``type``, ``low``, ``high``, ``source``), checked."""
    from lib.paths import data_file

    table = pd.read_csv(path or data_file(GROUP_FREQUENCIES))
    unknown = set(table["type"]) - set(modes.TYPES)
    if unknown or (table["low"] >= table["high"]).any():
        raise ValueError(f"{path or GROUP_FREQUENCIES}: unknown types {sorted(unknown)} or a range with low >= high")
    return table


#: A type's DFT comparison enters the corrections only with at least this many molecules.
MIN_REFERENCE_MOLECULES = 5
#: km/mol added to both summed intensities of a type before their ratio (a type silent in both stays neutral).
INTENSITY_FLOOR = 1.0


def dft_comparison(dft_records: Sequence[dict], xtb_records: Sequence[dict], scale: float) -> pd.DataFrame:
    """Per mode type, how GFN2-xTB's lines differ from the DFT reference's on the same molecules.

    Records are shard records (wavenumbers, intensities, types) paired by InChIKey; the types are each method's
    own. For every molecule with a type in both: ``ln((S_dft + f) / (S_xtb + f))`` of the type's summed
    intensities (km/mol, ``f`` = :data:`INTENSITY_FLOOR`) and ``scale × mean ν_dft / mean ν_xtb`` of its
    wavenumbers (``scale``: the functional's published factor). Columns: ``type``, ``n_molecules``,
    ``log_intensity_shift`` (median), ``log_intensity_sd`` (1.4826 × median absolute deviation),
    ``freq_factor`` (median), ``freq_sd`` (relative, 1.4826 × MAD)."""
    xtb = {r["inchikey"]: r for r in xtb_records if r.get("status") == "ok" and r.get("types")}
    logs: dict[str, list[float]] = {}
    ratios: dict[str, list[float]] = {}
    for ref in dft_records:
        other = xtb.get(ref.get("inchikey"))
        if ref.get("status") != "ok" or not ref.get("types") or other is None:
            continue
        summed = [_by_type(r) for r in (ref, other)]
        for kind in set(summed[0]) & set(summed[1]):
            (s_ref, nu_ref), (s_xtb, nu_xtb) = summed[0][kind], summed[1][kind]
            logs.setdefault(kind, []).append(float(np.log((s_ref + INTENSITY_FLOOR) / (s_xtb + INTENSITY_FLOOR))))
            ratios.setdefault(kind, []).append(scale * nu_ref / nu_xtb)
    rows = []
    for kind in modes.TYPES:
        values, factors = np.array(logs.get(kind, [])), np.array(ratios.get(kind, []))
        row = {"type": kind, "n_molecules": len(values)}
        if len(values):
            factor = float(np.median(factors))
            row.update(log_intensity_shift=float(np.median(values)), log_intensity_sd=_robust_sd(values),
                       freq_factor=factor, freq_sd=_robust_sd(factors) / factor)  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows, columns=["type", "n_molecules", "log_intensity_shift", "log_intensity_sd",
                                       "freq_factor", "freq_sd"])  # fmt: skip


def reference_frame(comparison: pd.DataFrame, min_molecules: int = MIN_REFERENCE_MOLECULES) -> pd.DataFrame:
    """:func:`dft_comparison` for people, GFN2-xTB against the reference: one row per type the reference covers,
    largest intensity error first, with ``type`` (its name), ``molecules``, ``intensity`` (GFN2-xTB over the
    reference, median ×), ``spread`` (× or ÷ for one sd), ``wavenumber`` (GFN2-xTB over the scaled reference) and
    ``used`` (enough molecules to enter the corrections)."""
    have = comparison[comparison["n_molecules"] > 0].copy()
    have["order"] = -have["log_intensity_shift"].abs()
    have = have.sort_values("order")
    return pd.DataFrame({
        "type": have["type"].map(modes.TYPE_NAMES).to_numpy(),
        "molecules": have["n_molecules"].to_numpy(),
        "intensity": np.exp(-have["log_intensity_shift"]).to_numpy(),
        "spread": np.exp(have["log_intensity_sd"]).to_numpy(),
        "wavenumber": (1 / have["freq_factor"]).to_numpy(),
        "used": np.where(have["n_molecules"] >= min_molecules, "yes", "not yet").tolist(),
    })  # fmt: skip


def _by_type(record: dict) -> dict[str, tuple[float, float]]:
    """``{type: (summed intensity, mean wavenumber)}`` of a record's real lines."""
    nu, strength, kinds = (np.asarray(record[k]) for k in ("wavenumbers", "intensities", "types"))
    real = nu > 0
    return {kind: (float(strength[real & (kinds == kind)].sum()), float(nu[real & (kinds == kind)].mean()))
            for kind in set(kinds[real].tolist())}  # fmt: skip


def _robust_sd(values: np.ndarray) -> float:
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


def derive_corrections(
    wavenumbers: Sequence[np.ndarray], types: Sequence[Sequence[str]], ranges: pd.DataFrame, what: str,
    reference: pd.DataFrame | None = None, reference_what: str = "", reference_scale: float | None = None,
) -> pd.DataFrame:  # fmt: skip
    """The corrections table (:data:`COLUMNS`) from GFN2-xTB lines with types (``what`` names them in the
    sources, e.g. "412 training molecules of the NIST index") and textbook ``ranges``.

    ``reference`` (:func:`dft_comparison`, ``reference_what`` names its method and ``reference_scale`` the frequency
    scale its wavenumbers were given) gives each type with at least
    :data:`MIN_REFERENCE_MOLECULES` molecules its intensity shift and spread, and a frequency factor where no
    textbook band exists; without it (or below that count) intensities stay unchanged."""
    pooled: dict[str, list[float]] = {}
    for nu, kinds in zip(wavenumbers, types, strict=True):
        if len(nu) != len(kinds):
            raise ValueError(f"{len(nu)} lines but {len(kinds)} types")
        for value, kind in zip(nu, kinds, strict=True):
            if value > 0:
                pooled.setdefault(kind, []).append(float(value))
    rows = []
    by_type = ranges.set_index("type")
    dft = {} if reference is None else {r.type: r for r in reference.itertuples(index=False)
                                       if r.n_molecules >= MIN_REFERENCE_MOLECULES}  # fmt: skip
    for kind in modes.TYPES:
        values = pooled.get(kind, [])
        row = {"type": kind, "freq_factor": np.nan, "freq_sd": np.nan, "log_intensity_shift": 0.0,
               "log_intensity_sd": 0.0, "n_lines": len(values)}  # fmt: skip
        ref = dft.get(kind)
        if kind in by_type.index and values:
            low, high, source = by_type.loc[kind, ["low", "high", "source"]]
            centre, mean = 0.5 * (low + high), float(np.mean(values))
            row.update(freq_factor=round(centre / mean, 4), freq_sd=round((high - low) / 4 / centre, 4))
            frequency = (f"frequency: centre of {low:.0f}-{high:.0f} cm-1 ({source}) / GFN2-xTB mean {mean:.0f} "
                         f"cm-1 of {len(values)} lines in {what}; sd: a quarter of the range")  # fmt: skip
        elif kind in by_type.index:
            frequency = f"textbook range known but no line of this type in {what}: base physics' global scale"
        elif ref is not None:
            row.update(freq_factor=round(ref.freq_factor, 4), freq_sd=round(ref.freq_sd, 4))
            scaled = f"{reference_what} mean (x{reference_scale})" if reference_scale else f"{reference_what} mean"
            frequency = (f"frequency: no textbook band; median over {ref.n_molecules} molecules of the {scaled} "
                         "over GFN2-xTB's mean, sd 1.4826 MAD")  # fmt: skip
        else:
            frequency = "no textbook band for this type: base physics' global scale"
        if ref is not None:
            row.update(log_intensity_shift=round(ref.log_intensity_shift, 4),
                       log_intensity_sd=round(ref.log_intensity_sd, 4))  # fmt: skip
            intensity = (f"intensity: median over {ref.n_molecules} molecules of ln({reference_what} / GFN2-xTB) "
                         "of the type's summed intensity, sd 1.4826 MAD")  # fmt: skip
        else:
            intensity = "intensity: no published per-type comparison and no DFT reference, unchanged"
        row["source"] = f"{frequency}; {intensity}"
        rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def same_corrections(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two corrections tables (:data:`COLUMNS`) hold the same types, numbers (to 1e-6, NaN equal to NaN)
    and sources."""
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    if list(a["type"]) != list(b["type"]) or list(a["source"]) != list(b["source"]):
        return False
    numbers = [c for c in COLUMNS if c not in ("type", "source")]
    return bool(np.allclose(a[numbers].to_numpy(float), b[numbers].to_numpy(float), rtol=0, atol=1e-6, equal_nan=True))


@dataclass(frozen=True)
class Correction:
    """One type's correction: frequency factor (NaN: the base physics' scale) and spreads (see module docstring)."""

    freq_factor: float
    freq_sd: float = 0.0
    log_intensity_shift: float = 0.0
    log_intensity_sd: float = 0.0


def load_corrections(path: str | os.PathLike | None = None) -> dict[str, Correction]:
    """``data/xtb_mode_corrections.csv`` (or ``path``) as ``{type: Correction}``."""
    from lib.paths import data_file

    where = path or data_file(CORRECTIONS)
    table = pd.read_csv(where)
    missing = set(COLUMNS) - set(table.columns)
    if missing:
        raise ValueError(f"{where}: missing column(s) {sorted(missing)}")
    out = {}
    for row in table.itertuples(index=False):
        if row.type not in modes.TYPES:
            raise ValueError(f"{where}: unknown mode type {row.type!r}")
        spreads = (row.log_intensity_shift, row.log_intensity_sd)
        if not all(np.isfinite(spreads)) or (np.isfinite(row.freq_factor) and not np.isfinite(row.freq_sd)):
            raise ValueError(f"{where}: type {row.type!r} has a missing number (only freq_factor may be empty)")
        out[row.type] = Correction(float(row.freq_factor), float(np.nan_to_num(row.freq_sd)),
                                   float(row.log_intensity_shift), float(row.log_intensity_sd))  # fmt: skip
    return out


@dataclass(frozen=True)
class ModePhysics:
    """:class:`lib.ir.transfer.Physics` plus per-type corrections and rotational band contours.

    ``contours``: lines become rotor contours (P/R separation from the molecule's constants at ``temperature``)
    convolved with a Gaussian of ``residual_fwhm`` (randomised like ``base.fwhm``), with a Q-branch share
    ``q_share`` (a narrow central peak); molecules without constants keep ``base``'s band shape and width.
    ``randomise``: draw the per-type factors and intensity shifts around the corrections for each spectrum.
    """

    base: Physics
    corrections: Mapping[str, Correction] = field(default_factory=dict)
    contours: bool = True
    temperature: float = ROOM
    residual_fwhm: float = 8.0
    q_share: float = 0.0
    randomise: bool = True

    def spectra(self, lines: LineSet, grid: np.ndarray | None = None, rng: np.random.Generator | None = None):
        """:func:`render_modes` of ``lines`` under this physics (nominal without ``rng``)."""
        return render_modes(lines, grid, self, rng)

    def training_data(self, lines: LineSet, grid: np.ndarray | None = None, copies: int = 1):
        """:func:`renderer`: a ``train_data`` callback drawing ``copies`` renderings of ``lines`` every epoch."""
        return renderer(lines, grid, self, copies)

    def to_dict(self) -> dict:
        """:func:`to_dict` of this physics."""
        return to_dict(self)


def corrected_lines(
    lines: LineSet, corrections: Mapping[str, Correction], scale: float, rng: np.random.Generator | None = None
) -> LineSet:
    """``lines`` with each typed line's wavenumber set to ``factor × harmonic / scale`` (so that the base
    physics' global ``scale``, applied later, gives ``factor × harmonic``) and its intensity multiplied by
    ``exp(shift)``; with ``rng``, factor and shift drawn per molecule and type (module docstring)."""
    types = lines.types or [["unknown"] * len(nu) for nu in lines.wavenumbers]
    new_nu, new_int = [], []
    for nu, strength, kinds in zip(lines.wavenumbers, lines.intensities, types, strict=True):
        nu, strength = np.asarray(nu, dtype=float).copy(), np.asarray(strength, dtype=float).copy()
        kinds = np.asarray(kinds)
        if kinds.size != nu.size:
            raise ValueError(f"{nu.size} lines but {kinds.size} types")
        for kind in dict.fromkeys(kinds.tolist()):
            c = corrections.get(kind)
            if c is None:
                continue
            at = kinds == kind
            if np.isfinite(c.freq_factor):
                factor = c.freq_factor
                if rng is not None and c.freq_sd:
                    factor *= 1 + rng.normal(0, c.freq_sd)
                nu[at] = nu[at] * factor / scale
            shift = c.log_intensity_shift
            if rng is not None and c.log_intensity_sd:
                shift += rng.normal(0, c.log_intensity_sd)
            strength[at] = strength[at] * np.exp(shift)
        new_nu.append(nu)
        new_int.append(strength)
    return replace(lines, wavenumbers=new_nu, intensities=new_int)


def render_modes(
    lines: LineSet, grid: np.ndarray | None = None, physics: ModePhysics | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:  # fmt: skip
    """Spectra of ``lines`` under ``physics`` (:func:`lib.ir.transfer.render` after :func:`corrected_lines`);
    without ``rng`` the nominal spectra (corrections applied, nothing drawn)."""
    if physics is None:
        raise ValueError("render_modes needs a ModePhysics")
    draw = rng if physics.randomise else None
    corrected = corrected_lines(lines, physics.corrections, physics.base.scale, draw)
    if not physics.contours:
        return render(corrected, grid, physics.base, rng)
    constants = lines.rotational or [None] * len(lines)
    separations = np.array([pr_separation(c, physics.temperature) for c in constants])
    base = replace(physics.base, shape="rotor", fwhm=physics.residual_fwhm, eta=physics.q_share)
    have = np.isfinite(separations)
    if have.all():
        return render(corrected, grid, base, rng, separations=separations)
    out = np.empty((len(lines), (len(grid) if grid is not None else 0) or _grid_len()), dtype=np.float32)
    if have.any():
        out[have] = render(corrected.subset(np.flatnonzero(have)), grid, base, rng, separations=separations[have])
    if (~have).any():
        out[~have] = render(corrected.subset(np.flatnonzero(~have)), grid, physics.base, rng)
    return out


def _grid_len() -> int:
    from lib.reference import r23_grid

    return len(r23_grid())


def measured_inchikeys() -> list[str]:
    """InChIKeys of the molecules of the 64 measured test spectra (``data/jcamp_ir_structures.csv``), whose
    skeletons never enter the training part."""
    from rdkit import Chem, RDLogger

    from lib.paths import data_file

    RDLogger.DisableLog("rdApp.*")
    table = pd.read_csv(data_file("jcamp_ir_structures.csv"))
    return [Chem.MolToInchiKey(Chem.MolFromInchi(text)) for text in table["inchi"].dropna()]


def corrections_from_shards(
    shards: str | os.PathLike, index_csv: str | os.PathLike, ranges: pd.DataFrame | None = None,
    reference: str | os.PathLike | None = None,
) -> pd.DataFrame:  # fmt: skip
    """:func:`derive_corrections` on the training part (R23's split, skeletons of the measured spectra left out)
    of the typed shards in ``shards``; molecules of records without types are not used. ``reference``: a folder
    of DFT shards (:mod:`lib.ir.dft`, made with ``simulate --method``) compared with ``shards``' records of the
    same molecules (:func:`dft_comparison`)."""
    from lib.ir import dft
    from lib.ir.linesets import nist_lines
    from lib.ir.simulate import load_shards

    train = nist_lines(shards, index_csv, exclude_inchikeys=measured_inchikeys())["train"]
    typed = [i for i, kinds in enumerate(train.types or []) if kinds and "unknown" not in kinds]
    if not typed:
        raise ValueError(f"{shards}: no training molecule with mode types")
    what = f"{len(typed)} training molecules of the NIST index ({Path(shards).name})"
    comparison, method, scale = None, "", None
    if reference is not None:
        comparison, method, _ = reference_comparison(reference, load_shards(shards))
        scale = dft.scale(method)
    return derive_corrections([train.wavenumbers[i] for i in typed], [train.types[i] for i in typed],
                              textbook_ranges() if ranges is None else ranges, what, comparison, method,
                              scale)  # fmt: skip


def reference_molecules(shards: str | os.PathLike, index_csv: str | os.PathLike, **selection) -> list[str]:
    """InChIs of the DFT reference (:func:`lib.ir.dft.select_molecules`, ``selection`` passed on) among the typed
    training molecules of ``shards`` (R23's split, skeletons of the measured spectra left out)."""
    from lib.ir import dft, labels
    from lib.ir.linesets import nist_lines

    train = nist_lines(shards, index_csv, exclude_inchikeys=measured_inchikeys())["train"]
    typed = [i for i, kinds in enumerate(train.types or []) if kinds and "unknown" not in kinds]
    inchi_of = labels.read_index(index_csv).drop_duplicates("ID").set_index("ID")["Inchi"]
    inchis = ["InChI=" + inchi_of[train.ids[i]].removeprefix("InChI=") for i in typed]
    return dft.select_molecules(inchis, [train.types[i] for i in typed], **selection)


def reference_comparison(reference: str | os.PathLike, xtb_records: Sequence[dict]) -> tuple[pd.DataFrame, str, int]:
    """:func:`dft_comparison` of the DFT shards in ``reference`` with ``xtb_records`` (the method's published frequency
    scale applied), the method's name, and how many reference molecules the shards hold."""
    from lib.ir import dft
    from lib.ir.simulate import load_shard, load_shards

    paths = sorted(Path(reference).glob("part-*.json.gz"))
    if not paths:
        raise FileNotFoundError(f"{reference}: no DFT shard (part-NNN.json.gz)")
    methods = sorted({load_shard(path)["settings"]["method"] for path in paths})
    if len(methods) > 1:
        raise ValueError(f"{reference}: shards of more than one method {methods}")
    method = methods[0]
    try:
        factor = dft.scale(method)
    except ValueError as error:
        raise ValueError(f"{reference}: {error}") from None
    records = load_shards(reference)
    return dft_comparison(records, xtb_records, factor), method, len(records)


def to_dict(physics: ModePhysics) -> dict:
    """A plain dictionary of ``physics`` for JSON training records (corrections by type, base physics nested; a
    frequency factor that is not set, NaN, as ``None``)."""
    from dataclasses import asdict

    out = {k: getattr(physics, k) for k in ("contours", "temperature", "residual_fwhm", "q_share", "randomise")}
    out["base"] = physics.base.to_dict()
    out["corrections"] = {kind: {k: None if v != v else v for k, v in asdict(c).items()}
                          for kind, c in physics.corrections.items()}  # fmt: skip
    return out


def renderer(lines: LineSet, grid: np.ndarray | None = None, physics: ModePhysics | None = None, copies: int = 1):
    """A ``train_data`` callback for :func:`lib.train.fit` (as :func:`lib.ir.transfer.renderer`): every epoch
    ``copies`` renderings of ``lines`` under ``physics`` with the epoch's generator (a candidate training
    physics for the typed index)."""
    if physics is None:
        raise ValueError("renderer needs a ModePhysics")
    if copies < 1:
        raise ValueError(f"copies must be at least 1, got {copies}")

    def draw(epoch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = [render_modes(lines, grid, physics, rng) for _ in range(copies)]
        return np.concatenate(x), np.concatenate([lines.y] * copies)

    return draw
