"""`python -m bot.gateway`: the gateway on GATEWAY_HOST:GATEWAY_PORT (default 127.0.0.1:8080).

Without REDIS_URL (the embedded default) one push worker runs inside the gateway, sharing its
in-process state (PUSH_IN_GATEWAY=off to run none); with Redis, run `python -m push` workers.
GATEWAY_METRICS_PORT (unset = off) serves /metrics on GATEWAY_METRICS_HOST (127.0.0.1), apart from
the public port (docs/observability.md).

FORWARDED_ALLOW_IPS (127.0.0.1): the proxies whose X-Forwarded-For names the client (addresses or
networks, comma-separated); the web chat's per-address limit counts that client. A request from
anywhere else is counted under its own address, whatever it claims (docs/gateway.md)."""
from __future__ import annotations

import os
import sys

from bot.gateway.config import GatewayConfigError, settings_from_env
from runtime.health import ListenerConfigError, listener_from_env
from runtime.logs import configure_or_exit


def main() -> int:
    configure_or_exit("gateway")  # LOG_FORMAT, LOG_LEVEL; personal numbers masked (runtime/logs.py)
    try:
        settings = settings_from_env()
        metrics = listener_from_env("GATEWAY_METRICS")
    except (GatewayConfigError, ListenerConfigError) as error:
        print(f"gateway not started: {error}", file=sys.stderr)
        return 2
    companion = None
    if settings.redis_url is None and (os.environ.get("PUSH_IN_GATEWAY") or "on").lower() not in ("off", "0", "false", "no"):
        # the embedded default: no Redis, so the push worker runs here, sharing this process's state
        from push.config import PushConfigError, settings_from_env as push_settings
        from push.embedded import EmbeddedWorker

        try:
            companion = EmbeddedWorker(push_settings())
        except PushConfigError as error:
            print(f"gateway not started: push worker: {error}", file=sys.stderr)
            return 2
    import uvicorn

    from bot.app import create_app

    # access logs off: Telegram's token and WeChat's signatures travel in URLs
    # ws="none": Rasa pins an old websockets that uvicorn's WebSocket support cannot use (none is served)
    uvicorn.run(create_app(settings, companion=companion, metrics=metrics), host=settings.host, port=settings.port, log_level="info", access_log=False, ws="none",
                proxy_headers=True, forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
