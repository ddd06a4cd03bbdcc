"""Notices and subscriptions as the chat, the console and the push worker see them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Dict, List, Optional

# kind code → what graduates call it
KINDS: Dict[str, str] = {
    "job": "招聘岗位",
    "fair": "招聘会",
    "traineeship": "见习岗位",
    "policy": "政策更新",
    "announcement": "服务公告",
}


@dataclass
class Notice:
    kind: str
    title: str
    body: str
    valid_from: date
    valid_until: date
    created_by: str
    district: Optional[str] = None  # None: city-wide
    industry: Optional[str] = None
    degree: Optional[str] = None  # the lowest degree asked for (db.tables.DEGREES)
    event_date: Optional[date] = None  # job fairs
    event_time: Optional[str] = None
    place: Optional[str] = None
    online_link: Optional[str] = None
    organiser: Optional[str] = None
    status: str = "draft"  # draft | published | withdrawn
    id: Optional[int] = None


@dataclass
class Subscription:
    identity: str
    kind: str
    districts: List[str] = field(default_factory=list)  # empty: any district
    industries: List[str] = field(default_factory=list)
    degree: Optional[str] = None

    @property
    def channel(self) -> str:
        return self.identity.split(":", 1)[0]
