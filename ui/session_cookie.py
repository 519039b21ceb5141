"""The HTTP endpoint that sets and clears the editor's session cookie (HttpOnly), on Streamlit's own server.

A script cannot write an HttpOnly cookie, and Streamlit 1.67 has no API to set cookies from a page,
so ``python -m ui.serve`` adds one route to the Starlette app that Streamlit builds
(:func:`install`): ``POST /_cyc/session``.

- **Sign-in**: the page (``ui.auth``) asks :func:`cyc_geo.auth.handoff_code` for a one-time code
  (60 s, stored only as a hash) and a zero-height component posts it here; the answer carries
  ``Set-Cookie: cyc_geo_session=<signed token>; HttpOnly; SameSite=Strict; Path=/`` (plus ``Secure``
  over https). The token never passes through the page, and scripts cannot read the cookie; the
  browser still sends it with the WebSocket handshake, where ``st.context.cookies`` reads it.
- **Sign-out**: an empty post (``action=clear``) revokes the session of the cookie it carries (the page
  has already revoked its own) and answers with a cookie that expires at once.

Only same-origin requests are served (``Sec-Fetch-Site``; cross-site posts get 403). The session rows
are in the project database, so any replica behind nginx can answer (``location /`` proxies it).
Plain ``streamlit run app.py`` (developers) has no such route: a sign-in then lasts until the page
is reloaded.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from cyc_geo import auth, db

PATH = "_cyc/session"
"""Route of the endpoint, below ``server.baseUrlPath``."""

_INSTALLED = {"on": False}
_CONN: dict[str, Any] = {}
_CONN_LOCK = threading.Lock()


def installed() -> bool:
    """True once :func:`install` added the route to this process's server (``python -m ui.serve``)."""
    return _INSTALLED["on"]


def _database():
    with _CONN_LOCK:
        if "conn" not in _CONN:
            _CONN["conn"] = db.connect()
        return _CONN["conn"]


def _is_https(request) -> bool:
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    return peer in auth.TRUSTED_PROXIES and request.headers.get("x-forwarded-proto", "").lower() == "https"


def cookie_header(token: str, max_age_s: float, secure: bool) -> str:
    """The ``Set-Cookie`` value for the session token (``max_age_s`` ≤ 0 deletes the cookie)."""
    age = int(max(0.0, max_age_s))
    value = token if age > 0 else ""
    return (f"{auth.SESSION_COOKIE}={value}; Path=/; Max-Age={age}; HttpOnly; SameSite=Strict"
            + ("; Secure" if secure else ""))


def handle(request_headers: dict[str, str], form: dict[str, str], cookie: str | None, secure: bool,
           now: float | None = None) -> tuple[int, str | None]:
    """The endpoint's logic without the web framework: ``(status, Set-Cookie value or None)``."""
    now = time.time() if now is None else now
    if request_headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return 403, None
    conn = _database()
    if form.get("action") == "clear":
        session = auth.session_from_token(cookie, now, conn=conn) if cookie else None
        if session is not None:
            auth.revoke_session(conn, session, now)
        return 200, cookie_header("", 0, secure)
    session = auth.redeem_handoff(conn, form.get("code"), now)
    if session is None:
        return 403, None
    return 200, cookie_header(auth.session_token(session), float(session["expires"]) - now, secure)


async def _endpoint(request):
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    if request.method != "POST":
        return Response(status_code=405)
    raw = await request.body()
    if len(raw) > 2048:
        return Response(status_code=413)
    from urllib.parse import parse_qsl

    form = dict(parse_qsl(raw.decode("utf-8", "replace")))
    status, set_cookie = await run_in_threadpool(
        handle, {k.lower(): v for k, v in request.headers.items()}, form,
        request.cookies.get(auth.SESSION_COOKIE), _is_https(request))
    response = Response(status_code=status, headers={"Cache-Control": "no-store"})
    if set_cookie:
        response.headers.append("Set-Cookie", set_cookie)
    return response


def install() -> None:
    """Make Streamlit's server add the route when it builds its Starlette app (call before it starts).

    Streamlit 1.67's managed server builds the app with
    ``streamlit.web.server.starlette.starlette_server.create_starlette_app``; that name is wrapped
    here so the route is put first (before Streamlit's catch-all page route).
    """
    from starlette.routing import Route
    from streamlit import config
    from streamlit.url_util import make_url_path
    from streamlit.web.server.starlette import starlette_server

    build = starlette_server.create_starlette_app
    if getattr(build, "_cyc_session_route", False):
        return

    def create_with_session_route(runtime):
        app = build(runtime)
        path = make_url_path(config.get_option("server.baseUrlPath") or "", PATH)
        app.router.routes.insert(0, Route(path, _endpoint, methods=["POST"]))
        return app

    create_with_session_route._cyc_session_route = True  # type: ignore[attr-defined]
    starlette_server.create_starlette_app = create_with_session_route
    _INSTALLED["on"] = True
