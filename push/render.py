"""A notice as the text a graduate receives: the kind and title, for job fairs the date, time,
place, online link and organiser, the body, the validity, and how to unsubscribe. Plain text on
both channels (Telegram and WeChat make links clickable themselves); the body is shortened when
the whole would not fit one message (Telegram 4096 characters, WeChat customer-service 2048 bytes).
"""
from __future__ import annotations

from datetime import date
from typing import Dict, List, Optional

from notices.model import KINDS, Notice

TELEGRAM_BYTES = 4000
WECHAT_BYTES = 2000
ELLIPSIS = "…（详见官方发布）"

HEADINGS: Dict[str, str] = {
    "recommendation": "根据你登记的求职意向，为你推荐：",
    "test": "【测试推送，仅发给你自己】",
}


def cn_date(day: Optional[date]) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def when(notice: Notice) -> str:
    """'2024年5月13日 9:00-12:00', or '' when the notice names no event date."""
    return " ".join(part for part in (cn_date(notice.event_date), notice.event_time or "") if part)


def unsubscribe_line(notice: Notice, purpose: str) -> str:
    label = KINDS.get(notice.kind, "")
    if purpose == "subscription" and label:
        return f"回复“退订{label}”不再接收此类信息，回复“退订”取消全部推送。"
    return "不想再收到推送，回复“退订”即可。"


def facts(notice: Notice) -> List[str]:
    lines = []
    if when(notice):
        lines.append(f"时间：{when(notice)}")
    for label, value in (("地点", notice.place), ("线上参与", notice.online_link), ("主办", notice.organiser)):
        if value:
            lines.append(f"{label}：{value}")
    return lines


def render_text(notice: Notice, purpose: str = "subscription", max_bytes: int = TELEGRAM_BYTES) -> str:
    head = [HEADINGS[purpose]] if purpose in HEADINGS else []
    head.append(f"【{KINDS.get(notice.kind, '通知')}】{notice.title}")
    head.extend(facts(notice))
    tail = [f"有效期：{cn_date(notice.valid_from)}至{cn_date(notice.valid_until)}", unsubscribe_line(notice, purpose)]
    room = max_bytes - len("\n".join(head + tail).encode("utf-8")) - 2
    return "\n".join(head + [shorten(notice.body.strip(), room)] + tail)


def shorten(text: str, max_bytes: int) -> str:
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    budget = max(max_bytes - len(ELLIPSIS.encode("utf-8")), 0)
    cut = text.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return cut + ELLIPSIS
