"""A small DFT reference for GFN2-xTB's lines: the same harmonic pipeline with a hybrid functional (PySCF).

GFN2-xTB's intensities have no published per-mode-type comparison with experiment, so the per-type intensity
corrections of :mod:`lib.ir.mode_physics` take their source from a better method computed here on a few hundred
*training* molecules. :class:`DFT` answers as :class:`lib.ir.xtb.XTB` does (energy, gradient and dipole at given
positions), so geometry optimisation, the finite-difference Hessian and dipole derivatives, the normal modes and
their types are the very code that made the GFN2-xTB lines; only the electronic structure differs.

**Method.** B3LYP/6-31G* (Becke, J. Chem. Phys. 98, 5648 (1993); Hariharan & Pople, Theor. Chim. Acta 28, 213
(1973)), restricted Kohn–Sham, PySCF's default integration grid. Its harmonic wavenumbers are scaled by
**0.9614** (Scott & Radom, J. Phys. Chem. 100, 16502 (1996), fitted on 1,066 fundamentals of 122 molecules). Its
IR intensities are the usual reference for judging cheaper methods' (Halls & Schlegel, J. Chem. Phys. 109, 10587
(1998), assessed them against gas-phase experiment); here they stand in for experiment, which the 64 measured
test spectra may not be.

**Density fitting.** A method written ``"XC/BASIS/DF"`` (the reference's ``"B3LYP/6-31G*/DF"``) fits the Coulomb and
exchange integrals with PySCF's default auxiliary basis (even-tempered for Pople bases). It is 1.5× (a 9-atom ether)
to 3.3× (CHBr₂Cl) faster per displaced geometry here and moves a gradient by < 1e-4 Hartree/Bohr, within the
integration grid's own noise; its harmonic lines are compared with the exact ones in ``tests/test_dft.py`` and in
PROTOCOL.md's fifth amendment. The published frequency scale of XC/BASIS applies unchanged.

**BLAS kernels.** PySCF's wheel bundles its own OpenBLAS (0.3.3, 2018), which does not recognise newer CPUs and
falls back to its SSE3 ("Prescott") kernels: matrix products 2–3× slower than the CPU allows, a fifth of a DFT
gradient's time here. :func:`prefer_modern_blas_kernels` names the CPU's kernel family (AVX-512 or AVX2) before
PySCF loads, unless ``OPENBLAS_CORETYPE`` is set; PySCF's OpenBLAS then runs its AVX2 ("Haswell") kernels, which it
also takes for an AVX-512 request (any OpenBLAS loaded later gets the AVX-512 ones). 1.25× faster single points on
an Intel Xeon, 1.28× (CPU time of phenol's SCF and gradient, 15.4 → 12.0 s) on an AMD EPYC, the same numbers to
rounding (energies agree to 1e-11 Hartree).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from lib.ir import modes, xtb
from lib.ir.xtb import SimulationError, SinglePoints

#: The reference as shipped: its molecules (``python -m lib dft-molecules``) and their line spectra (``simulate``).
REFERENCE_MOLECULES = "book/ir/data/dft_molecules.csv"
REFERENCE_SHARDS = "book/ir/data/dft_modes"

#: Published harmonic-frequency scale factor of B3LYP/6-31G* (Scott & Radom 1996).
SCALE = {"B3LYP/6-31G*": 0.9614}


def is_dft(method: str) -> bool:
    """Whether ``method`` names a functional and basis (``"XC/BASIS"`` or ``"XC/BASIS/DF"``), not an xTB Hamiltonian."""
    return "/" in method


def parse(method: str) -> tuple[str, str, bool]:
    """Functional, basis and whether to density-fit, from ``"XC/BASIS"`` or ``"XC/BASIS/DF"``."""
    parts = method.split("/")
    if len(parts) == 3 and parts[2] == "DF":
        return parts[0], parts[1], True
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"method must be 'XC/BASIS' or 'XC/BASIS/DF', got {method!r}")
    return parts[0], parts[1], False


def describe(method: str) -> str:
    """``method`` for prose: ``"B3LYP/6-31G*/DF"`` reads ``"B3LYP/6-31G* (density-fitted)"``."""
    xc, basis, fitted = parse(method)
    return f"{xc}/{basis}" + (" (density-fitted)" if fitted else "")


def scale(method: str) -> float:
    """Published harmonic-frequency scale factor of ``method``'s functional and basis (:data:`SCALE`)."""
    xc, basis, _ = parse(method)
    if f"{xc}/{basis}" not in SCALE:
        raise ValueError(f"no published frequency scale for {method!r} (known: {sorted(SCALE)})")
    return SCALE[f"{xc}/{basis}"]


def openblas_core(flags: set[str]) -> str | None:
    """The OpenBLAS kernel family for a CPU with these ``/proc/cpuinfo`` flags: ``"SkylakeX"`` (AVX-512),
    ``"Haswell"`` (AVX2 and FMA) or ``None`` (leave OpenBLAS's own detection)."""
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


def prefer_modern_blas_kernels(cpuinfo: str = "/proc/cpuinfo") -> str | None:
    """Set ``OPENBLAS_CORETYPE`` from the CPU's flags for OpenBLAS libraries loaded from now on (PySCF's); a value
    the user set is kept. Returns the kernel in force (``None``: OpenBLAS decides)."""
    if "OPENBLAS_CORETYPE" in os.environ:
        return os.environ["OPENBLAS_CORETYPE"]
    try:
        with open(cpuinfo) as handle:
            line = next((row for row in handle if row.startswith("flags")), "")
    except OSError:
        return None
    core = openblas_core(set(line.partition(":")[2].split()))
    if core is not None:
        os.environ["OPENBLAS_CORETYPE"] = core
    return core


class DFT(SinglePoints):
    """:class:`lib.ir.xtb.SinglePoints` of a closed-shell molecule with a functional and basis in PySCF.

    ``method`` is ``"XC/BASIS"`` (e.g. ``"B3LYP/6-31G*"``), or ``"XC/BASIS/DF"`` with density fitting; the state
    passed between points is the density matrix.
    An SCF that does not converge raises :class:`lib.ir.xtb.SimulationError`. The geometry is converged to a largest
    force of 4.5e-4 Hartree/Bohr (the usual default of quantum-chemistry programs, Gaussian's among them): the
    integration grid leaves noise of order 1e-5 to 1e-4 in the gradient, so GFN2-xTB's 1e-5 cannot be reached.
    """

    gtol = 4.5e-4

    def __init__(self, molecule, method: str = "B3LYP/6-31G*", conv_tol: float = 1e-10):
        prefer_modern_blas_kernels()
        from pyscf import gto

        self.xc, self.basis, self.density_fit = parse(method)
        if molecule.uhf:
            raise SimulationError("dft: open-shell molecules are not supported")
        super().__init__()
        self.mol = gto.M(
            atom=[(int(z), p) for z, p in zip(molecule.numbers, molecule.positions, strict=True)],
            unit="Bohr", basis=self.basis, charge=int(molecule.charge), verbose=0,
        )  # fmt: skip
        self.conv_tol = conv_tol

    def _single_point(self, positions: np.ndarray, start):
        from pyscf import dft

        mf = dft.RKS(self.mol.set_geom_(positions, unit="Bohr", inplace=False))
        if self.density_fit:
            mf = mf.density_fit()
        mf.xc = self.xc
        mf.conv_tol = self.conv_tol
        energy = mf.kernel(dm0=start)
        if not mf.converged:
            raise SimulationError(f"dft: SCF not converged ({self.xc}/{self.basis})")
        gradient = mf.nuc_grad_method().kernel()
        dipole = mf.dip_moment(unit="AU", verbose=0)
        values = (float(energy), np.asarray(gradient, dtype=float), np.asarray(dipole, dtype=float))
        return values, mf.make_rdm1()


def simulate(text: str, method: str = "B3LYP/6-31G*", **settings) -> xtb.LineSpectrum:
    """:func:`lib.ir.xtb.simulate` with :class:`DFT` as the calculator (``settings``: its other arguments)."""
    return xtb.simulate(text, method=method, calculator=lambda molecule: DFT(molecule, method), **settings)


def fitting_effect(exact: Sequence[dict], fitted: Sequence[dict], floor: float = 1.0) -> dict:
    """How density fitting moves the lines of the molecules computed both ways (line-spectrum records, paired by
    InChIKey; successful records only): ``n`` molecules, ``lines``, the largest and median absolute wavenumber
    change (cm⁻¹), the largest relative intensity change of the lines above ``floor`` km/mol, the largest change of
    a mode type's summed intensity per molecule as the reference compares it (absolute natural-log ratio, ``floor``
    added to both sums, as in :func:`lib.ir.mode_physics.dft_comparison`), and whether every molecule kept its mode
    types in order."""
    by_key = {r["inchikey"]: r for r in fitted if r.get("status") == "ok"}
    pairs = [(r, by_key[r["inchikey"]]) for r in exact if r.get("status") == "ok" and r["inchikey"] in by_key]
    if not pairs:
        raise ValueError("no molecule was computed both with and without density fitting")
    shifts, changes, type_changes, same = [], [], [], True
    for a, b in pairs:
        if len(a["wavenumbers"]) != len(b["wavenumbers"]):
            raise ValueError(f"{a['inchikey']}: {len(a['wavenumbers'])} lines exact but {len(b['wavenumbers'])} fitted")
        shifts.append(np.abs(np.subtract(b["wavenumbers"], a["wavenumbers"])))
        strong = np.asarray(a["intensities"]) > floor
        changes.append(np.abs(np.asarray(b["intensities"])[strong] / np.asarray(a["intensities"])[strong] - 1))
        same &= a.get("types") == b.get("types")
        kinds = np.asarray(a.get("types") or ["all"] * len(a["intensities"]))
        for kind in set(kinds):
            sums = [np.asarray(r["intensities"])[kinds == kind].sum() + floor for r in (a, b)]
            type_changes.append(abs(float(np.log(sums[1] / sums[0]))))
    shifts, changes = np.concatenate(shifts), np.concatenate(changes)
    return {
        "n": len(pairs),
        "lines": int(shifts.size),
        "max_shift": float(shifts.max()),
        "median_shift": float(np.median(shifts)),
        "strong_lines": int(changes.size),
        "max_intensity_change": float(changes.max()) if changes.size else 0.0,
        "max_type_log_change": max(type_changes),
        "same_types": bool(same),
    }


# --------------------------------------------------------------------------- which molecules
#: The reference set: per mode type up to PER_TYPE training molecules with a line of that type, of at most
#: MAX_ATOMS atoms (a B3LYP/6-31G* Hessian by finite differences costs ~4 N gradients of ~2 s each here).
PER_TYPE = 20
MAX_ATOMS = 14


#: Heaviest element the 6-31G* basis covers (krypton): molecules with heavier atoms (iodine) are left out.
MAX_ATOMIC_NUMBER = 36


def atom_count(inchi: str) -> int:
    """Number of atoms, hydrogens included, of a molecule given as InChI."""
    return len(_atomic_numbers(inchi))


def _atomic_numbers(inchi: str) -> list[int]:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromInchi(inchi)
    if mol is None:
        raise ValueError(f"cannot parse {inchi!r}")
    return [a.GetAtomicNum() for a in Chem.AddHs(mol).GetAtoms()]


def select_molecules(
    inchis: Sequence[str], types: Sequence[Sequence[str]], per_type: int = PER_TYPE, max_atoms: int = MAX_ATOMS,
    seed: int = 0,
) -> list[str]:  # fmt: skip
    """The reference molecules among ``inchis`` (training molecules; ``types``: each one's GFN2-xTB line types).

    For every mode type, up to ``per_type`` molecules with a line of that type and at most ``max_atoms`` atoms,
    none heavier than :data:`MAX_ATOMIC_NUMBER`, fewest atoms first, ties in a random order fixed by ``seed``; the
    union, fewest atoms first (so that a run cut short still covers every type with its cheapest molecules)."""
    if len(inchis) != len(types):
        raise ValueError(f"{len(inchis)} molecules but {len(types)} type lists")
    order = np.random.default_rng(seed).permutation(len(inchis))
    rank = {int(i): k for k, i in enumerate(order)}
    numbers = {int(i): _atomic_numbers(inchis[i]) for i in order}
    size = {i: len(z) for i, z in numbers.items()}
    fits = [i for i in size if size[i] <= max_atoms and max(numbers[i]) <= MAX_ATOMIC_NUMBER]
    ranked = sorted(fits, key=lambda i: size[i])  # stable: ties keep `order`
    chosen: dict[int, None] = {}
    for kind in modes.TYPES:
        if kind == "unknown":
            continue
        having = [i for i in ranked if kind in types[i]]
        chosen.update(dict.fromkeys(having[:per_type]))
    return [inchis[i] for i in sorted(chosen, key=lambda i: (size[i], rank[i]))]
