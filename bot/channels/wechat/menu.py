"""The custom menu: menu.yml, validated against WeChat's limits, and the command that publishes it.

    python -m bot.channels.wechat.menu check     # validate menu.yml only
    python -m bot.channels.wechat.menu publish   # validate, then POST /cgi-bin/menu/create

`publish` reads the gateway's settings (WECHAT_*, REDIS_URL so it shares the gateway's access
token) and exits 2 when WeChat is off or a setting is wrong, 1 when the menu is invalid or
WeChat refuses it."""
from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

import yaml

MENU_FILE = Path(__file__).with_name("menu.yml")
MAX_TOP = 3
MAX_ITEMS = 5
MAX_KEY_BYTES = 128
MAX_TOP_NAME_BYTES = 16
MAX_ITEM_NAME_BYTES = 60


class MenuError(Exception):
    """menu.yml breaks a rule; the message names the file, the entry and the rule."""


@dataclass(frozen=True)
class Menu:
    wechat: Dict[str, Any]        # the body of /cgi-bin/menu/create
    payloads: Dict[str, str]      # click key -> what the gateway asks the assistant


def load_menu(path: Path = MENU_FILE) -> Menu:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise MenuError(f"{path}: cannot read the menu: {error}") from error
    entries = data.get("menu") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_TOP:
        raise MenuError(f"{path}: 'menu' must list 1–{MAX_TOP} top-level entries (WeChat shows at most {MAX_TOP})")
    payloads: Dict[str, str] = {}
    buttons = [_top(path, i, entry, payloads) for i, entry in enumerate(entries, 1)]
    return Menu({"button": buttons}, payloads)


def _top(path: Path, number: int, entry: Any, payloads: Dict[str, str]) -> Dict[str, Any]:
    where = f"{path}: menu entry #{number}"
    name = _name(where, entry, MAX_TOP_NAME_BYTES)
    where = f"{where} '{name}'"
    if "items" not in entry:
        return _click(where, entry, name, payloads)
    items = entry["items"]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise MenuError(f"{where}: 'items' must list 1–{MAX_ITEMS} entries (WeChat allows at most {MAX_ITEMS})")
    subs = []
    for i, item in enumerate(items, 1):
        item_where = f"{where}, item #{i}"
        item_name = _name(item_where, item, MAX_ITEM_NAME_BYTES)
        subs.append(_click(f"{item_where} '{item_name}'", item, item_name, payloads))
    return {"name": name, "sub_button": subs}


def _name(where: str, entry: Any, max_bytes: int) -> str:
    if not isinstance(entry, dict):
        raise MenuError(f"{where}: expected a mapping with 'name'")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise MenuError(f"{where}: 'name' is missing or empty")
    if len(name.encode("utf-8")) > max_bytes:
        raise MenuError(f"{where}: name '{name}' is {len(name.encode('utf-8'))} bytes; WeChat allows {max_bytes}")
    return name


def _click(where: str, entry: Dict[str, Any], name: str, payloads: Dict[str, str]) -> Dict[str, Any]:
    key, payload = entry.get("key"), entry.get("payload")
    if not isinstance(key, str) or not key:
        raise MenuError(f"{where}: 'key' is missing (a click item needs a key, or 'items' for a group)")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise MenuError(f"{where}: key is {len(key.encode('utf-8'))} bytes; WeChat allows {MAX_KEY_BYTES}")
    if key in payloads:
        raise MenuError(f"{where}: key '{key}' is used twice")
    if not isinstance(payload, str) or not payload.strip():
        raise MenuError(f"{where}: 'payload' (what to ask the assistant) is missing")
    payloads[key] = payload
    return {"type": "click", "name": name, "key": key}


async def publish(menu: Menu) -> int:
    from bot.channels.wechat.client import WeChatAPIError, WeChatClient
    from bot.gateway.config import GatewayConfigError, settings_from_env
    from bot.gateway.stores import make_store

    try:
        settings = settings_from_env()
    except GatewayConfigError as error:
        print(f"menu not published: {error}", file=sys.stderr)
        return 2
    if settings.wechat is None:
        print("menu not published: WeChat is off (set WECHAT_TOKEN, WECHAT_APP_ID, WECHAT_APP_SECRET)", file=sys.stderr)
        return 2
    store = make_store(settings.redis_url)
    client = WeChatClient(settings.wechat, store)
    try:
        await client.create_menu(menu.wechat)
    except WeChatAPIError as error:
        print(f"menu not published: {error}", file=sys.stderr)
        return 1
    finally:
        await client.close()
        await store.close()
    print(f"menu published: {len(menu.payloads)} click items")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.channels.wechat.menu", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "publish"])
    parser.add_argument("--file", type=Path, default=MENU_FILE, help="the menu file (default: menu.yml next to this module)")
    args = parser.parse_args(argv)
    try:
        menu = load_menu(args.file)
    except MenuError as error:
        print(f"menu invalid: {error}", file=sys.stderr)
        return 1
    if args.command == "check":
        print(f"menu valid: {len(menu.wechat['button'])} top-level entries, {len(menu.payloads)} click items")
        return 0
    return asyncio.run(publish(menu))


if __name__ == "__main__":
    sys.exit(main())
