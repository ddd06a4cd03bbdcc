"""What correcting typos costs a message: every question and conversation turn of the frozen
evaluation sets through the knowledge base's speller (homophones, look-alikes, pinyin initials),
warm (jieba and the shape tables loaded). Figures go to docs/performance.md.

    .venv/bin/python -m scripts.speller_benchmark
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import List

import yaml

from policy_kb import load_kb

SETS = sorted((Path(__file__).resolve().parents[1] / "tests" / "heldout").glob("frozen-*.yml"))


def messages() -> List[str]:
    texts: List[str] = []
    for path in SETS:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += [case["text"] for case in data.get("questions", [])]
        texts += [turn["user"] for case in data.get("conversations", []) for turn in case["turns"]]
    return texts


def main() -> None:
    started = time.perf_counter()
    knowledge = load_kb()
    built = time.perf_counter() - started
    texts = messages()
    for text in texts:  # warm: jieba's dictionary, the shape tables
        knowledge.spelled(text)
    costs = []
    for text in texts:
        begin = time.perf_counter()
        knowledge.spelled(text)
        costs.append((time.perf_counter() - begin) * 1000)
    costs.sort()
    print(f"messages: {len(texts)} from {len(SETS)} sets; knowledge base loaded (with the speller) in {built * 1000:.0f} ms")
    print(f"per message: median {statistics.median(costs):.3f} ms, 90th percentile {costs[int(0.9 * (len(costs) - 1))]:.3f} ms, "
          f"slowest {costs[-1]:.2f} ms")


if __name__ == "__main__":
    main()
