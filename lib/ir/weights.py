"""R23's ten released FGA-net weight files: downloaded once, checked, cached.

The files are ``models/<run id>.pt`` of the authors' public repository
``laura-rieger/SpectraML-Classification``, pinned to one commit (:data:`COMMIT`); each must have
the SHA-256 in :data:`SHA256`. :func:`r23_weights_dir` returns a folder holding all ten plus
``runs.json`` (each run's seed, epochs and validation AUC, the repository's
``data/r23_runs.json``):

1. files already in the cache folder with the right hash are used as they are (no network); a
   cached file with another hash is moved aside as ``<run id>.pt.corrupt-<UTC time>`` (kept for
   inspection, never loaded: :func:`lib.download.set_aside`), with a :class:`CorruptCacheWarning`;
2. missing ones are downloaded from ``base_url`` (the connection attempt gives up after a few
   seconds);
3. without a network, they are copied from a local folder: ``$SPECTRA_SHARED_DATA/r23_weights``
   or ``../shared/data/r23_weights``, each file checked against the same hashes.

The cache folder is ``$SPECTRA_CACHE/r23_weights`` when that variable is set, else
``~/.cache/spectra-nn-book/r23_weights``. ``python -m lib weights`` fills it.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from lib.download import ChecksumError, copy_verified, fetch, set_aside, verified
from lib.io import atomic_open
from lib.paths import ENV_VAR, data_file, shared_folder

REPOSITORY = "laura-rieger/SpectraML-Classification"
COMMIT = "75d236ded55a4b3bbb99b3dd7eba14c8c9ce0ac7"
BASE_URL = f"https://raw.githubusercontent.com/{REPOSITORY}/{COMMIT}/models/"
FOLDER = "r23_weights"
RUNS_FILE = "runs.json"
RUNS_DATA = "r23_runs.json"  # in the repository's data/
CACHE_ENV = "SPECTRA_CACHE"

# SHA-256 of the files at COMMIT (models/<run id>.pt, 124,075 bytes each).
SHA256: dict[str, str] = {
    "0572484152": "6c3e49e13839a07941be9796308183a9b4b6df4de327d22a1e157556b69b30bc",
    "0773684280": "1e4f9bda94f2a71c51f0a8e65fc1f08b3bd84a75a7d32ec7ef98043cfdd151ef",
    "1660121033": "3a3803eee26b3dc24444feecae1b819a0479d4c170ae688f3836872627c1cbc5",
    "2305109416": "9e26cbe7e51da2778f4b17e44f603e3620f79ede1c6cfbe8de5f751268a1ae35",
    "3028357577": "748c3f76a3cf791a6a564650df23e44450724b2a76078d5740210f98920176bd",
    "3245072406": "dbb9ad1f0f54b2cda1cd07a474779ad3ff718f3255de336fe463548559d22110",
    "4633103076": "0e7ff3920bc95dec8e01fb204ded8c00d9c9cdcc854f00905de54154b13a7f13",
    "7687129909": "9251e39b67b9519d0fb9e4ae9c2b8dc86d0944e5b73ab3b41ef719ca4faa2a01",
    "7737503070": "db5edf0224a5c545f2613bbde89f4d8af5003c18a5a02e947b5cef2086fa1f55",
    "8335606594": "9f3c5af0e5f328ac8280159a41fa1b450f898500fc6bfac543e2a845b6d9c610",
}


class CorruptCacheWarning(UserWarning):
    """A cached weight file failed its SHA-256 check and was moved aside."""


def cache_folder(cache: str | os.PathLike | None = None) -> Path:
    """Where the weights are kept: ``cache``, ``$SPECTRA_CACHE/r23_weights`` or ``~/.cache/spectra-nn-book/...``."""
    if cache:
        return Path(cache)
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]) / FOLDER
    return Path.home() / ".cache" / "spectra-nn-book" / FOLDER


def local_folders(local: str | os.PathLike | None = None) -> list[Path]:
    """Offline sources of the files, first wins: ``local``, then the developers' shared copy."""
    folders = [Path(local)] if local else []
    shared = shared_folder(FOLDER)
    if shared is not None:
        folders.append(shared)
    return folders


def r23_weights_dir(
    cache: str | os.PathLike | None = None,
    base_url: str = BASE_URL,
    local: str | os.PathLike | None = None,
    connect_timeout: float = 3.0,
    progress: bool = True,
) -> Path:
    """The cache folder, holding all ten checked ``.pt`` files and ``runs.json`` (see the module doc).

    Raises :class:`lib.download.ChecksumError` when a download has the wrong hash, and
    ``FileNotFoundError`` naming the URL and folders tried when a file can be had from neither
    (and, for a cached copy that failed its check, where it was moved).
    """
    import requests

    folder = cache_folder(cache)
    folder.mkdir(parents=True, exist_ok=True)
    missing = [run for run, digest in SHA256.items() if not verified(folder / f"{run}.pt", digest)]
    corrupt: dict[str, Path] = {}  # run id -> where its bad cached copy went
    for run in missing:
        if (folder / f"{run}.pt").exists():
            corrupt[run] = set_aside(folder / f"{run}.pt")
            warnings.warn(
                f"R23 weight file {folder / f'{run}.pt'} failed its SHA-256 check; moved aside to {corrupt[run]}",
                CorruptCacheWarning,
                stacklevel=2,
            )
    offline: Exception | None = None
    for run in missing:
        dest = folder / f"{run}.pt"
        if offline is None:
            try:
                fetch(f"{base_url.rstrip('/')}/{run}.pt", dest, SHA256[run], connect_timeout, progress=progress)
                continue
            except (requests.ConnectionError, requests.Timeout, requests.HTTPError) as err:
                offline = err  # no further attempts: the rest come from a local copy
        source = next((f / dest.name for f in local_folders(local) if verified(f / dest.name, SHA256[run])), None)
        if source is None:
            tried = ", ".join(str(f) for f in local_folders(local)) or (
                f"none (set {ENV_VAR} to a folder holding {FOLDER}/, or run: python -m lib weights --local DIR)"
            )
            bad = ""
            if run in corrupt:
                bad = f"the cached {dest} failed its SHA-256 check and was moved aside to {corrupt[run]}; "
            raise FileNotFoundError(
                f"R23 weight file {dest.name}: {bad}download from {base_url} failed ({offline}) and no local copy "
                f"with the right SHA-256 in: {tried}"
            )
        copy_verified(source, dest, SHA256[run])
    runs = data_file(RUNS_DATA).read_bytes()
    if not (folder / RUNS_FILE).is_file() or (folder / RUNS_FILE).read_bytes() != runs:
        with atomic_open(folder / RUNS_FILE, "wb") as fh:
            fh.write(runs)
    return folder


def published_weights_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Folder of R23's ten released weight files and their ``runs.json``.

    With ``data_dir``: its ``r23_weights`` subfolder, as it is. Without: :func:`r23_weights_dir` (downloaded,
    checked by SHA-256, cached, a local copy when offline).
    """
    if data_dir is None:
        return r23_weights_dir(progress=False)
    path = Path(data_dir) / FOLDER
    if not path.is_dir():
        raise FileNotFoundError(f"published R23 weight folder not found: {path}")
    return path


def _run(args: argparse.Namespace) -> int:
    try:
        folder = r23_weights_dir(args.cache, args.base_url, args.local, progress=not args.quiet)
    except (FileNotFoundError, ChecksumError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{folder}: {len(SHA256)} R23 weight files checked")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``weights`` to ``python -m lib``'s sub-parsers."""
    p = sub.add_parser("weights", help="download R23's published weights into the cache (checked by SHA-256)")
    p.add_argument("--cache", type=Path, metavar="DIR", help="target folder (default: ~/.cache/spectra-nn-book/...)")
    p.add_argument("--base-url", default=BASE_URL, help="where models/<run id>.pt live (default: GitHub, pinned)")
    p.add_argument("--local", type=Path, metavar="DIR", help="offline copy of the .pt files")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)
