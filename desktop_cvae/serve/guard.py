"""What every request passes before the app sees it (plain ASGI, so it costs microseconds): the Bearer token,
the upload cap counted while the body arrives, and the security headers on every response."""

from __future__ import annotations

import hmac
import json
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.exceptions import HTTPException

TOKEN_COOKIE = "desktop_cvae_token"
OPEN_PATHS = ("/healthz",)  # a load balancer's health check carries no token
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: "
                                 b"blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
                                 b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),  # no address leaves the site; the pages' own posts carry their Origin
    (b"cross-origin-resource-policy", b"same-origin"),
]


class BodyTooLarge(HTTPException):
    """Raised while the body arrives; an HTTPException so the framework's form parsing passes it on as it is."""

    def __init__(self, limit: int):
        super().__init__(413, f"the upload is larger than {limit / 2**20:.3g} MB")


class Guard:
    def __init__(self, app, token: str | None, max_body: int):
        self.app = app
        self.token = token
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        headers = dict(scope["headers"])
        if scope["method"] not in SAFE_METHODS and not _same_origin(headers):
            # Another site's page posting here from a visitor's browser (deleting their archive, say): browsers
            # name the page's origin on such requests, and it is not ours.
            return await _reply(send_with_headers, 403, {"error": "a request from another site's page is refused"})
        if self.token and not scope["path"].startswith(OPEN_PATHS):
            if not self._authorised(headers):
                return await self._unauthorised(scope, send_with_headers)

        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return await _reply(send_with_headers, 413, {"error": str(BodyTooLarge(self.max_body).detail)})
        received = 0

        async def receive_capped():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:  # a chunked body without Content-Length
                    raise BodyTooLarge(self.max_body)
            return message

        try:
            await self.app(scope, receive_capped, send_with_headers)
        except BodyTooLarge as e:
            if not started:
                await _reply(send_with_headers, 413, {"error": e.detail})

    def _authorised(self, headers: dict) -> bool:
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth[:7].lower() == "bearer " and hmac.compare_digest(auth[7:].strip().encode(), self.token.encode()):
            return True
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
        except Exception:  # noqa: BLE001 - a malformed cookie header is no credential
            return False
        sent = cookie.get(TOKEN_COOKIE)
        return sent is not None and hmac.compare_digest(sent.value.encode(), self.token.encode())

    async def _unauthorised(self, scope, send):
        # A person opening the page once with ?token=T gets it as a cookie (HttpOnly, same site only) and the
        # URL without it, so the pages work in a browser, which cannot send a Bearer header on its own.
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = dict(query).get("token")
        if scope["method"] == "GET" and given and hmac.compare_digest(given.encode(), self.token.encode()):
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            location = scope["path"] + ("?" + rest if rest else "")
            cookie = f"{TOKEN_COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"
            return await _reply(send, 303, None, [(b"location", location.encode()), (b"set-cookie", cookie.encode())])
        return await _reply(send, 401, {"error": "a token is needed: send 'Authorization: Bearer <token>', or "
                                                 "open the page once with ?token=<token>"},
                            [(b"www-authenticate", b'Bearer realm="desktop-cvae"')])


def _same_origin(headers: dict) -> bool:
    """Whether a state-changing request may come from where it comes from. Browsers say so in Sec-Fetch-Site;
    older ones name the page's origin (the pages send their origin to themselves: Referrer-Policy same-origin).
    A request with neither is no browser's (curl, scripts, API clients) and passes."""
    site = headers.get(b"sec-fetch-site")
    if site is not None:
        return site in (b"same-origin", b"none")  # "none": typed or bookmarked by the person
    origin = headers.get(b"origin")
    if origin is None:
        return True
    return origin != b"null" and origin.split(b"://", 1)[-1].rstrip(b"/") == headers.get(b"host", b"")


async def _reply(send, status: int, body: dict | None, headers: list | None = None) -> None:
    data = json.dumps(body).encode() if body is not None else b""
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())] + (headers or [])
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": data})
