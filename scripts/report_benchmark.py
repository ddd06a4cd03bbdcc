"""How long the monthly report (ledger/report.py) takes on a list of 10,000 graduates with about
15,000 contacts and 30,000 services over the months of a campaign: `python -m scripts.report_benchmark
[DATABASE_URL]` (default: a new SQLite file in a temporary folder). Synthetic rows, nothing personal."""
from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone

from db.crypto import new_key
from db.tables import contacts, follow_ups, registrations
from ledger.config import LedgerSettings
from ledger.report import Month, build, public
from ledger.store import Ledger

DISTRICTS = ["东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区", "通州区", "顺义区",
             "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区", "北京经济技术开发区"]
STATUSES = [None, "employed", "seeking", "study", "no_wish", "startup"]
KINDS = ["guidance", "recommendation", "recommendation", "training", "traineeship"]


def seed(ledger: Ledger, graduates: int, rng: random.Random) -> None:
    start = datetime(2022, 7, 15, tzinfo=timezone.utc)
    first = date(2022, 7, 20)
    with ledger.engine.begin() as conn:
        conn.execute(registrations.insert(), [
            dict(ref=f"QZ-B{i:07d}", channel="import", district=rng.choice(DISTRICTS), difficulty=rng.random() < 0.05,
                 created_at=start, updated_at=start, source="import") for i in range(graduates)])
        ids = list(conn.execute(registrations.select().with_only_columns(registrations.c.id)).scalars())
        found, given = [], []
        for reg_id in ids:
            for _ in range(rng.randint(0, 3)):
                found.append(dict(registration_id=reg_id, contact_date=first + timedelta(days=rng.randint(0, 150)), method="phone",
                                  reached=rng.random() < 0.7, status=rng.choice(STATUSES), staff="bench", created_at=start))
            for _ in range(rng.randint(0, 6)):
                given.append(dict(registration_id=reg_id, kind=rng.choice(KINDS), service_date=first + timedelta(days=rng.randint(0, 150)),
                                  staff="bench", created_at=start))
        conn.execute(contacts.insert(), found)
        conn.execute(follow_ups.insert(), given)
    print(f"{len(ids)} graduates, {len(found)} contacts, {len(given)} services")


def main(argv: list) -> None:
    url = argv[0] if argv else f"sqlite:///{tempfile.mkdtemp()}/ledger.sqlite3"
    ledger = Ledger.open(LedgerSettings(url, [new_key()], b"b" * 32))
    seed(ledger, 10_000, random.Random(2))
    month = Month(2023, 6)  # 12 months of campaign: July 2022 – June 2023
    started = time.perf_counter()
    report = build(ledger.engine, month)
    built = time.perf_counter() - started
    public(report)
    print(f"report of {month} ({len(report.trend)} months, {len(report.rows)} districts): {built:.2f} s; "
          f"with small counts hidden: {time.perf_counter() - started:.2f} s")
    ledger.close()


if __name__ == "__main__":
    main(sys.argv[1:])
