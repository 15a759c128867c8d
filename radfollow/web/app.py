"""The review app's FastAPI application and the server that runs it.

``create_app(tracker)`` builds the app (tests use it with a pinned clock);
``serve`` runs it under uvicorn with radfollow's own access log (route, status,
time, user; never a query string or form value). No OpenAPI or docs pages:
every page needs a session.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from radfollow.tracker.accounts import IDLE_TIMEOUT
from radfollow.tracker.db import Tracker, require_tracker
from radfollow.web.pages import dashboard, detail, guidance, login, outreach, users, worklist
from radfollow.web.render import render
from radfollow.web.security import NotSignedIn, Refused, headers_and_log
from radfollow.web.state import STATIC, WebState, utc_now


def create_app(
    tracker: Tracker,
    *,
    secure: bool = False,
    idle: timedelta = IDLE_TIMEOUT,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The app over ``tracker``. ``secure``: served over TLS (Secure cookies).
    ``idle``: the idle session timeout. ``clock``: a callable giving the aware UTC
    time statuses are computed at (default: now)."""
    app = FastAPI(title="radfollow", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = WebState(
        tracker=tracker,
        secure=secure,
        idle=idle,
        clock=clock or utc_now,
    )
    app.middleware("http")(headers_and_log)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for page in (login, worklist, detail, dashboard, guidance, outreach, users):
        app.include_router(page.router)

    @app.api_route("/healthz", methods=["GET", "HEAD"], include_in_schema=False)
    def healthz() -> Response:
        """For load balancers: 200 "ok" when the tracker answers (no session, no data)."""
        require_tracker(tracker.engine)
        return PlainTextResponse("ok")

    @app.exception_handler(NotSignedIn)
    def _sign_in(request: Request, _: NotSignedIn) -> Response:
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return PlainTextResponse("sign in first", status_code=401)

    @app.exception_handler(Refused)
    def _refused(request: Request, error: Refused) -> Response:
        return render(request, "error.html", None, status_code=403, message=error.reason)

    @app.exception_handler(HTTPException)
    def _http(request: Request, error: HTTPException) -> Response:
        message = "No such page." if error.status_code == 404 else str(error.detail)
        return render(request, "error.html", None, status_code=error.status_code, message=message)

    return app


def serve(
    tracker: Tracker,
    *,
    host: str,
    port: int,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    idle: timedelta = IDLE_TIMEOUT,
    forwarded_allow_ips: str | None = None,
) -> None:
    """Run the app until interrupted (uvicorn; its own access log off).

    ``forwarded_allow_ips``: the TLS proxy's addresses (comma-separated; uvicorn's
    setting): their X-Forwarded-For/Proto are trusted (the client's address for
    sign-in throttling), and cookies are Secure since the proxy serves HTTPS.
    Without it no forwarded header is trusted."""
    import uvicorn

    logging.getLogger("radfollow.web").setLevel(logging.INFO)
    secure = tls_cert is not None or forwarded_allow_ips is not None
    app = create_app(tracker, secure=secure, idle=idle)
    # the first figures read every recommendation once: done before serving
    logging.getLogger("radfollow.web").info("preparing the figures (stored statuses, copy)")
    started = time.perf_counter()
    app.state.web.warm()
    logging.getLogger("radfollow.web").info("ready in %.1f s", time.perf_counter() - started)
    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        access_log=False,
        server_header=False,
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level="info",
    )
