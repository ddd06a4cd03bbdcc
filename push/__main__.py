"""`python -m push`: one push worker until SIGTERM or SIGINT (finishes what is in flight).

PUSH_METRICS_PORT (unset = off) serves GET /metrics, /health and /health/live on
PUSH_METRICS_HOST (127.0.0.1); docs/observability.md."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import Optional

from runtime.health import Listener, ListenerConfigError, listener_from_env
from runtime.logs import configure_or_exit
from push.config import PushConfigError, PushSettings, settings_from_env


async def serve(settings: PushSettings, listener: Optional[Listener] = None) -> None:
    from push.app import metrics_listener, open_worker

    async with open_worker(settings) as worker, contextlib.AsyncExitStack() as running:
        if listener is not None:
            await running.enter_async_context(metrics_listener(listener, worker, settings.redis_url).running())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        channels = [name for name, on in (("telegram", settings.telegram), ("wechat", settings.wechat)) if on]
        logging.getLogger("push").info(
            "push worker %s: channels %s; queue %s", worker.name, ", ".join(channels) or "none",
            "Redis streams" if settings.redis_url else "in-process")
        await worker.run()


def main() -> int:
    configure_or_exit("push worker")  # LOG_FORMAT, LOG_LEVEL; personal numbers masked (runtime/logs.py)
    try:
        settings = settings_from_env()
        listener = listener_from_env("PUSH_METRICS")
    except (PushConfigError, ListenerConfigError) as error:
        print(f"push worker not started: {error}", file=sys.stderr)
        return 2
    asyncio.run(serve(settings, listener))
    return 0


if __name__ == "__main__":
    sys.exit(main())
