"""A local stand-in for the NIST WebBook: NIST-shaped answers from a folder of real JCAMP-DX files.

Each file becomes a spectrum of compound ``C`` + its CAS number without dashes (from
``##CAS REGISTRY NO=``); several files of one CAS are ``Index`` 0, 1, … in file-name order; a
file without a CAS gets the stable id ``X`` + 7 digits of the SHA-256 of its name. InChIs come
from a structures CSV (columns ``file`` and ``inchi``), the species list from the files'
``##TITLE=``/``##MOLFORM=``/CAS. Unknown spectra get the WebBook's two-line not-found body.

Faults are injected deterministically (:class:`Fault`): each rule counts the requests whose
target (path and query, URL-decoded) contains its ``match`` text, lets the first ``skip`` of
them through and hits the next ``times`` (``-1``: all). Kinds: ``500``; ``429`` with
``Retry-After``; ``timeout`` (hold the answer ``hold`` seconds, longer than the client waits);
``truncate`` (the first half of the body, with a matching Content-Length, so no ``##END=``);
``drop`` (announce the full length, send half, close the connection); ``html`` (an HTML error
page with status 200); ``notfound`` (the not-found body).

Use it as a context manager in tests (``with ReplayServer(folder) as server: server.url``) or
from the command line for offline builds (``python -m lib nist serve --dir DIR``).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import socket
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

NOT_FOUND_BODY = b"##TITLE=Spectrum not found.\n##END=\n"
HTML_ERROR = (
    b"<!DOCTYPE html>\n<html><head><title>NIST Chemistry WebBook - Error</title></head>\n"
    b"<body><h1>Service Temporarily Unavailable</h1><p>Please try again later.</p></body></html>\n"
)
FAULT_KINDS = ("500", "429", "timeout", "truncate", "drop", "html", "notfound")
_CAS = re.compile(r"^##\s*CAS REGISTRY NO\s*=\s*([0-9-]+)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Fault:
    """One fault rule (see the module docstring)."""

    kind: str
    match: str = ""
    times: int = 1
    skip: int = 0
    retry_after: int = 2
    hold: float = 5.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {self.kind!r} is not one of {', '.join(FAULT_KINDS)}")
        if self.times < -1 or self.skip < 0 or self.retry_after < 0 or self.hold < 0:
            raise ValueError(f"fault {self.kind}: times >= -1, skip >= 0, retry_after >= 0, hold >= 0")


def parse_fault(spec: str) -> Fault:
    """``KIND[:MATCH[:TIMES[:SKIP]]]``, e.g. ``500:JCAMP=C71432:2`` or ``timeout::-1``."""
    parts = spec.split(":")
    if len(parts) > 4 or not parts[0]:
        raise ValueError(f"fault {spec!r}: expected KIND[:MATCH[:TIMES[:SKIP]]]")
    try:
        numbers = [int(p) for p in parts[2:]]
    except ValueError:
        raise ValueError(f"fault {spec!r}: TIMES and SKIP must be integers") from None
    return Fault(parts[0], parts[1] if len(parts) > 1 else "", *numbers)


@dataclass
class Catalogue:
    """What the replay serves: spectrum files per id, InChIs per id, the species list."""

    spectra: dict[str, list[Path]] = field(default_factory=dict)
    inchi: dict[str, str] = field(default_factory=dict)
    species: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return sorted(self.spectra)


def synthetic_id(name: str) -> str:
    """``X`` + 7 digits, stable for a file name (for files without a CAS number)."""
    return "X" + str(int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10**7).zfill(7)


def _header(text: str, label: str) -> str:
    found = re.search(rf"^##\s*{label}\s*=(.*)$", text, re.IGNORECASE | re.MULTILINE)
    return found.group(1).strip() if found else ""


def read_structures(path: str | os.PathLike) -> dict[str, str]:
    """``file → InChI`` from a CSV with columns ``file`` and ``inchi``."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise FileNotFoundError(f"structures file not found: {path}") from None
    if rows and not {"file", "inchi"} <= set(rows[0]):
        raise ValueError(f"{path}: missing column 'file' or 'inchi' (found {', '.join(rows[0])})")
    return {row["file"]: row["inchi"].strip() for row in rows if row.get("inchi")}


def build_catalogue(folder: str | os.PathLike, structures: str | os.PathLike | None = None) -> Catalogue:
    """Index the ``*.jdx`` files of ``folder`` (sorted by name) as the WebBook would list them."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"spectra folder not found: {folder}")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".jdx")
    if not files:
        raise ValueError(f"{folder}: no .jdx files to serve")
    inchis = read_structures(structures) if structures else {}
    cat = Catalogue()
    spectra: dict[str, list[Path]] = defaultdict(list)
    for path in files:
        text = path.read_bytes()[:20000].decode("latin-1")
        cas = _CAS.search(text)
        cid = "C" + cas.group(1).replace("-", "") if cas else synthetic_id(path.name)
        if cid not in spectra:
            if cas:
                formula = _header(text, "MOLFORM").replace(" ", "")
                cat.species.append((_header(text, "TITLE") or path.stem, formula, cas.group(1)))
            if path.name in inchis:
                cat.inchi[cid] = inchis[path.name]
        elif cid not in cat.inchi and path.name in inchis:
            cat.inchi[cid] = inchis[path.name]
        spectra[cid].append(path)
    cat.spectra = dict(spectra)
    return cat


class ReplayServer:
    """A threaded HTTP server on ``host`` (127.0.0.1) answering like the WebBook.

    ``port=0`` picks a free port; :attr:`url` is the base URL to give the client.
    :attr:`log` lists ``(target, fault kind or "")`` for every request, in arrival order;
    :attr:`user_agents` the User-Agent headers seen.
    """

    def __init__(
        self,
        folder: str | os.PathLike,
        structures: str | os.PathLike | None = None,
        faults: list[Fault] | tuple[Fault, ...] = (),
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.catalogue = build_catalogue(folder, structures)
        self.faults = list(faults)
        self.log: list[tuple[str, str]] = []
        self.user_agents: set[str] = set()
        self._seen = [0] * len(self.faults)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True

    # ---------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ReplayServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="replay", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the command line)."""
        try:
            self._httpd.serve_forever()
        finally:
            self._closing.set()
            self._httpd.server_close()

    def stop(self) -> None:
        self._closing.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def requests_matching(self, text: str) -> list[tuple[str, str]]:
        """Log entries whose target contains ``text``."""
        with self._lock:
            return [entry for entry in self.log if text in entry[0]]

    # ---------------------------------------------------------------- answers
    def _fault_for(self, target: str) -> Fault | None:
        with self._lock:
            hit = None
            for i, fault in enumerate(self.faults):
                if fault.match in target:
                    n = self._seen[i]
                    self._seen[i] += 1
                    if hit is None and n >= fault.skip and (fault.times == -1 or n < fault.skip + fault.times):
                        hit = fault
            self.log.append((target, hit.kind if hit else ""))
            return hit

    def answer(self, target: str) -> tuple[int, str, bytes]:
        """Status, content type and body for a request target, without faults."""
        parts = urlsplit(target)
        query = {k.lower(): v[0] for k, v in parse_qs(parts.query).items()}
        text = "text/plain; charset=iso-8859-1"
        if parts.path == "/cgi/cbook.cgi" and "jcamp" in query:
            files = self.catalogue.spectra.get(query["jcamp"], [])
            try:
                index = int(query.get("index", "0"))
            except ValueError:
                index = -1
            if query.get("type", "IR").upper() != "IR" or not 0 <= index < len(files):
                return 200, text, NOT_FOUND_BODY
            return 200, text, files[index].read_bytes()
        if parts.path == "/cgi/cbook.cgi" and "getinchi" in query:
            inchi = self.catalogue.inchi.get(query["getinchi"], "")
            return 200, "text/plain; charset=utf-8", inchi.encode()
        if parts.path.rstrip("/") == "/chemistry/download":
            lines = "".join(f"{n}\t{f}\t{c}\n" for n, f, c in self.catalogue.species)
            return 200, "text/plain; charset=utf-8", lines.encode()
        return 404, "text/html", b"<html><body>Not found</body></html>\n"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "ReplayWebBook/1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

            def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
                pass

            def _send(self, status: int, ctype: str, body: bytes, headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                target = unquote(self.path)
                server.user_agents.add(self.headers.get("User-Agent", ""))
                fault = server._fault_for(target)
                try:
                    self._respond(target, fault)
                except (TimeoutError, BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                    self.close_connection = True

            def _respond(self, target: str, fault: Fault | None) -> None:
                kind = fault.kind if fault else ""
                if kind == "500":
                    return self._send(500, "text/html", b"<html><body>Internal Server Error</body></html>\n")
                if kind == "429":
                    return self._send(
                        429, "text/plain", b"Too Many Requests\n", {"Retry-After": str(fault.retry_after)}
                    )
                if kind == "html":
                    return self._send(200, "text/html; charset=utf-8", HTML_ERROR)
                if kind == "notfound":
                    return self._send(200, "text/plain", NOT_FOUND_BODY)
                status, ctype, body = server.answer(target)
                if kind == "timeout":
                    server._closing.wait(fault.hold)
                    self.close_connection = True
                    return self._send(status, ctype, body)
                if kind == "truncate":
                    return self._send(status, ctype, body[: len(body) // 2])
                if kind == "drop":
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return None
                return self._send(status, ctype, body)

        return Handler
