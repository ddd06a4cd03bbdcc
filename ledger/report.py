"""The monthly report (督查通报, notice 六): for a month and each district, where the real-name work
stood at the end of that month (Beijing time) — graduates on the list, reached, registered in chat,
by the status last learned, services given against the promise of 五（八）, families in difficulty
short of 3 opportunities — with the change on the month before and the districts furthest behind
first. Counts only: nothing personal is read (no _enc column, no identity).

As of the end of the month (so a month's figures do not change when it is reported again later):

- on the list: a registration (source 'import' or 'chat') created before the month ended and not
  deleted by then (a graduate who deletes in November still counts in September's report: the
  ledger keeps the anonymous row for the counts);
- reached: a contact with reached=true dated in or before the month, or registered in chat
  (consented_at) before the month ended;
- status: the status of the latest contact (by date, then entry) that recorded one, whether or not
  the graduate was reached in it (数据比对 learns a status without reaching anyone); failing that,
  for a graduate registered in chat by then, the status they gave in chat (未就业 and 灵活就业 →
  seeking, as ledger/followup.py owes them services; the ledger keeps no history of that answer, so
  it is the current one); else unknown;
- owed the promise: status seeking or unknown (a graduate not yet reached is owed services until the
  district learns otherwise, so not reaching people does not raise a district's share);
- services: follow-ups dated in or before the month, judged by ledger/followup.py's rules
  (1 guidance, 3 recommendations, 1 training or traineeship); fully served = all three met;
- 困难家庭 short: a graduate of a family in difficulty, owed the promise, with fewer than 3
  recommendations (the floor of the notice's 3–5 opportunities).

Furthest behind first: lowest share fully served; then lowest share reached; then most 困难家庭
short of opportunities; then the longer list. A district owing nobody services (share undefined)
comes after every district with a share.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple, Union

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as XlsxCell
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.engine import Engine

from db.engine import utc

from db.tables import CHAT_STATUSES, CONTACT_STATUSES, contacts, follow_ups, registrations
from ledger.export import BEIJING, district_matches
from ledger.export import _write_atomically as write_atomically
from ledger.export import _xlsx_cell as xlsx_cell  # the safe-cell conventions of the ledger's export
from ledger.followup import DIFFICULTY_OPPORTUNITIES_REQUIRED, opportunities, owed, requirements
from ledger.model import Registration

SOURCES = ("import", "chat")
STATUS_CODES = ("employed", "seeking", "study", "no_wish", "startup", "unknown")
STATUS_LABELS: Dict[str, str] = {**CONTACT_STATUSES, "unknown": "状态未知"}
OWED_STATUSES = ("seeking", "unknown")
# a follow-up requirement (by its first kind) → the column of graduates who met it
REQUIREMENT_COLUMNS = {"guidance": "guidance", "recommendation": "recommendations", "training": "training"}
# a graduate owed the promise, as ledger/followup.py sees one (from a family in difficulty or not)
_SEEKERS = {difficulty: Registration(status="未就业", difficulty=difficulty) for difficulty in (False, True)}
TREND_MONTHS = 12  # the trend shows the campaign so far, at most this many months
TOTAL_LABEL = "全市合计"
UNKNOWN_DISTRICT = "居住区未填"

# the counts of a row, in the order the report shows them
COUNTS: Dict[str, str] = {
    "listed": "名单人数",
    "reached": "已联系到",
    "registered": "已在线登记",
    **{code: STATUS_LABELS[code] for code in STATUS_CODES},
    "owed": "应服务人数",
    "guidance": "已获职业指导",
    "recommendations": "岗位推介满3次",
    "training": "已获培训或见习",
    "served": "服务全部达标",
    "difficulty": "困难家庭",
    "difficulty_short": "困难家庭机会不足3个",
}
# share → (label, numerator, denominator)
SHARES: Dict[str, Tuple[str, str, str]] = {
    "share_reached": ("联系率", "reached", "listed"),
    "share_served": ("服务达标率", "served", "owed"),
}
# the figures compared with the month before
MAIN: Tuple[str, ...] = ("listed", "reached", "registered", "served", "difficulty_short")

_MONTH = re.compile(r"(\d{4})-(\d{2})")


class ReportError(ValueError):
    """A month or district the report cannot be made for; `zh` says it to staff in Chinese."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: object, today: Optional[date] = None) -> "Month":
        """'2022-09' → Month(2022, 9); a malformed month, or one after the current month in
        Beijing, raises ReportError."""
        found = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
        if found is None or not 1 <= int(found.group(2)) <= 12 or not 2000 <= int(found.group(1)) <= 2100:
            raise ReportError(f"not a month (YYYY-MM, e.g. 2022-09): {text!r}", "月份应为“年-月”，如 2022-09")
        month = cls(int(found.group(1)), int(found.group(2)))
        if month > cls.containing(today or beijing_today()):
            raise ReportError(f"month {month} has not begun yet", f"{month.label}还没有开始")
        return month

    @classmethod
    def containing(cls, day: date) -> "Month":
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @cached_property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    @cached_property
    def cutoff(self) -> datetime:
        """The first instant after the month, Beijing time (stored timestamps are compared with it)."""
        return datetime.combine(self.next().first_day, datetime.min.time(), BEIJING)

    def next(self) -> "Month":
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> "Month":
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def beijing_today() -> date:
    return datetime.now(BEIJING).date()


@dataclass(frozen=True)
class Contact:
    day: date
    reached: bool
    status: Optional[str]


@dataclass
class Graduate:
    """One registration's dated facts, nothing personal."""

    district: Optional[str]
    created_at: datetime
    deleted_at: Optional[datetime]
    consented_at: Optional[datetime]
    chat_status: Optional[str]
    difficulty: bool
    contacts: List[Contact] = field(default_factory=list)  # by date, then entry
    services: List[Tuple[date, str]] = field(default_factory=list)

    def listed(self, month: Month) -> bool:
        return self.created_at < month.cutoff and (self.deleted_at is None or self.deleted_at >= month.cutoff)

    def registered(self, month: Month) -> bool:
        return self.consented_at is not None and self.consented_at < month.cutoff

    def event_days(self) -> List[date]:
        """The days of this graduate's contacts and services, in order."""
        return sorted([contact.day for contact in self.contacts] + [day for day, _ in self.services])

    def tally(self, month: Month) -> List[str]:
        """The counts this graduate adds to in `month` (the graduate is on the list then)."""
        end = month.last_day
        registered = self.registered(month)
        known = [contact for contact in self.contacts if contact.day <= end]
        status = self.status(known, registered)
        keys = ["listed", status]
        if registered or any(contact.reached for contact in known):
            keys.append("reached")
        if registered:
            keys.append("registered")
        if self.difficulty:
            keys.append("difficulty")
        if status in OWED_STATUSES:
            keys += self._services(end)
        return keys

    def status(self, known: Sequence[Contact], registered: bool) -> str:
        for contact in reversed(known):
            if contact.status in CONTACT_STATUSES:
                return contact.status
        if registered:
            return CHAT_STATUSES.get(self.chat_status or "", "unknown")
        return "unknown"

    def _services(self, end: date) -> List[str]:
        """followup.py's promise, for a graduate owed it, by the services given up to `end`."""
        given = Counter(kind for day, kind in self.services if day <= end)
        seeker = _SEEKERS[self.difficulty]
        unmet = {item.label for item in owed(seeker, given)}
        keys = ["owed"] + [REQUIREMENT_COLUMNS[r.kinds[0]] for r in requirements(seeker) if r.label not in unmet]
        if not unmet:
            keys.append("served")
        if self.difficulty and opportunities(given) < DIFFICULTY_OPPORTUNITIES_REQUIRED:
            keys.append("difficulty_short")
        return keys


@dataclass(frozen=True)
class Figures:
    """One row's counts (every key of COUNTS) and the shares made from them."""

    counts: Mapping[str, int]

    def __getitem__(self, key: str) -> int:
        return self.counts[key]

    def share(self, key: str) -> Optional[float]:
        """A share (SHARES) as a fraction; None when its denominator is 0."""
        _, numerator, denominator = SHARES[key]
        return self.counts[numerator] / self.counts[denominator] if self.counts[denominator] else None


def figures(tally: Mapping[str, int]) -> Figures:
    return Figures({key: int(tally.get(key, 0)) for key in COUNTS})


@dataclass(frozen=True)
class MonthFigures:
    """A month's figures, city-wide: each district's (None: district not filled in) and the total."""

    month: Month
    districts: Mapping[Optional[str], Figures]
    total: Figures

    def of(self, district: Optional[str]) -> Figures:
        return self.districts.get(district) or figures({})


def month_figures(graduates: Iterable[Graduate], months: Sequence[Month]) -> List[MonthFigures]:
    """The figures of each of `months` (in order). A graduate whose facts did not change since the
    month before adds the same counts again, without working them out anew."""
    combos: List[Counter] = [Counter() for _ in months]  # (district, counts added) → graduates
    for graduate in graduates:
        days = graduate.event_days()
        last: Optional[Tuple[int, bool]] = None
        keys: Tuple[str, ...] = ()
        for index, month in enumerate(months):
            if not graduate.listed(month):
                last = None
                continue
            marker = (bisect_right(days, month.last_day), graduate.registered(month))
            if marker != last:
                keys, last = tuple(graduate.tally(month)), marker
            combos[index][(graduate.district, keys)] += 1
    return [_month(month, combo) for month, combo in zip(months, combos)]


def _month(month: Month, combos: Counter) -> MonthFigures:
    tallies: Dict[Optional[str], Counter] = {}
    total: Counter = Counter()
    for (district, keys), graduates in combos.items():
        tally = tallies.setdefault(district, Counter())
        for key in keys:
            tally[key] += graduates
            total[key] += graduates
    return MonthFigures(month, {district: figures(tally) for district, tally in tallies.items()}, figures(total))


def load(engine: Engine) -> List[Graduate]:
    """Every registration on the list (deleted ones too: their anonymous rows count for the
    months before the deletion), with its contacts and services; nothing personal is selected."""
    reg = registrations.c
    with engine.begin() as conn:
        found = {row.id: Graduate(row.district, utc(row.created_at), row.deleted_at and utc(row.deleted_at),
                                  row.consented_at and utc(row.consented_at), row.status, bool(row.difficulty))
                 for row in conn.execute(select(reg.id, reg.district, reg.created_at, reg.deleted_at, reg.consented_at,
                                                reg.status, reg.difficulty).where(reg.source.in_(SOURCES)))}
        query = select(contacts.c.registration_id, contacts.c.contact_date, contacts.c.reached, contacts.c.status)
        for row in conn.execute(query.order_by(contacts.c.contact_date, contacts.c.id)):
            if row.registration_id in found:
                found[row.registration_id].contacts.append(Contact(row.contact_date, bool(row.reached), row.status))
        for row in conn.execute(select(follow_ups.c.registration_id, follow_ups.c.service_date, follow_ups.c.kind)):
            if row.registration_id in found:
                found[row.registration_id].services.append((row.service_date, row.kind))
    return list(found.values())


@dataclass(frozen=True)
class Row:
    """A district (or the city total) in a month's report, with the month before for comparison."""

    district: Optional[str]  # None: the district was not filled in (the total row has total=True)
    current: Figures
    previous: Figures
    total: bool = False

    @property
    def label(self) -> str:
        return TOTAL_LABEL if self.total else (self.district or UNKNOWN_DISTRICT)

    def change(self, key: str) -> Optional[float]:
        """Month-on-month change of a count (persons) or a share (fraction points); None when a
        share is undefined in either month."""
        if key in SHARES:
            now_share, then_share = self.current.share(key), self.previous.share(key)
            return None if now_share is None or then_share is None else now_share - then_share
        return self.current[key] - self.previous[key]


@dataclass(frozen=True)
class Report:
    month: Month
    rows: List[Row]  # furthest behind first; a district shown when it had anyone on the list this month or the last
    total: Row
    trend: List[MonthFigures]  # the campaign so far, oldest first, ending with `month`

    @property
    def as_of(self) -> date:
        """The last day the figures cover: the month's last day, or today for the current month."""
        return min(self.month.last_day, beijing_today())

    def scoped(self, district: Optional[str]) -> "Report":
        """The report as a district sees it: its own row (zeros if it has nobody) and the city total."""
        if district is None:
            return self
        rows = [row for row in self.rows if district_matches(row.district, district)]
        if not rows:
            rows = [Row(district, figures({}), figures({}))]
        return Report(self.month, rows, self.total, self.trend)

    def trend_of(self, row: Row) -> List[Tuple[Month, Figures]]:
        return [(each.month, each.total if row.total else each.of(row.district)) for each in self.trend]


def behind_key(row: Row) -> Tuple[float, float, int, int, str]:
    """The order of the report: furthest behind first (see the module's docstring)."""
    served, reached = row.current.share("share_served"), row.current.share("share_reached")
    return (2.0 if served is None else served, 2.0 if reached is None else reached,
            -row.current["difficulty_short"], -row.current["listed"], row.label)


def campaign_months(graduates: Sequence[Graduate], month: Month) -> List[Month]:
    """From the month the first graduate came on the list to `month`, at most TREND_MONTHS."""
    first = min((Month.containing(g.created_at.astimezone(BEIJING).date()) for g in graduates), default=month)
    months = [month]
    while len(months) < TREND_MONTHS and months[0] > first:
        months.insert(0, months[0].previous())
    return months


def build(engine: Engine, month: Month) -> Report:
    """The whole city's report for `month` (scope it with Report.scoped)."""
    graduates = load(engine)
    trend = month_figures(graduates, campaign_months(graduates, month))
    current = trend[-1]
    previous = trend[-2] if len(trend) > 1 else month_figures(graduates, [month.previous()])[0]
    districts = set(current.districts) | set(previous.districts)
    rows = sorted((Row(d, current.of(d), previous.of(d)) for d in districts), key=behind_key)
    return Report(month, rows, Row(None, current.total, previous.total, total=True), trend)


# ---- small counts in anything exported --------------------------------------------------------
#
# A count of 1–4 is shown as "<5" (small). The table publishes sums — each column's district rows
# add up to the city total; a row's six statuses add up to the list, seeking + unknown to those owed
# services, and so the other four statuses to the list minus those owed. A sum with one hidden cell
# gives it away by subtraction, so more cells are withheld (shown "*": a count of 5 or more) until,
# in every sum, each hidden small count could still be anything from 1 to 4, whatever a reader
# derives from the other sums (a withheld cell that a sum pins down counts as shown). Shares are
# shown only when both of their counts are, month-on-month changes only when the figure is shown in
# both months; suppression is decided on the whole city's table, the same for every reader.

SMALL = "<5"
WITHHELD = "*"
NOT_APPLICABLE = "—"
CellKey = Tuple[str, str]  # (row label, count key)
Equation = Tuple[Tuple[CellKey, int], ...]  # sum of coefficient × cell = 0
_INF = float("inf")


@dataclass(frozen=True)
class Suppression:
    small: Set[CellKey]
    withheld: Set[CellKey]

    def hides(self, cell: CellKey) -> bool:
        return cell in self.small or cell in self.withheld


def equations(labels: Sequence[str], total: str) -> List[Equation]:
    """The sums a month's table publishes, as equations (parts +1, their sum -1)."""
    found: List[Equation] = [tuple([((label, key), 1) for label in labels] + [((total, key), -1)]) for key in COUNTS]
    others = ("employed", "study", "no_wish", "startup")
    for label in [*labels, total]:
        found += [
            tuple([((label, code), 1) for code in STATUS_CODES] + [((label, "listed"), -1)]),
            tuple([((label, code), 1) for code in OWED_STATUSES] + [((label, "owed"), -1)]),
            tuple([((label, code), 1) for code in others] + [((label, "listed"), -1), ((label, "owed"), 1)]),
        ]
    return found


def suppress(table: Mapping[str, Figures], total: str) -> Suppression:
    """Which cells of a month's table (row label → figures; `total` the city total's label) are
    hidden in exports."""
    value: Callable[[CellKey], int] = lambda cell: table[cell[0]][cell[1]]
    small = {(label, key) for label, row in table.items() for key in COUNTS if 1 <= row[key] <= 4}
    withheld: Set[CellKey] = set()
    sums = equations([label for label in table if label != total], total)
    given_up: Set[int] = set()
    while True:
        known, pinned_by = _derivable(sums, small, withheld, value)
        weak = next((i for i, eq in enumerate(sums) if i not in given_up and not _protects(eq, small, known, value)), None)
        if weak is None:
            return Suppression(small, withheld)
        # a withheld cell another sum gives away is hidden again in that sum; else one more cell of this one
        pinned = [pinned_by[cell] for cell, _ in sums[weak] if cell in pinned_by]
        for index in [*pinned, weak]:
            cell = _to_withhold(sums[index], small, withheld, value)
            if cell is not None:
                withheld.add(cell)
                break
        else:  # nothing left to withhold (the rest are zeros)
            given_up.add(weak)


def _to_withhold(equation: Equation, small: Set[CellKey], withheld: Set[CellKey],
                 value: Callable[[CellKey], int]) -> Optional[CellKey]:
    """The shown cell of a sum best withheld: a part rather than the sum, 8 or more (which alone
    leaves a small count its whole range), else the smallest."""
    sums_ = {cell for cell, coefficient in equation if coefficient < 0 or cell[1] in ("listed", "owed")}
    candidates = sorted((cell in sums_, value(cell) < 8, value(cell), cell) for cell, _ in equation
                        if cell not in small and cell not in withheld and value(cell) >= 5)
    return candidates[0][3] if candidates else None


def _range(equation: Equation, cell: CellKey, small: Set[CellKey], known: Set[CellKey],
           value: Callable[[CellKey], int]) -> Tuple[float, float]:
    """What `cell` could be, given the equation and what a reader knows of its other cells."""
    low = high = 0.0
    own = 0
    for other, coefficient in equation:
        if other == cell:
            own = coefficient
            continue
        lo, hi = _bounds(other, small, known, value)
        lo, hi = (-hi, -lo) if coefficient > 0 else (lo, hi)  # the term moved to the other side
        low, high = low + lo, high + hi
    low, high = (low, high) if own > 0 else (-high, -low)
    lo, hi = _bounds(cell, small, set(), value)
    return max(low, lo), min(high, hi)


def _bounds(cell: CellKey, small: Set[CellKey], known: Set[CellKey], value: Callable[[CellKey], int]) -> Tuple[float, float]:
    if cell in known:
        return float(value(cell)), float(value(cell))
    return (1.0, 4.0) if cell in small else (5.0, _INF)


def _derivable(sums: Sequence[Equation], small: Set[CellKey], withheld: Set[CellKey],
               value: Callable[[CellKey], int]) -> Tuple[Set[CellKey], Dict[CellKey, int]]:
    """Every cell shown, and every withheld cell a reader can work out from the sums (with the
    index of the sum that gives it away)."""
    known = {cell for equation in sums for cell, _ in equation if cell not in small and cell not in withheld}
    pinned_by: Dict[CellKey, int] = {}
    changed = True
    while changed:
        changed = False
        for index, equation in enumerate(sums):
            for cell, _ in equation:
                if cell in withheld and cell not in known:
                    low, high = _range(equation, cell, small, known, value)
                    if low == high:
                        known.add(cell)
                        pinned_by[cell] = index
                        changed = True
    return known, pinned_by


def _protects(equation: Equation, small: Set[CellKey], known: Set[CellKey], value: Callable[[CellKey], int]) -> bool:
    """Whether each small count of the equation could still be anything from 1 to 4."""
    return all(_range(equation, cell, small, known, value) == (1.0, 4.0) for cell, _ in equation if cell in small)


def table_of(month: MonthFigures) -> Dict[str, Figures]:
    table = {(district or UNKNOWN_DISTRICT): row for district, row in month.districts.items()}
    table[TOTAL_LABEL] = month.total
    return table


Shown = Union[int, float, str]  # a value, or one of the marks


@dataclass(frozen=True)
class PublicReport:
    """A report as exported: every cell either its value or a mark (SMALL, WITHHELD, NOT_APPLICABLE).

    `cells[label][key]`: counts (int), shares (fraction), and `change:<key>` for MAIN and SHARES;
    `trend[label]`: [(month, share reached, share served)] with the same marks."""

    report: Report
    cells: Dict[str, Dict[str, Shown]]
    trend: Dict[str, List[Tuple[Month, Shown, Shown]]]


def public(report: Report) -> PublicReport:
    suppressions = {each.month: (table_of(each), suppress(table_of(each), TOTAL_LABEL)) for each in report.trend}
    previous_month = report.month.previous()
    if previous_month not in suppressions:
        # the campaign began this month: the month before is all zeros, nothing to hide
        suppressions[previous_month] = ({}, Suppression(set(), set()))

    def shown(month: Month, label: str, key: str) -> Shown:
        table, hidden = suppressions[month]
        figures_ = table.get(label) or figures({})
        if key in SHARES:
            _, numerator, denominator = SHARES[key]
            if hidden.hides((label, numerator)) or hidden.hides((label, denominator)):
                return WITHHELD
            share = figures_.share(key)
            return NOT_APPLICABLE if share is None else share
        if (label, key) in hidden.small:
            return SMALL
        return WITHHELD if (label, key) in hidden.withheld else figures_[key]

    cells: Dict[str, Dict[str, Shown]] = {}
    trend: Dict[str, List[Tuple[Month, Shown, Shown]]] = {}
    for row in [*report.rows, report.total]:
        values: Dict[str, Shown] = {key: shown(report.month, row.label, key) for key in [*COUNTS, *SHARES]}
        for key in [*MAIN, *SHARES]:
            now_value, then_value = values[key], shown(previous_month, row.label, key)
            numeric = all(isinstance(v, (int, float)) for v in (now_value, then_value))
            change = row.change(key)
            values[f"change:{key}"] = change if numeric and change is not None else (
                NOT_APPLICABLE if NOT_APPLICABLE in (now_value, then_value) else WITHHELD)
        cells[row.label] = values
        trend[row.label] = [(each.month, shown(each.month, row.label, "share_reached"), shown(each.month, row.label, "share_served"))
                            for each in report.trend]
    return PublicReport(report, cells, trend)


def public_scoped(report: Report, district: Optional[str]) -> PublicReport:
    """The exported report of one district (its row and the city total) — suppressed on the whole
    city's table first, so that no two readers' files can be combined to undo it."""
    whole = public(report)
    if district is None:
        return whole
    scoped = report.scoped(district)
    labels = {row.label for row in [*scoped.rows, scoped.total]}
    cells = {label: values for label, values in whole.cells.items() if label in labels}
    trend = {label: values for label, values in whole.trend.items() if label in labels}
    for row in scoped.rows:  # a district with nobody on the list: zeros (never small)
        if row.label not in cells:
            cells[row.label] = {key: 0 for key in COUNTS}
            cells[row.label].update({key: NOT_APPLICABLE for key in SHARES})
            cells[row.label].update({f"change:{key}": NOT_APPLICABLE if key in SHARES else 0 for key in [*MAIN, *SHARES]})
            trend[row.label] = [(each.month, NOT_APPLICABLE, NOT_APPLICABLE) for each in report.trend]
    return PublicReport(scoped, cells, trend)


# ---- the report as a table: the .xlsx and the command line's text ------------------------------

# the columns of a row, in order: counts, shares and their month-on-month changes
COLUMNS: List[str] = [
    "listed", "change:listed", "reached", "change:reached", "share_reached", "change:share_reached",
    "registered", "change:registered", *STATUS_CODES, "owed", "guidance", "recommendations", "training",
    "served", "change:served", "share_served", "change:share_served", "difficulty", "difficulty_short",
    "change:difficulty_short",
]
NOTE = (f"说明：数字为截至该月末（北京时间）的人数。1–4 人显示为“{SMALL}”；为防止由合计或分项相减推算出小数，部分 5 人以上的格"
        f"显示为“{WITHHELD}”；比率和较上月变化只在其所依据的数字都显示时给出，“{NOT_APPLICABLE}”表示无法计算。"
        "排序：服务达标率最低的区在前，其次联系率低、困难家庭机会不足多、名单人数多。")


def column_label(key: str) -> str:
    if key.startswith("change:"):
        return "较上月（百分点）" if key[7:] in SHARES else "较上月"
    return SHARES[key][0] if key in SHARES else COUNTS[key]


def text_value(key: str, value: Shown) -> str:
    """A cell as printed: counts as they are, shares as percentages, changes signed."""
    if isinstance(value, str):
        return value
    if key.startswith("change:"):
        return f"{value * 100:+.1f}" if key[7:] in SHARES else f"{int(value):+d}"
    return f"{value * 100:.1f}%" if key in SHARES else str(value)


def title(report: Report) -> str:
    return f"北京市高校毕业生实名服务月度通报（督查通报） {report.month.label}（截至 {report.as_of.isoformat()}）"


def scope_text(district: Optional[str]) -> str:
    return f"范围：{district}（附全市合计）" if district else "范围：全市各区"


def table_rows(shown: PublicReport) -> List[List[str]]:
    """[rank, district, *COLUMNS] as text, furthest behind first, the city total last."""
    rows = [[str(rank), row.label] + [text_value(key, shown.cells[row.label][key]) for key in COLUMNS]
            for rank, row in enumerate(shown.report.rows, start=1)]
    total = shown.report.total.label
    return rows + [["", total] + [text_value(key, shown.cells[total][key]) for key in COLUMNS]]


def table_headers() -> List[str]:
    return ["排序", "区"] + [column_label(key) for key in COLUMNS]


def write_xlsx(path: Path, shown: PublicReport, district: Optional[str]) -> None:
    """The report as a workbook: the table (sheet 月度通报) and the shares over the months (趋势)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "月度通报"
    for line, text in enumerate((title(shown.report), scope_text(district), NOTE), start=1):
        _text_cell(sheet.cell(row=line, column=1), text)
    header_row = 5
    for column, text in enumerate(table_headers(), start=1):
        _text_cell(sheet.cell(row=header_row, column=column), text)
    labelled = [(str(rank), row) for rank, row in enumerate(shown.report.rows, start=1)] + [("", shown.report.total)]
    for offset, (rank, row) in enumerate(labelled, start=1):
        line = header_row + offset
        _text_cell(sheet.cell(row=line, column=1), rank)
        _text_cell(sheet.cell(row=line, column=2), row.label)
        for column, key in enumerate(COLUMNS, start=3):
            _value_cell(sheet.cell(row=line, column=column), key, shown.cells[row.label][key])
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)
    for column in range(1, len(COLUMNS) + 3):
        sheet.column_dimensions[get_column_letter(column)].width = 8 if column == 1 else 12

    trend = book.create_sheet("趋势")
    months = [str(each.month) for each in shown.report.trend]
    for column, text in enumerate(["区", "指标", *months], start=1):
        _text_cell(trend.cell(row=1, column=column), text)
    for label, points in shown.trend.items():
        for key, index in (("share_reached", 1), ("share_served", 2)):
            line = trend.max_row + 1
            _text_cell(trend.cell(row=line, column=1), label)
            _text_cell(trend.cell(row=line, column=2), SHARES[key][0])
            for column, point in enumerate(points, start=3):
                _value_cell(trend.cell(row=line, column=column), key, point[1] if index == 1 else point[2])
    trend.column_dimensions["A"].width = 16
    book.save(path)


def _text_cell(cell: XlsxCell, text: str) -> None:
    xlsx_cell(cell, text)


def _value_cell(cell: XlsxCell, key: str, value: Shown) -> None:
    if isinstance(value, str):
        xlsx_cell(cell, value)
        cell.alignment = Alignment(horizontal="right")
        return
    if key.startswith("change:") and key[7:] in SHARES:
        cell.value = round(value * 100, 1)
        cell.number_format = "+0.0;-0.0;0.0"
    elif key.startswith("change:"):
        cell.value = int(value)
        cell.number_format = "+0;-0;0"
    elif key in SHARES:
        cell.value = float(value)
        cell.number_format = "0.0%"
    else:
        cell.value = int(value)


def export_xlsx(report: Report, out: Union[str, Path], district: Optional[str]) -> Path:
    """Write the (suppressed) report of `district` (None: the city) to `out`, atomically."""
    target = Path(out).resolve()
    shown = public_scoped(report, district)
    write_atomically(target, lambda path: write_xlsx(path, shown, district))
    return target
