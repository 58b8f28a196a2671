"""Where things are: the repository, its data files, the build folder.

The data files the book reads (class definitions, the NIST index, structures) live in the
repository's ``data/`` folder. A non-editable install carries them too, under
``share/spectra-nn-book/data`` of the installation (``[tool.setuptools.data-files]``), found
through the installed distribution's file list. :func:`data_file` looks, in this order, in an
explicit folder, the repository's ``data/``, the installed copy, ``$SPECTRA_SHARED_DATA`` and
``../shared/data`` beside the repository.
"""

from __future__ import annotations

import os
import site
import sys
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "_build"
DATA = REPO / "data"
DISTRIBUTION = "spectra-nn-book"
INSTALLED_DATA = f"share/{DISTRIBUTION}/data"  # inside the installation prefix of a wheel install
ENV_VAR = "SPECTRA_SHARED_DATA"
SHARED_DATA = REPO.parent / "shared" / "data"


def installed_data() -> Path | None:
    """The data folder a wheel install put under its prefix, or ``None`` (a clone or an editable install).

    Looked for where the installed distribution's file list says, then under ``sys.prefix``, the
    user base and beside the package (``pip install --target``).
    """
    candidates = []
    try:
        dist = metadata.distribution(DISTRIBUTION)
        candidates += [
            Path(dist.locate_file(entry)).parent
            for entry in dist.files or ()
            if entry.as_posix().endswith(f"{INSTALLED_DATA}/README.md")
        ]
    except metadata.PackageNotFoundError:
        pass
    prefixes = [sys.prefix, site.USER_BASE, REPO]
    candidates += [Path(prefix) / INSTALLED_DATA for prefix in prefixes if prefix]
    return next((c.resolve() for c in candidates if (c / "README.md").is_file()), None)


def data_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The folders :func:`data_file` searches, first wins."""
    folders = [Path(data_dir)] if data_dir else []
    if (REPO / "pyproject.toml").is_file():  # a clone or an editable install, not site-packages
        folders.append(DATA)
    installed = installed_data()
    if installed is not None:
        folders.append(installed)
    if os.environ.get(ENV_VAR):
        folders.append(Path(os.environ[ENV_VAR]))
    folders.append(SHARED_DATA)
    return folders


def data_file(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """The data file ``name``: in ``data_dir`` when given, else the first of :func:`data_dirs` that has it.

    An explicit ``data_dir`` without the file is an error (no silent fallback to another copy).
    """
    if data_dir:
        path = Path(data_dir) / name
        if not path.is_file():
            raise FileNotFoundError(f"data file {name!r} not found in {Path(data_dir)} (the data_dir given)")
        return path
    folders = data_dirs()
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"data file {name!r} not found; looked in: {', '.join(str(f) for f in folders)} "
        f"(pass a folder as data_dir, or set {ENV_VAR})"
    )


def shared_folder(name: str) -> Path | None:
    """A folder ``name`` in ``$SPECTRA_SHARED_DATA`` or ``../shared/data`` (the developers' copy), if any."""
    for root in ([Path(os.environ[ENV_VAR])] if os.environ.get(ENV_VAR) else []) + [SHARED_DATA]:
        if (root / name).is_dir():
            return root / name
    return None


def cache_dir(name: str = "") -> Path:
    """A folder under ``_build/cache`` for reusable intermediate results."""
    path = BUILD / "cache" / name
    path.mkdir(parents=True, exist_ok=True)
    return path
