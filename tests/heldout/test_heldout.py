"""Figures on questions the model never saw; the floor guards against regressions, the figures
themselves are reported by `make heldout` and written down in docs/benchmark.md."""
from __future__ import annotations

import pytest

from devstack.stack import Stack
from tests.heldout.evaluate import evaluate

pytestmark = pytest.mark.stack


def test_heldout_intents_and_answers(stack: Stack) -> None:
    report = evaluate(stack.rasa_url)
    print(report.summary())
    assert report.intent_accuracy >= 0.80, report.summary()
    assert report.answer_correctness >= 0.80, report.summary()
