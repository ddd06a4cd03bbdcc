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
from pathlib import Path
from typing import Dict, List, Optional

import httpx
import yaml

QUESTIONS = Path(__file__).resolve().parent / "questions.yml"
REPORT = Path(__file__).resolve().parents[2] / "docs" / "heldout.md"


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
        return self.expected_ref is None or self.ref == self.expected_ref


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


def main() -> int:
    from bot.stack import running_stack
    from tests.conftest import MODEL, free_port

    with running_stack(MODEL, free_port(), free_port(), enable_api=True) as stack:
        summary = evaluate(stack.rasa_url).summary()
    print(summary)
    REPORT.write_text(
        "# Held-out evaluation\n\nWritten by `make heldout` (tests/heldout/evaluate.py): each question of "
        "tests/heldout/questions.yml, written from the notice alone and never trained on, asked in a fresh "
        f"conversation through the REST channel.\n\n```\n{summary}\n```\n",
        encoding="utf-8",
    )
    print(f"written to {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
