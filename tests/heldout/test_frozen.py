"""The frozen held-out sets (tests/heldout/frozen-*.yml), asked through the real REST channel of a
stack with a ledger of its own (their registrations stay out of the other tests' ledger).

The floors guard against regressions; the figures themselves are reported by `make heldout` and
written down in docs/heldout.md."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from devstack.stack import Stack, free_port, running_stack
from tests.heldout.frozen import SETS, evaluate

pytestmark = pytest.mark.stack

# per set: share of single questions, conversations passed (of 30; F: of 40); below the figures in docs/heldout.md
FLOORS = {
    "frozen-2026-12-05-a.yml": (0.90, 19), "frozen-2026-12-05-b.yml": (0.91, 18),
    "frozen-2026-12-05-c.yml": (0.87, 11), "frozen-2026-12-05-d.yml": (0.94, 18),
    "frozen-2026-12-06-e.yml": (0.87, 16), "frozen-2026-12-06-f.yml": (0.95, 25),
    # round 4: G the development set; H and I held out, below their end-of-round figures (87.3 % and 16,
    # 88.0 % and 20)
    "frozen-2026-12-06-g.yml": (0.93, 22), "frozen-2026-12-06-h.yml": (0.84, 14),
    "frozen-2026-12-06-i.yml": (0.85, 17),
    # round 5: J and K held out, below their end-of-round figures (80.7 % and 14, 74.7 % and 14); L and M
    # the development sets
    "frozen-2026-12-06-j.yml": (0.78, 12), "frozen-2026-12-06-k.yml": (0.72, 12),
    "frozen-2026-12-06-l.yml": (0.81, 11), "frozen-2026-12-06-m.yml": (0.84, 10),
    # round 6: N and O held out, below their end-of-round figures (86.7 % and 14, 84.7 % and 21); raised
    # after round 7 (88.7 % and 17, 85.3 % and 21); after round 8 N 90.0 % and 18, O 86.7 % and 19 (O's
    # conversations went down by 2 with this round's retrained model: its floor leaves room for that)
    # after round 9 N 86.7 % and 18 (five questions fewer than at its start: the floor now leaves room for that),
    # O 86.7 % and 20
    "frozen-2026-12-06-n.yml": (0.85, 15), "frozen-2026-12-06-o.yml": (0.82, 17),
    # round 7: P and Q the development sets (end: 92.7 % and 22, 93.3 % and 24; after round 8: 91.3 % and 26,
    # 94.7 % and 24)
    "frozen-2026-12-07-p.yml": (0.88, 18), "frozen-2026-12-07-q.yml": (0.88, 20),
    # round 8: R and S held out (end: 88.0 % and 25, 77.3 % and 16), T the development set (96.7 % and 28)
    # (after round 9: R 88.0 % and 24, S 76.7 % and 16, T 98.0 % and 25)
    "frozen-2026-12-07-r.yml": (0.85, 22), "frozen-2026-12-07-s.yml": (0.73, 13),
    "frozen-2026-12-07-t.yml": (0.93, 23),
    # round 9: U and V the development sets (end: 92.7 % and 25, 95.3 % and 26)
    "frozen-2026-12-07-u.yml": (0.89, 22), "frozen-2026-12-07-v.yml": (0.91, 22),
    # round 10: W and X held out (start and end: 88.7 % and 18, 84.0 % and 20); N and S development sets
    # since (end: 88.7 % and 20, 80.7 % and 19); O and R after round 10: 86.7 % and 22, 88.0 % and 25
    "frozen-2026-12-07-w.yml": (0.86, 15), "frozen-2026-12-07-x.yml": (0.81, 17),
    # round 11: Y and Z held out, below their baselines on fcd5ea4 (88.0 % and 21, 74.0 % and 14)
    "frozen-2026-12-07-y.yml": (0.86, 19), "frozen-2026-12-07-z.yml": (0.72, 12),
}


@pytest.fixture(scope="module")
def heldout_stack(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    ledger = tmp_path_factory.mktemp("heldout-ledger") / "ledger.sqlite3"
    logs = tmp_path_factory.mktemp("heldout-logs")
    with running_stack(model, free_port(), free_port(), logs, env={"DATABASE_URL": f"sqlite:///{ledger}"}) as running:
        yield running


@pytest.mark.parametrize("path", SETS, ids=[p.name for p in SETS])
def test_frozen_set(heldout_stack: Stack, path: Path) -> None:
    report = evaluate(heldout_stack.rasa_url, path)
    figures = report.summary(misses=False)  # never the misses: CI's output must not unseal a held-out set
    print(figures)
    share, conversations = FLOORS[path.name]
    assert report.question_score >= share, figures
    assert report.conversations_passed >= conversations, figures
    assert not report.invented(), figures
