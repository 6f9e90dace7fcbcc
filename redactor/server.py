"""The local daemon (`redact serve`): the browser extension and local tools send an image, get
it back redacted. An aiohttp application built by `create_app`; the pipeline is loaded once per
process in a cleanup context and runs on worker threads, with concurrent requests for the same
options gathered into micro-batches (redactor/microbatch.py). Who may call is decided in
redactor/server_security.py.

API (errors are JSON `{"error": code, "message": text}`):
    GET  /v1/health       version, detectors, backend, ready or not (public, no private data);
                          the queue and pixel-budget counters only with the token
    GET  /v1/attributes   what this daemon can hide: ids, descriptions, groups, aliases, defaults
    POST /v1/redact       image in (raw body with an image Content-Type, or multipart with one
                          file part), options in the query (`hide`, `mode`); the redacted image
                          out, same format, metadata stripped; summary in X-Redactor-Summary
    POST /v1/analyze      same input; the report as JSON (regions, attributes, score), no image
    POST /v1/challenge    {"nonce": n} -> {"proof": HMAC(token, n, address)}: the daemon proves it
                          holds the token (public, like /v1/health; everything else needs it)

Limits (docs/daemon-limits.md): bodies are read, with a no-progress timeout, before a request
takes a queue ticket; decoded pixels of all admitted images share one budget; connections
time out without a request head and are capped per peer; multipart is parsed here, capped.

Privacy: request bodies are read into memory only (never aiohttp's `post()`, which spools
uploads to temporary files); access logs name the route, never the query or the image; the
report never carries recognised text.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import ipaddress
import json
import logging
import shlex
import signal
import sys
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from redactor import __version__, attributes, formats
from redactor.microbatch import MicroBatcher, Overloaded
from redactor.config_dir import default_config_dir, load_or_create_token, token_path
from redactor.errors import RedactorError, UsageError
from redactor.obfuscate import MODES
from redactor.server_security import (
    EXTENSION_ID,
    NONCE,
    SUMMARY_HEADER,
    AccessPolicy,
    HTTPFailure,
    daemon_proof,
    bearer_token,
    extension_origin,
    local_address,
    make_guard,
)

log = logging.getLogger("redactor.server")
access_log = logging.getLogger("redactor.access")

# What each format is answered with (redactor.formats: the one table).
CONTENT_TYPES = {name: f.mime for name, f in formats.FORMATS.items()}
# Content-Types accepted for a raw body; the bytes decide the format, not this header.
ACCEPTED_TYPES = frozenset(
    mime for f in formats.FORMATS.values() for mime in (f.mime, *f.aliases)
) | {"application/octet-stream"}
CHUNK = 256 * 1024
# One 40 Mpx PNG peaks at ~1.2 GB for the whole daemon with the default detectors
# (benchmarks/daemon_load.py --largest; docs/daemon-limits.md): what a desktop survives.
# Phones' 48-50 Mpx modes need --max-megapixels.
DEFAULT_MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    model: Path | None = None
    person: bool = False
    hide: tuple[str, ...] | None = None  # the daemon's default; None: the pipeline's default
    # Hide attributes only the model finds even where its real-image validity is unmeasured or
    # under the bar (`--trust-model`); otherwise such a default hide refuses to start.
    trust_model: bool = False
    workers: int = 1  # worker threads running batches (ONNX Runtime uses its own threads inside)
    max_batch: int = 8
    batch_window_ms: float = 10.0
    max_pending: int = 16  # admitted requests (queued or running); more -> 503
    max_bytes: int = 50 * 2**20  # encoded upload size
    max_pixels: int = DEFAULT_MAX_PIXELS  # decoded width*height per image
    # Decoded pixels of all admitted images together (None: max_pixels, i.e. one image of the
    # largest size at a time, or several smaller ones); beyond it images wait, then get 503.
    pixel_budget: int | None = None
    budget_wait_s: float = 90.0
    request_timeout_s: float = 120.0
    body_timeout_s: float = 10.0  # no byte of the body for this long -> 408
    # A connection must send a complete request head this long after it opens or after its
    # last response (header-read and keep-alive timeout in one).
    idle_timeout_s: float = 15.0
    max_connections_per_peer: int = 32  # beyond it the peer's oldest idle connection is closed
    extension_ids: tuple[str, ...] = ()  # extra chrome-extension ids (development builds)
    config_dir: Path | None = None  # token and pairings; None -> config_dir.default_config_dir()

    @property
    def is_loopback(self) -> bool:
        return host_is_loopback(self.host)

    @property
    def pixels_in_flight(self) -> int:
        return max(self.pixel_budget or 0, self.max_pixels)


def host_is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class DaemonState:
    config: ServerConfig
    redactor: Any  # redactor.pipeline.Redactor
    batcher: MicroBatcher
    policy: AccessPolicy
    default_hide: tuple[str, ...] | None  # None: the pipeline's default (what is covered)
    limits: Any  # redactor.imageio.ImageLimits from the config
    backend: dict[str, str] = field(default_factory=dict)
    phase: str = "loading"  # loading -> ready -> stopping; or failed
    failure: str | None = None
    refused: bool = False  # failed because the default hide was refused (Redactor.check)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    load_seconds: float | None = None
    warm_up: asyncio.Task | None = None
    uploads: UploadMemory | None = None


class UploadMemory:
    """Bytes of uploads the daemon holds (read, queued or in work), charged as they arrive: a
    slow client holds only what it has sent. Bodies are read before the queue ticket, so this,
    not the ticket count, bounds their memory: beyond `total` a request gets 503."""

    def __init__(self, total: int):
        self.total = total
        self.used = 0

    @contextlib.contextmanager
    def held(self) -> Iterator[Callable[[int], None]]:
        """A `charge(n)` for one request; what it charged is given back when the block ends."""
        size = 0

        def charge(amount: int) -> None:
            nonlocal size
            if self.used + amount > self.total:
                raise HTTPFailure(
                    503, "overloaded", "the daemon holds as many uploads as it accepts; retry",
                    {"Retry-After": "2", "Connection": "close"},
                )  # fmt: skip
            self.used += amount
            size += amount

        try:
            yield charge
        finally:
            self.used -= size


STATE = web.AppKey("state", DaemonState)


# -- access log: method, route, status, size, time; never the query string -------------------
class RouteAccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        route = "-"
        match_info = getattr(request, "match_info", None)
        resource = getattr(getattr(match_info, "route", None), "resource", None)
        if resource is not None:
            route = resource.canonical  # the route's template, not what the client typed
        self.logger.info(
            "%s %s %d %dB %.3fs", request.method, route, response.status,
            response.body_length, time,
        )  # fmt: skip


class ExceptionTypeOnly(logging.Filter):
    """aiohttp logs a malformed request with its exception, whose text can quote the request
    line (query string included) or header values: keep the exception's type, drop the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            kind = record.exc_info[0].__name__ if record.exc_info[0] else "error"
            record.msg = f"{record.getMessage()} ({kind})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_aiohttp_logs() -> None:
    for name in ("aiohttp.server", "aiohttp.web"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, ExceptionTypeOnly) for f in logger.filters):
            logger.addFilter(ExceptionTypeOnly())


# -- request parsing -------------------------------------------------------------------------
def parse_options(request: web.Request, state: DaemonState) -> Any:
    """`hide` (comma-separated or repeated; none or "defaults": the daemon's default) and
    `mode`. Validated here, before the upload is read: 400 unknown, 422 uncovered or only an
    unvalidated model finds it (without --trust-model)."""
    from redactor.pipeline import RedactOptions

    hide = attributes.parse_hide(request.query.getall("hide", []), state.default_hide)
    mode = request.query.get("mode") or None
    if mode is not None and mode not in MODES:
        raise UsageError(f"unknown mode {mode!r}; use one of: {', '.join(MODES)}")
    options = RedactOptions(hide=hide, mode=mode, trust_model=state.config.trust_model)
    state.redactor.check(options)  # unknown, uncovered or unvalidated: refused here
    return options


def _mib(size: int) -> str:
    return f"{size / 2**20:g} MiB"


async def read_image_body(
    request: web.Request, limit: int, idle_s: float, charge: Callable[[int], None]
) -> bytes:
    """The uploaded image's bytes, in memory only: a raw body, or the one file part of a
    multipart form. Over `limit` -> 413 before more is read; no byte for `idle_s` -> 408;
    every chunk is `charge`d to the daemon's upload memory as it arrives."""
    if request.content_length is not None and request.content_length > limit + FORM_EXTRA:
        raise HTTPFailure(413, "body_too_large", f"the upload is over the {_mib(limit)} limit")
    content_type = request.content_type.lower()
    if content_type.startswith("multipart/"):
        form = await _read_capped(
            request.content.read, limit + FORM_EXTRA, idle_s,
            f"the upload is over the {_mib(limit)} limit", charge,
        )  # fmt: skip
        return multipart_file(form, request.headers.get("Content-Type", ""), limit)
    if content_type not in ACCEPTED_TYPES and not content_type.startswith("image/"):
        raise HTTPFailure(
            415, "unsupported_media_type",
            f"send the image as the body with an image Content-Type, or as multipart/form-data "
            f"(got {content_type[:60]!r})",
        )  # fmt: skip
    data = await _read_capped(
        request.content.read, limit, idle_s, f"the image is over the {_mib(limit)} limit", charge
    )
    if not data:
        raise HTTPFailure(400, "empty_body", "the request has no image in its body")
    return data


async def _read_capped(
    read: Callable[[int], Awaitable[bytes]],
    limit: int,
    idle_s: float,
    refusal: str,
    charge: Callable[[int], None],
) -> bytes:
    """Read chunks until the stream ends; 413 as soon as more than `limit` bytes arrive, 408
    when no byte arrives for `idle_s` seconds."""
    parts: list[bytes] = []
    size = 0
    while True:
        try:
            async with asyncio.timeout(idle_s):
                chunk = await read(CHUNK)
        except TimeoutError:
            raise HTTPFailure(
                408, "body_timeout", f"no data for {idle_s:g} s while reading the upload",
                {"Connection": "close"},
            ) from None  # fmt: skip
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > limit:
            raise HTTPFailure(413, "body_too_large", refusal)
        charge(len(chunk))
        parts.append(chunk)


# -- multipart/form-data, parsed from the body in memory --------------------------------------
# Our own parser over bytes.find: linear and in C, so a form of 600,000 empty parts or a long
# preamble costs a scan, not an event-loop iteration per line.
FORM_EXTRA = 64 * 1024  # what a form may add to the file: boundaries, part headers, fields
MAX_PARTS = 16
MAX_PART_HEADERS = 16
MAX_PART_HEAD_BYTES = 8 * 1024
MAX_FIELD_BYTES = 4096
MAX_PREAMBLE = 1024
_BOUNDARY_CHARS = frozenset(
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? "
)


def _bad_multipart(why: str) -> HTTPFailure:
    return HTTPFailure(400, "bad_multipart", f"malformed multipart body: {why}")


def _header_param(value: str, name: str, param: str) -> str | None:
    from email.message import Message

    message = Message()
    message[name] = value
    found = message.get_param(param, header=name)
    if isinstance(found, tuple):  # RFC 2231 (filename*=utf-8''...)
        found = found[2]
    return None if found is None else str(found)


def _boundary(content_type: str) -> bytes:
    boundary = _header_param(content_type, "Content-Type", "boundary")
    if not boundary:
        raise _bad_multipart("the Content-Type names no boundary")
    encoded = boundary.encode("latin-1", "replace")
    if len(encoded) > 70 or not set(encoded) <= _BOUNDARY_CHARS or encoded.endswith(b" "):
        raise _bad_multipart("the boundary is not 1-70 allowed characters (RFC 2046)")
    return encoded


def _part_head(head: bytes) -> dict[str, str]:
    lines = head.split(b"\r\n") if head else []
    if len(lines) > MAX_PART_HEADERS:
        raise _bad_multipart(f"a part has over {MAX_PART_HEADERS} headers")
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
            raise _bad_multipart("a part header is not `Name: value`")
        headers[name.decode("latin-1").lower()] = value.strip().decode("latin-1")
    return headers


def multipart_file(body: bytes, content_type: str, limit: int) -> bytes:
    """The one file part of a multipart form held in memory. 400 bad_multipart for anything
    malformed, 400 several_files / no_file / nested_multipart, 413 for too many parts or an
    over-long field. Every byte of the form (boundaries, part headers, fields) counts against
    the body limit, which the caller has applied already."""
    delimiter = b"--" + _boundary(content_type)
    if body.startswith(delimiter):
        pos = len(delimiter)
    else:  # a preamble: allowed by RFC 2046, never sent by browsers; keep it short
        first = body.find(b"\r\n" + delimiter, 0, MAX_PREAMBLE + len(delimiter) + 2)
        if first < 0:
            raise _bad_multipart(f"no opening boundary in the first {MAX_PREAMBLE} bytes")
        pos = first + 2 + len(delimiter)
    found: bytes | None = None
    parts = 0
    while True:
        if body.startswith(b"--", pos):
            break  # the closing delimiter; anything after it is an epilogue, ignored
        line_end = body.find(b"\r\n", pos, pos + 80)
        if line_end < 0 or body[pos:line_end].strip(b" \t"):
            raise _bad_multipart("a boundary line is followed by other text")
        parts += 1
        if parts > MAX_PARTS:
            raise HTTPFailure(413, "too_many_parts", f"a form may have at most {MAX_PARTS} parts")
        head_start = line_end + 2
        if body.startswith(b"\r\n", head_start):
            head_end = head_start  # a part without headers
        else:
            head_end = body.find(b"\r\n\r\n", head_start, head_start + MAX_PART_HEAD_BYTES)
            if head_end < 0:
                raise _bad_multipart("part headers unterminated or over 8 KiB")
        headers = _part_head(body[head_start:head_end])
        content_start = head_end + 2 if head_end == head_start else head_end + 4
        content_end = body.find(b"\r\n" + delimiter, content_start)
        if content_end < 0:
            raise _bad_multipart("no closing boundary")
        pos = content_end + 2 + len(delimiter)
        part_type = headers.get("content-type", "").lower()
        if part_type.startswith("multipart/"):
            raise HTTPFailure(400, "nested_multipart", "send the image as a plain file part")
        disposition = headers.get("content-disposition", "")
        is_file = part_type.startswith("image/") or any(
            _header_param(disposition, "Content-Disposition", name) is not None
            for name in ("filename", "filename*")
        )
        size = content_end - content_start
        if not is_file:
            if size > MAX_FIELD_BYTES:
                raise HTTPFailure(
                    413, "body_too_large", f"a form field is over {MAX_FIELD_BYTES} bytes"
                )
            continue
        if found is not None:
            raise HTTPFailure(400, "several_files", "send one image per request")
        if size > limit:
            raise HTTPFailure(413, "body_too_large", f"the upload is over the {_mib(limit)} limit")
        found = body[content_start:content_end]
    if not found:
        raise HTTPFailure(400, "no_file", "the multipart body holds no file part")
    return found


def looks_like_image(data: bytes) -> bool:
    """Sniff the formats the daemon accepts (a cheap 415 for text, HTML, archives...)."""
    return formats.sniff(data) is not None


# -- work that runs on a worker thread ------------------------------------------------------
# Decoding, detection, reports and encoding are the Redactor's own (redact_bytes, analyze_bytes,
# decode/redact_many/encode): the daemon's reports carry the same stages, "decode" included.
def _redact_one(redactor: Any, options: Any, limits: Any, data: bytes) -> Any:
    try:
        encoded, report = redactor.redact_bytes(data, options, limits=limits)
    except Exception as error:  # noqa: BLE001 - answered as this request's error
        return error
    return encoded, report.format, report.to_json(with_text=False)


def _trim_heap() -> None:
    """Give freed heap pages back to the system. glibc keeps them after a large image (the
    daemon stayed ~350 MB above its warm size after one 40 Mpx PNG); malloc_trim takes a few
    ms. A no-op where there is no glibc."""
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        import ctypes
        import ctypes.util

        try:
            _MALLOC_TRIM = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _MALLOC_TRIM = False
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


_MALLOC_TRIM: Any = None


def redact_batch(redactor: Any, options: Any, limits: Any, payloads: Sequence[bytes]) -> list[Any]:
    """[(image bytes, format, report dict) | exception] per payload. Without a batched detector
    (the model) each image is decoded, redacted, encoded and dropped before the next is decoded:
    a batch holds one image's pixels at a time. With the model, the images that decode go
    through one `redact_many` call (one batched model call)."""
    try:
        return _redact_batch(redactor, options, limits, payloads)
    finally:
        _trim_heap()


def _redact_batch(redactor: Any, options: Any, limits: Any, payloads: Sequence[bytes]) -> list[Any]:
    if not getattr(redactor, "batching", False):
        return [_redact_one(redactor, options, limits, data) for data in payloads]
    outcomes: list[Any] = [None] * len(payloads)
    images: list[Any] = [None] * len(payloads)
    seconds: list[float] = [0.0] * len(payloads)
    for i, data in enumerate(payloads):
        try:
            images[i], seconds[i] = redactor.decode(data, limits)
        except RedactorError as error:
            outcomes[i] = error
    good = [i for i, image in enumerate(images) if image is not None]
    if not good:
        return outcomes
    try:
        results: list[Any] = redactor.redact_many(
            [images[i] for i in good], options, decode_s=[seconds[i] for i in good]
        )
    except Exception:  # noqa: BLE001 - isolate the image that failed the batch
        # Redact each alone so the others still succeed; the failing one gets its own error.
        results = []
        for i in good:
            try:
                results.append(redactor.redact(images[i], options, decode_s=seconds[i]))
            except Exception as error:  # noqa: BLE001 - answered as that request's error
                results.append(error)
    for i, result in zip(good, results):
        if isinstance(result, BaseException):
            outcomes[i] = result
        else:
            try:
                encoded = redactor.encode(images[i], result, options)
                outcomes[i] = encoded, images[i].format, result.report.to_json(with_text=False)
            except RedactorError as error:
                outcomes[i] = error
        images[i] = None  # drop the decoded pixels as soon as they are encoded
    return outcomes


def analyze_batch(redactor: Any, options: Any, limits: Any, payloads: Sequence[bytes]) -> list[Any]:
    """[report dict | exception] per payload, one decoded image at a time."""
    outcomes: list[Any] = []
    for data in payloads:
        try:
            report = redactor.analyze_bytes(data, options, limits=limits)
        except RedactorError as error:
            outcomes.append(error)
            continue
        outcomes.append(report.to_json(with_text=False))
        del report
    _trim_heap()
    return outcomes


# -- report shaping ---------------------------------------------------------------------------
PRIVATE_REPORT_KEYS = ("input", "output", "text")


def public_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report without file names and without any recognised text (belt and braces: the
    pipeline leaves text out unless asked)."""
    clean = {k: v for k, v in report.items() if k not in PRIVATE_REPORT_KEYS}
    if isinstance(clean.get("regions"), list):
        clean["regions"] = [
            {k: v for k, v in region.items() if k != "text"} if isinstance(region, dict) else region
            for region in clean["regions"]
        ]
    return clean


def summary_of(report: dict[str, Any]) -> dict[str, Any]:
    """What was hidden, for the X-Redactor-Summary header: hidden regions per attribute id,
    the same counted by the names users type, how many, and the privacy score when a model is
    loaded. No text, no geometry."""
    hide = set(report.get("hide", []))
    per_attribute: dict[str, int] = {}
    hidden = 0
    for region in report.get("regions", []):
        if not region.get("hidden"):
            continue
        hidden += 1
        for attribute in region.get("attributes", []):
            if attribute in hide:
                per_attribute[attribute] = per_attribute.get(attribute, 0) + 1
    summary: dict[str, Any] = {
        "regions": per_attribute,
        "counts": dict(report.get("counts", {})),
        "hidden": hidden,
    }
    if report.get("privacy_score") is not None:
        summary["privacy_score"] = report["privacy_score"]
    if report.get("frames_dropped"):  # only the first frame/page of the upload was sent back
        summary["frames_dropped"] = report["frames_dropped"]
    return summary


# -- handlers -----------------------------------------------------------------------------------
async def _await_ready(state: DaemonState) -> None:
    await state.ready.wait()
    if state.phase == "failed":
        message = (
            f"the daemon refused its default hide: {state.failure}"
            if state.refused
            else f"the daemon could not load its detectors: {state.failure}"
        )
        raise HTTPFailure(503, "not_ready", message)


def declared_pixels(data: bytes, max_pixels: int) -> int:
    """width*height from the image's header (no pixel is decoded): what the image will cost
    once decoded. 413 over `max_pixels`; 0 when the header is unreadable (the worker's decoder
    then answers with the precise error)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        width = height = max_pixels + 1
    except Exception:  # noqa: BLE001 - any header the decoder cannot read is its error to report
        return 0
    if width * height > max_pixels:
        raise HTTPFailure(
            413, "image_too_large",
            f"image is {width}x{height} = {width * height / 1e6:.0f} Mpx, over the "
            f"{max_pixels / 1e6:.0f} Mpx limit",
        )  # fmt: skip
    return width * height


async def _admit_and_run(
    request: web.Request,
    state: DaemonState,
    kind: str,
    batch_function: Callable,
    options: Any,
    charge: Callable[[int], None],
) -> Any:
    config = state.config
    data = await read_image_body(request, config.max_bytes, config.body_timeout_s, charge)
    if not looks_like_image(data):
        raise HTTPFailure(
            415, "not_an_image", f"the body is not an image ({', '.join(formats.FORMATS)})"
        )
    pixels = declared_pixels(data, config.max_pixels)
    try:
        ticket = state.batcher.admit()
    except Overloaded as error:
        raise HTTPFailure(
            503, "overloaded", str(error), {"Retry-After": str(error.retry_after)}
        ) from None
    with ticket:
        try:
            await state.batcher.reserve_pixels(ticket, pixels)
        except Overloaded as error:
            raise HTTPFailure(
                503, "overloaded",
                f"the daemon is busy with large images; retry in {error.retry_after} s",
                {"Retry-After": str(error.retry_after)},
            ) from None  # fmt: skip
        key = (kind, options.hide, options.mode)
        work = partial(batch_function, state.redactor, options, state.limits)
        return await state.batcher.submit(key, data, work, ticket)


async def _process(request: web.Request, kind: str, batch_function: Callable) -> Any:
    """The guard has authenticated the caller. The body is read in full (with a no-progress
    timeout) before the request takes a queue ticket, so a slow client holds a connection and
    the bytes it has sent (UploadMemory), never a ticket; the ticket then reserves the image's
    decoded pixels from the daemon's budget."""
    state = request.app[STATE]
    config = state.config
    timeout = config.request_timeout_s
    try:
        async with asyncio.timeout(timeout):
            if state.phase == "stopping":
                raise HTTPFailure(
                    503, "stopping", "the daemon is shutting down", {"Retry-After": "5"}
                )
            await _await_ready(state)
            options = parse_options(request, state)  # a 400/422 costs no upload
            assert state.uploads is not None
            with state.uploads.held() as charge:
                return await _admit_and_run(request, state, kind, batch_function, options, charge)
    except TimeoutError:
        raise HTTPFailure(
            504, "timeout", f"the image took over {timeout:g} s; try a smaller one"
        ) from None


async def handle_redact(request: web.Request) -> web.Response:
    encoded, image_format, report = await _process(request, "redact", redact_batch)
    summary = json.dumps(summary_of(report), separators=(",", ":"))
    return web.Response(
        body=encoded,
        content_type=CONTENT_TYPES.get(image_format, "application/octet-stream"),
        headers={SUMMARY_HEADER: summary, "Cache-Control": "no-store"},
    )


async def handle_analyze(request: web.Request) -> web.Response:
    report = await _process(request, "analyze", analyze_batch)
    return web.json_response(public_report(report), headers={"Cache-Control": "no-store"})


async def handle_health(request: web.Request) -> web.Response:
    """Public: ready or not, version, detectors. The queue's counters (how much this daemon
    redacts, and when) only for a caller with the token."""
    state = request.app[STATE]
    body: dict[str, Any] = {
        "status": "ok" if state.phase == "ready" else state.phase,
        "ready": state.phase == "ready",
        "version": __version__,
        "detectors": list(state.redactor.configured),  # built at start-up, before "ready"
        "backend": state.backend,
        "model": state.config.model is not None,
    }
    presented = bearer_token(request)
    if presented and state.policy.token_matches(presented):
        batcher = state.batcher
        body["queue"] = {
            "pending": batcher.pending,
            "max": batcher.max_pending,
            "batches": batcher.stats.batches,
            "jobs": batcher.stats.jobs,
            "largest_batch": batcher.stats.largest_batch,
        }
        body["pixels"] = {
            "budget": batcher.pixels.total,
            "in_use": batcher.pixels.used,
            "peak": batcher.pixels.peak,
            "waiting": batcher.pixels.waiting,
        }
    if state.failure:
        body["error"] = state.failure
    return web.json_response(body)


async def handle_attributes(request: web.Request) -> web.Response:
    state = request.app[STATE]
    async with asyncio.timeout(state.config.request_timeout_s):
        await _await_ready(state)  # a model's attributes are known once it is loaded
    covered = frozenset(state.redactor.covered)
    defaults = state.redactor.resolve_hide(state.default_hide)
    default_names = state.default_hide or tuple(
        name for name in attributes.DEFAULT_HIDE if set(attributes.ALIASES[name]) <= covered
    )
    listed = [
        {
            "id": a.id,
            "description": a.description,
            "group": a.group,
            "aliases": attributes.aliases_of(a.id),
            "default_hidden": a.id in defaults,
        }
        for a in attributes.ATTRIBUTES
        if a.id in covered
    ]
    aliases = {alias: list(ids) for alias, ids in attributes.ALIASES.items() if set(ids) <= covered}
    return web.json_response(
        {
            "attributes": listed,
            "aliases": aliases,
            "defaults": list(default_names),
            "modes": list(MODES),
        }
    )


async def handle_challenge(request: web.Request) -> web.Response:
    """The extension's check that it talks to this daemon, before it sends the token or an
    image: it sends a fresh nonce, only a holder of the token can answer the proof."""
    state = request.app[STATE]
    body = await _read_capped(
        request.content.read, 1024, state.config.body_timeout_s,
        "the challenge is a short JSON object", lambda _size: None,
    )  # fmt: skip
    try:
        nonce = json.loads(body).get("nonce")
    except (ValueError, AttributeError):
        nonce = None
    if not isinstance(nonce, str) or not NONCE.fullmatch(nonce):
        raise HTTPFailure(
            400, "bad_nonce", 'send {"nonce": "<32 random bytes, base64url, no padding>"}'
        )
    proof = daemon_proof(state.policy.token, nonce, local_address(request))
    return web.json_response({"proof": proof}, headers={"Cache-Control": "no-store"})


# -- application ------------------------------------------------------------------------------
def image_limits(config: ServerConfig) -> Any:
    from redactor.imageio import ImageLimits

    return ImageLimits(max_bytes=config.max_bytes, max_pixels=config.max_pixels)


def build_redactor(config: ServerConfig) -> Any:
    from redactor.pipeline import Redactor

    return Redactor(model=config.model, person=config.person, limits=image_limits(config))


async def _warm_up(state: DaemonState) -> None:
    from redactor.pipeline import RedactOptions

    started = time.perf_counter()
    options = RedactOptions(hide=state.default_hide, trust_model=state.config.trust_model)
    try:
        # The default hide is checked first (an unvalidated model's model-only attribute is
        # refused here, at start-up, not on every request), then what it needs is built.
        await state.batcher.run_in_worker(partial(state.redactor.check, options))
        await state.batcher.run_in_worker(partial(state.redactor.warm_up, options))
    except UsageError as error:  # the default hide itself: unknown, uncovered, unvalidated
        state.phase, state.failure, state.refused = "failed", str(error), True
    except Exception as error:  # noqa: BLE001 - reported by /v1/health and the CLI
        state.phase, state.failure = "failed", _describe(error)
        log.error("the daemon could not load its detectors: %s", state.failure)
    else:
        state.backend = backend_description(state.config)
        state.phase = "ready"
        state.load_seconds = time.perf_counter() - started
    finally:
        state.ready.set()


def backend_description(config: ServerConfig) -> dict[str, str]:
    """Which runtimes run the detectors (every built-in detector runs on ONNX Runtime's CPU
    provider; a model file picks its own by type)."""
    import onnxruntime

    backend = {"detectors": f"onnxruntime {onnxruntime.__version__} (CPU)"}
    if config.model is not None:
        kinds = {".onnx": "onnxruntime", ".pt": "torch", ".engine": "tensorrt"}
        backend["model"] = kinds.get(config.model.suffix.lower(), config.model.suffix)
    return backend


def _describe(error: BaseException) -> str:
    return str(error) if isinstance(error, RedactorError) else type(error).__name__


def create_app(
    config: ServerConfig = ServerConfig(), *, redactor: Any = None, token: str | None = None
) -> web.Application:
    """The daemon's application. `redactor` reuses an already built pipeline (tests, embedding);
    `token` overrides the one in the config directory."""
    quiet_aiohttp_logs()
    config_dir = config.config_dir or default_config_dir()
    policy = AccessPolicy(
        token=token or load_or_create_token(config_dir),
        extension_origins=frozenset(
            extension_origin(i) for i in (EXTENSION_ID, *config.extension_ids)
        ),
        extra_hosts=frozenset()
        if config.is_loopback or config.host in ("0.0.0.0", "::", "")
        else frozenset({config.host.lower()}),
    )
    app = web.Application(
        middlewares=[make_guard(policy)],
        client_max_size=config.max_bytes + 64 * 1024,  # backstop; bodies are read by hand
    )
    app.router.add_get("/v1/health", handle_health)
    app.router.add_get("/v1/attributes", handle_attributes)
    app.router.add_post("/v1/redact", handle_redact)
    app.router.add_post("/v1/analyze", handle_analyze)
    app.router.add_post("/v1/challenge", handle_challenge)

    async def pipeline_ctx(app: web.Application) -> AsyncIterator[None]:
        built = redactor if redactor is not None else build_redactor(config)
        batcher = MicroBatcher(
            workers=config.workers,
            max_batch=config.max_batch,
            window_s=config.batch_window_ms / 1000,
            max_pending=config.max_pending,
            pixel_budget=config.pixels_in_flight,
            budget_wait_s=config.budget_wait_s,
        )
        await batcher.start()
        state = DaemonState(
            config=config, redactor=built, batcher=batcher, policy=policy,
            default_hide=attributes.parse_hide(config.hide),
            limits=image_limits(config),
            uploads=UploadMemory(config.max_pending * (config.max_bytes + FORM_EXTRA)),
        )  # fmt: skip
        app[STATE] = state
        # Listen at once; /v1/health says "loading" until the detectors are built.
        state.warm_up = asyncio.get_running_loop().create_task(_warm_up(state))
        yield
        # Runs after aiohttp has waited for the in-flight handlers: finish what is queued.
        state.phase = "stopping" if state.phase == "ready" else state.phase
        await state.warm_up
        await batcher.close()

    async def mark_stopping(app: web.Application) -> None:
        if app[STATE].phase == "ready":
            app[STATE].phase = "stopping"

    app.cleanup_ctx.append(pipeline_ctx)
    app.on_shutdown.append(mark_stopping)
    return app


# -- running it (the CLI's `redact serve`) --------------------------------------------------------
def loud_warning(host: str) -> str:
    return (
        f"WARNING: binding {host} makes the daemon reachable from other machines over plain "
        "HTTP. Every request needs the token, but the token and the private images cross the "
        "network unencrypted: whoever can watch that traffic gets both. Use --host 127.0.0.1 "
        "unless you know why not."
    )


class PeerLimiter:
    """At most `cap` open connections per peer address. Over it, the peer's oldest connection
    that is not in the middle of a request (idle, or still sending its head) is closed; with
    none idle the new one is. A client that opens hundreds of idle sockets then costs the
    daemon `cap` descriptors, not all of them."""

    def __init__(self, cap: int):
        self.cap = cap
        self._by_peer: dict[str, list[Any]] = {}
        self._transports: dict[Any, asyncio.BaseTransport] = {}
        self._peer_of: dict[Any, str] = {}  # aiohttp's handlers have __slots__
        self.closed = 0

    def opened(self, handler: Any, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        host = str(peer[0]) if peer else "?"
        self._peer_of[handler] = host
        self._transports[handler] = transport
        held = self._by_peer.setdefault(host, [])
        held.append(handler)
        if len(held) <= self.cap:
            return
        idle = next((h for h in held if h is not handler and _is_idle(h)), handler)
        self.closed += 1
        transport_of_idle = self._transports[idle]
        self.lost(idle)  # forget it now: its connection_lost comes later
        transport_of_idle.close()

    def lost(self, handler: Any) -> None:
        self._transports.pop(handler, None)
        host = self._peer_of.pop(handler, None)
        held = self._by_peer.get(host, []) if host is not None else []
        if handler in held:
            held.remove(handler)
            if not held:
                del self._by_peer[host]


def _is_idle(handler: Any) -> bool:
    # aiohttp's RequestHandler: no request being handled and none parsed and waiting.
    return not getattr(handler, "_request_in_progress", True) and not getattr(
        handler, "_messages", True
    )


class _Runner(web.AppRunner):
    """AppRunner whose server counts connections per peer (aiohttp has no such limit)."""

    def __init__(self, app: web.Application, limiter: PeerLimiter, **kwargs: Any):
        super().__init__(app, **kwargs)
        self._limiter = limiter

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        made, lost, limiter = server.connection_made, server.connection_lost, self._limiter

        def connection_made(handler: Any, transport: asyncio.Transport) -> None:
            made(handler, transport)
            limiter.opened(handler, transport)

        def connection_lost(handler: Any, exc: BaseException | None = None) -> None:
            limiter.lost(handler)
            lost(handler, exc)

        server.connection_made = connection_made  # type: ignore[method-assign]
        server.connection_lost = connection_lost  # type: ignore[method-assign]
        return server


class AcceptErrorLog:
    """The event loop's exception handler while the daemon runs. asyncio reports every failed
    accept() (EMFILE when descriptors run out) with a traceback; under a flood of connections
    that wrote megabytes a second. Those, and errors of connections already gone, are logged
    once per `every_s` seconds per kind, as one line with how many were suppressed; anything
    else goes to the previous handler."""

    def __init__(self, loop: asyncio.AbstractEventLoop, every_s: float = 10.0):
        self.loop = loop
        self.every_s = every_s
        self.previous = loop.get_exception_handler()
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        message = str(context.get("message", ""))
        if not (message.startswith("socket.accept()") or isinstance(error, OSError)):
            if self.previous is not None:
                self.previous(loop, context)
            else:
                loop.default_exception_handler(context)
            return
        kind = f"{message.split(':')[0][:60]} ({type(error).__name__ if error else 'error'})"
        now = time.monotonic()
        if now - self._last.get(kind, -self.every_s) < self.every_s:
            self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
            return
        self._last[kind] = now
        more = self._suppressed.pop(kind, 0)
        detail = f": {error.strerror or error}" if isinstance(error, OSError) else ""
        log.error("%s%s%s", kind, detail, f" ({more} more in the last {self.every_s:g} s)"
                  if more else "")  # fmt: skip

    def install(self) -> None:
        self.loop.set_exception_handler(self)

    def uninstall(self) -> None:
        if self.loop.get_exception_handler() is self:
            self.loop.set_exception_handler(self.previous)


class Daemon:
    """One daemon on a real socket: `start()` binds and returns the port, `stop()` shuts down
    gracefully (stop listening, let in-flight requests finish, then unload). Used by
    `redact serve`, the tests and the load benchmark."""

    def __init__(self, config: ServerConfig, *, redactor: Any = None, token: str | None = None):
        self.config = config
        self.app = create_app(config, redactor=redactor, token=token)
        self.peers = PeerLimiter(config.max_connections_per_peer)
        self.runner = _Runner(
            self.app,
            self.peers,
            access_log_class=RouteAccessLogger,
            access_log=access_log,
            shutdown_timeout=config.request_timeout_s + 5,
            handle_signals=False,
            # aiohttp arms this timer when a connection opens and after each response, and
            # closes the connection if no complete request head has arrived when it fires:
            # the header-read and keep-alive timeout in one.
            keepalive_timeout=config.idle_timeout_s,
            # After an early answer (413, 408) aiohttp reads what the client still sends so it
            # sees the answer, not a reset; 2 s is plenty on loopback and bounds a stalled one.
            lingering_time=2.0,
        )
        self.port: int | None = None
        self._accept_log: AcceptErrorLog | None = None

    @property
    def state(self) -> DaemonState:
        return self.app[STATE]

    async def start(self) -> int:
        self._accept_log = AcceptErrorLog(asyncio.get_running_loop())
        self._accept_log.install()
        await self.runner.setup()
        try:
            await web.TCPSite(self.runner, self.config.host, self.config.port).start()
        except BaseException:
            await self.runner.cleanup()
            self._accept_log.uninstall()
            raise
        self.port = int(self.runner.addresses[0][1])
        return self.port

    async def stop(self) -> None:
        try:
            await self.runner.cleanup()
        finally:
            if self._accept_log is not None:
                self._accept_log.uninstall()


async def serve(
    config: ServerConfig, *, echo: Callable[[str], None] = print, stop: asyncio.Event | None = None
) -> int:
    """Run the daemon until SIGINT/SIGTERM (or `stop`), then shut down gracefully: stop
    listening, finish in-flight requests, exit. Returns the exit status."""
    if not config.is_loopback:
        echo(loud_warning(config.host))
    daemon = Daemon(config)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        port = await daemon.start()
        try:
            state = daemon.state
            shown = f"[{config.host}]" if ":" in config.host else config.host
            reach = "this machine only" if config.is_loopback else "NOT loopback"
            echo(
                f"redactor daemon {__version__} listening on http://{shown}:{port} ({reach}); "
                "loading detectors..."
            )
            ready = asyncio.ensure_future(state.ready.wait())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({ready, stopping}, return_when=asyncio.FIRST_COMPLETED)
            ready.cancel()
            if state.phase == "failed":
                stopping.cancel()
                if state.refused:  # the default hide itself was refused: one line says why
                    echo(f"error: {state.failure}")
                else:
                    echo(f"error: could not load the detectors: {state.failure}")
                return 2
            if state.phase == "ready":
                _tell_native_host(config, port)
                echo(pairing_help(state, port, config))
            await stopping
            echo(f"stopping: finishing {state.batcher.pending} request(s) in flight...")
        finally:
            await daemon.stop()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
    echo("stopped")
    return 0


def _tell_native_host(config: ServerConfig, port: int) -> None:
    """Leave the address for `redact native-host` (the extension asks it for token and port)."""
    from redactor.native_host import write_daemon_url

    url = daemon_url_for(config.host, port)
    if url is not None:
        try:
            write_daemon_url(config.config_dir or default_config_dir(), url)
        except (OSError, RedactorError) as error:  # the daemon still works; pasting still does
            log.warning("could not record the daemon's address for the extension: %s", error)


def daemon_url_for(host: str, port: int) -> str | None:
    """The loopback address the extension can use for a daemon bound to `host`, or None."""
    if host in ("127.0.0.1", "localhost", "0.0.0.0", ""):
        return f"http://127.0.0.1:{port}"
    if host in ("::1", "::"):
        return f"http://[::1]:{port}"
    return None


def pairing_help(state: DaemonState, port: int, config: ServerConfig) -> str:
    hide = ", ".join(state.default_hide or attributes.DEFAULT_HIDE)
    seconds = f" in {state.load_seconds:.1f} s" if state.load_seconds is not None else ""
    token_file = token_path(config.config_dir or default_config_dir())
    # The token never goes into curl's argv (every local user can read /proc/PID/cmdline):
    # printf is a shell builtin, and curl reads the header from the pipe (`-H @-`).
    header = f"printf 'Authorization: Bearer %s\\n' \"$(cat {shlex.quote(str(token_file))})\""
    return "\n".join([
        f"ready{seconds}; hiding by default: {hide}",
        "  Browser extension: `redact extension --install-native-host` (once) lets it fetch the "
        "token itself;",
        "    or paste the token that `redact serve --show-token` prints into its options.",
        f"  Local tools: send `Authorization: Bearer <token>` (the token is in {token_file}), "
        "never on a command line, e.g.",
        f"    {header} | curl -H @- -H 'Content-Type: image/jpeg' "
        f"--data-binary @photo.jpg -o redacted.jpg http://127.0.0.1:{port}/v1/redact",
        "  Ctrl-C stops it after the requests in flight are done.",
    ])  # fmt: skip


def run(config: ServerConfig) -> int:
    """`redact serve`: access log on stderr, warnings and errors on stderr in red."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr
    )

    def echo(line: str) -> None:
        if line.startswith(("WARNING", "error")):
            loud = sys.stderr.isatty()
            sys.stderr.write(f"\033[1;31m{line}\033[0m\n" if loud else f"{line}\n")
            sys.stderr.flush()
        else:
            print(line, flush=True)

    return asyncio.run(serve(config, echo=echo))
