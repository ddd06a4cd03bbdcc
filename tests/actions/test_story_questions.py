"""The question a message asks after telling a story (actions/answer.py asked_part): what retrieval
reads when the story's own words would pull other entries."""
from __future__ import annotations

import pytest

from actions.answer import asked_part


@pytest.mark.parametrize("text, question", [
    # a question mark or “我想知道” marks the question; “有几个孩子电话打不通” before it tells
    ("我是社区的就业专干，手上有一份名单，有几个孩子电话一直打不通。我想知道区人社局是怎么要求联系的？",
     "我想知道区人社局是怎么要求联系的？"),
    # within the question's sentence, what was heard comes first, then what is asked of it
    ("我是家长，孩子还没找到工作。网上说北京有个攻坚行动，这是哪个部门发的通知？", "这是哪个部门发的通知？"),
    ("我是一名家长。我女儿还没找到工作。想问问你们能为她做些什么？", "想问问你们能为她做些什么？"),
])
def test_the_question_after_a_story(text: str, question: str) -> None:
    assert asked_part(text) == question


@pytest.mark.parametrize("text", [
    "见习补贴多少钱？",  # asks from its start
    "再说回档案，经开区的呢",  # “再说” reports nothing: the whole message is the question
    "我22届的，有什么政策",
])
def test_a_message_that_asks_from_its_start_has_no_story(text: str) -> None:
    assert asked_part(text) is None


def test_a_heard_clause_naming_an_entry_stays_with_the_question() -> None:
    from actions.knowledge import kb

    knowledge = kb()
    text = "听说北京有个求职创业补贴，一次给多少"
    assert asked_part(text, lambda clause: bool(knowledge.topics_in(clause))) is None
    assert asked_part(text) == "一次给多少"  # without knowing the entry, the heard clause is cut


def test_how_often_is_said_unknown_when_the_answer_states_no_rhythm() -> None:
    from actions.answer import unknown_asked

    assert unknown_asked("人社局会给我打电话吗 多久打一次", "区人社局通过电话、走访入户等了解情况") == ["频率"]
    assert unknown_asked("岗位多久更新一次", "常态化发布岗位信息") == []  # “常态化” is the rhythm the notice gives
