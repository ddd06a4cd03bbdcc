"""转人工 end to end on the real Rasa and action server (REST): the case opens with the conversation
so far, the assistant stays quiet while it is open whatever is said, and speaks again once the
graduate ends it or staff close it; asked in the middle of a registration, the draft is kept and
the registration resumes afterwards."""
from __future__ import annotations

from typing import Iterator

import pytest

from actions.storage import open_ledger
from devstack.stack import Stack
from handoff.store import HandoffStore
from tests.conftest import Conversation

pytestmark = pytest.mark.stack
NAME = "action_offer_human"


@pytest.fixture
def talk(stack: Stack, request: pytest.FixtureRequest) -> Iterator[Conversation]:
    conversation = Conversation(stack, f"tg:{abs(hash(request.node.name)) % 10**9}")
    yield conversation
    conversation.http.close()
    cases = HandoffStore(open_ledger().engine, open_ledger().cipher)
    case = cases.current(conversation.sender)
    if case is not None:
        cases.close(case.id, "test", notify=False)
    open_ledger().delete_draft(conversation.sender)


@pytest.fixture
def cases() -> HandoffStore:
    return HandoffStore(open_ledger().engine, open_ledger().cipher)


def visible(talk: Conversation, text: str) -> str:
    """What the graduate sees (messages without text are the quiet turn's marker)."""
    return "\n".join(m["text"] for m in talk.say(text) if m.get("text"))


def test_quiet_while_a_person_handles_it_then_the_assistant_again(talk: Conversation, cases: HandoffStore) -> None:
    assert "见习" in visible(talk, "见习补贴怎么申请")
    opening = visible(talk, "我想找个真人问问")
    assert "已为你转接人工服务" in opening and "结束人工" in opening
    assert talk.slot("active_task") == NAME
    for message in ("你好？", "社保补贴是什么", "海淀区的服务机构在哪", "我要登记"):  # nothing the assistant would answer
        assert visible(talk, message) == ""
    case = cases.current(talk.sender)
    assert case is not None
    said = [m.text for m in cases.messages(case.id)]
    assert said[0] == "见习补贴怎么申请" and "我想找个真人问问" in said and said[-1] == "我要登记"
    cases.close(case.id, "haidian", notify=True)
    answer = visible(talk, "社保补贴是什么")
    assert "【社保补贴】" in answer and talk.slot("active_task") is None


def test_the_graduate_ends_it(talk: Conversation, cases: HandoffStore) -> None:
    visible(talk, "转人工")
    assert "已结束人工服务" in visible(talk, "不用人工了")
    assert talk.slot("active_task") is None and cases.current(talk.sender) is None
    assert "【社保补贴】" in visible(talk, "社保补贴是什么")


def test_asked_during_a_registration_the_draft_waits(talk: Conversation, cases: HandoffStore) -> None:
    visible(talk, "我要登记")
    visible(talk, "同意")
    visible(talk, "王芳")
    opening = visible(talk, "转人工")
    assert "已为你转接人工服务" in opening and "继续登记" in opening
    assert talk.slot("active_task") == NAME
    assert visible(talk, "13912345678") == ""  # quiet; the number reaches the case masked
    case = cases.current(talk.sender)
    assert case is not None and cases.messages(case.id)[-1].text == "139****5678"
    visible(talk, "结束人工")
    resumed = visible(talk, "继续登记")
    assert "上次的登记还没完成（已填1项）" in resumed
