"""Who may talk to the daemon, and how refusals are answered.

Every request passes one middleware (`guard`), in this order:

1. Host must name the address the client connected to: `127.0.0.1:<port>`, `localhost:<port>`
   (or the literal local IP). A DNS-rebinding page reaches us with its own name: 403.
2. Origin: none (a local tool), the extension's pinned `chrome-extension://<id>`, or an
   extension origin registered by pairing. Anything else (a web page, another extension,
   "null") is 403 and gets no CORS headers, preflights included. A request without Origin
   whose `Sec-Fetch-Site` says a web page sent it is refused too.
3. Token: `Authorization: Bearer <token>`. The pinned extension needs none; local tools and
   pairing need it; a wrong token is 401 for everyone. `GET /v1/health` is public, and
   `GET /v1/attributes` is readable by a browser request no page made (`Sec-Fetch-Site: none`:
   the extension's options page, whose GETs carry no Origin in Chromium).

Errors of every kind become JSON `{"error": code, "message": text}`; messages never hold image
content or recognised text. CORS headers go only to an accepted extension origin.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Mapping

from aiohttp import web

from redactor import errors
from redactor.config_dir import PairedOrigins

log = logging.getLogger("redactor.server")

# The extension's manifest `key` pins its id (extension/manifest.json).
EXTENSION_ID = "amnechkijkfpakdllmdldalddlnhlfal"
EXTENSION_SCHEMES = ("chrome-extension://", "moz-extension://")
SUMMARY_HEADER = "X-Redactor-Summary"
PUBLIC_PATHS = frozenset({"/v1/health"})
# Chromium sends no Origin with an extension's GET (only with its POSTs), so the extension's
# options page reads /v1/attributes like a local tool would. That answer holds nothing private:
# a browser request no web page made (Sec-Fetch-Site: none) may read it without the token.
EXTENSION_READABLE_PATHS = frozenset({"/v1/attributes"})
PAIR_PATH = "/v1/pair"

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
    # Browser origins trusted without a token: the pinned extension (and --extension-id ones).
    trusted_origins: frozenset[str]
    paired: PairedOrigins
    extra_hosts: frozenset[str] = field(default_factory=frozenset)  # "--host" when not loopback

    def token_matches(self, presented: str) -> bool:
        return hmac.compare_digest(presented.encode("utf-8"), self.token.encode("utf-8"))

    def origin_is_accepted(self, origin: str) -> bool:
        return origin in self.trusted_origins or origin in self.paired


def extension_origin(extension_id: str) -> str:
    return f"chrome-extension://{extension_id}"


def _allowed_hosts(request: web.Request, policy: AccessPolicy) -> set[str]:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not sockname:
        return set()
    local_ip, port = sockname[0], sockname[1]
    hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
    hosts.add(f"[{local_ip}]:{port}" if ":" in local_ip else f"{local_ip}:{port}")
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


def _extension_read(request: web.Request) -> bool:
    return (
        request.method == "GET"
        and request.path in EXTENSION_READABLE_PATHS
        and request.headers.get("Sec-Fetch-Site") == "none"
    )


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
            pairing = False
            if origin is not None:
                if policy.origin_is_accepted(origin):
                    cors_origin = origin
                elif request.path == PAIR_PATH and origin.startswith(EXTENSION_SCHEMES):
                    cors_origin, pairing = origin, True
                else:
                    raise HTTPFailure(
                        403, "forbidden_origin",
                        "this origin may not use the redactor daemon; only the redactor "
                        "extension (paired with the token) can",
                    )  # fmt: skip
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
            elif (
                (pairing or cors_origin is None)
                and request.path not in PUBLIC_PATHS
                and not _extension_read(request)
            ):
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
