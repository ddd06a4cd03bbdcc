"""`make run`: the action server and the Rasa server on loopback, the gateway in front of them
(web chat at http://127.0.0.1:8080/chat; WeChat and Telegram when their settings are in the
environment, see bot/gateway/config.py; without Redis the push worker runs inside it), the staff
console (http://127.0.0.1:8090/console; accounts: python -m console add-user), and a terminal
chat.

Rasa's REST channel: http://127.0.0.1:5005/webhooks/rest/webhook (loopback only).
Ctrl-C (or Ctrl-D in the chat), SIGTERM (`kill`, a service manager) or SIGHUP (the terminal
closed) stops everything this started. Without a terminal (`nohup make run &`, a service manager)
there is no terminal chat: it serves until stopped.
"""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Optional, TextIO

from devstack.rasa_client import RasaRestClient
from bot.gateway.config import GatewayConfigError, settings_from_env
from devstack.console import running_console
from devstack.stack import ROOT, StackError, running_gateway, running_stack, stopped_by_signals
from devstack.terminal import chat

NO_TERMINAL = "没有终端（标准输入不是终端），所以不开终端对话：助手一直运行，直到收到 Ctrl-C、SIGTERM 或 SIGHUP；网页对话见上面的地址。"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.local", description=__doc__)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "current.tar.gz")
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    parser.add_argument("--logs", type=Path, default=ROOT / ".rasa" / "logs")
    parser.add_argument("--console-port", type=int, default=8090)
    args = parser.parse_args(argv)
    try:
        gateway = settings_from_env()
    except GatewayConfigError as error:
        print(f"could not start: gateway: {error}", file=sys.stderr)
        return 2
    print(f"Starting the assistant (logs in {args.logs}); the first start takes about a minute…", flush=True)
    try:
        with stopped_by_signals(), \
                running_stack(args.model, args.rasa_port, args.actions_port, args.logs) as stack, \
                running_gateway(stack.rasa_url, gateway.port, args.logs), \
                running_console(args.console_port, args.logs):
            print(f"Rasa REST channel: {stack.rasa_url}/webhooks/rest/webhook  ·  action server: {stack.actions_url}")
            print(f"Gateway: http://{gateway.host}:{gateway.port}  ·  channels on: {', '.join(gateway.channels_on())}"
                  f"  ·  web chat: http://{gateway.host}:{gateway.port}/chat")
            print(f"Staff console: http://127.0.0.1:{args.console_port}/console  "
                  "(create an account: .venv/bin/python -m console add-user NAME --role city)", flush=True)
            if has_terminal(sys.stdin):
                talk(stack.rasa_url)
            else:
                print(NO_TERMINAL, flush=True)
                serve_until_stopped()
    except StackError as error:
        print(f"could not start: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM / SIGHUP (devstack.stack.Stopped)
        pass
    print("\nStopped.", flush=True)
    return 0


def has_terminal(stdin: Optional[TextIO]) -> bool:
    """A person can type here: stdin is a terminal (not /dev/null, a pipe, or closed)."""
    try:
        return stdin is not None and stdin.isatty()
    except ValueError:  # closed
        return False


def talk(rasa_url: str) -> None:
    """The terminal chat until Ctrl-D or Ctrl-C."""
    client = RasaRestClient(rasa_url)
    try:
        chat(client)
    except KeyboardInterrupt:
        pass
    finally:
        client.close()


def serve_until_stopped() -> None:
    """Sleep until a signal stops us (Ctrl-C raises KeyboardInterrupt, SIGTERM and SIGHUP Stopped)."""
    while True:
        signal.pause()


if __name__ == "__main__":
    sys.exit(main())
