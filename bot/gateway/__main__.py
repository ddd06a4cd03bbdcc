"""`python -m bot.gateway`: the gateway on GATEWAY_HOST:GATEWAY_PORT (default 127.0.0.1:8080)."""
from __future__ import annotations

import logging
import sys

from bot.gateway.config import GatewayConfigError, settings_from_env


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    try:
        settings = settings_from_env()
    except GatewayConfigError as error:
        print(f"gateway not started: {error}", file=sys.stderr)
        return 2
    import uvicorn

    from bot.gateway.app import create_app

    # access logs off: Telegram's token and WeChat's signatures travel in URLs
    # ws="none": Rasa pins an old websockets that uvicorn's WebSocket support cannot use (none is served)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info", access_log=False, ws="none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
