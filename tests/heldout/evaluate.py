"""Held-out evaluation: graduate questions written from the notice alone, never trained on.

Each question is asked in a fresh conversation through the real REST channel; the tracker tells
which intent the NLU chose and which knowledge-base entry the answer came from (slot answer_ref).
`python -m tests.heldout.evaluate` (make heldout) starts the stack itself and prints the figures.
"""
from __future__ import annotations

import sys
import uuid
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional

import httpx
import yaml

QUESTIONS = Path(__file__).resolve().parent / "questions.yml"
REPORT = Path(__file__).resolve().parents[2] / "docs" / "heldout.md"


@lru_cache(maxsize=1)
def rights_situations() -> FrozenSet[str]:
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "policy_kb" / "data" / "situations.yml").read_text(encoding="utf-8"))
    return frozenset(f"situation:{s['id']}" for s in data["situations"] if s.get("kind") == "rights")


@dataclass
class Outcome:
    text: str
    expected_intent: str
    intent: str
    expected_ref: Optional[str]
    ref: Optional[str]

    @property
    def intent_ok(self) -> bool:
        return self.intent == self.expected_intent

    @property
    def answer_ok(self) -> bool:
        # a rights problem is answered by the situation it describes (fraud with money lost → 报警
        # first), which issue 13 asked for instead of the one rights card the set expects
        rights = self.expected_ref == "rights" and self.ref in rights_situations()
        return self.expected_ref is None or self.ref == self.expected_ref or rights


@dataclass
class Report:
    outcomes: List[Outcome]

    @property
    def intent_accuracy(self) -> float:
        return sum(o.intent_ok for o in self.outcomes) / len(self.outcomes)

    @property
    def answer_correctness(self) -> float:
        graded = [o for o in self.outcomes if o.expected_ref]
        return sum(o.answer_ok for o in graded) / len(graded)

    def summary(self) -> str:
        graded = sum(1 for o in self.outcomes if o.expected_ref)
        lines = [
            f"held-out questions: {len(self.outcomes)}",
            f"intent accuracy:    {self.intent_accuracy:.1%}",
            f"answer correctness: {self.answer_correctness:.1%} of {graded} questions with a knowledge-base answer",
        ]
        confusions = Counter((o.expected_intent, o.intent) for o in self.outcomes if not o.intent_ok)
        if confusions:
            lines.append("most frequent intent confusions (expected -> predicted):")
            lines += [f"  {e} -> {p}: {n}" for (e, p), n in confusions.most_common(8)]
        wrong = [o for o in self.outcomes if not o.answer_ok]
        if wrong:
            lines.append("wrong answers (question | expected | got):")
            lines += [f"  {o.text} | {o.expected_ref} | {o.ref}" for o in wrong]
        return "\n".join(lines)


def load_questions(path: Path = QUESTIONS) -> List[Dict[str, str]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["questions"])


def ask(http: httpx.Client, question: Dict[str, str]) -> Outcome:
    sender = f"heldout:{uuid.uuid4().hex[:10]}"
    response = http.post("/webhooks/rest/webhook", json={"sender": sender, "message": str(question["text"])})
    response.raise_for_status()
    tracker = http.get(f"/conversations/{sender}/tracker").json()
    return Outcome(
        text=str(question["text"]),
        expected_intent=question["intent"],
        intent=full_intent(tracker["latest_message"]),
        expected_ref=question.get("answer_ref"),
        ref=tracker["slots"].get("answer_ref"),
    )


def full_intent(message: dict) -> str:
    """'faq/period' for retrieval intents, the plain intent name otherwise."""
    intent = message["intent"]["name"]
    if intent in ("faq", "chitchat"):
        selector = message.get("response_selector") or {}
        key = ((selector.get(intent) or selector.get("default") or {}).get("response") or {}).get("intent_response_key")
        return key or intent
    return intent


def evaluate(rasa_url: str) -> Report:
    with httpx.Client(base_url=rasa_url, timeout=30.0) as http:
        return Report([ask(http, q) for q in load_questions()])


HEADER = """# Held-out evaluation

Written by `make heldout` (tests/heldout/evaluate.py): every question and conversation asked in a
fresh conversation through the REST channel of a stack with a ledger of its own.

## The sets and how they were written

| set | written by, from what | frozen (committed) | used for |
| --- | --- | --- | --- |
| `questions.yml` (240 questions, intent and answer entry per question) | the project's first sessions, from the notice, with the training data in view | before the NLU work of 2026-11 | regression guard only: it was tuned against and no longer measures what graduates meet |
| `frozen-2026-12-05-a.yml` (150 questions, 30 conversations) | a helper that read only the notice, the two fact sheets and the README's user-facing text, never `nlu/`, `policy_kb/` or other sets | 2026-12-05, before any change it measures (commit “Held-out set A”) | baseline, then the development set of issue 13's first round: no longer held out |
| `frozen-2026-12-05-b.yml` (150 questions, 30 conversations) | a second helper, independently, under the same rule, not seeing set A | 2026-12-05 (commit “Held-out set B”) | held out during the first round (measured at its baseline and once at its end); read afterwards, then a development set of the second round |
| `frozen-2026-12-05-c.yml` (150 questions, 30 conversations) | a third helper, under the same rule, not seeing the other sets | 2026-12-05, before the second round's first change (commit 7ceae87 “Held-out sets C and D”) | held out during the second round: measured at its baseline and once at its end (commit a7e5485); read afterwards, so no longer held out |
| `frozen-2026-12-05-d.yml` (150 questions, 30 conversations) | a fourth helper, under the same rule, not seeing set C | with set C (commit 7ceae87) | the second round's development set: its failures were read and worked on |
| `frozen-2026-12-06-e.yml` (150 questions, 30 conversations) | a fifth helper, under the same rule, not seeing any other set | 2026-12-06, before the third round's first change (commit 3219e06 “Held-out set E … and development set F”) | held out during the third round: measured at its baseline and once at its end, its misses not read before that |
| `frozen-2026-12-06-f.yml` (100 questions, 40 conversations) | a sixth helper, independently, under the same rule, asked for more and longer conversations | with set E (commit 3219e06) | the third round's development set, with B, C and D |
| `frozen-2026-12-06-g.yml` (150 questions, 30 conversations) | a seventh helper, under the same rule, not seeing any other set | 2026-12-06, before the fourth round (commit f12c870) | meant to be held out, but its baseline run printed its misses (the evaluator printed them by default; `--figures-only` exists since): the fourth round's development set |
| `frozen-2026-12-06-h.yml` (150 questions, 30 conversations) | an eighth helper, under the same rule, asked to write as several kinds of askers (a parent, an employer, a 30-year-old…) | before any fourth-round change (commit 66ccb34) | held out during the fourth round: measured with `--figures-only` at its start and end. 12 of its question texts (not the replies) were printed once by a vocabulary check during the round |
| `frozen-2026-12-06-i.yml` (150 questions, 30 conversations) | a ninth helper, under the same rule | before the fourth round's first change landed (commit a3695c5; baseline run on commit 66ccb34's code and model) | held out during the fourth round, nothing of it seen before its end |
| `frozen-2026-12-06-j.yml` (150 questions, 30 conversations) | a tenth helper, under the same rule (from a brief folder holding only the notice, the two fact sheets and the README's user-facing text) | before the fifth round's first change (commit 04d8a09) | held out during the fifth round, measured with `--figures-only` at its start and end. Two leaks, so its end figure is partly informed: the helper's report named ten of its typo examples (见刁, 杜保, 护岗 …), and one CI run of round 5 printed its misses (the frozen-set test printed every miss on failure; it prints the figures only since) |
| `frozen-2026-12-06-k.yml` (150 questions, 30 conversations) | an eleventh helper, independently, under the same rule | with set J, before the fifth round's first change (commit cc21b25) | held out during the fifth round, measured with `--figures-only` at its start and end; its helper's report named about ten of its typo examples (末, 贝, 招骋 …) |
| `frozen-2026-12-06-l.yml` (150 questions, 30 conversations) | a twelfth helper, under the same rule, asked for short follow-ups, two questions in one message and details of every section | committed before the work it was used for (commit d9f3704) | the fifth round's development set: its misses were read and worked on |
| `frozen-2026-12-06-m.yml` (150 questions, 30 conversations) | a thirteenth helper, under the same rule, asked for long first-person stories, rights problems, yes/no questions and registrations with mistakes | with set L (commit d9f3704) | the fifth round's development set, with L |
| `frozen-2026-12-06-n.yml` (150 questions, 30 conversations) | a fourteenth helper, under the same rule (a brief folder with the notice, the two fact sheets, the README's user-facing text and a made-up format example), asked for short, messy questions typed on a phone, every section of the notice and registrations with mistakes | before the sixth round's first change (commit f7f6f5a) | held out during the sixth to ninth rounds, measured with `--figures-only` at the start and end of each (in rounds 7 and 9 also on the way, figures only); its misses were not printed (`HELD_OUT` in tests/heldout/frozen.py) until round 10. One question (n001) was seen when the file's header was checked. Read at the start of round 10 and a development set since |
| `frozen-2026-12-06-o.yml` (150 questions, 30 conversations) | a fifteenth helper, independently, under the same rule, asked for a wide range of askers (graduates in hardship, parents, employers' HR, university staff, international graduates) | with set N (commit f7f6f5a) | held out during the sixth to ninth rounds, as N; nothing of it was read |
| `frozen-2026-12-07-p.yml` (150 questions, 30 conversations) | a sixteenth helper, under the same rule (a brief folder with the notice, the two fact sheets, the README's user-facing text and a made-up format example), asked for phone-typed questions on every section and policy, first-person situations, yes/no questions and conversations with follow-ups, district changes, registrations with mistakes, subscriptions and handoff | before the seventh round's first change (commit d0b6991) | the seventh round's development set: its misses were read and worked on |
| `frozen-2026-12-07-q.yml` (150 questions, 30 conversations) | a seventeenth helper, independently, under the same rule, asked for detail questions inside the measures written by graduates, parents and small-company HR, negative and conditional questions, comparisons, and employer, parent and registration conversations | with set P (commit d0b6991) | the seventh round's development set, with P |
| `frozen-2026-12-07-r.yml` (150 questions, 30 conversations) | an eighteenth helper, under the same rule (a brief folder, /tmp/brief-r, with the notice, the two fact sheets, a user-facing summary of the README and a made-up format example), asked for phone-typed questions with typos and homophones, first-person situations, details of every section, yes/no questions, facts the sources do not give, and conversations with follow-ups, district changes, registrations with mistakes, subscriptions and handoff | before the eighth round's first change (commit accb9a4) | held out during the eighth and ninth rounds: measured with `--figures-only` at the start and end of each (in round 9 also on the way), its misses never printed (`HELD_OUT`) |
| `frozen-2026-12-07-s.yml` (150 questions, 30 conversations) | a nineteenth helper, independently, under the same rule, asked for askers other than the graduate (parents, employers and HR, school staff, international students in English, graduates in hardship), long stories ending in one question, comparisons and combinations of measures | with set R (commit accb9a4) | held out during the eighth and ninth rounds, with R; read at the start of round 10 and a development set since |
| `frozen-2026-12-07-t.yml` (150 questions, 30 conversations) | a twentieth helper, independently, under the same rule, asked for a broad mix: keyword queries and abbreviations, whole sentences, every measure with its numbers, district institutions, topic switches and returns | with sets R and S (commit accb9a4) | the eighth round's development set: its misses were read and worked on |
| `frozen-2026-12-07-u.yml` (150 questions, 30 conversations) | a twenty-first helper, under the same rule (a brief folder, /tmp/brief-u, with the notice, the two fact sheets, a user-facing summary of the README and a made-up format example), asked for askers other than the graduate (parents, employers and HR, school counsellors, relatives, community workers), long stories with the question at the end or in the middle, two questions at once and implicit questions | before the ninth round's first change (commit 137923f) | the ninth round's development set: its misses were read and worked on |
| `frozen-2026-12-07-v.yml` (150 questions, 30 conversations) | a twenty-second helper, independently, under the same rule, asked for very short phone messages, first-person situations, yes/no questions, details of every measure, and whole conversations that keep a thread (follow-ups, registrations with mistakes, subscriptions, handoff, English) | with set U (commit 137923f) | the ninth round's development set, with U |
| `frozen-2026-12-07-w.yml` (150 questions, 30 conversations) | a twenty-third helper, under the same rule (a brief folder, /tmp/brief-w, with the notice, the two fact sheets, a user-facing summary of the README and a made-up format example), asked for graduates' phone-typed questions: typos and homophones, traditional characters, emoji, two questions in one message, first-person situations, details of every section and policy field, districts, 10 in English, out-of-scope requests, and conversations with follow-ups, registrations with mistakes, subscriptions, handoff and a bare 取消 | before round 10's first change (commit de8e189) | held out during round 10, measured with `--figures-only` at its start and end; a development set from round 11 (its misses read) |
| `frozen-2026-12-07-x.yml` (150 questions, 30 conversations) | a twenty-fourth helper, independently, under the same rule, asked for a wide range of askers and registers (parents and grandparents, employers' HR, school counsellors, community workers, international graduates in English) and long stories ending in one question, every measure and policy field, yes/no and negative questions, comparisons | with set W (commit de8e189) | held out during round 10, with W; a development set from round 11 |
| `frozen-2026-12-07-y.yml` (150 questions, 30 conversations) | a twenty-fifth helper, under the same rule (a brief folder, /tmp/brief-y, with the notice, the two fact sheets, a user-facing summary of the README and a made-up format example), asked for graduates' phone-typed questions: typos and homophones, 北京话 and internet slang, traditional characters and emoji, half-sentences, first-person situations, yes/no questions, details of every section and policy field, and conversations of short follow-ups, registrations with mistakes, subscriptions and handoff | before round 11's first change (commit d96ec86) | held out during round 11: measured with `--figures-only` at its start, once on the way and at its end; its misses never printed (`HELD_OUT`) |
| `frozen-2026-12-07-z.yml` (150 questions, 30 conversations) | a twenty-sixth helper, independently, from the same folder, asked for askers other than the graduate (parents and grandparents, employers' HR, counsellors, 社区 and 街道 workers, international graduates in English), stories of 2–4 sentences ending in one question, what the bureau will do, comparisons, negative and conditional questions, and conversations of follow-ups, registrations, handoff and two in English | with set Y (commit d96ec86) | held out during round 11, with Y |

Scoring (tests/heldout/frozen.py): a reply counts when it contains the fact asked for (every
`expect` group matched by one of its alternatives, in the texts and button titles the graduate
sees); a conversation counts only when every turn does. Lines are counted as a phone shows them
(18 full-width columns a line). A figure in a reply that appears nowhere in the knowledge base,
the question or the graduate's earlier messages in the conversation is reported as invented. No
case is ever edited; a set that has been tuned against is replaced by a new one for the next
measurement.

## Measurements

| set | code | single questions | conversations | reply lines on a phone (median / 90th pct.) | invented figures |
| --- | --- | --- | --- | --- | --- |
| A | before issue 13 (d239a7e) | 88/150 (58.7 %) | 6/30 | 8.0 / 24 | 0 |
| B | before issue 13 (d239a7e) | 88/150 (58.7 %) | 2/30 | 8.5 / 24 | 0 |
| B | end of round 1 (4628c74), held out | 113/150 (75.3 %) | 11/30 | 6.0 / 13 | 0 |
| C | start of round 2 (7ceae87), held out | 120/150 (80.0 %) | 15/30 | 7.0 / 13 | 2 flagged: “26”, the age the graduate gave two turns earlier (the first detector looked at the current message only) |
| D | start of round 2 (7ceae87) | 100/150 (66.7 %) | 8/30 | 6 / 13 | 0 |
| **C** | **end of round 2 (a7e5485), held out** | **136/150 (90.7 %)** | **14/30** | **6.0 / 12** | the same 2 flagged “26” |
| D | end of round 2 (a7e5485), development | 146/150 (97.3 %) | 21/30 | 6.0 / 12 | 0 |
| B | end of round 2 (a7e5485), development | 142/150 (94.7 %) | 21/30 | 7.0 / 13 | 0 |
| A | end of round 2 (a7e5485), development | 140/150 (93.3 %) | 22/30 | 6.0 / 12 | 0 |
| E | start of round 3 (3219e06), held out | 135/150 (90.0 %) | 16/30 | 7.0 / 13 | 0 |
| F | start of round 3 (3219e06) | 92/100 (92.0 %) | 18/40 | 6.0 / 12 | 0 |
| **E** | **end of round 3 (4503701), held out** | **135/150 (90.0 %)** | **19/30** | **7.0 / 13** | **0** |
| F | end of round 3 (4503701), development | 99/100 (99.0 %) | 29/40 | 6.0 / 12 | 0 |
| B | end of round 3 (4503701), development | 142/150 (94.7 %) | 28/30 | 7.0 / 13 | 0 |
| C | end of round 3 (4503701), development | 147/150 (98.0 %) | 22/30 | 7 / 12 | 0 |
| D | end of round 3 (4503701), development | 146/150 (97.3 %) | 26/30 | 7.0 / 12 | 0 |
| A | end of round 3 (4503701), development | 141/150 (94.0 %) | 23/30 | 6.0 / 12 | 0 |
| G | start of round 4 (f12c870) | 127/150 (84.7 %) | 16/30 | 6 / 12 | 0 |
| H | start of round 4 (66ccb34), held out | 125/150 (83.3 %) | 14/30 | 6 / 11 | 1 flagged: “27”, the age worked out from the ID number the graduate typed (the detector now knows it) |
| I | start of round 4 (66ccb34's code and model), held out | 128/150 (85.3 %) | 18/30 | 6.0 / 12 | 0 |
| **H** | **end of round 4 (2738ae7), held out** | **131/150 (87.3 %)** | **16/30** | **6 / 11** | **0** |
| **I** | **end of round 4 (2738ae7), held out** | **132/150 (88.0 %)** | **20/30** | **6.0 / 12** | **0** |
| G | end of round 4 (2738ae7), development | 146/150 (97.3 %) | 25/30 | 6 / 12 | 0 |
| E | end of round 4 (2738ae7), development | 140/150 (93.3 %) | 22/30 | 7.0 / 13 | 0 |
| F | end of round 4 (2738ae7), development | 100/100 (100 %) | 31/40 | 6.0 / 12 | 0 |
| B | end of round 4 (2738ae7), development | 147/150 (98.0 %) | 28/30 | 7.0 / 13 | 0 |
| C | end of round 4 (2738ae7), development | 146/150 (97.3 %) | 22/30 | 6 / 13 | 0 |
| D | end of round 4 (2738ae7), development | 145/150 (96.7 %) | 25/30 | 6.5 / 12 | 0 |
| A | end of round 4 (2738ae7), development | 143/150 (95.3 %) | 23/30 | 6.0 / 12 | 0 |
| J | start of round 5 (code and model of cc21b25), held out | 114/150 (76.0 %) | 13/30 | 6.0 / 12 | 1 flagged: “2016”, the class of the graduate's “16届” (the detector now knows it) |
| K | start of round 5 (cc21b25), held out | 101/150 (67.3 %) | 14/30 | 6 / 12 | 0 |
| L | first run (round 5's first fixes in, d9f3704's model) | 125/150 (83.3 %) | 10/30 | 6 / 12 | 0 |
| M | first run (as L) | 118/150 (78.7 %) | 9/30 | 6 / 12 | 0 |
| **J** | **end of round 5 (cf015d6), held out (partly informed, see the table above)** | **121/150 (80.7 %)** | **14/30** | **6.0 / 12** | **0** |
| **K** | **end of round 5 (cf015d6), held out** | **112/150 (74.7 %)** | **14/30** | **7 / 13** | **0** |
| L | end of round 5 (cf015d6), development | 127/150 (84.7 %) | 15/30 | 6 / 12 | 0 |
| M | end of round 5 (cf015d6), development | 131/150 (87.3 %) | 15/30 | 6 / 12 | 0 |
| H | end of round 5 (cf015d6), development | 140/150 (93.3 %) | 17/30 | 6 / 11 | 0 |
| I | end of round 5 (cf015d6), development | 136/150 (90.7 %) | 21/30 | 6.0 / 12 | 0 |
| G | end of round 5 (cf015d6), development | 145/150 (96.7 %) | 24/30 | 6 / 12 | 0 |
| A–F | end of round 5 (cf015d6), development | A 144, B 147, C 147, D 146, E 140 of 150; F 99 of 100 | A 23, B 27, C 24, D 25, E 23 of 30; F 31 of 40 | 6–7 / 12–14 | 0 |
| N | start of round 6 (f7f6f5a: round 5's code, a freshly trained model), held out | 126/150 (84.0 %) | 12/30 | 6.0 / 12 | 0 |
| O | start of round 6 (f7f6f5a), held out | 119/150 (79.3 %) | 20/30 | 6.0 / 12 | 0 |
| L / M | start of round 6 (f7f6f5a), development | L 126/150 (84.0 %), M 131/150 (87.3 %) | L 14, M 15 of 30 | 6 / 12 | 0 |
| **N** | **end of round 6 (36c402f), held out** | **130/150 (86.7 %)** | **14/30** | **6.0 / 12** | **0** |
| **O** | **end of round 6 (36c402f), held out** | **127/150 (84.7 %)** | **21/30** | **6.0 / 12** | **0** |
| J–M | end of round 6 (36c402f), development (J and K spent, their misses read) | J 123, K 117, L 138, M 137 of 150 | J 16, K 17, L 19, M 17 of 30 | 6–7 / 12–13 | 0 |
| A–I | end of round 6 (36c402f), development | A 143, B 147, C 147, D 146, E 140, G 147, H 141, I 136 of 150; F 98 of 100 | A 24, B 26, C 24, D 25, E 25, G 24, H 19, I 22 of 30; F 32 of 40 | 6–7 / 12–14 | 0 |
| N | start of round 7 (d0b6991: round 6's code, a freshly trained model), held out | 130/150 (86.7 %) | 14/30 | 6.0 / 12 | 0 |
| O | start of round 7 (d0b6991), held out | 127/150 (84.7 %) | 21/30 | 6.0 / 12 | 0 |
| P / Q | start of round 7 (d0b6991), development | P 123/150 (82.0 %), Q 126/150 (84.0 %) | P 15, Q 12 of 30 | 6 / 12, 6 / 11 | 0 (P: 2 flagged, the age worked out from an ID number typed right after a phone number; the detector now reads it) |
| **N** | **end of round 7 (d39f155), held out** | **133/150 (88.7 %)** | **17/30** | **6.0 / 12** | **0** |
| **O** | **end of round 7 (d39f155), held out** | **128/150 (85.3 %)** | **21/30** | **6.0 / 12** | **0** |
| P / Q | end of round 7 (d39f155), development | P 139/150 (92.7 %), Q 140/150 (93.3 %) | P 22, Q 24 of 30 | 6 / 12, 6 / 11 | 0 |
| A–M | end of round 7 (d39f155), development | A 145, B 147, C 148, D 146, E 140, G 147, H 142, I 137, J 121, K 122, L 139, M 139 of 150; F 99 of 100 | A 24, B 26, C 25, D 25, E 25, G 24, H 20, I 22, J 17, K 18, L 19, M 17 of 30; F 35 of 40 | 6–7 / 11–13 | 0 |
| R | start of round 8 (accb9a4: round 7's code, a freshly trained model), held out | 130/150 (86.7 %) | 22/30 | 6.0 / 12 | 0 |
| S | start of round 8 (accb9a4), held out | 116/150 (77.3 %) | 15/30 | 6 / 13 | 0 |
| N / O | start of round 8 (accb9a4), held out | N 133/150 (88.7 %), O 130/150 (86.7 %) | N 17, O 21 of 30 | 6.0 / 12 | 0 |
| T | start of round 8 (accb9a4), development | 125/150 (83.3 %) | 18/30 | 6 / 13 | 0 |
| **R** | **end of round 8 (96ad692), held out** | **132/150 (88.0 %)** | **25/30** | **6.0 / 13** | **0** |
| **S** | **end of round 8 (96ad692), held out** | **116/150 (77.3 %)** | **16/30** | **6 / 13** | **0** |
| **N / O** | **end of round 8 (96ad692), held out** | **N 135/150 (90.0 %), O 130/150 (86.7 %)** | **N 18, O 19 of 30** | **6.0 / 11–12** | **0** |
| T / P / Q | end of round 8 (96ad692), development | T 145/150 (96.7 %), P 137/150 (91.3 %), Q 142/150 (94.7 %) | T 28, P 26, Q 24 of 30 | 6 / 11–13 | 0 |
| A–M | end of round 8 (96ad692), development | A 145, B 148, C 149, D 145, E 143, G 144, H 144, I 140, J 124, K 123, L 141, M 140 of 150; F 99 of 100 | A 25, B 27, C 27, D 24, E 24, G 26, H 20, I 21, J 19, K 18, L 18, M 16 of 30; F 34 of 40 | 6–7 / 11–13 | 0 |
| N / O / R / S | start of round 9 (5f2a07f: round 8's code, a freshly trained model), held out | N 135, O 130, R 132, S 116 of 150 | N 18, O 19, R 25, S 16 of 30 | 6 / 11–13 | 0 |
| U / V | start of round 9 (5f2a07f), development | U 124/150 (82.7 %), V 134/150 (89.3 %) | U 20, V 17 of 30 | 6 / 13–14 | 0 |
| **N / O** | **end of round 9 (1ff6259), held out** | **N 130/150 (86.7 %), O 130/150 (86.7 %)** | **N 18, O 20 of 30** | **6.0 / 11–12** | **0** |
| **R / S** | **end of round 9 (1ff6259), held out** | **R 132/150 (88.0 %), S 115/150 (76.7 %)** | **R 24, S 16 of 30** | **6 / 13** | **0** |
| U / V | end of round 9 (1ff6259), development | U 139/150 (92.7 %), V 143/150 (95.3 %) | U 25, V 26 of 30 | 6 / 13 | 0 |
| A–T | end of round 9 (1ff6259), development | A 145, B 148, C 148, D 147, E 143, G 146, H 140, I 138, J 123, K 123, L 140, M 141, P 138, Q 140, T 147 of 150; F 99 of 100 | A 26, B 27, C 25, D 24, E 25, G 27, H 20, I 21, J 22, K 19, L 18, M 16, P 27, Q 24, T 25 of 30; F 36 of 40 | 6–7 / 11–14 | 0 |
| W / X | start of round 10 (de8e189: round 9's code, a freshly trained model), held out | W 133/150 (88.7 %), X 126/150 (84.0 %) | W 18, X 20 of 30 | 6 / 12–13 | 0 (the first run flagged 1999, 2002 and 60: the registration's own example “1999年”, its 16–60 range and a birth year worked out from an age given; the detector now knows those) |
| O / R | start of round 10 (de8e189), held out | O 130/150 (86.7 %), R 132/150 (88.0 %) | O 20, R 24 of 30 | 6 / 11–13 | 0 |
| N / S | start of round 10 (de8e189), development from this round | N 130/150 (86.7 %), S 115/150 (76.7 %) | N 18, S 16 of 30 | 6 / 12–13 | 0 |
| **W / X** | **end of round 10 (66c1f21), held out** | **W 133/150 (88.7 %), X 126/150 (84.0 %)** | **W 18, X 20 of 30** | **6 / 12–13** | **0** |
| **O / R** | **end of round 10 (66c1f21), held out** | **O 130/150 (86.7 %), R 132/150 (88.0 %)** | **O 22, R 25 of 30** | **6 / 11–13** | **0** |
| N / S | end of round 10 (66c1f21), development | N 133/150 (88.7 %), S 121/150 (80.7 %) | N 20, S 19 of 30 | 6 / 12–13 | 0 |
| A–V | end of round 10 (66c1f21), development | A 145, B 148, C 148, D 147, E 144, G 147, H 141, I 138, J 123, K 123, L 140, M 141, P 138, Q 141 (142 before the last commit's eligibility fix), T 147, U 140, V 145 of 150; F 99 of 100 | A 25, B 27, C 25, D 24, E 26, G 27, H 23, I 21, J 23, K 19, L 18, M 18, P 27, Q 24, T 26, U 25, V 27 of 30; F 37 of 40 | 6–7 / 11–14 | 0 |
| Y / Z | start of round 11 (fcd5ea4: round 10's code and model), held out | Y 132/150 (88.0 %), Z 111/150 (74.0 %) | Y 21, Z 14 of 30 | 6 / 12–13 | 0 (the first run flagged 2026 and 2027: the registration's re-ask after a graduation year of 2099 gives this year as its example and next year as its bound; the detector now knows them) |
| O / R | start of round 11 (fcd5ea4), held out | O 130/150 (86.7 %), R 132/150 (88.0 %) | O 22, R 25 of 30 | 6 / 11–13 | 0 |
| W / X | start of round 11 (fcd5ea4), development from this round | W 133/150 (88.7 %), X 126/150 (84.0 %) | W 18, X 20 of 30 | 6 / 12–13 | 0 |
| Y / Z / O / R | on the way (after the round's first ten commits), held out, figures only | Y 134, Z 112, O 131, R 134 of 150 | Y 21, Z 15, O 22, R 25 of 30 | 6 | 0 |
| **Y / Z** | **end of round 11, held out** | **Y 134/150 (89.3 %), Z 113/150 (75.3 %)** | **Y 22, Z 15 of 30** | **6 / 12–13** | **0** |
| **O / R** | **end of round 11, held out** | **O 131/150 (87.3 %), R 134/150 (89.3 %)** | **O 22, R 25 of 30** | **6 / 11–13** | **0** |
| W / X | end of round 11, development | W 142/150 (94.7 %), X 135/150 (90.0 %) | W 26, X 28 of 30 | 6 / 13 | 0 |
| A–V | end of round 11, development | A 145, B 148, C 148, D 147, E 144, G 148, H 141, I 139, J 124, K 123, L 142, M 141, N 134, P 138, Q 143, S 126, T 147, U 140, V 145 of 150; F 99 of 100 | A 25, B 27, C 25, D 24, E 26, G 27, H 23, I 21, J 23, K 19, L 19, M 19, N 20, P 27, Q 24, S 22, T 26, U 25, V 27 of 30; F 37 of 40 | 6–7 / 11–14 | 0 |

Round 11: two new sets (Y: graduates' phone-typed questions; Z: askers other than the graduate and
stories of several sentences) were written before any change and held out with O and R; W and X,
held out in round 10, became development sets. On the held-out sets single questions moved a little
(Y 132 → 134, Z 111 → 113, O 130 → 131, R 132 → 134 of 150) and conversations by at most one (Y 21 → 22,
Z 14 → 15, O and R unchanged). The development sets moved more (W 133 → 142 and 18 → 26 conversations,
X 126 → 135 and 20 → 28, S 121 → 126 and 19 → 22; G, I, J, L, N and Q one question each). Every
development set was rerun after each batch of changes and no set ended below its start. Z, at 75 %,
is the weakest: stories from parents, employers and staff that end in one question still go to a
unit the story's words pull. The round's mechanisms: in a registration, “跳过” in a listed message
skips the ID, and the later answers listed together (status, wish, “工作区域不限”, “需要岗位推介”,
“没有困难情形”, “海淀朝阳都行”) and a school with its major go to their fields; “再订阅一个朝阳区的”
adds the district and “只要见习岗位” keeps the district just chosen; leaving a handoff with thanks
after it; fake papers, an ex's employer or ID, scripts to claim subsidies twice and fortune-telling
declined; the question after a story is the first sentence with a question mark or “我想知道”, and the
clause after what was heard unless it names an entry; a quoted term of the notice is answered by its
clause, or by the measure when several clauses share it and a list is asked; “具体哪天”, “多久一次”
and materials are said once to be unknown where the entry states none; an organisation asking
whether it may host trainees gets “可以” and who may; an employer asking whether it qualifies, and
“那要是我们只签半年呢”, get the subsidy's conditions; “能为她做些什么” is no yes/no question; of several
problems told, the one named last is answered; a short “交接以后呢” is the whole measure; a traineeship
ended early by a contract is the remaining-period subsidy; a name found with one wrong character is
no typo when that character starts a common word (社区工作人员 is not 社区工作者); English thanks
followed by a question answers it.

Round 10: two new sets (W: graduates' phone-typed questions; X: other askers and long stories)
were written before any change and held out with O and R; N and S, held out since rounds 6 and 8,
became development sets and their misses were read. On the held-out sets single questions did not
move (W 133, X 126, O 130, R 132 of 150 at start and end); conversations went from 20 to 22 (O) and
24 to 25 (R), W and X stayed at 18 and 20. No figure was invented and replies kept a median of 6
phone lines. The development sets moved (N 130 → 133 and 18 → 20 conversations, S 115 → 121 and
16 → 19; H, J, M, T and V one or two conversations more, A one fewer: a consent-step aside whose
reply used to pass only because the repeated privacy notice contained the words expected). One
mechanism was tried and dropped on measurement: letting retrieval's sure unit answer before the
intent's routing lost 4–12 questions on every development set. The round's mechanisms: two entries
compared, or one field asked of both, are both answered; the question after a story is what
retrieval reads; a question the NLU took for a request for a person is answered; an age beside a
where/what question asks no check; the subsidy asked after a programme's check is the programme's;
the campaign asked about as a whole gets who issued it, when it runs and whom it serves; a bare
“到啥时候” with no entry in play is the campaign's time; a named route asked where is the route's
answer; “要我们自己申请不” is how to apply; how many measures is the notice's 10 or the 20号文's 16;
a phone number asked with nothing in play is 12333; weather and other everyday matters are declined
mid-thread; a question at the registration's consent step is answered with one line recalling the
consent instead of the whole notice again; cancelling and asking for a person at a step in more
words; “有没有现金补贴”, “唔該晒”, “reach a human there” after the hotline. The held-out single
questions not moving in a round of generic fixes says the remaining misses are spread thin: most
held-out misses (judged from the development sets' misses) are a unit retrieval ranks first or
second that the routing does not pick, or a fact the knowledge base words differently.

Round 9: two new development sets (U: askers other than the graduate and long stories; V: short
phone messages and whole conversations) were written before any change; N, O, R and S stayed held
out. The development sets moved a lot (U 82.7 % → 92.7 % and 20 → 25 conversations, V 89.3 % →
95.3 % and 17 → 26), the held-out sets did not: N went from 135 to 130 single questions, S from 116
to 115, O and R stayed at 130 and 132; conversations moved by one either way (N 18 → 18, O 19 → 20,
R 25 → 24, S 16 → 16). No figure was invented and replies kept a median of 6–7 phone lines. The
held-out sets were measured, figures only, at the start, three times on the way and at the end. The
misses of the development sets that were read show a large part of the movement: the NLU
retrained on the round's data (a few new examples, a few new aliases) took “他说想先见习” for a
goodbye, “结对帮扶是谁跟我结对啊” for “are you a robot” and “区人社局会通过哪些方式来摸我的就业情况” for
listing subscriptions, all at 0.8 or more; the round added guards for those slips (small talk that
names an entry, a subscriptions list nobody asked for), but a held-out question meets slips of its
own. The round's mechanisms: pause, view and delete in everyday words at every registration step
(“我先去吃饭，回来再弄”, “看看我填了哪些信息”, “我不想登了，把刚才填的名字删了吧”), “同意授权”, registering
asked for beside a question whether one may; “还剩啥” after unsubscribing; CVs and cover letters
refused (in English too); English questions kept among an entry's keywords answered by that entry,
and leaving a person in English; a sum someone heard of checked against the entries that state
it (“我妈说有一次性补贴1000块，是真的吗”); two fields of one entry, or the campaign's time and its
targets, asked in one message both answered; “那职业指导有吗” is that service; an employer asking who
a subsidy covers gets its conditions; “具体咋帮” asks what help; new units for a graduate's own
subsidies, quitting a job, career guidance and employers joining job fairs.

Round 8: three new sets were written before any change (R and S held out, T for development). On
the held-out sets, single questions went from 86.7 % to 88.0 % (R) and stayed at 77.3 % (S), N went
from 88.7 % to 90.0 % and O stayed at 86.7 %; whole conversations from 22 to 25 (R), 15 to 16 (S),
17 to 18 (N) and 21 to 19 (O) of 30; replies stayed at a median of 6 phone lines and no figure was
invented. The development set moved more (T 83.3 % → 96.7 % and 18 → 28 conversations). Part of the
round-to-round movement is the NLU retrained on changed data: round 7's code with a model retrained
mid-round scored P 136 and 19 conversations where round 7 had ended at 139 and 22. The round's mechanisms:
consent after an OK, a pause with the errand after it, “找到了，继续” and “我已经填了哪些” in the
registration, and a favour asked at a step declined whatever the NLU made of it; “只要朝阳区的”
right after subscribing, and subscribing after questions about job fairs subscribes to job fairs;
“我还是问你吧” leaves the person; the menu intent goes through an action, so a question the NLU took
for it is answered; where asked with a district names that district's bureau, a measure's where
gives the district's offices, and a district asked of a city-wide answer is said to have none of
its own; facts stated after who may join are checked; “在你们服务范围里吗” and “35岁以下失业的也算吗”
are the check and the rule; “我能投诉吗” gets “可以。” and a count stated in a yes/no question that
the answer bears out gets “是的。”; a year after the sources (“2023年还延续吗”) is said to be unknown;
why a measure does something is its summary; the speller leaves common words alone (户口其实 is not
户口歧视); new units for 公益性岗位兜底, the headcount not given, 直补快办, a parent asking for a child,
past 35, how school leavers are followed up and what to do after finding work; “交了社保” is no
fraud; other subsidies asked after an employer's are the employer's; in English, who the campaign serves, a low-income
family's help, 12333's operator, and a field kept in Chinese. The held-out sets remain far from the
issue's 95 % and 27 of 30, and S (other askers, long stories) barely moved; R, S, N and O stay held
out (their misses were never printed).

Round 7: on the two held-out sets (N and O, held out since round 6), single questions went from
86.7 % to 88.7 % (N) and from 84.7 % to 85.3 % (O); whole conversations from 14 to 17 (N) and 21 to
21 (O) of 30; replies stayed at a median of 6 phone lines and no figure was invented. The new
development sets moved more (P 82.0 % → 92.7 % and 15 → 22 conversations, Q 84.0 % → 93.3 % and
12 → 24). The round's mechanisms: registration answers listed with commas or spaces go each to its
field, consent and answers come in one message, an errand before “later” pauses, “是刘阳” after a
correction is the value, agreeing right after declining starts, a request out of scope at a step is
declined; one district can be unsubscribed and one added right after subscribing; “不用了 结束吧”
leaves the person; an employer's question is the employer's (no graduate check), and a graduate
asking whether the company hiring them gets a subsidy gets the employer's subsidies; the archives
or a help route asked after a plain story are answered, not the story; the hotline's hours and
complaints; “有。” first when asked whether help exists; a wish named beats having none; “35岁以下”
is the rule's bound and A-not-A (算不算) is a question; refusals for forged papers, back doors,
someone else's data and abuse; whether two policies combine, or that no source says; where to
apply for a subsidy paid without applying says so; whether it is too late is the campaign's time;
多久 is a question word; the campaign's own name no longer pulls an FAQ pick elsewhere; a message
typed in toneless pinyin is read as the Chinese it spells; in English, an office's address or phone
is said to be unverified, a yes/no question about the asker is answered yes or no when their year or
age decides it, and when the campaign runs is its period. The held-out sets remain far from the
issue's 95 % and 27 of 30; N and O stay held out (their misses were never printed).

Round 6: on the two held-out sets, single questions went from 84.0 % to 86.7 % (N) and from 79.3 %
to 84.7 % (O); whole conversations from 12 to 14 (N) and 20 to 21 (O) of 30; replies stayed at a
median of 6 phone lines and no figure was invented. The development sets moved more (L 84.0 % →
92.0 % and 14 → 19 conversations, M 87.3 % → 91.3 % and 15 → 17, K 74.7 % → 78.0 %). The round's
mechanisms: a field or clause the question speaks of beats the field its cue word names
(“扩岗补助要交多久的失业保险” is the conditions, not the amount); an FAQ pick yields to a unit ahead
of it that speaks of the question's words where the entry does not; close units are not offered as
a choice when one's own question is the one asked, or when one is the situation the asker says is
theirs; a list intent with words of its own answers them instead of the list; a situation said not
to be the asker's (“不算困难家庭”, but not “算不算歧视”) is not found, and a 2022 graduate without a job
gets the campaign's help rather than the unemployed youth's; a short how-many question after a
situation's answer is asked of it; seeing one's registration acts only on its words; registration
turns acknowledge a value given after a wrong one or after “手机号填错了”, take a leading name with
the other answers of one message, answer a question where a name is asked, and say so when they go
on; English answers give the field asked of the entry the question names; section 六's clauses
(属地责任, 宣传, 报送) became answer units. Both held-out sets stay far from the issue's 95 % and 27
of 30; N and O stay held out (their misses were never printed) for the next round.

Round 5: on the two held-out sets, single questions went from 67.3 % to 74.7 % (K) and from 76.0 %
to 80.7 % (J); whole conversations from 14 to 14 (K) and 13 to 14 (J) of 30; replies stayed at a
median of 6–7 phone lines and no figure was invented. J's end figure is partly informed (ten of its
typo examples were named by its helper, and a failed CI run printed its misses at the start of the
round's second session; the frozen-set test prints figures only since). The development sets L and
M moved from 83.3 % / 10 and 78.7 % / 9 to 84.7 % / 15 and 87.3 % / 15, mostly in conversations.
The round's mechanisms: look-alike typos (four-corner codes and shared components) and pinyin
initials (jx, sb, kg); two questions in one message each answered; an exact date or place that is
not known said once to be unknown; close entries told apart by a word only one speaks of; an
employer's situation; a command (register, subscribe, delete) acting only on its own words and the
eligibility check only on a question of qualifying, a mistaken one answered instead; an FAQ pick far
behind retrieval yielding to it; registration gates that take “那好吧 同意”, questions on the side,
an ID number that fails its check said at once, a value taken after a wrong one acknowledged;
rights answers for working without a contract (sourced to the labour contract law) and a rights
follow-up kept with its situation. Single questions written by people who only read the notice
are still far from the issue's 95 %, and whole conversations from 27 of 30: the remaining misses
are mostly details the notice states in one clause that a colloquial question reaches only by
words the knowledge base does not hold, and multi-turn registrations whose expectations differ from
the flow's wording.

Round 4: on the two held-out sets, single questions went from 83.3 % to 87.3 % (H) and from 85.3 %
to 88.0 % (I); whole conversations from 14 to 16 (H) and 18 to 20 (I) of 30; replies stayed at a
median of 6 phone lines. The development sets moved much more (G 84.7 % → 97.3 %, 16 → 25
conversations): the round's mechanisms (homophone typos, what the campaign does not cover, “I am X”
in the check's words, whether two policies combine, the consent step's questions) carry over, the
everyday wordings added to the knowledge base for G's questions mostly do not. The issue's targets
(95 %, 27 of 30) are not reached on held-out sets. H's and I's misses are listed below from this
run; reading them ends their use as held-out sets.

Round 3: on the held-out set E, whole conversations went from 16 to 19 of 30 and single questions
stayed at 90.0 % (the issue asks for 95 % and 27 of 30); replies stayed at a median of 7 phone
lines. The development sets moved more (F conversations 18 → 29 of 40, B 21 → 28, D 21 → 26), so
the round's work (follow-ups read with the question before them, “X呢”, the reliability of a
figure, registration asides, each way of asking matched on its own) generalises only in part. E's
misses are listed below from this run; reading them ends its use as a held-out set.

Round 2: on the held-out set C, single questions went from 80.0 % to 90.7 %, short of the issue's 95 %;
whole conversations did not improve (15 → 14 of 30, within the noise of one conversation but
not better): the second round's gains on conversations (D 8 → 21, B 11 → 21) did not carry over to
conversations written by someone else. Set C's misses were read after this measurement (they are
listed below) and some were fixed, so the next measurement needs a new set. The figures below are
the latest `make heldout` run; `questions.yml` grades the exact entry an answer came from, which
the more specific answers of issue 13 often differ from.
"""


def main() -> int:
    import tempfile

    from devstack.stack import running_stack
    from tests.conftest import MODEL, free_port
    from tests.heldout import frozen

    sections = []
    with tempfile.TemporaryDirectory() as ledger:
        env = {"DATABASE_URL": f"sqlite:///{ledger}/ledger.sqlite3"}
        with running_stack(MODEL, free_port(), free_port(), enable_api=True, env=env) as stack:
            sections.append(("questions.yml (intent and answer entry)", evaluate(stack.rasa_url).summary()))
            for path in frozen.SETS:
                report = frozen.evaluate(stack.rasa_url, path)
                sections.append((path.name, report.summary(misses=path.name not in frozen.HELD_OUT)))
    body = "\n".join(f"\n## {name}\n\n```\n{summary}\n```\n" for name, summary in sections)
    for name, summary in sections:
        print(f"== {name}\n{summary}\n")
    REPORT.write_text(HEADER + body, encoding="utf-8")
    print(f"written to {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
