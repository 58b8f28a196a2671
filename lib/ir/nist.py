"""NIST Chemistry WebBook client: IR spectra (JCAMP-DX) and InChIs into a resumable cache.

The WebBook answers three kinds of request:

- a spectrum: ``/cgi/cbook.cgi?JCAMP=C{ID}&Index={i}&Type=IR``; ``Index`` counts 0, 1, … over
  the IR spectra of one compound; past the last one the body is ``##TITLE=Spectrum not found.``
  then ``##END=``;
- an InChI: ``/cgi/cbook.cgi?GetInChI=C{ID}`` (plain text);
- the species list: ``/chemistry/download/`` (tab-separated name, formula, CAS).

:func:`fetch` walks a list of compound ids and fills a cache folder::

    DIR/spectra/{ID}_{i}.jdx    one file per spectrum, written atomically, validated first
    DIR/inchi/{ID}.txt          the InChI, when the WebBook has one
    DIR/manifest.json           per compound: done or failed, files, InChI status, error

A compound marked done is skipped on the next run; a spectrum file on disk is never fetched
again, so a run that is killed loses nothing it wrote. A body that is not a complete JCAMP-DX
file (an HTML error page, a cut-off download without ``##END=``) is never saved: it counts as
a failed attempt and is retried. Requests are polite: a descriptive User-Agent, a crawl delay
between compounds, bounded retries with exponential back-off on timeouts, connection errors,
429 (honouring ``Retry-After``) and 5xx. ``sleep`` and ``clock`` are parameters so that tests
run without waiting.
"""

from __future__ import annotations

import email.utils
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from lib import io

DEFAULT_BASE_URL = "https://webbook.nist.gov"
USER_AGENT = (
    "spectra-nn-book/0.1 (reproducible research book on neural networks for IR spectra; "
    "rebuilds the R23 functional-group data set; one request at a time with a crawl delay)"
)
SPECTRUM_PATH = "/cgi/cbook.cgi"
SPECIES_PATH = "/chemistry/download/"
NOT_FOUND = "Spectrum not found"
MANIFEST_FORMAT = "spectra-nn-book/nist-cache"
MAX_INDEX = 100  # no compound has this many IR spectra; a guard against a server that never says "not found"


class FetchError(RuntimeError):
    """A request that still failed after every retry; the message names the URL and the cause."""


# --------------------------------------------------------------------------- ids
def normalise_id(raw: str) -> str:
    """``"64-17-5"``, ``"64175"`` and ``"C64175"`` all give ``"C64175"``; other NIST ids are kept."""
    text = str(raw).strip()
    if not text:
        raise ValueError("empty compound id")
    digits = text.replace("-", "")
    if digits.isdigit():
        return f"C{digits}"
    if not text.isalnum():
        raise ValueError(f"compound id {text!r}: only letters, digits and CAS dashes are allowed")
    return text


def read_ids(path: str | os.PathLike) -> list[str]:
    """Compound ids from a file, in order, without repeats.

    A CSV whose header has an ``ID`` column (the NIST index) gives that column; otherwise each
    non-blank line not starting with ``#`` is an id (its first tab/comma-separated field).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FileNotFoundError(f"id list not found: {path}") from None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ValueError(f"{path}: no compound ids")
    header = [h.strip().strip('"') for h in lines[0].split(",")]
    if "ID" in header:
        import csv

        rows = csv.DictReader(lines)
        raw = [row["ID"] for row in rows if row.get("ID")]
    else:
        raw = [line.replace("\t", ",").split(",")[0] for line in lines]
    ids: list[str] = []
    for number, item in enumerate(raw, 1):
        try:
            ids.append(normalise_id(item))
        except ValueError as err:
            raise ValueError(f"{path}: entry {number}: {err}") from None
    return list(dict.fromkeys(ids))


# --------------------------------------------------------------------------- validation
def not_found_body(body: bytes) -> bool:
    """True for the WebBook's 'Spectrum not found' answer."""
    return NOT_FOUND.lower().encode() in body[:200].lower() and b"##TITLE" in body[:200].upper()


def jcamp_problem(body: bytes) -> str | None:
    """Why ``body`` is not a complete JCAMP-DX file, or ``None`` when it looks like one.

    Structural checks only (the full parse is :func:`lib.ir.ingest.read_jcamp`): starts
    with ``##TITLE=``, is not HTML, has a data table, every block ends and the last label is
    ``##END=``.
    """
    text = body.decode("latin-1").lstrip("\ufeff \t\r\n")
    if not text:
        return "empty body"
    head = text[:1024].lower()
    if head.startswith("<") or "<html" in head or "<!doctype" in head:
        return "an HTML page, not JCAMP-DX"
    if not text.upper().startswith("##TITLE="):
        return "does not start with ##TITLE="
    labels = [line.split("=", 1)[0].strip("# \t").upper() for line in text.splitlines() if line.startswith("##")]
    if not any(label in ("XYDATA", "XYPOINTS", "PEAK TABLE") for label in labels):
        return "no data table"
    if labels[-1] != "END":
        return "no ##END= at the end (truncated)"
    if labels.count("TITLE") != labels.count("END"):
        return "a block without ##END= (truncated)"
    return None


# --------------------------------------------------------------------------- client
@dataclass(frozen=True)
class Species:
    """One line of the species list."""

    name: str
    formula: str
    cas: str

    @property
    def id(self) -> str | None:
        digits = self.cas.replace("-", "").strip()
        return f"C{digits}" if digits.isdigit() else None


class WebBookClient:
    """HTTP with retries against a WebBook (the live site or a replay server).

    ``timeout`` is per request (seconds); a failed attempt waits ``backoff * 2**attempt``
    (at most ``max_backoff``) or what ``Retry-After`` asks (at most ``max_retry_after``)
    before the next one, ``max_retries`` times at most.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff: float = 2.0,
        max_backoff: float = 120.0,
        max_retry_after: float = 600.0,
        user_agent: str = USER_AGENT,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base URL must start with http:// or https://, got {base_url!r}")
        if max_retries < 0 or timeout <= 0:
            raise ValueError("max_retries must be >= 0 and timeout > 0")
        self.base_url = base_url.rstrip("/")
        self.timeout, self.max_retries = timeout, max_retries
        self.backoff, self.max_backoff, self.max_retry_after = backoff, max_backoff, max_retry_after
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.sleep, self.clock = sleep, clock
        self.requests = 0  # HTTP requests sent, retries included

    def _retry_after(self, response: requests.Response) -> float | None:
        value = response.headers.get("Retry-After", "").strip()
        if not value:
            return None
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - self.clock())

    def get(self, path: str, params: dict[str, Any] | None = None, check: Callable[[bytes], str | None] | None = None):
        """GET with retries; ``check(body)`` returning a reason makes the attempt count as failed.

        Returns the last :class:`requests.Response` (status < 400 and check passed) or raises
        :class:`FetchError`. A 4xx other than 429 is returned at once (it will not get better).
        """
        url = self.base_url + path
        cause = ""
        for attempt in range(self.max_retries + 1):
            wait = min(self.backoff * 2**attempt, self.max_backoff)
            try:
                self.requests += 1
                response = self.session.get(url, params=params, timeout=self.timeout)
                body = response.content  # reads the whole body: a cut connection raises here
            except requests.Timeout:
                cause = f"timed out after {self.timeout:g} s"
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as err:
                cause = f"connection error ({type(err).__name__})"
            except requests.exceptions.ContentDecodingError as err:
                cause = f"undecodable body ({err})"
            else:
                if response.status_code == 429 or response.status_code >= 500:
                    cause = f"HTTP {response.status_code}"
                    asked = self._retry_after(response)
                    if asked is not None:
                        wait = min(asked, self.max_retry_after)
                        cause += f" (Retry-After {asked:g} s)"
                elif response.status_code >= 400:
                    return response
                else:
                    problem = check(body) if check else None
                    if problem is None:
                        return response
                    cause = f"bad body: {problem}"
            if attempt < self.max_retries:
                self.sleep(wait)
        shown = requests.Request("GET", url, params=params).prepare().url
        raise FetchError(f"{shown}: gave up after {self.max_retries + 1} attempts; last: {cause}")

    def spectrum(self, cid: str, index: int) -> bytes | None:
        """The JCAMP-DX bytes of spectrum ``index`` of compound ``cid``; ``None`` when not found."""
        params = {"JCAMP": normalise_id(cid), "Index": int(index), "Type": "IR"}

        def check(body: bytes) -> str | None:
            return None if not_found_body(body) else jcamp_problem(body)

        response = self.get(SPECTRUM_PATH, params, check)
        if response.status_code == 404 or not_found_body(response.content):
            return None
        if response.status_code >= 400:
            raise FetchError(f"{response.url}: HTTP {response.status_code}")
        return response.content

    def inchi(self, cid: str) -> str | None:
        """The InChI of compound ``cid`` (with its ``InChI=`` prefix), or ``None`` when there is none."""
        response = self.get(SPECTRUM_PATH, {"GetInChI": normalise_id(cid)}, _inchi_check)
        if response.status_code >= 400:
            return None
        text = response.content.decode("utf-8", "replace").strip()
        return text if text.startswith("InChI=") else None

    def species(self) -> list[Species]:
        """The species list: one :class:`Species` per tab-separated line."""
        response = self.get(SPECIES_PATH, None, _species_check)
        if response.status_code >= 400:
            raise FetchError(f"{response.url}: HTTP {response.status_code}")
        return parse_species(response.content.decode("utf-8", "replace"))


def _inchi_check(body: bytes) -> str | None:
    text = body.lstrip()[:200].lower()
    return "an HTML page, not an InChI" if text.startswith(b"<") or b"<html" in text else None


def _species_check(body: bytes) -> str | None:
    text = body.lstrip()[:1024].lower()
    return "an HTML page, not the tab-separated list" if text.startswith(b"<") or b"<html" in text else None


def parse_species(text: str) -> list[Species]:
    """``name<TAB>formula<TAB>CAS`` lines (blank lines and lines without a tab are skipped)."""
    out = []
    for line in text.splitlines():
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) < 2 or not line.strip():
            continue
        fields += [""] * (3 - len(fields))
        out.append(Species(fields[0].strip(), fields[1].strip(), fields[2].strip()))
    return out


# --------------------------------------------------------------------------- the cache
def spectrum_path(out: Path, cid: str, index: int) -> Path:
    return out / "spectra" / f"{cid}_{index}.jdx"


def inchi_path(out: Path, cid: str) -> Path:
    return out / "inchi" / f"{cid}.txt"


def load_manifest(out: str | os.PathLike) -> dict:
    """The cache's manifest (a fresh one when there is none); ``ValueError`` if it is not ours."""
    import json

    path = Path(out) / "manifest.json"
    if not path.is_file():
        return {"format": MANIFEST_FORMAT, "version": 1, "compounds": {}}
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err}); move it away to start the cache afresh") from None
    if manifest.get("format") != MANIFEST_FORMAT or not isinstance(manifest.get("compounds"), dict):
        raise ValueError(f"{path}: field 'format' is not {MANIFEST_FORMAT!r}; is this a WebBook cache?")
    return manifest


def _cached_spectra(out: Path, cid: str) -> list[Path]:
    """Spectrum files of ``cid`` on disk, by index."""
    found = []
    for path in (out / "spectra").glob(f"{cid}_*.jdx"):
        index = path.stem[len(cid) + 1 :]
        if index.isdigit():
            found.append((int(index), path))
    return [path for _, path in sorted(found)]


def _remove_leftovers(out: Path) -> None:
    """Temporary files of a killed run (``atomic_open`` names them ``.NAME.*.tmp``)."""
    for folder in (out / "spectra", out / "inchi", out):
        if folder.is_dir():
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)


def fetch_compound(client: WebBookClient, out: Path, cid: str, max_index: int = MAX_INDEX) -> dict:
    """Fetch what the cache lacks for one compound; returns its manifest entry.

    Spectra already on disk are kept and not requested again; the walk stops at the first
    'not found' index. Raises :class:`FetchError` when a request fails for good (what was
    written before stays).
    """
    files: list[str] = []
    for index in range(max_index):
        path = spectrum_path(out, cid, index)
        if not path.is_file():
            body = client.spectrum(cid, index)
            if body is None:
                break
            with io.atomic_open(path, "wb") as handle:
                handle.write(body)
        files.append(path.relative_to(out).as_posix())
    else:
        raise FetchError(f"{cid}: more than {max_index} spectra; the server never answered 'not found'")
    ipath = inchi_path(out, cid)
    if not ipath.is_file():
        inchi = client.inchi(cid)
        if inchi is not None:
            io.write_text(ipath, inchi + "\n")
    has_inchi = ipath.is_file()
    return {
        "status": "done",
        "spectra": files,
        "inchi": ipath.relative_to(out).as_posix() if has_inchi else None,
    }


def fetch(
    ids: Iterable[str],
    out: str | os.PathLike,
    *,
    client: WebBookClient | None = None,
    base_url: str = DEFAULT_BASE_URL,
    delay: float = 5.0,
    progress: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    **client_options: Any,
) -> dict:
    """Fill the cache ``out`` for every compound in ``ids``; returns the manifest.

    Compounds already marked done (and whose files are all there) are skipped without a
    request. ``delay`` seconds pass between two compounds that need the network. A compound
    whose requests fail for good is marked ``failed`` with the error, and the run goes on; the
    next run tries it again. The manifest is rewritten atomically after every compound.
    """
    from tqdm.auto import tqdm

    out = Path(out)
    if delay < 0:
        raise ValueError(f"delay must be >= 0, got {delay}")
    client = client or WebBookClient(base_url, sleep=sleep, **client_options)
    ids = [normalise_id(i) for i in ids]
    (out / "spectra").mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    manifest = load_manifest(out)
    manifest["base_url"] = client.base_url
    compounds: dict = manifest["compounds"]
    first, fetched, failed = True, 0, 0
    bar = tqdm(ids, desc="WebBook", unit="compound", disable=not progress)
    for cid in bar:
        entry = compounds.get(cid, {})
        if entry.get("status") == "done" and all((out / f).is_file() for f in entry["spectra"]):
            continue
        if not first and delay > 0:
            client.sleep(delay)
        first = False
        try:
            compounds[cid] = fetch_compound(client, out, cid)
        except FetchError as err:
            done = [p.relative_to(out).as_posix() for p in _cached_spectra(out, cid)]
            compounds[cid] = {"status": "failed", "spectra": done, "inchi": None, "error": str(err)}
        io.write_json(out / "manifest.json", manifest)
        fetched += len(compounds[cid]["spectra"])
        failed += compounds[cid]["status"] == "failed"
        bar.set_postfix(spectra=fetched, failed=failed, refresh=False)
    io.write_json(out / "manifest.json", manifest)
    return manifest


def summary(manifest: dict, ids: Iterable[str] | None = None) -> dict[str, int]:
    """Counts of compounds done/failed, spectra and InChIs in a manifest (only ``ids`` when given)."""
    entries = manifest.get("compounds", {})
    if ids is not None:
        entries = {cid: entries[cid] for cid in map(normalise_id, ids) if cid in entries}
    compounds = entries.values()
    return {
        "compounds": len(compounds),
        "done": sum(c.get("status") == "done" for c in compounds),
        "failed": sum(c.get("status") == "failed" for c in compounds),
        "spectra": sum(len(c.get("spectra", [])) for c in compounds),
        "inchi": sum(bool(c.get("inchi")) for c in compounds),
    }
