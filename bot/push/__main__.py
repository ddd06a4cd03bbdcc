"""`python -m bot.push`: one push worker until SIGTERM or SIGINT (finishes what is in flight)."""
from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bot.push.config import PushConfigError, PushSettings, settings_from_env


async def serve(settings: PushSettings) -> None:
    from bot.push.app import open_worker

    async with open_worker(settings) as worker:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        channels = [name for name, on in (("telegram", settings.telegram), ("wechat", settings.wechat)) if on]
        logging.getLogger("bot.push").info(
            "push worker %s: channels %s; queue %s", worker.name, ", ".join(channels) or "none",
            "Redis streams" if settings.redis_url else "in-process")
        await worker.run()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    try:
        settings = settings_from_env()
    except PushConfigError as error:
        print(f"push worker not started: {error}", file=sys.stderr)
        return 2
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
