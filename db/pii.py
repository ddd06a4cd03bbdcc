"""Personal numbers in free text: found, masked for everything that stores or logs messages
(Rasa's tracker, logs, handoff transcripts, the unanswered list), and sealed (encrypted) so that
the registration still receives them.

A message "我叫王芳，手机13912345678" reaches Rasa as "我叫王芳，手机139****5678", with the original
text encrypted under the ledger's key in the message metadata; only the action server, which holds
the key, opens it.

Numbers are found however people write them: groups of digits separated by spaces (any kind,
full-width too), dots (. 。 · ・ ．) or dashes (any kind: - – — ‒ ― － …), mixed; with +86, 86 or
0086 before a mobile number; in full-width digits (１３９…), other scripts' digits, or Chinese
numerals (一三九… 壹叁玖…). A group has at least three digits (the +86 prefix apart), so dates
(2022.10.13), years, amounts and reference numbers (QZ-7K3M-9PXA) are left alone. The registration
reads the same shapes (actions/registration/parse.py), so what is masked is also understood.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

from db.crypto import Cipher

SEALED_KEY = "sealed_text"
PHONE, ID_NUMBER = "phone", "id_number"

# Chinese numerals written digit by digit (一三九一二三四五六七八), simplified and traditional
_CJK_DIGITS = {**{c: str(i) for i, c in enumerate("〇一二三四五六七八九")}, **{c: str(i) for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")},
               "幺": "1", "貳": "2", "參": "3", "陸": "6"}
_DASHES = {"\u2043", "\u2212", "\u30fc", "\u2500", "\u2501", "\u23af", "\ufe63", "\u2e3a", "\u2e3b"}
_DOTS = {"。", "·", "・", "•", "‧", "∙", "⋅", "\u2024"}
_NOT_A_DIGIT = "_"  # stands in for a Chinese numeral written next to an Arabic digit

_SEP = r"[\s.\-]{1,4}"  # "139 —— 1234" as a Chinese keyboard types dashes
_GROUP = r"[0-9]+[Xx]?"
# digit groups joined by separators; `*` around them means a number already masked
_RUN = re.compile(rf"(?<![0-9*])\+?{_GROUP}(?:{_SEP}{_GROUP})*")
_TOKEN = re.compile(_GROUP)
_PREFIXES = ("86", "0086")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# region, birth date (year 18xx-20xx, month, day), sequence, check: the check digit may be wrong
_ID_SHAPE = re.compile(r"[1-8][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]")
MIN_GROUP = 3
FOLDING_KEPT = 20000


@dataclass(frozen=True)
class Found:
    """A phone or ID-card number in a text: where it is, as typed, and its plain value
    (13912345678, 11010519491231002X)."""

    kind: str
    start: int
    end: int
    value: str


def _fold_char(ch: str) -> str:
    """One character as the number finder reads it: a digit 0-9, a space, `.`, `-`, `+`, `X`, or
    itself (always one character, so positions in the folded text are positions in the text)."""
    folded = unicodedata.normalize("NFKC", ch)
    ch = folded if len(folded) == 1 else ch
    if ch.isascii():
        return " " if ch.isspace() else ch
    if ch in _CJK_DIGITS:
        return _CJK_DIGITS[ch]
    digit = unicodedata.decimal(ch, None)
    if digit is not None:
        return str(digit)
    category = unicodedata.category(ch)
    if ch.isspace() or category == "Cf":  # Cf: zero-width spaces and joiners
        return " "
    if category == "Pd" or ch in _DASHES:
        return "-"
    if ch in _DOTS:
        return "."
    return "X" if ch == "×" else ch


class _Folding(dict):  # type: ignore[type-arg]
    """str.translate's table: each code point folded on first sight, then looked up (at most
    FOLDING_KEPT of them kept, whatever characters strangers send)."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(self) < FOLDING_KEPT:
            self[code] = folded
        return folded


_FOLDING = _Folding()
_CJK_NUMERAL = re.compile(f"[{''.join(_CJK_DIGITS)}]")


def fold(text: str) -> str:
    """`text` with every character folded (_fold_char). A Chinese numeral next to an Arabic digit
    is not read as a digit ("手机13912345678一直打不通"), and "一" between two Arabic digits is
    read as a dash ("139一1234一5678")."""
    if text.isascii():
        return text
    folded = text.translate(_FOLDING)
    if not _CJK_NUMERAL.search(text):
        return folded
    out = list(folded)

    def arabic(index: int) -> bool:
        return 0 <= index < len(text) and text[index] not in _CJK_DIGITS and folded[index].isdigit()

    for match in _CJK_NUMERAL.finditer(text):
        index = match.start()
        beside = arabic(index - 1) + arabic(index + 1)
        if beside:
            out[index] = "-" if text[index] == "一" and beside == 2 else _NOT_A_DIGIT
    return "".join(out)


def personal_numbers(text: str) -> List[Found]:
    """Every stretch of `text` shaped like a mobile or ID-card number (mistyped ones too: a number
    with a wrong check digit is still someone's), in order; stretches may overlap."""
    folded = fold(text)
    return [found for run in _RUN.finditer(folded) if run.end() - run.start() >= 11  # fewer digits than any number
            for found in _in_run(folded, run.start(), run.end())]


def _in_run(folded: str, start: int, end: int) -> Iterator[Found]:
    """The numbers among one run of digit groups: any consecutive groups of at least three digits
    each whose digits make one. A first group 86 or 0086 may lead a mobile number, and an ID-card
    number written in fours may end in two (1101 0519 4912 3100 2X)."""
    groups = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(folded, start, end)]
    for first, (begins, _, leading) in enumerate(groups):
        prefixed = len(leading) < MIN_GROUP
        digits = ""
        for last in range(first, len(groups)):
            group = groups[last][2]
            if digits[-1:] in ("X", "x"):
                break
            if len(group) < MIN_GROUP and not (last == first and group in _PREFIXES):
                if len(group) == 2 and len(digits) == 16 and not prefixed and _ID_SHAPE.fullmatch(digits + group):
                    yield Found(ID_NUMBER, begins, groups[last][1], (digits + group).upper())
                break
            digits += group
            found = _number(digits, begins, groups[last][1], folded, prefixed)
            if found is not None:
                yield found
            if len(digits) >= 18:
                break


def _number(digits: str, start: int, end: int, folded: str, prefixed: bool) -> Optional[Found]:
    if not prefixed and _ID_SHAPE.fullmatch(digits):
        return Found(ID_NUMBER, start, end, digits.upper())
    for prefix in _PREFIXES if prefixed else ("", *_PREFIXES):
        if digits.startswith(prefix) and _MOBILE.fullmatch(digits[len(prefix):]):
            begins = start - 1 if prefix and folded[start - 1:start] == "+" else start
            return Found(PHONE, begins, end, digits[len(prefix):])
    return None


def mask_personal_numbers(text: str) -> str:
    """The text with everything shaped like a mobile or ID-card number masked (139****5678,
    1101**********002X); the rest of the text as it was. Numbers found overlapping are masked
    as one (their first three and last four digits kept)."""
    out, done = [], 0
    for start, end, masked in _masked_stretches(text):
        out.append(text[done:start])
        out.append(masked)
        done = end
    out.append(text[done:])
    return "".join(out)


def _masked_stretches(text: str) -> Iterator[Tuple[int, int, str]]:
    found = sorted(personal_numbers(text), key=lambda f: (f.start, -f.end))
    index = 0
    while index < len(found):
        cluster = [found[index]]
        end = found[index].end
        index += 1
        while index < len(found) and found[index].start < end:
            cluster.append(found[index])
            end = max(end, found[index].end)
            index += 1
        yield cluster[0].start, end, _masked(cluster, text[cluster[0].start:end])


def _masked(cluster: List[Found], typed: str) -> str:
    if len({(found.kind, found.value) for found in cluster}) == 1:  # one number (+86 139… is also 139…)
        only = cluster[0]
        return mask_phone(only.value) if only.kind == PHONE else mask_id_number(only.value)
    digits = re.sub(r"[^0-9X]", "", fold(typed).upper())
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def has_personal_numbers(text: str) -> bool:
    return bool(personal_numbers(text))


def seal(cipher: Cipher, text: str) -> Optional[str]:
    """The original text, encrypted, when masking changed it; else None."""
    return cipher.encrypt(text) if has_personal_numbers(text) else None


def unseal(cipher: Cipher, token: Optional[str]) -> Optional[str]:
    return cipher.decrypt(token) if token else None


# ---- masks of a known value (lists, exports, logs)
def mask_phone(phone: Optional[str]) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if phone else ""


def mask_id_number(value: Optional[str]) -> str:
    return f"{value[:4]}{'*' * 10}{value[-4:]}" if value else ""


def mask_name(name: Optional[str]) -> str:
    """'王芳' → '王*', '欧阳娜娜' → '欧***'."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)
