"""The masker (db/pii.py) on generated variants: phone and ID-card numbers written every common
way (separators of any kind, mixed; full-width, Chinese and traditional numerals; +86) are masked
exactly, twice masked stay the same, and the registration reads them; ordinary numbers (years,
amounts, dates, reference numbers, landlines) are left alone. A seeded generator (no hypothesis in
the environment), so a failure names the variant and comes back on the next run."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterator, List

import pytest

from actions.registration import parse as P
from db.pii import has_personal_numbers, mask_id_number, mask_personal_numbers, mask_phone
from handoff.store import HandoffStore
from ledger.fields import id_check_digit
from ledger.store import Ledger, new_ref
from tests.ledger.conftest import database_url, ledger  # noqa: F401 - the ledger fixtures, re-used
from unanswered.store import UnansweredStore

SEED = 14
VARIANTS = 1500
TODAY = date(2026, 11, 26)
OPTS = P.Options(today=TODAY)

SEPARATORS = [" ", "  ", ".", "-", "–", "—", "‒", "―", "－", "‐", "‑", "−", "﹣", "﹘", "ー", "·", "・", "。", "．",
              "　", "\u00a0", "\u200b", "\t", " - ", " – ", "——", " —— ", ". ", "-.", "－ "]
PREFIXES = ["+86", "86", "0086", "＋８６", "+86 ", "+86-", "0086 ", "86-"]
PHONE_GROUPS = [[11], [3, 4, 4], [3, 8], [7, 4], [4, 3, 4], [3, 3, 5], [4, 4, 3]]
ID_GROUPS = [[18], [6, 8, 4], [6, 4, 4, 4], [6, 12], [3, 3, 4, 4, 4], [4, 4, 4, 4, 2], [6, 6, 6]]
BEFORE = ["", "我的手机是", "手机：", "电话 ", "联系方式:", "身份证号", "Tel: ", "我叫王芳，手机", "号码是（", "ID "]
AFTER = ["", "。", "，谢谢", " 谢谢", "！", "?", "）", " ok", "一直打不通", "，2022年毕业"]
FULL = {str(i): chr(0xFF10 + i) for i in range(10)} | {"X": "Ｘ"}
CHINESE = dict(zip("0123456789", "〇一二三四五六七八九"))
FINANCIAL = dict(zip("0123456789", "零壹贰叁肆伍陆柒捌玖"))
TRADITIONAL = dict(zip("0123456789", "零壹貳參肆伍陸柒捌玖"))


@dataclass(frozen=True)
class Variant:
    text: str
    masked: str  # what the masker must give
    kind: str
    value: str


def phone(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choices("0123456789", k=9))


def id_number(rng: random.Random) -> str:
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 45))
    first17 = rng.choice(["110105", "110108", "130102", "370203", "440305"]) + born.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
    return first17 + id_check_digit(first17)


def written(rng: random.Random, value: str, groups: List[int]) -> str:
    """`value` in one digit form, cut into `groups`, each gap a separator of its own."""
    form = rng.choice(["ascii", "ascii", "full", "mixed", "chinese", "financial", "traditional"])
    if form == "full":
        chars = [FULL.get(c, c) for c in value]
    elif form == "mixed":
        chars = [FULL.get(c, c) if rng.random() < 0.5 else c for c in value]
    elif form in ("chinese", "financial", "traditional") and value[-1] != "X":
        table = {"chinese": CHINESE, "financial": FINANCIAL, "traditional": TRADITIONAL}[form]
        chars = [table[c] for c in value]
    else:
        chars = list(value if rng.random() < 0.7 else value.lower())
    parts, at = [], 0
    for size in groups:
        parts.append("".join(chars[at:at + size]))
        at += size
    text = parts[0]
    for part in parts[1:]:
        text += rng.choice(SEPARATORS) + part
    return text


def variants(seed: int = SEED, count: int = VARIANTS) -> Iterator[Variant]:
    rng = random.Random(seed)
    for _ in range(count):
        before, after = rng.choice(BEFORE), rng.choice(AFTER)
        if rng.random() < 0.5:
            value = phone(rng)
            number = written(rng, value, rng.choice(PHONE_GROUPS))
            if rng.random() < 0.3:
                prefix = rng.choice(PREFIXES)
                numeral = number[0] not in "0123456789" and number[0] not in FULL.values()
                number = prefix + (" " if numeral and prefix[-1] not in " -" else "") + number  # 86一三九 is not written
            masked = mask_phone(value)
        else:
            value = id_number(rng)
            number = written(rng, value, rng.choice(ID_GROUPS))
            masked = mask_id_number(value)
        if not number[-1].isascii() and number[-1] not in FULL.values() and after.startswith("一"):
            after = "。"  # "…七八一直" is a twelfth Chinese digit, not a word
        kind = "phone" if len(value) == 11 else "id"
        yield Variant(f"{before}{number}{after}", f"{before}{masked}{after}", kind, value)


ALL = list(variants())


def test_the_generator_covers_every_separator_prefix_and_form() -> None:
    texts = "".join(v.text for v in ALL)
    assert all(sep.strip() in texts for sep in SEPARATORS)
    assert all(c in texts for c in "＋８６〇貳參壹Ｘx")
    assert {v.kind for v in ALL} == {"phone", "id"}


@pytest.mark.parametrize("chunk", range(5))
def test_every_variant_is_masked_exactly(chunk: int) -> None:
    wrong = [(v.text, mask_personal_numbers(v.text), v.masked) for v in ALL[chunk::5] if mask_personal_numbers(v.text) != v.masked]
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:5]}"


def test_masking_twice_changes_nothing_and_leaves_nothing_to_find() -> None:
    for variant in ALL:
        assert has_personal_numbers(variant.text), variant.text
        assert mask_personal_numbers(variant.masked) == variant.masked, variant.masked
        assert not has_personal_numbers(variant.masked), variant.masked


def test_the_registration_reads_every_variant_it_would_accept_typed_plainly() -> None:
    """What the masker hides from Rasa, the registration still reads from the sealed text."""
    wrong = []
    for variant in ALL:
        if variant.kind == "phone":
            got = P.parse_phone(variant.text, OPTS)
        else:
            got = P.parse_id_number(variant.text, OPTS)
        if got != variant.value:
            wrong.append((variant.text, got))
    assert not wrong, f"{len(wrong)} not read, e.g. {wrong[:5]}"


def ordinary(rng: random.Random) -> str:
    year, month, day = rng.randrange(1990, 2031), rng.randrange(1, 13), rng.randrange(1, 29)
    amount = rng.choice([rng.randrange(100, 100000), rng.randrange(1, 100) * 100, rng.randrange(1, 20) * 1000])
    pieces = [
        f"{year}年毕业", f"{year % 100}届", f"{year}", f"{amount}元", f"{amount:,}元", f"补贴{amount}元/月", f"¥{amount}",
        f"{rng.randrange(1, 50)}万元", f"{amount}.50元", f"{year}-{month:02d}-{day:02d}", f"{year}.{month}.{day}",
        f"{year}/{month}/{day}", f"{year}年{month}月{day}日", f"{month}月{day}日", f"{year}.{month:02d}.{day:02d}",
        f"{year}.{month}.{day}-{year + 1}.{month}.{day}", f"{year}-{month:02d}-{day:02d} 至 {year + 1}-{month:02d}-{day:02d}",
        f"{rng.randrange(8, 18)}:{rng.randrange(60):02d}", "9:00-12:00", new_ref(), f"编号{new_ref()}",
        f"010-{rng.randrange(10 ** 7, 10 ** 8)}", f"010 {rng.randrange(1000, 10000)} {rng.randrange(1000, 10000)}",
        f"(010){rng.randrange(1000, 10000)}-{rng.randrange(1000, 10000)}", "12333", "拨打12348", f"{rng.randrange(100)}%",
        f"{rng.randrange(1, 10)}个岗位", f"第{rng.randrange(1, 11)}条", f"我{rng.randrange(18, 35)}岁", f"{year}年{month}月",
        f"邮编{rng.randrange(100000, 102700)}", f"{rng.randrange(1, 13)}个月", f"{year}.{month}.{day} {rng.randrange(8, 18)}:30",
    ]
    return rng.choice(["，", " ", "；", "、"]).join(rng.sample(pieces, rng.randrange(1, 4)))


@pytest.mark.parametrize("text", ["2022", "2022年毕业", "1500元", "15,000元", "2022-10-13", "2022.10.13", "2022年10月13日",
                                  "2021.9.1-2022.6.30", "QZ-7K3M-9PXA", "电话010-12345678", "010 6666 8888", "12333",
                                  "12345678901234567890", "139****5678", "1101**********4215"])
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert mask_personal_numbers(text) == text
    assert not has_personal_numbers(text)


def test_generated_ordinary_numbers_are_left_alone() -> None:
    rng = random.Random(SEED)
    wrong = [(text, mask_personal_numbers(text)) for text in (ordinary(rng) for _ in range(VARIANTS))
             if mask_personal_numbers(text) != text]
    assert not wrong, f"{len(wrong)} masked, e.g. {wrong[:5]}"


def test_the_rest_of_the_text_is_kept_as_it_was() -> None:
    """Only the number changes: full-width letters, punctuation and other numbers stay."""
    text = "ＡＢＣ，２０２２年毕业，手机１３９－１２３４－５６７８，补贴１５００元。"
    assert mask_personal_numbers(text) == "ＡＢＣ，２０２２年毕业，手机139****5678，补贴１５００元。"


def test_handoff_transcripts_and_unanswered_questions_keep_them_masked(ledger: Ledger) -> None:  # noqa: F811
    said = [variant for variant in ALL[:40]]
    cases = HandoffStore(ledger.engine, ledger.cipher)
    case, _ = cases.open("web:masking", None, [("graduate", v.text) for v in said[:20]])
    for variant in said[20:30]:
        cases.inbound(case.id, variant.text)
    assert [m.text for m in cases.messages(case.id)] == [v.masked for v in said[:30]]
    questions = UnansweredStore(ledger.engine, ledger.cipher)
    for variant in said[30:]:
        assert questions.record("web", variant.text, "unclear", None, None)
    assert sorted(q.text for q in questions.open_questions()) == sorted(v.masked for v in said[30:])
