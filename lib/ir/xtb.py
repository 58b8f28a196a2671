"""Harmonic IR spectra of one molecule with GFN2-xTB (the ``tblite`` package).

SMILES or InChI → RDKit 3-D structure (seeded embedding, MMFF pre-optimisation) → GFN2-xTB
geometry optimisation (BFGS started from the MMFF Hessian) → Hessian by central differences of
analytic gradients, dipole derivatives by central differences of the dipole → normal modes in
mass-weighted coordinates with translations and rotations removed exactly → wavenumbers (cm⁻¹)
and IR intensities (km/mol), each mode's type (:mod:`lib.ir.modes`) and the rotational constants.

Atomic units inside (Hartree, Bohr, elementary charge), masses in unified atomic mass units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from lib.ir import modes

BOHR_PER_ANGSTROM = 1 / 0.529177210903
AMU_IN_ME = 1822.888486209  # electron masses per atomic mass unit
HARTREE_IN_CM = 219474.6313632  # cm⁻¹ per Hartree (angular frequency in a.u. → wavenumber)
# |dμ/dQ|² in e²/amu → km/mol: (N_A π / 3 c²) in these units (standard conversion factor)
KM_PER_MOL = 974.8801
IMAGINARY_TOLERANCE = 30.0  # cm⁻¹; smaller imaginary modes are numerical noise of a flat surface


class SimulationError(RuntimeError):
    """A molecule could not be simulated; the message says at which step and why."""


@dataclass
class Molecule:
    """Atomic numbers, Cartesian positions (Bohr), charge and unpaired electrons."""

    numbers: np.ndarray
    positions: np.ndarray
    charge: int = 0
    uhf: int = 0
    smiles: str = ""
    model_hessian: np.ndarray | None = None  # force-field Hessian (Hartree/Bohr²) at ``positions``
    bonds: list[tuple[int, int, float, bool]] = field(default_factory=list)  # (i, j, order, aromatic), RDKit's

    @property
    def masses(self) -> np.ndarray:
        """Atomic masses (amu) of the most common isotopes."""
        from rdkit import Chem

        table = Chem.GetPeriodicTable()
        return np.array([table.GetMostCommonIsotopeMass(int(z)) for z in self.numbers])


@dataclass
class LineSpectrum:
    """Harmonic wavenumbers (cm⁻¹, negative = imaginary) and intensities (km/mol)."""

    wavenumbers: np.ndarray
    intensities: np.ndarray
    positions: np.ndarray  # optimised geometry, Bohr
    numbers: np.ndarray
    energy: float
    notes: list[str] = field(default_factory=list)
    calls: int = 0  # GFN2-xTB single points spent
    types: list[str] = field(default_factory=list)  # per mode, :data:`lib.ir.modes.TYPES` (empty: not classified)
    rotational_constants: list[float | None] = field(default_factory=list)  # A, B, C (cm⁻¹) of the geometry

    @property
    def n_imaginary(self) -> int:
        """Modes with an imaginary frequency beyond the numerical tolerance."""
        return int((self.wavenumbers < -IMAGINARY_TOLERANCE).sum())


def embed(text: str, seed: int = 0) -> Molecule:
    """A 3-D structure from SMILES or InChI: seeded ETKDG embedding, MMFF (or UFF) clean-up."""
    from rdkit import Chem
    from rdkit.Chem import AllChem

    text = text.strip()
    mol = Chem.MolFromInchi(text) if text.startswith("InChI=") else Chem.MolFromSmiles(text)
    if mol is None:
        raise SimulationError(f"structure: RDKit cannot parse {text!r}")
    mol = Chem.AddHs(mol)
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    if AllChem.EmbedMolecule(mol, params) != 0:
        params.useRandomCoords = True
        if AllChem.EmbedMolecule(mol, params) != 0:
            raise SimulationError(f"structure: 3-D embedding failed for {text!r}")
    if AllChem.MMFFHasAllMoleculeParams(mol):
        AllChem.MMFFOptimizeMolecule(mol, maxIters=2000)
        force_field = AllChem.MMFFGetMoleculeForceField(mol, AllChem.MMFFGetMoleculeProperties(mol))
    else:
        AllChem.UFFOptimizeMolecule(mol, maxIters=2000)
        force_field = AllChem.UFFGetMoleculeForceField(mol) if AllChem.UFFHasAllMoleculeParams(mol) else None
    charge = Chem.GetFormalCharge(mol)
    unpaired = sum(a.GetNumRadicalElectrons() for a in mol.GetAtoms())
    return Molecule(
        numbers=np.array([a.GetAtomicNum() for a in mol.GetAtoms()]),
        positions=mol.GetConformer().GetPositions() * BOHR_PER_ANGSTROM,
        charge=int(charge),
        uhf=int(unpaired),
        smiles=Chem.MolToSmiles(Chem.RemoveHs(mol)),
        model_hessian=None if force_field is None else force_field_hessian(force_field, mol),
        bonds=[
            (b.GetBeginAtomIdx(), b.GetEndAtomIdx(), float(b.GetBondTypeAsDouble()), bool(b.GetIsAromatic()))
            for b in mol.GetBonds()
        ],  # fmt: skip
    )


def force_field_hessian(force_field, mol, step: float = 1e-3) -> np.ndarray:
    """Hessian (Hartree/Bohr²) of an RDKit force field at the molecule's conformer, by central differences."""
    flat = mol.GetConformer().GetPositions().ravel()
    n = flat.size
    hessian = np.empty((n, n))
    for i in range(n):
        shifted = flat.copy()
        shifted[i] += step
        g_plus = np.array(force_field.CalcGrad(shifted.tolist()))
        shifted[i] -= 2 * step
        g_minus = np.array(force_field.CalcGrad(shifted.tolist()))
        hessian[i] = (g_plus - g_minus) / (2 * step)
    kcal_per_mol_in_hartree = 1 / 627.509474
    return 0.5 * (hessian + hessian.T) * kcal_per_mol_in_hartree / BOHR_PER_ANGSTROM**2


def inverse_hessian_guess(hessian: np.ndarray, floor: float = 0.005, ceiling: float = 2.0) -> np.ndarray:
    """A positive definite inverse of a model Hessian: eigenvalues clipped to [floor, ceiling] (Hartree/Bohr²).

    Translations and rotations (zero eigenvalues) get the floor: the gradient has no component
    along them, so they do not move.
    """
    values, vectors = np.linalg.eigh(hessian)
    values = np.clip(np.abs(values), floor, ceiling)
    inverse = (vectors / values) @ vectors.T
    return 0.5 * (inverse + inverse.T)


class SinglePoints:
    """Energy (Hartree), gradient (Hartree/Bohr, n×3) and dipole (e·Bohr) of a molecule at given positions.

    Each single point starts from ``restart`` (a :attr:`state`) when given, else from the last point's state. A
    repeat of the last positions (the optimiser's final point, then the Hessian's reference) is answered from
    memory, without a single point. Subclasses compute one point in :meth:`_single_point`; ``gtol`` is the largest
    gradient component (Hartree/Bohr) their geometry optimisation aims for."""

    gtol = 1e-5

    def __init__(self) -> None:
        self._state = None
        self._last: tuple[np.ndarray, tuple] | None = None
        self.calls = 0

    @property
    def state(self):
        """The electronic state of the last single point (pass as ``restart`` to start another from it)."""
        return self._state

    def _single_point(self, positions: np.ndarray, start) -> tuple[tuple[float, np.ndarray, np.ndarray], object]:
        """``(energy, gradient, dipole)`` at ``positions`` from the state ``start`` (None: a fresh guess), and the
        new state."""
        raise NotImplementedError

    def __call__(self, positions: np.ndarray, restart=None) -> tuple[float, np.ndarray, np.ndarray]:
        """Energy, gradient and dipole at ``positions`` (Bohr)."""
        positions = np.asarray(positions, dtype=float).reshape(-1, 3)
        if self._last is not None and np.array_equal(self._last[0], positions):
            energy, gradient, dipole = self._last[1]
            return energy, gradient.copy(), dipole.copy()
        values, self._state = self._single_point(positions, restart if restart is not None else self._state)
        self.calls += 1
        self._last = (positions.copy(), values)
        return values[0], values[1].copy(), values[2].copy()


class XTB(SinglePoints):
    """:class:`SinglePoints` with GFN2-xTB (by default; tblite's other Hamiltonians by ``method``)."""

    def __init__(self, molecule: Molecule, method: str = "GFN2-xTB", accuracy: float = 1.0):
        from tblite.interface import Calculator

        super().__init__()
        self.molecule = molecule
        self.calc = Calculator(method, molecule.numbers, molecule.positions, molecule.charge, molecule.uhf)
        self.calc.set("verbosity", 0)
        self.calc.set("accuracy", accuracy)
        self.calc.set("max-iter", 500)

    def _single_point(self, positions: np.ndarray, start):
        self.calc.update(positions=positions)
        try:
            result = self.calc.singlepoint(start, copy=True) if start else self.calc.singlepoint()
        except Exception as err:  # tblite raises its own RuntimeError subclasses
            raise SimulationError(f"xtb: single point failed ({err})") from None
        values = (float(result.get("energy")), np.array(result.get("gradient")), np.array(result.get("dipole")))
        return values, result


def optimise(
    xtb: XTB,
    positions: np.ndarray,
    gtol: float = 1e-5,
    max_steps: int = 3000,
    method: str = "BFGS",
    hessian: np.ndarray | None = None,
) -> np.ndarray:
    """Minimise the energy with BFGS on analytic gradients; returns positions (Bohr).

    ``gtol`` is the largest allowed gradient component (Hartree/Bohr) at convergence. BFGS
    (dense Hessian update, short line-search steps) needs more energy calls than L-BFGS-B
    here but each converges its SCF much faster from the previous density: 2-3x less time.
    A model ``hessian`` (Hartree/Bohr², e.g. :attr:`Molecule.model_hessian`) replaces the
    identity as BFGS's starting curvature: on NIST molecules 2.6x fewer gradients.
    """
    from scipy.optimize import minimize

    def fun(flat):
        energy, gradient, _ = xtb(flat)
        return energy, gradient.ravel()

    options = {"maxiter": max_steps, "gtol": gtol}
    if hessian is not None and method == "BFGS":
        options["hess_inv0"] = inverse_hessian_guess(hessian)
    result = minimize(fun, positions.ravel(), jac=True, method=method, options=options)
    _, gradient, _ = xtb(result.x)
    if np.abs(gradient).max() > 10 * gtol:
        raise SimulationError(f"optimisation: not converged (max gradient {np.abs(gradient).max():.1e} Eh/Bohr)")
    return result.x.reshape(-1, 3)


DIFFERENCES = ("central", "forward", "hydrogen-central", "bond-central")


def displacement_frames(positions: np.ndarray, numbers: np.ndarray, differences: str) -> tuple[np.ndarray, np.ndarray]:
    """Per atom, three orthonormal displacement directions (n×3×3, rows) and whether each is taken by central
    differences (n×3) under ``differences`` (see :func:`hessian_and_dipole_derivatives`)."""
    n = len(positions)
    frames = np.repeat(np.eye(3)[None], n, axis=0)
    central = np.full((n, 3), differences == "central")
    if differences in ("hydrogen-central", "bond-central"):
        if numbers is None:
            raise ValueError(f"differences={differences!r} needs the atomic numbers")
        hydrogen = np.asarray(numbers) == 1
        central[hydrogen] = differences == "hydrogen-central"
        if differences == "bond-central" and n > 1:
            for a in np.flatnonzero(hydrogen):
                distance = np.linalg.norm(positions - positions[a], axis=1)
                distance[a] = np.inf
                bond = positions[a] - positions[int(np.argmin(distance))]
                # first axis along the X–H bond (central), the other two perpendicular to it (forward)
                q, _ = np.linalg.qr(np.column_stack([bond, np.eye(3)]))
                frames[a] = q.T[:3]
                central[a] = (True, False, False)
    return frames, central


def hessian_and_dipole_derivatives(
    xtb: XTB, positions: np.ndarray, step: float = 5e-3, differences: str = "central", numbers: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Hessian (3n×3n, Hartree/Bohr²) and dipole derivatives (3×3n, e) by finite differences.

    ``differences="central"`` takes two gradients per coordinate (error ∝ step²);
    ``"forward"`` takes one plus the reference (error ∝ step, half the cost);
    ``"hydrogen-central"`` is central for the coordinates of hydrogen atoms (``numbers``
    needed), which carry the strongly anharmonic X–H stretches, and forward for the others;
    ``"bond-central"`` displaces each hydrogen along its bond to the nearest atom (central: the
    anharmonic stretch) and across it (forward: the milder bends), 4 gradients per hydrogen
    instead of 6. The Hessian is linear in the displacement, so the columns taken along a
    rotated frame ``B`` (rows: directions) give the Cartesian ones as ``C @ B``.
    """
    if differences not in DIFFERENCES:
        raise ValueError(f"differences must be one of {DIFFERENCES}, got {differences!r}")
    pos = np.asarray(positions, dtype=float).reshape(-1, 3)
    flat = pos.ravel()
    frames, central = displacement_frames(pos, numbers, differences)
    n = flat.size
    hessian = np.empty((n, n))
    dipole_derivative = np.empty((3, n))
    if not central.all():
        _, g_ref, mu_ref = xtb(flat)
    # every displaced SCF starts from the reference wavefunction, one step away (not from the previous displacement)
    reference = getattr(xtb, "state", None)
    for atom in range(len(pos)):
        columns, dipoles = np.empty((n, 3)), np.empty((3, 3))
        for k in range(3):
            shift = np.zeros_like(pos)
            shift[atom] = step * frames[atom, k]
            _, g_plus, mu_plus = xtb((pos + shift).ravel(), restart=reference)
            if central[atom, k]:
                _, g_minus, mu_minus = xtb((pos - shift).ravel(), restart=reference)
                columns[:, k] = (g_plus.ravel() - g_minus.ravel()) / (2 * step)
                dipoles[:, k] = (mu_plus - mu_minus) / (2 * step)
            else:
                columns[:, k] = (g_plus.ravel() - g_ref.ravel()) / step
                dipoles[:, k] = (mu_plus - mu_ref) / step
        block = slice(3 * atom, 3 * atom + 3)
        hessian[:, block] = columns @ frames[atom]
        dipole_derivative[:, block] = dipoles @ frames[atom]
    return 0.5 * (hessian + hessian.T), dipole_derivative


def _external_modes(positions: np.ndarray, masses: np.ndarray) -> np.ndarray:
    """Orthonormal basis (3n×k, k = 5 or 6) of translations and rotations, mass-weighted."""
    sqrt_m = np.sqrt(masses)
    centre = (masses[:, None] * positions).sum(0) / masses.sum()
    r = positions - centre
    vectors = []
    for axis in np.eye(3):
        vectors.append((sqrt_m[:, None] * axis[None, :]).ravel())
        vectors.append((sqrt_m[:, None] * np.cross(axis[None, :], r)).ravel())
    u, s, _ = np.linalg.svd(np.array(vectors).T, full_matrices=False)
    return u[:, s > 1e-6 * s.max()]


def normal_modes(
    hessian: np.ndarray, dipole_derivative: np.ndarray, positions: np.ndarray, masses: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Wavenumbers (cm⁻¹; imaginary as negative) and IR intensities (km/mol) of the 3n−6 (3n−5) modes."""
    wavenumbers, intensities, _ = normal_mode_vectors(hessian, dipole_derivative, positions, masses)
    return wavenumbers, intensities


def normal_mode_vectors(
    hessian: np.ndarray, dipole_derivative: np.ndarray, positions: np.ndarray, masses: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`normal_modes`, plus each mode's Cartesian displacement (3n × modes, columns; the mass-weighted
    unit eigenvector divided by √m)."""
    inv_sqrt_m = np.repeat(1 / np.sqrt(masses), 3)
    weighted = hessian * inv_sqrt_m[:, None] * inv_sqrt_m[None, :]  # Hartree / (Bohr² amu)
    external = _external_modes(positions, masses)
    # orthonormal complement of the external modes: the internal (vibrational) space
    q, _ = np.linalg.qr(np.hstack([external, np.eye(len(weighted))]))
    internal = q[:, external.shape[1] :]
    values, vectors = np.linalg.eigh(internal.T @ weighted @ internal)
    modes = internal @ vectors  # mass-weighted Cartesian, columns
    omega = np.sign(values) * np.sqrt(np.abs(values) / AMU_IN_ME)  # atomic units
    wavenumbers = omega * HARTREE_IN_CM
    dmu_dq = dipole_derivative @ (modes * inv_sqrt_m[:, None])  # e / sqrt(amu)
    intensities = KM_PER_MOL * (dmu_dq**2).sum(axis=0)
    return wavenumbers, intensities, modes * inv_sqrt_m[:, None]


def simulate(
    text: str,
    seed: int = 0,
    method: str = "GFN2-xTB",
    step: float = 5e-3,
    retries: int = 2,
    optimiser: str = "BFGS",
    initial_hessian: str = "force-field",
    differences: str = "central",
    calculator: Callable[[Molecule], SinglePoints] | None = None,
) -> LineSpectrum:
    """The harmonic IR line spectrum of one molecule (SMILES or InChI).

    ``initial_hessian="force-field"`` starts BFGS from the inverse of the MMFF (UFF) Hessian
    of the embedded structure instead of the identity: far fewer GFN2-xTB gradients for the
    same minimum. After optimisation, an imaginary mode beyond :data:`IMAGINARY_TOLERANCE`
    means a saddle point: the geometry is displaced along that mode and re-optimised (from the
    GFN2-xTB Hessian just computed), up to ``retries`` times; if it persists the spectrum is
    returned with a note (callers may reject it). ``calculator``: another method's
    :class:`SinglePoints` for the molecule (e.g. :class:`lib.ir.dft.DFT`); its optimisation then starts at
    GFN2-xTB's minimum with GFN2-xTB's Hessian there as its curvature.
    """
    if initial_hessian not in ("force-field", "identity"):
        raise ValueError(f"initial_hessian must be 'force-field' or 'identity', got {initial_hessian!r}")
    molecule = embed(text, seed)
    guess = molecule.model_hessian if initial_hessian == "force-field" else None
    positions = molecule.positions
    if calculator is None:
        xtb = XTB(molecule, method)
    else:
        pre = XTB(molecule)
        positions = optimise(pre, positions, method=optimiser, hessian=guess)
        guess, _ = hessian_and_dipole_derivatives(pre, positions, step, differences, molecule.numbers)
        xtb = calculator(molecule)
    positions = optimise(xtb, positions, gtol=xtb.gtol, method=optimiser, hessian=guess)
    energy, _, _ = xtb(positions)  # the optimiser's last point: from memory
    masses = molecule.masses
    notes: list[str] = []
    for attempt in range(retries + 1):
        hessian, dmu = hessian_and_dipole_derivatives(xtb, positions, step, differences, molecule.numbers)
        wavenumbers, intensities, displacements = normal_mode_vectors(hessian, dmu, positions, masses)
        imaginary = wavenumbers < -IMAGINARY_TOLERANCE
        if not imaginary.any():
            break
        if attempt == retries:
            notes.append(f"{int(imaginary.sum())} imaginary mode(s) after {retries} re-optimisations")
            break
        notes.append(f"re-optimised away from an imaginary mode of {wavenumbers[imaginary][0]:.0f} cm-1")
        positions = _displace_along_lowest(positions, hessian, masses)
        positions = optimise(
            xtb, positions, gtol=xtb.gtol, method=optimiser,
            hessian=hessian if initial_hessian == "force-field" else None,
        )  # fmt: skip
        energy, _, _ = xtb(positions)
    types = modes.classify_modes(hessian, displacements, positions, molecule.numbers, molecule.bonds)
    rotation = modes.rotational_constants(positions, masses)
    return LineSpectrum(wavenumbers, intensities, positions, molecule.numbers, energy, notes, calls=xtb.calls,
                        types=types, rotational_constants=rotation)  # fmt: skip


def _displace_along_lowest(positions: np.ndarray, hessian: np.ndarray, masses: np.ndarray, size: float = 0.1):
    inv_sqrt_m = np.repeat(1 / np.sqrt(masses), 3)
    values, vectors = np.linalg.eigh(hessian * inv_sqrt_m[:, None] * inv_sqrt_m[None, :])
    direction = vectors[:, 0] * inv_sqrt_m
    return positions + size * (direction / np.abs(direction).max()).reshape(-1, 3)
