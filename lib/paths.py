"""Where things are: the repository, the shared reference data, the build folder."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "_build"


def shared_data(path: str | os.PathLike | None = None) -> Path:
    """Folder of the shared reference data.

    ``path`` wins; then the environment variable ``SPECTRA_SHARED_DATA``; then
    ``../shared/data`` beside the repository.
    """
    candidate = Path(path or os.environ.get("SPECTRA_SHARED_DATA") or REPO.parent / "shared" / "data")
    if not candidate.is_dir():
        raise FileNotFoundError(
            f"shared data folder not found: {candidate} (pass the path as a parameter or set "
            "SPECTRA_SHARED_DATA; it holds synthetic_benchmark_classes.json and friends)"
        )
    return candidate


def shared_file(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """A file inside :func:`shared_data`, with a clear error when it is missing."""
    path = shared_data(data_dir) / name
    if not path.is_file():
        raise FileNotFoundError(f"shared data file not found: {path}")
    return path


def cache_dir(name: str = "") -> Path:
    """A folder under ``_build/cache`` for reusable intermediate results."""
    path = BUILD / "cache" / name
    path.mkdir(parents=True, exist_ok=True)
    return path
