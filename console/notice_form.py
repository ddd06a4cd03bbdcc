"""A notice as staff compose it: the JSON of the compose page checked and turned into a Notice,
and the Beijing time a broadcast is scheduled for. Refusals are ApiError(400/403) in Chinese."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any, List, Mapping, Optional

from console.accounts import Staff
from console.web import ApiError, choice_field, text_field
from db.tables import DEGREES
from ledger.export import BEIJING
from notices.model import KINDS, Notice

MAX_BODY_TEXT = 2000  # one chat message, with room for the title and the fair's details
MAX_VALIDITY = timedelta(days=366)
MAX_SCHEDULE_AHEAD = timedelta(days=90)
UTC_OFFSETS = (timedelta(hours=-12), timedelta(hours=14))  # the offsets time zones have
_LINK = re.compile(r"https?://[^\s<>\"']+")


def notice_from(body: Mapping[str, Any], staff: Staff, districts: List[str], today: date) -> Notice:
    kind = choice_field(body, "kind", KINDS, "请选择通知类别")
    notice = Notice(
        kind=kind,
        title=str(text_field(body, "title", "标题", 200, required=True)),
        body=str(text_field(body, "body", "正文", MAX_BODY_TEXT, required=True)),
        valid_from=date_field(body, "valid_from", "有效期开始日期", required=True) or today,
        valid_until=date_field(body, "valid_until", "有效期结束日期", required=True) or today,
        created_by=staff.username,
        district=district_field(body, staff, districts),
        industry=text_field(body, "industry", "行业", 64),
        degree=degree_field(body),
    )
    check_validity(notice, today)
    if notice.kind == "fair":
        add_fair_details(notice, body)
    return notice


def district_field(body: Mapping[str, Any], staff: Staff, districts: List[str]) -> Optional[str]:
    district = text_field(body, "district", "区域", 32)
    if district is not None and district not in districts:
        raise ApiError(400, "区域不在本市区县列表中")
    if not staff.city and district != staff.district:
        raise ApiError(403, "区级账号只能发布本区的通知，不能发布全市或其他区的通知")
    return district


def degree_field(body: Mapping[str, Any]) -> Optional[str]:
    degree = text_field(body, "degree", "学历要求", 8)
    if degree is not None and degree not in DEGREES:
        raise ApiError(400, "学历要求不在列表中")
    return degree


def check_validity(notice: Notice, today: date) -> None:
    if notice.valid_until < notice.valid_from:
        raise ApiError(400, "有效期结束日期早于开始日期")
    if notice.valid_until < today:
        raise ApiError(400, "有效期已过，无法发布")
    if notice.valid_until - notice.valid_from > MAX_VALIDITY:
        raise ApiError(400, "有效期最长一年")


def add_fair_details(notice: Notice, body: Mapping[str, Any]) -> None:
    notice.event_date = date_field(body, "event_date", "举办日期", required=True)
    notice.event_time = text_field(body, "event_time", "举办时间", 32)
    notice.place = text_field(body, "place", "举办地点", 200)
    notice.online_link = text_field(body, "online_link", "线上链接", 500)
    notice.organiser = text_field(body, "organiser", "主办单位", 200)
    if notice.online_link is not None and not _LINK.fullmatch(notice.online_link):
        raise ApiError(400, "线上链接应以 http:// 或 https:// 开头")
    if notice.place is None and notice.online_link is None:
        raise ApiError(400, "招聘会请填写举办地点或线上链接")


def date_field(body: Mapping[str, Any], name: str, label: str, required: bool = False) -> Optional[date]:
    raw = text_field(body, name, label, 10, required)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{label}格式不对（应为 年-月-日）") from None


def scheduled_time(raw: Any, now: datetime) -> datetime:
    """'2025-07-01T09:30' (Beijing time, as a datetime-local field sends it; an explicit UTC offset
    of a real time zone is honoured) → UTC, in the future."""
    if not isinstance(raw, str):
        raise ApiError(400, "请选择定时发送的时间")
    try:
        local = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ApiError(400, "定时发送时间格式不对") from None
    offset = local.utcoffset()
    if offset is not None and not UTC_OFFSETS[0] <= offset <= UTC_OFFSETS[1]:
        raise ApiError(400, "定时发送时间的时区不对（应为北京时间）")
    try:
        when = (local if local.tzinfo else local.replace(tzinfo=BEIJING)).astimezone(timezone.utc)
    except OverflowError:  # e.g. 9999-12-31T23:00-10:00 is in the year 10000 in UTC
        raise ApiError(400, "定时发送最多可提前 90 天") from None
    if when <= now:
        raise ApiError(400, "定时发送时间必须晚于现在")
    if when > now + MAX_SCHEDULE_AHEAD:
        raise ApiError(400, "定时发送最多可提前 90 天")
    return when
