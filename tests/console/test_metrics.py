"""The console's /metrics is served only on its internal metrics port (CONSOLE_METRICS_PORT), never
on the port of the login page, where anyone who reaches the console could read it without a login."""
from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from starlette.testclient import TestClient

from console.app import create_app
from console.config import ConsoleConfigError, settings_from_env
from runtime.health import Listener
from tests.conftest import free_port
from tests.console.conftest import PASSWORD, Console
from tests.observability.prometheus import parse, value


def test_the_console_port_has_no_metrics(console: Console) -> None:
    client = console.client()
    for path in ("/metrics", "/console/metrics", "/console/api/metrics"):
        answer = client.get(path)
        assert answer.status_code == 404 and "console_logins_total" not in answer.text
        assert answer.headers["x-content-type-options"] == "nosniff"
    assert client.get("/health").status_code == 200  # load balancers still need this one


def test_the_metrics_port_serves_them_and_counts_logins(console: Console) -> None:
    port = free_port()
    app = create_app(replace(console.settings, metrics=Listener("127.0.0.1", port)), console.ledger)
    with TestClient(app) as client:  # the listener runs with the application (its lifespan)
        url = f"http://127.0.0.1:{port}"
        before = parse(httpx.get(f"{url}/metrics", timeout=10.0).text)
        assert client.post("/console/api/login", json={"username": "city1", "password": PASSWORD}).status_code == 200
        after = parse(httpx.get(f"{url}/metrics", timeout=10.0).text)
        assert value(after, "console_logins_total", result="ok") - value(before, "console_logins_total", result="ok") == 1
        health = httpx.get(f"{url}/health", timeout=10.0)
        assert health.status_code == 200 and health.json() == {"status": "ok", "database": "up"}
        assert httpx.get(f"{url}/console", timeout=10.0).status_code == 404  # and nothing else there
    with pytest.raises(httpx.ConnectError):  # stopped with the application
        httpx.get(f"{url}/metrics", timeout=2.0)


def test_the_metrics_port_is_a_setting_that_fails_by_name() -> None:
    assert settings_from_env({}).metrics is None
    assert settings_from_env({"CONSOLE_METRICS_PORT": "9103", "CONSOLE_METRICS_HOST": "0.0.0.0"}).metrics == Listener("0.0.0.0", 9103)
    for raw in ("metrics", "0", "70000"):
        with pytest.raises(ConsoleConfigError, match="CONSOLE_METRICS_PORT"):
            settings_from_env({"CONSOLE_METRICS_PORT": raw})
