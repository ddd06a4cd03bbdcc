"""Web-chat session ids are bearer secrets (the `chat_session` cookie): beyond the gateway only
their hash is known. Through the real gateway and Rasa, nothing in the ledger's database, Rasa's
tracker or the logs holds the cookie; ledgers made before keep working once migrated."""
from __future__ import annotations

import time
from pathlib import Path
from typing import List

import httpx
import pytest
from sqlalchemy import delete, select

from actions.storage import open_ledger
from db.migrations import migrate
from db.sessions import hashed_session, web_identity
from db.tables import metadata, schema_migrations
from devstack.stack import Stack, running_gateway
from handoff.store import HandoffStore
from ledger.model import Registration
from ledger.store import Ledger
from notices.model import Subscription
from notices.store import NoticeStore
from tests.conftest import free_port
from tests.ledger.conftest import database_url, ledger  # noqa: F401 - the ledger fixtures, re-used

SESSION = "Xq3vLr8TzK0pWm2NbY7cFh5dJs9aGe1u"
HASHED_SESSIONS_STEP = 6


def test_the_hash_is_stable_and_not_the_session() -> None:
    assert web_identity(SESSION) == f"web:{hashed_session(SESSION)}" == web_identity(SESSION)
    assert SESSION not in web_identity(SESSION) and hashed_session(SESSION) != hashed_session(SESSION + "x")
    assert len(hashed_session(SESSION)) == 43 and hashed_session(SESSION).replace("-", "").replace("_", "").isalnum()


def test_a_ledger_made_before_has_its_web_sessions_hashed_once(ledger: Ledger) -> None:  # noqa: F811
    """Migration 6 on rows written with the cookie itself, as the gateway did before."""
    plain = f"web:{SESSION}"
    ledger.save(plain, Registration(name="王芳", phone="13912345678", district="海淀区"))
    ledger.put_draft("web:other-session-1234567890", {"values": {"school": "北京工业大学"}})
    ledger.save("tg:42", Registration(name="李明", phone="13812345678"))
    HandoffStore(ledger.engine, ledger.cipher).open(plain, "海淀区", [("graduate", "转人工")])
    NoticeStore(ledger.engine).subscribe(Subscription(plain, "fair", []))
    version = HASHED_SESSIONS_STEP
    with ledger.engine.begin() as conn:
        conn.execute(delete(schema_migrations).where(schema_migrations.c.version == version))
    assert migrate(ledger.engine) == [version]
    assert ledger.find(web_identity(SESSION)) is not None and ledger.find(plain) is None
    assert ledger.get_draft(web_identity("other-session-1234567890")) == {"values": {"school": "北京工业大学"}}
    assert ledger.find("tg:42") is not None  # other channels' identities are addresses, kept
    assert HandoffStore(ledger.engine, ledger.cipher).current(web_identity(SESSION)) is not None
    assert "other-session" not in dump(ledger) and SESSION not in dump(ledger)
    assert migrate(ledger.engine) == []


def dump(ledger: Ledger) -> str:
    """Every row of every table, as text."""
    with ledger.engine.begin() as conn:
        return "\n".join(str(row) for table in metadata.sorted_tables for row in conn.execute(select(table)))


@pytest.mark.stack
def test_the_cookie_never_leaves_the_gateway(stack: Stack, tmp_path: Path) -> None:
    env = {"WEB_CHAT": "on", "WECHAT_TOKEN": "", "TELEGRAM_BOT_TOKEN": "", "REDIS_URL": "", "PUSH_IN_GATEWAY": "on",
           "PUSH_SCHEDULER_INTERVAL": "0.5"}
    ledger = open_ledger()
    cases = HandoffStore(ledger.engine, ledger.cipher)
    port = free_port()
    with running_gateway(stack.rasa_url, port, tmp_path, env) as gateway, \
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as page:
        page.get("/chat")
        cookie = page.cookies["chat_session"]
        session = cookie.split(".")[0]  # the cookie is the session id and its signature
        assert any("已为你转接人工服务" in r["text"] for r in page.post("/chat/message", json={"message": "我要找人工客服"}).json()["replies"])
        case = cases.current(web_identity(session))
        assert case is not None and cases.current(f"web:{session}") is None
        cases.reply(case.id, "city1", "你好，我是工作人员。")
        assert eventually_inbox(page) == ["你好，我是工作人员。"]  # the page still gets the staff reply
        assert gateway.poll() is None
    assert session not in dump(ledger)  # nor the cookie, which holds it
    for sender, expected in ((f"web:{cookie}", False), (f"web:{session}", False), (web_identity(session), True)):
        tracker = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker").json()
        assert any(e.get("event") == "user" for e in tracker["events"]) is expected, sender
    for log in [*tmp_path.glob("*.log"), stack.log_dir / "rasa.log", stack.log_dir / "actions.log"]:
        assert session not in log.read_text(encoding="utf-8", errors="replace"), log


def eventually_inbox(page: httpx.Client, timeout: float = 20.0) -> List[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = [m["text"] for m in page.get("/chat/inbox").json()["messages"]]
        if messages:
            return messages
        time.sleep(0.2)
    raise AssertionError("no staff reply in the page's inbox")
