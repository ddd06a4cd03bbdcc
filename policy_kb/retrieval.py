"""Ranks answer units for a message: TF-IDF (scikit-learn) over jieba words and character
bigrams of the normalised text, cosine similarity; a second index over the English texts.

Built with the knowledge base (a few hundred units: milliseconds), searched on every knowledge
question (well under a millisecond: one sparse product)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from policy_kb.spelling import Speller
from policy_kb.text import normalize_chars
from policy_kb.units import Unit

# words that say nothing about which unit is meant
STOPWORDS = frozenset(
    "的 了 吗 呢 吧 啊 呀 么 嘛 哦 哈 我 你 他 她 们 是 在 有 和 与 或 就 都 也 还 要 想 能 会 可以 请问 请 问 一下 "
    "这个 那个 什么 怎么 怎样 怎么样 咋样 会怎样 如何 咋 咋整 啥 具体 问点 一点 一些 问问 真人 哪些 多少 一个 这 那 个 给 对 把 被 让 从 到 吗? 呢? 么? 嗯 额 诶 哎 "
    "你好 您好 谢谢 麻烦 老师 小助手 助手 东西 事儿 事情".split()
)
EN_STOPWORDS = frozenset(
    "a an the is are am was were be been do does did i me my you your we our it its to of in on for and or "
    "what how can could would should will there this that which who any about with at by from as if please "
    "hi hello thanks get have has".split()
)
PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
CJK = re.compile(r"[\u4e00-\u9fff]")


# everyday words → the notice's words, added to a question before it is matched
EVERYDAY = {
    "推荐": "推介", "推一次": "推介", "推岗位": "岗位推介", "打电话": "电话联系", "联系我": "电话联系",
    "现场": "线下", "不想跑": "无接触", "实习": "见习", "补助": "补贴", "工资": "补贴", "兜底": "公益性岗位兜底", "没工作": "未就业",
    "找不到工作": "未就业", "暑假": "暑期", "夏天": "暑期仲夏", "秋天": "金秋", "秋季": "金秋", "直播": "直播带岗",
    "推荐几次": "3次岗位推介", "推几次": "3次岗位推介", "推荐几个": "3次岗位推介", "几次指导": "1次职业指导", "哪些服务": "职业指导岗位推介技能培训就业见习",
    "学校给的": "市教委交接数据", "网址": "网址http", "网站": "网站http", "链接": "链接http", "怎么有我": "数据比对", "信息从哪": "数据比对",
}
_EVERYDAY = re.compile("|".join(sorted(map(re.escape, EVERYDAY), key=len, reverse=True)))


def expand(text: str) -> str:
    return text + " " + " ".join(EVERYDAY[m] for m in _EVERYDAY.findall(text))


def chinese_terms(text: str) -> List[str]:
    import jieba

    normalized = normalize_chars(text)
    words = [w for w in jieba.lcut(normalized) if w.strip() and w not in STOPWORDS and not PUNCT.fullmatch(w)]
    compact = PUNCT.sub("", "".join(words))  # bigrams of what is left once the empty words are gone
    bigrams = [compact[i:i + 2] for i in range(len(compact) - 1) if CJK.match(compact[i]) and CJK.match(compact[i + 1])]
    return words + [f"#{b}" for b in bigrams]


def english_terms(text: str) -> List[str]:
    words = [_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in EN_STOPWORDS]
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:])]


def _bare(text: str) -> str:
    """A way of asking without punctuation, spaces or a closing particle (“…岗位啊”)."""
    return re.sub(r"[啊呀哈呢嘛呗哦]+$", "", PUNCT.sub("", text.lower()))


PHRASE_WORDS = 4  # words an English keyword has at least to be a question of its own
PHRASE_SCORE = 0.5  # a message holding such a question scores at least this for its unit


def _phrase(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower().replace("’", "'")))


def _stem(word: str) -> str:
    if word in ("internship", "interns", "intern", "trainee", "trainees"):
        return "traineeship"
    if word == "programme":
        return "program"
    for suffix in ("ing", "ies", "es", "s", "ed"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True)
class Hit:
    unit: Unit
    score: float


# a message matching one way of asking (a unit's question or one of its asks) as a whole scores this
# share of that match: a short everyday question is not diluted by the unit's long answer
PARAPHRASE_WEIGHT = 0.4


class _Index:
    def __init__(self, units: Sequence[Unit], texts: Sequence[str], analyzer: Callable[[str], List[str]],
                 paraphrases: Sequence[Tuple[int, str]] = ()) -> None:
        self.units = list(units)
        self.vectorizer = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, norm="l2")
        self.matrix: csr_matrix = self.vectorizer.fit_transform(texts) if self.units else csr_matrix((0, 0))
        # each way of asking as a document of its own, weighted by the same vocabulary
        self.owners = np.array([owner for owner, _ in paraphrases], dtype=np.int64)
        self.paraphrases: Optional[csr_matrix] = (
            normalize(self.vectorizer.transform([text for _, text in paraphrases])) if len(paraphrases) and self.units else None)

    def scores(self, query: csr_matrix) -> np.ndarray:
        scores = (self.matrix @ query.T).toarray().ravel()
        if self.paraphrases is not None:
            asked = PARAPHRASE_WEIGHT * (self.paraphrases @ query.T).toarray().ravel()
            best = np.zeros(len(self.units))
            np.maximum.at(best, self.owners, asked)
            scores = np.maximum(scores, best)
        return scores

    def search(self, text: str, limit: int, allowed: Optional[Callable[[Unit], bool]] = None) -> List[Hit]:
        if not self.units:
            return []
        query = self.vectorizer.transform([text])
        if query.nnz == 0:
            return []
        scores = self.scores(query)
        order = scores.argsort()[::-1]
        hits: List[Hit] = []
        for position in order:
            score = float(scores[position])
            if score <= 0 or len(hits) == limit:
                break
            unit = self.units[position]
            if allowed is None or allowed(unit):
                hits.append(Hit(unit, score))
        return hits


RECENT_SEARCHES = 256
RANKED = 8  # hits kept for a message: every caller asks for at most this many


class UnitIndex:
    """Every answer unit, searchable in Chinese and (for units with English text) in English."""

    def __init__(self, units: Dict[str, Unit], speller: Optional[Speller] = None) -> None:
        self.by_id = units
        self.speller = speller  # a query's homophone typos of known terms are corrected first
        ordered = list(units.values())
        paraphrases = [(position, expand(normalize_chars(way))) for position, unit in enumerate(ordered)
                       for way in dict.fromkeys([unit.question, *unit.asks]) if way]
        self._zh = _Index(ordered, [u.search for u in ordered], chinese_terms, paraphrases)
        # a message that is one of a unit's ways of asking, word for word (punctuation aside)
        self._asked: Dict[str, Unit] = {}
        for unit in ordered:
            for way in unit.asks:
                self._asked.setdefault(_bare(normalize_chars(way)), unit)
        self._recent: Dict[str, Tuple[List[Hit], int]] = {}  # text → its hits, and how many were asked
        english = [u for u in ordered if u.en]
        self._en = _Index(english, [u.en_search for u in english], english_terms)
        # an English question among a unit's keywords (“who is the campaign for”) is a way of asking it:
        # a message holding it is about that unit, whatever its words weigh once the empty ones are gone
        phrases = {_phrase(way): unit for unit in english for way in unit.en_asks if len(_phrase(way).split()) >= PHRASE_WORDS}
        self._en_phrases = sorted(phrases.items(), key=lambda item: -len(item[0]))

    def search(self, text: str, limit: int = 5, allowed: Optional[Callable[[Unit], bool]] = None) -> List[Hit]:
        if allowed is not None:
            return self._zh.search(self._query(text), limit, allowed)
        # one message is ranked several times while it is understood (a detail, a sure unit, the
        # ranking): the unfiltered rankings of the latest messages are kept
        ranked, depth = self._recent.get(text, ([], 0))
        if depth < limit:
            if len(self._recent) >= RECENT_SEARCHES:
                self._recent.pop(next(iter(self._recent)))
            depth = max(limit, RANKED)
            ranked = self._zh.search(self._query(text), depth, None)
            self._recent[text] = (ranked, depth)
        return ranked[:limit]

    def _query(self, text: str) -> str:
        folded = normalize_chars(text)
        return expand(self.speller.correct(folded) if self.speller is not None else folded)

    def asked_exactly(self, text: str) -> Optional[Unit]:
        """The unit one of whose ways of asking is this message, word for word."""
        return self._asked.get(_bare(normalize_chars(text)))

    def search_english(self, text: str, limit: int = 3) -> List[Hit]:
        hits = self._en.search(text, limit)
        asked = f" {_phrase(text)} "
        unit = next((unit for phrase, unit in self._en_phrases if f" {phrase} " in asked), None)
        if unit is None:
            return hits
        score = max([PHRASE_SCORE, *(hit.score for hit in hits if hit.unit.id == unit.id)])
        return [Hit(unit, score), *(hit for hit in hits if hit.unit.id != unit.id)][:limit]

    def of_topic(self, topic: str) -> List[Unit]:
        return [u for u in self.by_id.values() if u.topic == topic]

    def get(self, unit_id: str) -> Optional[Unit]:
        return self.by_id.get(unit_id)


