"""Text normalisation shared by the NLU tokenizer and the knowledge-base lookups.

Graduates type traditional characters, full-width digits and stray spaces; both the model and the
alias index see the same normalised text, character for character (offsets are kept).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import zhconv


@lru_cache(maxsize=8192)
def _simplified_char(ch: str) -> str:
    converted = zhconv.convert(ch, "zh-cn")
    return converted if len(converted) == 1 else ch


def normalize_chars(text: str) -> str:
    """Same length as `text`: full-width to half-width, traditional to simplified, lower case."""
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        ch = folded if len(folded) == 1 else ch
        out.append(_simplified_char(ch).lower())
    return "".join(out)


def normalize_key(text: str) -> str:
    """A lookup key: normalised characters with white space removed."""
    return "".join(normalize_chars(text).split())


_LATIN = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def is_english(text: str) -> bool:
    """A message written in English (a few Chinese names inside are allowed); not a button payload."""
    if text.startswith("/"):
        return False
    latin, chinese = len(_LATIN.findall(text)), len(_CJK.findall(text))
    # (one Latin word beside Chinese, “dangan放哪”, is pinyin or a name, not English)
    return latin >= 6 and latin >= 3 * chinese and (chinese == 0 or len(re.findall(r"[A-Za-z]+", text)) >= 2)
