"""An edited entry changes the next answer without retraining; a broken edit keeps the last good data;
the NLU export carries every name and refuses FAQ keys the two sides do not share."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge
from actions.faq import ActionAnswerFaq
from policy_kb import load_kb
from policy_kb.eligibility import Facts, decide
from policy_kb.nlu_export import ExportError, export
from policy_kb.store import KBStore
from tests.actions.conftest import make_tracker

ROOT = Path(__file__).resolve().parents[2]


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8").replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    stat = path.stat()  # make sure the change is visible even within one mtime tick
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def faq_answer(text: str = "行动到啥时候") -> str:
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerFaq().run(dispatcher, make_tracker(text, "faq", faq_key="period"), {}))
    return dispatcher.messages[0]["text"]


def test_edited_answer_is_served_without_retraining_or_restart(data_dir: Path) -> None:
    knowledge.open_store(data_dir)
    assert "2022年7月—12月" in faq_answer()
    rewrite(data_dir / "faq.yml", "行动时间是2022年7月—12月。", "行动时间是2022年7月至12月（已更新）。")
    assert "（已更新）" in faq_answer()


def test_broken_edit_keeps_the_last_good_knowledge_base(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = KBStore(data_dir)
    before = store.get()
    rewrite(data_dir / "faq.yml", "sources: [通知 二]", "sources: [通知 十一]")
    assert store.get() is before
    assert "the notice has no section '十一'" in caplog.text and "faq.yml" in caplog.text


def test_export_writes_lookups_synonyms_faq_labels_and_jieba_words(tmp_path: Path) -> None:
    kb = load_kb()
    export(kb, tmp_path, ROOT / "nlu" / "data")
    lookups = yaml.safe_load((tmp_path / "kb_lookups.yml").read_text(encoding="utf-8"))["nlu"]
    synonyms = {item["synonym"]: item["examples"] for item in lookups if "synonym" in item}
    assert "- 海淀\n" in synonyms["海淀区"] and "- 经开区\n" in synonyms["北京经济技术开发区"]
    assert "- 见习\n" in synonyms["就业见习"] and "- 扩岗补贴\n" in synonyms["一次性扩岗补助"]
    assert {item["lookup"] for item in lookups if "lookup" in item} == {"policy", "district", "institution_kind"}
    responses = yaml.safe_load((tmp_path / "kb_faq_responses.yml").read_text(encoding="utf-8"))["responses"]
    assert set(responses) == {f"utter_faq/{key}" for key in kb.faq}
    assert "一次性扩岗补助 1000 n" in (tmp_path / "jieba" / "userdict.txt").read_text(encoding="utf-8")


def test_export_refuses_faq_keys_without_training_examples(tmp_path: Path, data_dir: Path) -> None:
    with (data_dir / "faq.yml").open("a", encoding="utf-8") as faq:
        faq.write("  - key: brand_new\n    question: 新问题？\n    answer: 新答案。\n    sources: [通知 一]\n")
    with pytest.raises(ExportError, match="faq.yml entry 'brand_new' has no training examples"):
        export(load_kb(data_dir), tmp_path / "out", ROOT / "nlu" / "data")


@pytest.mark.parametrize(
    ("age", "grad_year", "outcome"),
    [(16, None, "eligible"), (24, None, "eligible"), (25, None, "need_facts"), (15, 2018, "not_eligible"),
     (None, 2022, "eligible"), (None, 2021, "eligible"), (None, 2020, "need_facts"), (30, 2020, "not_eligible")],
)
def test_traineeship_rule_boundaries(age, grad_year, outcome) -> None:
    kb = load_kb()
    decision = decide(kb.policies["traineeship"].eligibility, Facts(age, grad_year), kb.notice.reference_year)
    assert decision.outcome == outcome
