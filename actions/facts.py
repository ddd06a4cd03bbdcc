"""The asker's own facts (age, graduation year, an option number) read from entities and text."""
from __future__ import annotations

import re
from typing import Iterable, Optional

from policy_kb.text import normalize_chars

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = r"[零〇一二两三四五六七八九十]{1,3}"
_AGE = re.compile(rf"(\d{{1,2}}|{_CN_NUMBER})\s*(?:周岁|岁)(?!以下|以上|以内|之内|之下|及以下|及以上|左右|上下|的人|的青年|的失业)")
# “35岁以下失业的也算吗” names the rule's bound, not the asker's age
BOUND = re.compile(rf"(\d{{1,2}}|{_CN_NUMBER})\s*(?:周岁|岁)(?:以下|以上|以内|之内|之下|及以下|及以上|左右|上下|的人|的青年|的失业)")
_AGE_PLAIN = re.compile(rf"^(?:我|今年|我今年)?\s*(\d{{1,2}}|{_CN_NUMBER})\s*(?:了|啦)?$")
_AGE_SAID = re.compile(rf"(?:我|今年|已经|都)\s*(\d{{2}}|{_CN_NUMBER})\s*(?:了|啦)")  # “我今年32了，前年被裁员…”
_YEAR = re.compile(r"((?:19|20)?\d{2})\s*(?:届|年(?:\d{1,2}月份?)?(?:本科|专科|大专|硕士|研究生|博士|中专|技校)?毕业|年毕的|年毕|级毕业)")
# “毕业一年多”, “毕业两年了”: years since graduating, counted back from the campaign's year
_YEARS_SINCE = re.compile(r"毕业(?:都|已经|快|有)?([一二两三四五1-5])年")
_RELATIVE_YEAR = {"今年": 0, "去年": 1, "前年": 2, "大前年": 3}
_RELATIVE_GRADUATION = re.compile(r"(大前年|前年|去年|今年)[^，,。.？?！!；;]{0,6}毕业(?!生)|(大前年|前年|去年|今年)毕的")
_OPTION = re.compile(rf"^(?:选|选择|第|要|就|回复)?\s*(\d{{1,2}}|{_CN_NUMBER})\s*(?:个|项|条|号)?\s*(?:吧|的)?$")


def chinese_number(text: str) -> Optional[int]:
    """'22' → 22, '二十二' → 22, '十八' → 18, '两' → 2; None when it is not a number."""
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _DIGITS and ch != "十" for ch in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        high = _DIGITS.get(tens, 1) if tens else 1
        low = _DIGITS.get(ones, 0) if ones else 0
        return high * 10 + low
    value = 0
    for ch in text:
        value = value * 10 + _DIGITS[ch]
    return value


def parse_age(candidates: Iterable[str]) -> Optional[int]:
    for text in candidates:
        text = normalize_chars(text).strip()
        match = _AGE.search(text) or _AGE_PLAIN.match(text) or _AGE_SAID.search(text)
        if match:
            age = chinese_number(match.group(1))
            if age is not None and 10 <= age <= 80:
                return age
    return None


def parse_grad_year(candidates: Iterable[str], reference_year: int) -> Optional[int]:
    for text in candidates:
        text = normalize_chars(text).strip()
        match = _YEAR.search(text) or re.fullmatch(r"((?:19|20)\d{2})", text)
        if match:
            return _full_year(match.group(1))
        since = _YEARS_SINCE.search(text)
        if since:
            return reference_year - (chinese_number(since.group(1)) or 0)
        relative = _RELATIVE_GRADUATION.search(text)  # “去年毕业”, not “今年32了…针对毕业生”
        if relative:
            return reference_year - _RELATIVE_YEAR[relative.group(1) or relative.group(2)]
    return None


def _full_year(digits: str) -> int:
    year = int(digits)
    return year + 2000 if year < 100 else year


def parse_option(text: str) -> Optional[int]:
    match = _OPTION.match(normalize_chars(text).strip())
    return chinese_number(match.group(1)) if match else None
