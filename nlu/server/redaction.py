"""Which characters of a conversation are personal data: the marker an action attaches to its
events and the tracker store (nlu/server/private_store.py) reads before anything is stored.

Only the dialogue state knows that “王芳” is a name, so the action that took it says where it
is: character spans of the latest user message and of the replies it sent in this turn, each
with a label — never the value itself. The marker rides in the metadata of a slot event the
action returns anyway (Rasa accepts metadata on every event; no domain change, no retraining):

    {"event": "slot", "name": "active_task", "value": …,
     "metadata": {"personal_spans": {"user": [[2, 4, "姓名"]], "bot": [[0, 8, 10, "姓名"]]}}}

`bot` entries are [index of the reply among this action's replies, start, end, label]. The store
replaces each span with 〔label〕 and drops the marker. No Rasa imports: the action server uses
this module too.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

MARKER_KEY = "personal_spans"
Span = Tuple[int, int, str]  # start, end, label
BotSpan = Tuple[int, int, int, str]  # reply index, start, end, label


def find_spans(text: str, values: Mapping[str, str]) -> List[Span]:
    """Every occurrence in `text` of each value, labelled with its key (e.g. 姓名 → 王芳)."""
    spans: List[Span] = []
    for label, value in values.items():
        start = text.find(value) if value else -1
        while start >= 0:
            spans.append((start, start + len(value), label))
            start = text.find(value, start + len(value))
    return sorted(spans)


def marker(user: Sequence[Span], bot: Sequence[BotSpan]) -> Dict[str, Any]:
    return {"user": [list(span) for span in user], "bot": [list(span) for span in bot]}


def placeholder(label: str) -> str:
    return f"〔{label}〕"


def redact(text: str, spans: Sequence[Span]) -> str:
    """The text with each span replaced by 〔label〕; spans outside the text or overlapping an
    earlier one are ignored."""
    out: List[str] = []
    position = 0
    for start, end, label in sorted(spans):
        if start < position or end > len(text) or start >= end:
            continue
        out += [text[position:start], placeholder(label)]
        position = end
    return "".join(out) + text[position:]


def read_marker(metadata: Optional[Mapping[str, Any]]) -> Optional[Tuple[List[Span], List[BotSpan]]]:
    """The spans of a marker in an event's metadata, or None; malformed entries are skipped."""
    found = (metadata or {}).get(MARKER_KEY)
    if not isinstance(found, dict):
        return None
    user = [(s[0], s[1], str(s[2])) for s in found.get("user") or [] if _ints(s, 2, 3)]
    bot = [(s[0], s[1], s[2], str(s[3])) for s in found.get("bot") or [] if _ints(s, 3, 4)]
    return user, bot


def _ints(entry: Any, count: int, length: int) -> bool:
    return isinstance(entry, (list, tuple)) and len(entry) == length and all(
        isinstance(part, int) and not isinstance(part, bool) and part >= 0 for part in entry[:count])
