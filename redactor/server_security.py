"""Who may talk to the daemon, and how refusals are answered.

Every request passes one middleware (`guard`), in this order:

1. Host must name the address the client connected to: `127.0.0.1:<port>`, `localhost:<port>`
   (or the literal local IP). A DNS-rebinding page reaches us with its own name: 403.
2. Origin: none (a local tool), the extension's pinned `chrome-extension://<id>` (or a
   `--extension-id` one), or a Firefox `moz-extension://` origin (random per profile). Anything
   else (a web page, another Chromium extension, "null") is 403 and gets no CORS headers,
   preflights included. A request without Origin whose `Sec-Fetch-Site` says a web page sent it
   is refused too. Origin is only a browser convention (any local process can send any), so it
   never replaces the token: it only keeps web pages out.
3. Token: `Authorization: Bearer <token>` on every request, from everyone, the extension
   included. Only `GET /v1/health` and `POST /v1/challenge` (the daemon proves it holds the
   token: `daemon_proof`) answer without it; a missing or wrong token is 401.

Errors of every kind become JSON `{"error": code, "message": text}`; messages never hold image
content or recognised text. CORS headers go only to an accepted extension origin.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Mapping

from aiohttp import web

from redactor import errors

log = logging.getLogger("redactor.server")

# The extension's manifest `key` pins its id (extension/manifest.json).
EXTENSION_ID = "amnechkijkfpakdllmdldalddlnhlfal"
SUMMARY_HEADER = "X-Redactor-Summary"
CHALLENGE_PATH = "/v1/challenge"
# Answer without the token: whether the daemon is up, and its proof of holding the token.
PUBLIC_PATHS = frozenset({"/v1/health", CHALLENGE_PATH})
PROOF_CONTEXT = "redactor-daemon-v1"
NONCE = re.compile(r"[A-Za-z0-9_-]{43}")  # 32 random bytes, base64url without padding

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HTTPFailure(Exception):
    """A refusal with its status, a stable machine code and a message that says what to do."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


# Library errors -> HTTP status. Subclasses first: the first match wins.
_STATUS_OF: tuple[tuple[type[errors.RedactorError], int], ...] = (
    (errors.ImageTooLargeError, 413),
    (errors.ImageError, 400),
    (errors.UncoveredAttributeError, 422),
    (errors.UnvalidatedModelError, 422),  # understood, refused until validated or trusted
    (errors.UsageError, 400),
    (errors.ModelError, 500),
)


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    response = web.json_response({"error": code, "message": message}, status=status)
    response.headers.update(headers or {})
    return response


def failure_from_exception(error: BaseException) -> HTTPFailure:
    if isinstance(error, HTTPFailure):
        return error
    if isinstance(error, errors.RedactorError):
        status = next((s for cls, s in _STATUS_OF if isinstance(error, cls)), 500)
        return HTTPFailure(status, error.code, str(error))
    if isinstance(error, TimeoutError):
        return HTTPFailure(504, "timeout", "the daemon took too long; try again")
    if isinstance(error, web.HTTPException):
        # aiohttp's own refusals (413 from client_max_size, 405, 404 ...), as JSON.
        code = error.reason.lower().replace(" ", "_") if error.reason else "http_error"
        if error.status == 413:
            code = "body_too_large"
        message = error.text or error.reason or "request refused"
        if message.startswith(f"{error.status}:"):
            message = message.split(":", 1)[1].strip()
        return HTTPFailure(error.status, code, message)
    # Anything else is our bug: log its type only (its message could quote image data).
    log.error("internal error while handling a request: %s", type(error).__name__)
    return HTTPFailure(500, "internal_error", "the daemon failed on this request; see its log")


@dataclass
class AccessPolicy:
    token: str
    # Extension origins that may call (with the token): the pinned one, --extension-id ones.
    extension_origins: frozenset[str]
    extra_hosts: frozenset[str] = field(default_factory=frozenset)  # "--host" when not loopback

    def token_matches(self, presented: str) -> bool:
        return hmac.compare_digest(presented.encode("utf-8"), self.token.encode("utf-8"))

    def origin_is_accepted(self, origin: str) -> bool:
        # Firefox gives the add-on a random origin per profile: any moz-extension origin may
        # try, and the token decides (web pages cannot send an extension origin).
        return origin in self.extension_origins or origin.startswith("moz-extension://")


def daemon_proof(token: str, nonce: str, address: str) -> str:
    """HMAC-SHA256(token, "redactor-daemon-v1|<nonce>|<host:port>") in hex: the answer to the
    extension's challenge. `address` is the daemon's own end of the connection, so a program on
    another address that relays the nonce to the real daemon gets a proof for the wrong one."""
    message = f"{PROOF_CONTEXT}|{nonce}|{address}".encode("utf-8")
    return hmac.new(token.encode("utf-8"), message, hashlib.sha256).hexdigest()


def local_address(request: web.Request) -> str:
    """The address the client connected to, as "127.0.0.1:8765" or "[::1]:8765"."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not sockname:
        raise HTTPFailure(500, "internal_error", "the connection has no local address")
    ip, port = sockname[0], sockname[1]
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def extension_origin(extension_id: str) -> str:
    return f"chrome-extension://{extension_id}"


def _allowed_hosts(request: web.Request, policy: AccessPolicy) -> set[str]:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not sockname:
        return set()
    port = sockname[1]
    hosts = {f"127.0.0.1:{port}", f"localhost:{port}", local_address(request)}
    hosts.update(f"{name}:{port}" for name in policy.extra_hosts)
    return hosts


def _check_host(request: web.Request, policy: AccessPolicy) -> None:
    host = request.headers.get("Host", "").strip().lower()
    if host not in _allowed_hosts(request, policy):
        raise HTTPFailure(
            403, "bad_host",
            "the Host header must be 127.0.0.1:<port> or localhost:<port>; "
            "the daemon answers only local clients that address it directly",
        )  # fmt: skip


def _bearer(request: web.Request) -> str | None:
    value = request.headers.get("Authorization")
    if value is None:
        return None
    scheme, _, credential = value.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return ""  # present but malformed: treated as a wrong token
    return credential.strip()


def bearer_token(request: web.Request) -> str | None:
    """The token a request presents (None: no Authorization header; "": a malformed one)."""
    return _bearer(request)


def cors_headers(
    origin: str, *, preflight: bool, request: web.Request | None = None
) -> dict[str, str]:
    headers = {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": f"{SUMMARY_HEADER}, Retry-After",
        "Vary": "Origin",
    }
    if preflight:
        headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        headers["Access-Control-Max-Age"] = "600"
        if request is not None and request.headers.get("Access-Control-Request-Private-Network"):
            headers["Access-Control-Allow-Private-Network"] = "true"
    return headers


def make_guard(policy: AccessPolicy) -> Callable:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        cors_origin: str | None = None
        try:
            _check_host(request, policy)
            origin = request.headers.get("Origin")
            if origin is not None:
                if not policy.origin_is_accepted(origin):
                    raise HTTPFailure(
                        403, "forbidden_origin",
                        "this origin may not use the redactor daemon; only the redactor "
                        "extension (with the token) and local programs can",
                    )  # fmt: skip
                cors_origin = origin
            elif request.headers.get("Sec-Fetch-Site", "none") not in ("none", ""):
                raise HTTPFailure(403, "forbidden_origin", "web pages may not use the daemon")

            if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
                if cors_origin is None:
                    raise HTTPFailure(403, "forbidden_origin", "no CORS for this caller")
                headers = cors_headers(cors_origin, preflight=True, request=request)
                return web.Response(status=204, headers=headers)

            presented = _bearer(request)
            if presented is not None:
                if not policy.token_matches(presented):
                    raise HTTPFailure(
                        401, "bad_token",
                        "wrong token; use the one `redact serve --show-token` prints",
                        {"WWW-Authenticate": 'Bearer realm="redactor"'},
                    )  # fmt: skip
            elif request.path not in PUBLIC_PATHS:
                raise HTTPFailure(
                    401, "token_required",
                    "send `Authorization: Bearer <token>`; `redact serve --show-token` prints it",
                    {"WWW-Authenticate": 'Bearer realm="redactor"'},
                )  # fmt: skip

            response = await handler(request)
        except Exception as error:  # noqa: BLE001 - every failure becomes a JSON answer
            failure = failure_from_exception(error)
            response = error_response(
                failure.status, failure.code, failure.message, failure.headers
            )
        if cors_origin is not None and not response.prepared:
            response.headers.update(cors_headers(cors_origin, preflight=False))
        return response

    return guard
