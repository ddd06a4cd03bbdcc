"""Unanswered questions on both databases: masked and encrypted, grouped by text however it was
typed, nothing kept for button payloads or bare numbers, marked handled once."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from db.tables import unanswered_questions
from ledger.store import Ledger
from unanswered.store import UnansweredStore


def test_questions_are_grouped_most_asked_first(questions: UnansweredStore) -> None:
    questions.record("tg", "落户咋办", "unclear", "ask_policy", 0.31)
    questions.record("wx", "北京落户怎么办？", "unclear", "ask_policy", 0.42)
    questions.record("wx", "北京落户怎么办", "gave_up", "nlu_fallback", 0.2)
    questions.record("web", "北京 落户 怎么办!", "out_of_scope", "out_of_scope", 0.8)
    listed = questions.open_questions()
    assert [(q.text, q.count) for q in listed] == [("北京 落户 怎么办!", 3), ("落户咋办", 1)]
    assert listed[0].channels == ["web", "wx"] and listed[0].reasons == ["gave_up", "out_of_scope", "unclear"]


def test_numbers_are_masked_and_the_text_encrypted(questions: UnansweredStore, ledger: Ledger) -> None:
    assert questions.record("tg", "我的手机13812345678为啥收不到短信", "unclear", None, None)
    assert [q.text for q in questions.open_questions()] == ["我的手机138****5678为啥收不到短信"]
    with ledger.engine.begin() as conn:
        stored = conn.execute(select(unanswered_questions.c.text_enc)).scalar()
    assert "短信" not in stored and "13812345678" not in stored


@pytest.mark.parametrize("text", ["", "   ", "3", '/ask_policy{"policy":"社保补贴"}', "？？"])
def test_nothing_is_kept_for_payloads_numbers_or_empty_text(questions: UnansweredStore, text: str) -> None:
    assert not questions.record("web", text, "unclear", None, None)
    assert questions.open_questions() == []


def test_marking_a_question_handled_takes_it_off_the_list(questions: UnansweredStore) -> None:
    questions.record("tg", "灵活就业怎么交社保", "unclear", "ask_policy", 0.5)
    questions.record("wx", "灵活就业怎么交社保？", "unclear", "ask_policy", 0.5)
    key = questions.open_questions()[0].key
    assert questions.resolve(key, "added", "city1") == 2
    assert questions.resolve(key, "added", "city1") == 0
    assert questions.open_questions() == []
    with pytest.raises(ValueError):
        questions.resolve(key, "deleted", "city1")
