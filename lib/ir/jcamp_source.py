"""Real NIST spectra for offline work: the ``data/infrared_spectra/`` folder of the ``jcamp`` sdist.

The source distribution of the PyPI package ``jcamp`` 1.3.2 ships ~65 real gas-phase IR
spectra from NIST (Coblentz transmittance, EPA absorbance, quantitative files). We fetch it
once with ``pip download --no-deps --no-binary :all: jcamp==1.3.2``, extract only the
``*.jdx`` files of that folder, and reuse the extraction afterwards.

The cache folder is ``lib.paths.cache_dir("jcamp")`` (``_build/cache/jcamp``) unless the
``cache`` argument or the environment variable ``SPECTRA_JCAMP_CACHE`` says otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from lib.paths import cache_dir

VERSION = "1.3.2"
ENV_VAR = "SPECTRA_JCAMP_CACHE"
SUBDIR = "data/infrared_spectra"
_DONE = ".complete"


class SourceError(RuntimeError):
    """The sdist could not be downloaded or does not hold the expected folder."""


def cache_root(cache: str | os.PathLike | None = None) -> Path:
    """Where the sdist and its extraction live (created if needed)."""
    root = Path(cache) if cache else Path(os.environ[ENV_VAR]) if os.environ.get(ENV_VAR) else cache_dir("jcamp")
    root.mkdir(parents=True, exist_ok=True)
    return root


def download_sdist(cache: str | os.PathLike | None = None, version: str = VERSION) -> Path:
    """The ``jcamp-{version}.tar.gz`` in the cache, downloaded with pip when missing."""
    root = cache_root(cache)
    archive = root / f"jcamp-{version}.tar.gz"
    if archive.is_file():
        return archive
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    command += ["--disable-pip-version-check", "--quiet", "-d", str(root), f"jcamp=={version}"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise SourceError(f"could not run pip to download jcamp=={version}: {err}") from None
    if done.returncode != 0 or not archive.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise SourceError(
            f"pip download of the jcamp=={version} sdist into {root} failed (exit {done.returncode}): "
            + " | ".join(tail)
            + " — check the network/PyPI access or put the archive there by hand"
        )
    return archive


def _extract(archive: Path, target: Path) -> int:
    """Extract ``*/data/infrared_spectra/*.jdx`` into ``target`` (flat); returns the file count."""
    count = 0
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():
                parts = PurePosixPath(member.name).parts
                if not (member.isfile() and len(parts) == 4 and "/".join(parts[1:3]) == SUBDIR):
                    continue
                if not parts[3].lower().endswith(".jdx"):
                    continue
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                (target / parts[3]).write_bytes(handle.read())
                count += 1
    except (tarfile.TarError, OSError, EOFError) as err:
        raise SourceError(f"{archive}: not a readable sdist ({err}); delete it to download again") from None
    return count


def infrared_dir(cache: str | os.PathLike | None = None, version: str = VERSION) -> Path:
    """The folder of real IR ``.jdx`` files, downloading and extracting on first use.

    The extraction is written to a temporary folder and renamed into place, so an
    interrupted call leaves no half folder behind.
    """
    root = cache_root(cache)
    target = root / f"jcamp-{version}" / "infrared_spectra"
    if (target / _DONE).is_file():
        return target
    archive = download_sdist(root, version)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".infrared_spectra.", dir=target.parent))
    try:
        if _extract(archive, tmp) == 0:
            raise SourceError(f"{archive}: holds no {SUBDIR}/*.jdx files")
        (tmp / _DONE).write_text(f"jcamp=={version}\n")
        if target.exists():  # an earlier, interrupted extraction without the marker
            shutil.rmtree(target)
        try:
            tmp.rename(target)
        except OSError:
            if not (target / _DONE).is_file():  # not a concurrent extraction that won the race
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
