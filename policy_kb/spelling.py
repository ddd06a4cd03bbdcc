"""Homophone typos of the knowledge base's terms: 间习不贴 → 见习补贴, 扩刚补住 → 扩岗补助, 档按 → 档案.

Graduates type with pinyin input methods, so a wrong character is most often another one with the
same sound. A stretch of the message that reads like a known term (toneless pinyin: the term read
as a phrase, each typed character by its common reading), shares at least one character with it,
is not itself a word and does not cut a word of the message in two (服务机构 is not 服务季 mistyped)
is taken as that term. A correction keeps the text's length, so offsets into the original stay valid (the
NLU's tokenizer corrects before it tokenizes; entities keep what the graduate typed).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Set, Tuple

from pypinyin import lazy_pinyin

# everyday words of the domain that are not names of an entry but are mistyped as often
CORE_TERMS: Tuple[str, ...] = (
    "见习", "补贴", "补助", "社保", "档案", "招聘", "失业", "就业", "创业", "扩岗", "登记", "报到证",
    "岗位", "培训", "毕业生", "最低工资", "人社局", "户口", "户籍", "应届生", "求职", "见习补贴",
    "社保补贴", "失业登记", "求职登记", "招聘会", "公益性岗位", "困难家庭", "直补快办", "就业见习",
)
MIN_LENGTH, MAX_LENGTH = 2, 12
CJK = re.compile(r"^[\u4e00-\u9fff]+$")
# function words: a term with one of these in place of its own character is another phrase
NOT_A_TYPO = frozenset("的了吗呢吧啊是有在和与或也都就还要会能我你他她它这那个么")


@lru_cache(maxsize=8192)
def sound(char: str) -> str:
    """A typed character's common toneless reading (假: jia); a non-Chinese one is itself."""
    return lazy_pinyin(char)[0] if CJK.match(char) else char


def term_sounds(term: str) -> Tuple[str, ...]:
    """A term read as a phrase, so a character with several readings gets the term's (银行: hang)."""
    sounds = lazy_pinyin(term)
    return tuple(sounds) if len(sounds) == len(term) else tuple(sound(ch) for ch in term)


def _is_word(text: str) -> bool:
    import jieba

    jieba.initialize()
    return jieba.dt.FREQ.get(text, 0) > 0


def _word_bounds(text: str) -> Set[int]:
    """Offsets where a word of `text` starts or ends (jieba's segmentation)."""
    import jieba

    bounds = {0, len(text)}
    for _, start, end in jieba.tokenize(text):
        bounds.update((start, end))
    return bounds


class Speller:
    """Corrects homophone typos of a fixed set of terms."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms = frozenset(t for t in terms if MIN_LENGTH <= len(t) <= MAX_LENGTH and CJK.match(t))
        # the sounds of a term → the terms that read so: a window's sounds find them at once
        self._by_sounds: Dict[Tuple[str, ...], List[str]] = {}
        for term in sorted(self.terms):
            self._by_sounds.setdefault(term_sounds(term), []).append(term)
        self.lengths = sorted({len(t) for t in self.terms}, reverse=True)

    def correct(self, text: str) -> str:
        """`text` with every mistyped term replaced by the term (longest first, never overlapping)."""
        if not self.terms or not text:
            return text
        chars = list(text)
        taken = [False] * len(chars)
        bounds: Optional[Set[int]] = None
        for length in self.lengths:
            for start in range(len(chars) - length + 1):
                if any(taken[start:start + length]):
                    continue
                term = self._match(text[start:start + length])
                if term is None:
                    continue
                bounds = bounds if bounds is not None else _word_bounds(text)
                if start in bounds and start + length in bounds:  # 服务机构 holds no 服务季 mistyped
                    chars[start:start + length] = list(term)
                    taken[start:start + length] = [True] * length
        return "".join(chars)

    def _match(self, window: str) -> Optional[str]:
        """The term `window` is a typo of; of several, the one sharing most characters with it."""
        if window in self.terms or not CJK.match(window):
            return None
        found = {term for term in self._by_sounds.get(tuple(sound(ch) for ch in window), ()) if self._typo_of(window, term)}
        if not found:
            return None
        return max(sorted(found), key=lambda term: sum(a == b for a, b in zip(window, term)))

    @staticmethod
    def _typo_of(window: str, term: str) -> bool:
        same = sum(a == b for a, b in zip(window, term))
        wrong = [a for a, b in zip(window, term) if a != b]
        if same == 0 or any(ch in NOT_A_TYPO for ch in wrong):
            return False
        if len(term) == 2 and same != 1:
            return False
        return not _is_word(window)  # 事业 sounds like 失业 and is a word of its own
