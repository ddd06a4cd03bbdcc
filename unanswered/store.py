"""Recording unanswered questions (action server) and listing them for staff (console).

Nothing identifies who asked: only the channel, and the district the asker registered (so that
district staff see their district's questions, as with handoff cases). Texts are masked (phone and
ID numbers) before they are encrypted; a keyed hash of the normalised text groups the same question
asked many times.

`districts` limits what staff list and mark handled, as HandoffStore.cases does: None for city
staff (everything), [their district, None] for district staff (theirs and those of askers who are
not registered).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Optional, Sequence

from sqlalchemy import and_, select, update
from sqlalchemy.engine import Engine

from db.crypto import Cipher
from db.engine import in_districts, now, utc
from db.pii import mask_personal_numbers
from db.retention import normalised_question
from db.tables import unanswered_questions as table

REASONS = ("unclear", "out_of_scope", "gave_up")
RESOLUTIONS = {"added": "已补充知识库", "ignored": "忽略"}
MAX_TEXT = 500
SCAN_LIMIT = 5000  # the newest open records grouped for the list


@dataclass(frozen=True)
class Question:
    key: str  # the text hash: what staff mark as handled
    text: str
    count: int
    first_at: datetime
    last_at: datetime
    channels: List[str]
    reasons: List[str]
    guess: Optional[str]
    districts: List[str]  # the askers' registered districts (none for askers not registered)


Districts = Optional[Sequence[Optional[str]]]


def question_key(text: str) -> str:
    """What is the same for one question however it was typed (the list groups records by its hash)."""
    return normalised_question(mask_personal_numbers(text.strip())[:MAX_TEXT])


class UnansweredStore:
    def __init__(self, engine: Engine, cipher: Cipher) -> None:
        self.engine = engine
        self.cipher = cipher

    def record(self, channel: str, text: str, reason: str, guess: Optional[str], confidence: Optional[float],
               district: Optional[str] = None) -> bool:
        """Keep one question; False (nothing kept) for empty text, button payloads or bare numbers."""
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        text = mask_personal_numbers(text.strip())[:MAX_TEXT]
        key = normalised_question(text)
        if not key or text.startswith("/") or key.isdigit():
            return False
        with self.engine.begin() as conn:
            conn.execute(table.insert().values(
                at=now(), channel=channel[:16], district=district and district[:32], text_hash=self.cipher.blind_index("question", key),
                text_enc=self.cipher.encrypt(text), reason=reason, guess=(guess or None) and guess[:64],
                confidence=confidence))
        return True

    def open_questions(self, limit: int = 200, districts: Districts = None) -> List[Question]:
        """Open questions grouped by text, most asked first (then most recent)."""
        query = (select(table).where(and_(table.c.resolved_at.is_(None), in_districts(table.c.district, districts)))
                 .order_by(table.c.id.desc()).limit(SCAN_LIMIT))
        groups: Dict[str, List] = {}
        with self.engine.begin() as conn:
            for row in conn.execute(query):
                groups.setdefault(row.text_hash, []).append(row)
        questions = [self._question(key, rows) for key, rows in groups.items()]
        questions.sort(key=lambda q: (-q.count, -q.last_at.timestamp()))
        return questions[:limit]

    def resolve(self, key: str, resolution: str, staff: str, districts: Districts = None) -> int:
        """Mark every open record of one question within `districts` handled; returns how many."""
        if resolution not in RESOLUTIONS:
            raise ValueError(f"unknown resolution {resolution!r}")
        scope = in_districts(table.c.district, districts)
        with self.engine.begin() as conn:
            return int(conn.execute(update(table).where(and_(table.c.text_hash == key, table.c.resolved_at.is_(None), scope))
                                    .values(resolved_at=now(), resolved_by=staff, resolution=resolution)).rowcount)

    def _question(self, key: str, rows: List) -> Question:
        newest = rows[0]
        return Question(
            key=key, text=self.cipher.decrypt(newest.text_enc) or "", count=len(rows),
            first_at=utc(rows[-1].at), last_at=utc(newest.at),
            channels=sorted({r.channel for r in rows}), reasons=sorted({r.reason for r in rows}),
            guess=newest.guess, districts=sorted({r.district for r in rows if r.district}))
