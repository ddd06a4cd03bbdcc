"""The console application: the page, its script and style, the JSON API under /console/api and
health endpoints; /metrics (logins; docs/observability.md) only on the internal metrics port
(CONSOLE_METRICS_PORT), never beside the login page. `python -m console` serves it (uvicorn)."""
from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path
from typing import AsyncIterator, Dict, List, Tuple

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from console.accounts import StaffStore
from console.auth_api import AuthApi
from console.config import ConsoleSettings
from console.contacts_api import ContactsApi
from console.handoff_api import HandoffApi
from console.import_api import ImportApi
from console.ledger_api import LedgerApi
from console.notices_api import NoticesApi
from console.passwords import dummy_hash
from console.proxies import TrustedProxies
from console.report_api import ReportApi
from console.throttle import LoginThrottle
from console.web import SECURITY_HEADERS, InternalErrors
from bot.gateway.http import SecurityHeaders
from runtime.health import MetricsListener, check, database_probe
from runtime.metrics import CONSOLE, CONSOLE_LOGINS, render
from ledger.store import Ledger

STATIC = Path(__file__).with_name("static")
_JS = "text/javascript; charset=utf-8"
# the page's scripts: one per feature of the real-name work, then app.js (its routes name theirs)
ASSETS = {"import.js": _JS, "contacts.js": _JS, "report.js": _JS, "app.js": _JS,
          "console.css": "text/css; charset=utf-8"}


def staff_store(settings: ConsoleSettings, ledger: Ledger) -> StaffStore:
    return StaffStore(ledger.engine, timedelta(hours=settings.session_hours))


def login_throttle(settings: ConsoleSettings) -> LoginThrottle:
    return LoginThrottle(free=settings.free_failures, step=settings.wait_step, most=settings.wait_max,
                         window=settings.failure_minutes * 60.0, address_step=settings.ip_delay_step,
                         address_most=settings.ip_delay_max)


LOGIN_RESULTS = {200: "ok", 401: "failed", 429: "throttled"}


def counted_logins(route: BaseRoute) -> BaseRoute:
    """The login route with each attempt counted in console_logins_total; other routes as they are."""
    if not isinstance(route, Route) or route.path != "/console/api/login":
        return route
    login = route.endpoint

    async def counted(request: Request) -> Response:
        response: Response = await login(request)
        CONSOLE_LOGINS.inc(1.0, (LOGIN_RESULTS.get(response.status_code, "refused"),))
        return response

    return Route(route.path, counted, methods=list(route.methods or ()), name=route.name)


def create_app(settings: ConsoleSettings, ledger: Ledger) -> Starlette:
    districts = list(settings.districts)
    accounts = staff_store(settings, ledger)
    throttle = login_throttle(settings)
    dummy_hash()  # made now, so that the first unknown name is not answered more slowly than a known one
    page = (STATIC / "page.html").read_text(encoding="utf-8")
    assets = {name: (STATIC / name).read_text(encoding="utf-8") for name in ASSETS}

    async def show(request: Request) -> Response:
        return HTMLResponse(page)

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in assets:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(assets[name], media_type=ASSETS[name])

    async def healthy() -> Tuple[int, Dict[str, str]]:
        return await check({"database": database_probe(ledger.engine, run_in_threadpool)})

    async def health(request: Request) -> Response:
        status, body = await healthy()
        return JSONResponse(body, status_code=status)

    async def live(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def metrics() -> str:
        return render(CONSOLE)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as running:
            if settings.metrics is not None:
                await running.enter_async_context(MetricsListener(settings.metrics, metrics, healthy).running())
            yield

    async def to_console(request: Request) -> Response:
        return RedirectResponse("/console", status_code=302)

    routes: List[BaseRoute] = [
        Route("/health", health), Route("/health/live", live),
        Route("/", to_console), Route("/console/", to_console),
        Route("/console", show), Route("/console/static/{name}", asset),
    ]
    routes += [counted_logins(route) for route in AuthApi(accounts, ledger, throttle, districts).routes()]
    routes += NoticesApi(accounts, ledger, districts).routes()
    routes += LedgerApi(accounts, ledger).routes()
    routes += HandoffApi(accounts, ledger).routes()
    routes += ImportApi(accounts, ledger).routes()
    routes += ContactsApi(accounts, ledger, districts).routes()
    routes += ReportApi(accounts, ledger).routes()
    middleware = [Middleware(TrustedProxies, proxies=settings.forwarded_allow_ips),
                  Middleware(SecurityHeaders, headers=SECURITY_HEADERS), Middleware(InternalErrors)]  # outermost first
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.accounts = accounts
    app.state.throttle = throttle
    return app
