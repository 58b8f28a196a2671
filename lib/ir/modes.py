"""What each normal mode is: a bond-stretch type from its eigenvector, and a molecule's rotational constants.

**Mode types** (:func:`classify_modes`). For every bond ``b`` (atoms ``i``, ``j``, unit vector ``u`` from ``i`` to
``j``) the stretch coordinate is the Wilson B-matrix row ``B_b`` (``−u`` on ``i``, ``+u`` on ``j``) and its diagonal
force constant is taken from the Cartesian Hessian as ``F_b = B_bᵀ H B_b / |B_b|⁴`` (the energy of stretching
that bond alone, the minimal-norm way). A mode with Cartesian displacement ``x`` and eigenvalue ``λ = xᵀ H x``
gives bond ``b`` the potential-energy share ``F_b (B_b·x)² / λ`` (the diagonal terms of a potential-energy
distribution over bond stretches, Wilson, Decius & Cross 1955, ch. 7). Shares are summed over the bonds of one
type (:func:`bond_type`: X–H by element and, for carbon, hybridisation; C=O, C≡N, C≡C, C=C, C–F, C–Cl, C–Br,
N=O, S=O, aromatic ring bonds, other heavy-atom bonds as skeletal). A mode whose stretches together hold less
than :data:`MIN_STRETCH_SHARE` of its energy is a deformation (bends, torsions: ``"def"``); otherwise its
type is the one with the largest summed share.

**Rotational constants** (:func:`rotational_constants`): ``A ≥ B ≥ C`` in cm⁻¹ from the principal moments of
inertia of the optimised geometry, ``h / (8π² c I)``; ``A`` is ``None`` for a linear molecule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Type labels a line may carry, in a fixed order (``"unknown"``: a record made before types were stored).
TYPES = (
    "OH", "NH", "SH", "CHar", "CHal", "CHol", "CHsp", "C=O", "C#N", "C#C", "C=C", "CF", "CCl", "CBr",
    "N=O", "S=O", "ring", "skel", "def", "unknown",
)  # fmt: skip
#: What each label means (for tables and the chapter).
TYPE_NAMES = {
    "OH": "O–H stretch", "NH": "N–H stretch", "SH": "S–H stretch", "CHar": "aromatic C–H stretch",
    "CHal": "aliphatic (sp³) C–H stretch", "CHol": "olefinic/aldehydic (sp²) C–H stretch",
    "CHsp": "alkyne (sp) C–H stretch", "C=O": "C=O stretch", "C#N": "C≡N stretch", "C#C": "C≡C stretch",
    "C=C": "C=C stretch (non-aromatic)", "CF": "C–F stretch", "CCl": "C–Cl stretch", "CBr": "C–Br stretch",
    "N=O": "N=O / N–O stretch of nitro and nitroso groups", "S=O": "S=O stretch",
    "ring": "aromatic ring stretch", "skel": "other heavy-atom (skeletal) stretch",
    "def": "deformation (bends, torsions)", "unknown": "not classified (older record)",
}  # fmt: skip
#: Below this summed stretch share a mode counts as a deformation.
MIN_STRETCH_SHARE = 0.35
#: h / (8 π² c) in cm⁻¹ · amu · Å² (CODATA 2018).
ROTATIONAL_CONSTANT = 16.857629
ANGSTROM_PER_BOHR = 0.529177210903

Bond = tuple[int, int, float, bool]  # atom i, atom j, bond order (1, 1.5, 2, 3), aromatic


def bond_type(numbers: Sequence[int], bonds: Sequence[Bond], bond: Bond) -> str:
    """The stretch type of one bond given the molecule's atomic numbers and bonds (see :data:`TYPES`)."""
    i, j, order, aromatic = bond
    zi, zj = int(numbers[i]), int(numbers[j])
    if 1 in (zi, zj):
        heavy = j if zi == 1 else i
        z = int(numbers[heavy])
        if z == 8:
            return "OH"
        if z == 7:
            return "NH"
        if z == 16:
            return "SH"
        if z == 6:
            around = [b for b in bonds if heavy in (b[0], b[1])]
            if any(b[3] for b in around):
                return "CHar"
            if any(b[2] == 3 for b in around):
                return "CHsp"
            if any(b[2] == 2 for b in around):
                return "CHol"
            return "CHal"
        return "skel"
    pair = tuple(sorted((zi, zj)))
    if aromatic:
        return "ring"
    if pair == (6, 8) and order == 2:
        return "C=O"
    if pair == (6, 7) and order == 3:
        return "C#N"
    if pair == (6, 6) and order == 3:
        return "C#C"
    if pair == (6, 6) and order == 2:
        return "C=C"
    if pair == (6, 9):
        return "CF"
    if pair == (6, 17):
        return "CCl"
    if pair == (6, 35):
        return "CBr"
    if pair == (7, 8):
        return "N=O"
    if pair == (8, 16) and order >= 2:
        return "S=O"
    return "skel"


def stretch_shares(
    hessian: np.ndarray, displacements: np.ndarray, positions: np.ndarray, bonds: Sequence[Bond]
) -> np.ndarray:
    """Potential-energy share of each bond stretch in each mode (bonds × modes; see the module docstring).

    ``hessian``: Cartesian (3n × 3n); ``displacements``: Cartesian displacement of each mode (3n × modes, any
    normalisation); ``positions``: the geometry (n × 3, any length unit)."""
    pos = np.asarray(positions, dtype=float).reshape(-1, 3)
    x = np.asarray(displacements, dtype=float)
    rows = np.zeros((len(bonds), pos.size))
    for k, (i, j, _, _) in enumerate(bonds):
        u = pos[j] - pos[i]
        u /= np.linalg.norm(u)
        rows[k, 3 * i : 3 * i + 3] = -u
        rows[k, 3 * j : 3 * j + 3] = u
    force = np.einsum("ka,ab,kb->k", rows, hessian, rows) / 4.0  # |B_b|⁴ = 4
    stretch = rows @ x  # bond-length change per mode (bonds × modes)
    energy = np.einsum("am,ab,bm->m", x, hessian, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = force[:, None] * stretch**2 / np.abs(energy)[None, :]
    return np.nan_to_num(np.clip(shares, 0.0, None))


def classify_modes(
    hessian: np.ndarray,
    displacements: np.ndarray,
    positions: np.ndarray,
    numbers: Sequence[int],
    bonds: Sequence[Bond],
    min_share: float = MIN_STRETCH_SHARE,
) -> list[str]:
    """One type label (:data:`TYPES`) per mode (column of ``displacements``)."""
    n_modes = np.asarray(displacements).shape[1]
    if not bonds:
        return ["def"] * n_modes
    shares = stretch_shares(hessian, displacements, positions, bonds)
    kinds = [bond_type(numbers, bonds, b) for b in bonds]
    labels = sorted(set(kinds), key=TYPES.index)
    summed = np.array([shares[[k == label for k in kinds]].sum(axis=0) for label in labels])
    total = summed.sum(axis=0)
    best = summed.argmax(axis=0)
    return [labels[best[m]] if total[m] >= min_share else "def" for m in range(n_modes)]


def rotational_constants(positions_bohr: np.ndarray, masses: np.ndarray) -> list[float | None]:
    """``[A, B, C]`` (cm⁻¹, ``A ≥ B ≥ C``) from the principal moments of inertia; ``None`` for an infinite
    constant (the axis of a linear molecule, or every axis of an atom)."""
    pos = np.asarray(positions_bohr, dtype=float).reshape(-1, 3) * ANGSTROM_PER_BOHR
    m = np.asarray(masses, dtype=float)
    r = pos - (m[:, None] * pos).sum(0) / m.sum()
    inertia = np.einsum("i,ij,ik->jk", m, r, r)
    tensor = np.trace(inertia) * np.eye(3) - inertia  # amu Å²
    moments = np.sort(np.linalg.eigvalsh(tensor))
    tiny = 1e-3 * max(moments.max(), 1e-12)
    return [None if i < max(tiny, 1e-8) else round(ROTATIONAL_CONSTANT / float(i), 6) for i in moments]
