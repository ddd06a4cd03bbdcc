"""Frozen held-out sets: questions and whole conversations written by someone who read only the
notice and the README's user-facing text, committed before the work they measure, never edited and
never trained on (docs/heldout.md says who wrote each set and when it was frozen).

A reply counts when it contains the fact asked for: every `expect` group must match, a group being
alternatives of which one must appear in what the graduate sees (texts and button titles, folded
like the NLU folds: full-width, traditional characters, case, white space, thousands separators).
A conversation counts only when every turn does. Also reported: lines a reply takes on a phone,
figures in replies that appear nowhere in the knowledge base or the question (invented figures),
and the latency of a turn.

`python -m tests.heldout.frozen [--figures-only] [SET.yml]` starts the stack itself and prints the
figures (with --figures-only, not the misses: for a held-out set while the work it measures is
still going on).
"""
from __future__ import annotations

import re
import statistics
import sys
import time
import uuid
from datetime import date
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

import httpx
import yaml

from policy_kb.text import normalize_key

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SETS = sorted(HERE.glob("frozen-*.yml"))
# sets still held out: their misses are never printed (make heldout, this module's command line), only
# their figures, so that a later round can measure on them again
HELD_OUT = {"frozen-2026-12-06-o.yml", "frozen-2026-12-07-r.yml", "frozen-2026-12-07-y.yml", "frozen-2026-12-07-z.yml"}
PHONE_COLUMNS = 18  # full-width characters on one line of a chat bubble on a phone
FIGURE = re.compile(r"(?<![A-Za-z0-9\-])\d[\d,，.]*\d|(?<![A-Za-z0-9\-])\d(?![A-Za-z0-9\-])")


def fold(text: str) -> str:
    return re.sub(r"(?<=\d)[,，](?=\d{3})", "", normalize_key(text))


def matches(reply: str, expect: Sequence[Sequence[str]]) -> bool:
    folded = fold(reply)
    return all(any(fold(str(alt)) in folded for alt in group) for group in expect)


def phone_lines(texts: Iterable[str]) -> int:
    """Lines on a phone: each line of each message wraps every PHONE_COLUMNS full-width columns."""
    lines = 0
    for text in texts:
        for line in text.splitlines() or [""]:
            width = sum(1.0 if ord(ch) > 0x2E80 else 0.5 for ch in line)
            lines += max(1, -(-int(width + 0.99) // PHONE_COLUMNS))
    return lines


# not facts: list numbering (“3. ”), a registration's progress (“（2/14）”), a number's format
# (“11位数字”), an example of how to answer (“比如回复“2021届””)
NOT_FACTS = re.compile(r"^\s*\d+[.、)]\s*|[（(]\d+/\d+[)）]|\d+位|比如回复[^。]*", re.MULTILINE)


def figures(text: str) -> List[str]:
    return [re.sub(r"[,，]", "", f).rstrip(".") for f in FIGURE.findall(NOT_FACTS.sub(" ", text))]


# the registration's own wording: its questions and the ranges it states (“你的年龄或出生年份？（如“23”或“1999年”）”)
REGISTRATION_TEXTS = ("actions/registration/steps.py", "actions/registration/parse.py")


def known_figures() -> str:
    """Everything a figure in a reply may come from: the knowledge base's data files and the
    registration's own questions."""
    paths = [*sorted((ROOT / "policy_kb" / "data").glob("*.yml")), *(ROOT / name for name in REGISTRATION_TEXTS)]
    return "".join(fold(p.read_text(encoding="utf-8")) for p in paths)


@dataclass
class Turn:
    user: str
    expect: List[List[str]]
    texts: List[str] = field(default_factory=list)
    buttons: List[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def reply(self) -> str:
        return "\n".join([*self.texts, *self.buttons])

    @property
    def ok(self) -> bool:
        return matches(self.reply, self.expect)

    @property
    def lines(self) -> int:
        return phone_lines(self.texts)

    def invented(self, known: str, said_before: str = "") -> List[str]:
        said = fold(self.user) + "\n" + fold(said_before)  # the graduate's own figures (“我26了”) echoed back
        # what the assistant works out from the graduate's words (ID numbers read before the thousands
        # folding joins a phone number and an ID number written “139…，110108…”)
        unfolded = normalize_key(self.user) + "\n" + normalize_key(said_before)
        derived = ages_from_id_numbers(unfolded) + classes_named(said) + ages_and_birth_years(said) + years_allowed()
        return [f for f in figures("\n".join(self.texts)) if f not in known and f not in said and f not in derived]


ID_NUMBER = re.compile(r"(?<!\d)\d{6}((?:19|20)\d{2})\d{2}\d{2}\d{3}[\dXx](?!\d)")


def ages_from_id_numbers(said: str) -> List[str]:
    """Ages (this year and the one before) of the people whose ID numbers were given."""
    year = date.today().year
    return [str(year - int(born) - less) for born in ID_NUMBER.findall(said) for less in (0, 1)]


AGE = re.compile(r"(?<!\d)(\d{2})\s*(?:岁|周岁)")
BORN = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年?\s*(?:出生|生人|年生|生的)")


def ages_and_birth_years(said: str) -> List[str]:
    """The birth years of ages given (“24岁” → 2002 or 2001) and the ages of birth years given
    (“2000年出生” → 26 or 25): the registration's summary shows one from the other."""
    year = date.today().year
    return [str(year - int(n) - less) for pattern in (AGE, BORN) for n in pattern.findall(said) for less in (0, 1)]


def years_allowed() -> List[str]:
    """This year and the next: the registration's graduation-year question gives them as its example
    and upper bound (“毕业年份请填4位数字，如2026（应在1980–2027之间）”)."""
    year = date.today().year
    return [str(year), str(year + 1)]


SHORT_CLASS = re.compile(r"(?<!\d)(\d{2})\s*(?:届|年毕业)")


def classes_named(said: str) -> List[str]:
    """Graduation years named short (“他16届的” is the class of 2016)."""
    return [f"20{short}" for short in SHORT_CLASS.findall(said)]


@dataclass
class Case:
    id: str
    turns: List[Turn]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.turns)


@dataclass
class Report:
    name: str
    questions: List[Case]
    conversations: List[Case]
    known: str

    def all_turns(self) -> List[Turn]:
        return [t for c in [*self.questions, *self.conversations] for t in c.turns]

    @property
    def question_score(self) -> float:
        return sum(c.ok for c in self.questions) / max(1, len(self.questions))

    @property
    def conversations_passed(self) -> int:
        return sum(c.ok for c in self.conversations)

    def invented(self) -> List[str]:
        found = set()
        for case in [*self.questions, *self.conversations]:
            for number, turn in enumerate(case.turns):
                earlier = "\n".join(t.user for t in case.turns[:number])
                found |= {f"{f} ({turn.user})" for f in turn.invented(self.known, earlier)}
        return sorted(found)

    def summary(self, misses: bool = True) -> str:
        """The figures and, unless `misses` is False (a held-out set measured before the end of
        the work it measures, whose misses must stay unread), every miss."""
        turns = self.all_turns()
        answers = [t.lines for t in turns if t.texts]
        seconds = sorted(t.seconds for t in turns)
        lines = [
            f"set: {self.name}",
            f"single questions:  {sum(c.ok for c in self.questions)}/{len(self.questions)} ({self.question_score:.1%})",
            f"conversations:     {self.conversations_passed}/{len(self.conversations)} passed every turn",
            f"reply lines on a phone ({PHONE_COLUMNS} columns): median {statistics.median(answers) if answers else 0}, "
            f"90th percentile {sorted(answers)[int(0.9 * (len(answers) - 1))] if answers else 0}",
            f"turn latency: median {statistics.median(seconds) * 1000:.0f} ms, max {seconds[-1] * 1000:.0f} ms" if seconds else "",
            f"figures found nowhere in the knowledge base or the question: {len(self.invented())}",
        ]
        lines += [f"  {f}" for f in self.invented()]
        if not misses:
            return "\n".join(line for line in lines if line)
        failed = [(c.id, t) for c in self.questions for t in c.turns if not t.ok]
        if failed:
            lines.append("single questions missed (id | question | expected | reply's first line):")
            lines += [f"  {cid} | {t.user} | {t.expect} | {first_line(t)}" for cid, t in failed]
        broken = [c for c in self.conversations if not c.ok]
        if broken:
            lines.append("conversations broken (id | first missed turn | expected | reply's first line):")
            for case in broken:
                turn = next(t for t in case.turns if not t.ok)
                lines.append(f"  {case.id} | {turn.user} | {turn.expect} | {first_line(turn)}")
        return "\n".join(line for line in lines if line)


def first_line(turn: Turn) -> str:
    text = " / ".join(t.replace("\n", " ")[:70] for t in turn.texts[:2])
    return text or "(no text)"


def load_set(path: Path) -> Dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def play(http: httpx.Client, turns: List[Dict[str, Any]]) -> List[Turn]:
    sender = f"heldout:{uuid.uuid4().hex[:12]}"
    played: List[Turn] = []
    for raw in turns:
        turn = Turn(user=str(raw["user"]), expect=[list(map(str, g)) for g in raw["expect"]])
        started = time.perf_counter()
        response = http.post("/webhooks/rest/webhook", json={"sender": sender, "message": turn.user})
        turn.seconds = time.perf_counter() - started
        response.raise_for_status()
        for message in response.json():
            if message.get("text"):
                turn.texts.append(str(message["text"]))
            turn.buttons += [str(b.get("title", "")) for b in message.get("buttons") or []]
        played.append(turn)
    return played


def evaluate(rasa_url: str, path: Path) -> Report:
    data = load_set(path)
    with httpx.Client(base_url=rasa_url, timeout=60.0) as http:
        questions = [Case(q["id"], play(http, [{"user": q["text"], "expect": q["expect"]}])) for q in data["questions"]]
        conversations = [Case(c["id"], play(http, c["turns"])) for c in data["conversations"]]
    return Report(path.name, questions, conversations, known_figures())


def main(argv: Optional[List[str]] = None) -> int:
    from devstack.stack import running_stack
    from tests.conftest import MODEL, free_port

    args = list(argv if argv is not None else sys.argv[1:])
    figures_only = "--figures-only" in args
    paths = [Path(a) for a in args if a != "--figures-only"] or SETS
    with running_stack(MODEL, free_port(), free_port()) as stack:
        for path in paths:
            print(evaluate(stack.rasa_url, path).summary(misses=not figures_only and path.name not in HELD_OUT))
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
