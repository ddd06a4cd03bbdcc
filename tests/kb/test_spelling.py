"""Homophone and look-alike typos of the knowledge base's terms are read as the terms
(policy_kb/spelling.py): in the lookups of entries, in retrieval, and (tests/nlu) in the NLU's tokens."""
from __future__ import annotations

import pytest

from policy_kb import DEFAULT_DATA_DIR
from policy_kb.loader import load_kb
from policy_kb.spelling import CORE_TERMS, Speller, looks_alike


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(["见习补贴", "一次性扩岗补助", "扩岗补助", "社保补贴", "失业", "户口歧视", *CORE_TERMS])


@pytest.mark.parametrize("typed, meant", [
    ("间习不贴咋领", "见习补贴咋领"),           # two characters, each sounding like the right one
    ("扩刚补住多少钱", "扩岗补助多少钱"),
    ("设保补贴怎么领", "社保补贴怎么领"),
    ("一次性扩岗不住", "一次性扩岗补助"),
    ("企业需要自己去申情吗", "企业需要自己去申请吗"),  # the asking word too: 申请 cues how to apply
])
def test_a_homophone_typo_is_read_as_the_term(speller: Speller, typed: str, meant: str) -> None:
    corrected = speller.correct(typed)
    assert corrected == meant
    assert len(corrected) == len(typed)  # offsets into the original stay valid


@pytest.mark.parametrize("text", [
    "事业单位招聘",       # 事业 sounds like 失业 but is a word of its own
    "我叫王建喜",         # a name that shares no character with a term
    "见习补贴怎么领",     # already right
    "招聘会在哪",         # already right
    "神情很紧张",         # 神情 sounds like 申请 but is a word of its own
    "我户口其实在通州",   # 其实 sounds like 歧视 (户口歧视) but is a word of its own
    "",
])
def test_words_and_right_text_are_left_alone(speller: Speller, text: str) -> None:
    assert speller.correct(text) == text


def test_of_several_terms_the_one_sharing_most_characters_wins() -> None:
    speller = Speller(["见习补帖", "见习补贴"])  # an alias that is itself a typo
    assert speller.correct("间习不贴") == "见习补贴"


def test_the_knowledge_base_finds_entries_and_units_through_typos() -> None:
    kb = load_kb(DEFAULT_DATA_DIR)
    assert [t.id for t in kb.topics_in("间习不贴咋领")] == ["traineeship_subsidy"]
    assert kb.topic("扩刚补住").id == "expansion_subsidy"
    assert kb.units.search("间习不贴咋领", limit=1)[0].unit.topic == "policy:traineeship_subsidy"


@pytest.mark.parametrize("typed, meant", [
    ("见刁补贴怎么领", "见习补贴怎么领"),     # 刁 and 习: the same four corners
    ("最近有招骋会吗", "最近有招聘会吗"),     # 骋 and 聘: a shared 甹
    ("残疫人有啥帮扶", "残疾人有啥帮扶"),     # 疫 and 疾: a shared 疒
    ("杜保补贴给谁", "社保补贴给谁"),         # 杜 and 社: a shared 土 (the homophone pass finds nothing)
])
def test_a_look_alike_typo_is_read_as_the_term(speller: Speller, typed: str, meant: str) -> None:
    corrected = speller.correct(typed)
    assert corrected == meant
    assert len(corrected) == len(typed)


@pytest.mark.parametrize("text", [
    "公司招了我两个月",   # 招 and 拖 share only 扌, a radical thousands of characters have
    "仲夏之约是啥活动",   # 之约 is no 违约
    "经开区找谁办就业的事",  # 办 and 想: four corners alike, nothing shared
    "货款什么时候到",     # a word of its own, though it looks like 贷款
])
def test_look_alike_false_friends_are_left_alone(text: str) -> None:
    speller = Speller(["公司拖了", "违约", "想就业", "贷款", *CORE_TERMS])
    assert speller.correct(text) == text


def test_look_alike_characters() -> None:
    assert looks_alike("刁", "习") and looks_alike("活", "话") and looks_alike("办", "力")
    assert not looks_alike("招", "拖") and not looks_alike("让", "说") and not looks_alike("见", "见")
