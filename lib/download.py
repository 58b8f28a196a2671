"""Downloads checked against a SHA-256, written atomically, with a progress bar.

:func:`fetch` streams a URL into a temporary file beside the destination, hashing as it goes;
only a file whose hash matches is renamed into place. A mismatch deletes the download and raises
:class:`ChecksumError` naming the file. Network failures raise ``requests`` exceptions (the
connection attempt times out after ``connect_timeout`` seconds), which callers may treat as
"offline". :func:`set_aside` moves a cached file that no longer matches its hash out of the way
(kept for inspection, under a name no loader picks up).
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

from lib.io import atomic_open

CHUNK = 1 << 16


class ChecksumError(RuntimeError):
    """A file's SHA-256 is not the expected one."""


def sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def set_aside(path: str | os.PathLike) -> Path:
    """Rename ``path`` to ``<name>.corrupt-<UTC time>`` beside it (never overwriting); return the new path.

    The suffix keeps the file for inspection while ``*.pt``-style globs and exact-name lookups no
    longer see it, so the next download can take its place.
    """
    path = Path(path)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    path.rename(target)
    return target


def verified(path: str | os.PathLike, expected: str) -> bool:
    """True when ``path`` is a file with SHA-256 ``expected``."""
    return Path(path).is_file() and sha256(path) == expected.lower()


def fetch(
    url: str,
    dest: str | os.PathLike,
    expected_sha256: str,
    connect_timeout: float = 3.0,
    read_timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Download ``url`` to ``dest`` (atomically) and check its SHA-256; returns ``dest``.

    Raises :class:`ChecksumError` (the bad download is deleted) or ``requests.RequestException``
    (HTTP errors included).
    """
    import requests
    from tqdm.auto import tqdm

    digest = hashlib.sha256()
    with (
        requests.get(url, stream=True, timeout=(connect_timeout, read_timeout)) as response,
        atomic_open(dest, "wb") as fh,  # removed again unless the block completes
    ):
        response.raise_for_status()
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=Path(dest).name, disable=not progress) as bar:
            for block in response.iter_content(CHUNK):
                fh.write(block)
                digest.update(block)
                bar.update(len(block))
        got = digest.hexdigest()
        if got != expected_sha256.lower():
            raise ChecksumError(
                f"{Path(dest).name}: the download from {url} has SHA-256 {got}, expected {expected_sha256}; "
                "it was deleted (a changed or corrupted file: try again, or check the URL)"
            )
    return Path(dest)


def copy_verified(source: str | os.PathLike, dest: str | os.PathLike, expected_sha256: str) -> Path:
    """Copy a local file to ``dest`` atomically after checking its SHA-256 (:class:`ChecksumError` if wrong)."""
    got = sha256(source)
    if got != expected_sha256.lower():
        raise ChecksumError(f"{source}: SHA-256 {got}, expected {expected_sha256}")
    with atomic_open(dest, "wb") as out, open(source, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            out.write(block)
    return Path(dest)
