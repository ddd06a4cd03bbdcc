"""Alias index: finds which knowledge-base entry a name, or a sentence, refers to."""
from __future__ import annotations

from typing import Dict, Generic, Iterable, List, Optional, Tuple, TypeVar

from policy_kb.spelling import COMMON_WORD, Speller, is_word
from policy_kb.text import normalize_key

T = TypeVar("T")


class AliasIndex(Generic[T]):
    """Maps every normalised name of an entry to the entry; an alias may name only one entry."""

    def __init__(self) -> None:
        self._by_key: Dict[str, T] = {}
        self._owner: Dict[str, str] = {}
        self.speller: Optional[Speller] = None  # homophone typos (间习不贴), set once every index is built

    def names(self) -> List[str]:
        return list(self._by_key)

    def add(self, owner: str, names: Iterable[str], value: T) -> List[str]:
        """Adds names for `value`; returns the names another owner already holds."""
        clashes = []
        for name in names:
            key = normalize_key(name)
            if key in self._owner and self._owner[key] != owner:
                clashes.append(f"'{name}' already names '{self._owner[key]}'")
                continue
            self._by_key[key] = value
            self._owner[key] = owner
        return clashes

    def get(self, name: Optional[str]) -> Optional[T]:
        """The entry named exactly `name`, else the first entry mentioned inside it."""
        if not name:
            return None
        exact = self._by_key.get(normalize_key(name))
        if exact is not None:
            return exact
        found = self.find(name)
        return found[0] if found else None

    def find(self, text: str, typos: bool = True) -> List[T]:
        """Entries mentioned in `text`, in order of appearance; longer names win overlaps.
        With no exact mention, a name typed with one wrong character (扩刚补助) counts, unless
        `typos` is off (short everyday phrases, where one character changes the meaning: 21届/22届)."""
        found = self._find_exact(text)
        if found or not typos:
            return found
        if self.speller is not None:
            found = self._find_exact(self.speller.correct(normalize_key(text)))
        return found or self._find_one_typo(text)

    def _find_exact(self, text: str) -> List[T]:
        haystack = normalize_key(text)
        taken = [False] * len(haystack)
        hits: List[Tuple[int, T]] = []
        for key in sorted(self._by_key, key=len, reverse=True):
            start = haystack.find(key)
            while start != -1:
                end = start + len(key)
                if not any(taken[start:end]):
                    taken[start:end] = [True] * len(key)
                    hits.append((start, self._by_key[key]))
                start = haystack.find(key, end)
        return _in_order(hits)

    def _find_one_typo(self, text: str) -> List[T]:
        """Names of at least TYPO_MIN_LENGTH characters found with exactly one character different.

        The one wrong character lies in one half of the name, so the other half occurs exactly:
        only windows around exact occurrences of a half are compared (fast on long messages)."""
        haystack = normalize_key(text)
        hits: List[Tuple[int, T]] = []
        for key, value in self._by_key.items():
            if len(key) < TYPO_MIN_LENGTH:
                continue
            start = _one_typo_window(haystack, key)
            if start is not None:
                hits.append((start, value))
        return _in_order(hits)


def _one_typo_window(haystack: str, key: str) -> Optional[int]:
    middle = len(key) // 2
    for half, offset in ((key[:middle], 0), (key[middle:], middle)):
        found = haystack.find(half)
        while found != -1:
            start = found - offset
            window = haystack[start:start + len(key)]
            if start >= 0 and len(window) == len(key) and sum(a != b for a, b in zip(window, key)) == 1:
                at = start + next(i for i, (a, b) in enumerate(zip(window, key)) if a != b)
                typed = haystack[at]
                # (“就业服务的” is not “就业服务季” mistyped, nor “社区工作人员” “社区工作者”: 人员 is a word)
                if typed not in NOT_A_TYPO and not _word_with_next(haystack, at):
                    return start
            found = haystack.find(half, found + 1)
    return None


def _word_with_next(haystack: str, at: int) -> bool:
    """Whether the character at `at` and the one after it make a common word (人员): typed on purpose."""
    return at + 1 < len(haystack) and is_word(haystack[at:at + 2], COMMON_WORD)


TYPO_MIN_LENGTH = 4
# function words and punctuation-like characters: a name with one of these in place of its own
# character is another phrase, not a typo
NOT_A_TYPO = frozenset("的了吗呢吧啊是有在和与或也都就还要会能我你他她它这那个么")


def _in_order(hits: List[Tuple[int, T]]) -> List[T]:
    ordered: List[T] = []
    for _, value in sorted(hits, key=lambda hit: hit[0]):
        if not any(value is seen for seen in ordered):
            ordered.append(value)
    return ordered
