"""Contact and status work (五（八）) on SQLite and on the real PostgreSQL server: recording an
attempt and refusing bad ones without writing anything, who is not reached yet, the latest status,
the follow-ups due this week (Beijing weeks, Monday–Sunday), the default follow-up of those with no
wish to work yet, notes encrypted at rest, rotated with the keys and erased with the registration;
and the `contact` commands."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, List, Optional

import pytest
from sqlalchemy import create_engine, select, text, update

from ledger.config import LedgerSettings
from ledger.contacts import (
    NO_WISH_FOLLOW_UP_DAYS,
    Attempt,
    ContactBook,
    ContactError,
    beijing_today,
    week_end,
)
from db.crypto import new_key
from db.engine import now
from db.tables import contacts, registrations
from ledger.model import Registration
from ledger.store import Ledger, UnknownRegistration, new_ref
from tests.ledger.conftest import HASH_KEY
from tests.ledger.test_followup import cli_env, run_cli

TODAY = date(2026, 12, 2)  # a Wednesday; its week ends on Sunday 2026-12-06
NOTE = "本人说下月去外地面试，母亲电话13912345678"


def imported(ledger: Ledger, name: str, district: Optional[str] = "海淀区", school: str = "北京工业大学") -> str:
    """A graduate handed over on the list: source 'import', no channel identity, not registered."""
    ref = new_ref()
    stamp = now()
    with ledger.engine.begin() as conn:
        conn.execute(registrations.insert().values(
            ref=ref, channel="import", identity=None, name_enc=ledger.cipher.encrypt(name), school=school, degree="本科",
            grad_year=2026, district=district, source="import", difficulty=False, created_at=stamp, updated_at=stamp))
    return ref


def chat(ledger: Ledger, identity: str, name: str, phone: str, status: str = "未就业", district: str = "海淀区") -> str:
    reg = Registration(name=name, phone=phone, school="北京大学", degree="本科", grad_year=2026, birth_year=2004,
                       district=district, status=status)
    return ledger.save(identity, reg).ref


def attempt(day: date = TODAY, method: str = "phone", reached: bool = False, status: Optional[str] = None,
            next_follow_up: Optional[date] = None, note: Optional[str] = None) -> Attempt:
    return Attempt(day, method, reached, status, next_follow_up, note)


def contact_rows(ledger: Ledger) -> List[Any]:
    with ledger.engine.begin() as conn:
        return conn.execute(select(contacts).order_by(contacts.c.id)).all()


def raw_notes(url: str) -> List[Optional[str]]:
    """The note column as stored, read past the data layer."""
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        notes = [row[0] for row in conn.execute(text("SELECT note_enc FROM contacts ORDER BY id"))]
    engine.dispose()
    return notes


# ---- recording
def test_an_attempt_is_recorded_with_its_history_and_audited_without_the_note(ledger: Ledger) -> None:
    ref = imported(ledger, "王芳")
    book = ContactBook(ledger)
    book.record(ref, attempt(TODAY - timedelta(days=3), note="无人接听"), "张老师", today=TODAY)
    saved = book.record(ref, attempt(TODAY, "visit", True, "seeking", TODAY + timedelta(days=14), NOTE), "李老师", today=TODAY)
    assert (saved.reached, saved.status, saved.next_follow_up, saved.note) == (True, "seeking", date(2026, 12, 16), NOTE)
    history = book.history(ref)
    assert [(c.contact_date, c.method, c.reached, c.status, c.note, c.staff) for c in history] == [
        (TODAY, "visit", True, "seeking", NOTE, "李老师"),
        (TODAY - timedelta(days=3), "phone", False, None, "无人接听", "张老师"),
    ]
    entries = [e for e in ledger.audit_entries() if e["action"] == "contact"]
    assert [e["detail"] for e in entries] == [
        {"ref": ref, "method": "phone", "reached": False, "date": "2026-11-29"},
        {"ref": ref, "method": "visit", "reached": True, "date": "2026-12-02"},
    ]
    assert [e["actor"] for e in entries] == ["张老师", "李老师"]
    assert "无人接听" not in repr(ledger.audit_entries()) and "13912345678" not in repr(ledger.audit_entries())
    graduate = book.graduate(ref)
    assert graduate is not None and graduate.name == "王*" and graduate.attempts == 2 and graduate.reached
    assert book.graduate("QZ-NONE-NONE") is None and book.history("QZ-NONE-NONE") == []


@pytest.mark.parametrize("bad, field", [
    (attempt(TODAY + timedelta(days=1)), "date"),
    (attempt(date(1999, 12, 31)), "date"),
    (attempt(method="email"), "method"),
    (attempt(reached=True), "status"),
    (attempt(reached=True, status="retired"), "status"),
    (attempt(reached=False, status="employed"), "status"),
    (attempt(next_follow_up=TODAY), "next"),
    (attempt(next_follow_up=TODAY - timedelta(days=1)), "next"),
    (attempt(next_follow_up=TODAY + timedelta(days=400)), "next"),
    (attempt(note="长" * 501), "note"),
    (attempt(note="a\x00b"), "note"),
])
def test_a_bad_attempt_is_refused_with_its_field_named_and_writes_nothing(ledger: Ledger, bad: Attempt, field: str) -> None:
    ref = imported(ledger, "王芳")
    with pytest.raises(ContactError) as refused:
        ContactBook(ledger).record(ref, bad, "张老师", today=TODAY)
    assert refused.value.field == field and refused.value.message  # a Chinese message for the console
    assert contact_rows(ledger) == []
    assert [e for e in ledger.audit_entries() if e["action"] == "contact"] == []


def test_an_unknown_or_deleted_registration_and_a_missing_staff_name_write_nothing(ledger: Ledger) -> None:
    book = ContactBook(ledger)
    with pytest.raises(UnknownRegistration):
        book.record("QZ-NONE-NONE", attempt(), "张老师", today=TODAY)
    gone = chat(ledger, "wx:gone", "李雷", "13812345678")
    ledger.delete("wx:gone")
    with pytest.raises(UnknownRegistration):
        book.record(gone, attempt(), "张老师", today=TODAY)
    with pytest.raises(ContactError):
        book.record(imported(ledger, "王芳"), attempt(), "  ", today=TODAY)
    assert contact_rows(ledger) == [] and [e for e in ledger.audit_entries() if e["action"] == "contact"] == []


def test_a_long_note_at_the_limit_and_a_blank_note_are_kept_as_such(ledger: Ledger) -> None:
    ref = imported(ledger, "王芳")
    book = ContactBook(ledger)
    assert book.record(ref, attempt(note="  " + "长" * 500 + " "), "张老师", today=TODAY).note == "长" * 500
    assert book.record(ref, attempt(note="   "), "张老师", today=TODAY).note is None
    assert [row.note_enc is None for row in contact_rows(ledger)] == [False, True]


# ---- those with no wish to work yet
def test_no_wish_gets_a_follow_up_date_by_default_unless_staff_give_one(ledger: Ledger) -> None:
    ref = imported(ledger, "王芳")
    book = ContactBook(ledger)
    first = book.record(ref, attempt(TODAY, reached=True, status="no_wish"), "张老师", today=TODAY)
    assert NO_WISH_FOLLOW_UP_DAYS == 30 and first.next_follow_up == TODAY + timedelta(days=30)
    given = book.record(ref, attempt(TODAY, reached=True, status="no_wish", next_follow_up=date(2026, 12, 20)), "张老师", today=TODAY)
    assert given.next_follow_up == date(2026, 12, 20)
    employed = book.record(ref, attempt(TODAY, reached=True, status="employed"), "张老师", today=TODAY)
    assert employed.next_follow_up is None
    assert [row.next_follow_up for row in contact_rows(ledger)] == [date(2027, 1, 1), date(2026, 12, 20), None]


# ---- who is not reached yet
def test_the_unreached_list_counts_attempts_and_leaves_out_the_reached_and_the_registered(ledger: Ledger) -> None:
    book = ContactBook(ledger)
    never = imported(ledger, "王芳")
    tried_twice = imported(ledger, "李雷")
    tried_once = imported(ledger, "韩梅梅")
    reached = imported(ledger, "赵敏")
    imported(ledger, "周芷若", district="朝阳区")
    in_chat = chat(ledger, "wx:1", "张无忌", "13712345678")  # registered in chat: counts as reached
    erased = imported(ledger, "宋青书")
    with ledger.engine.begin() as conn:
        conn.execute(update(registrations).where(registrations.c.ref == erased).values(deleted_at=now(), name_enc=None))
    book.record(tried_twice, attempt(date(2026, 11, 20)), "张老师", today=TODAY)
    book.record(tried_twice, attempt(date(2026, 11, 25), "message"), "张老师", today=TODAY)
    book.record(tried_once, attempt(date(2026, 11, 28)), "张老师", today=TODAY)
    book.record(reached, attempt(date(2026, 11, 20)), "张老师", today=TODAY)
    book.record(reached, attempt(date(2026, 11, 21), reached=True, status="seeking"), "张老师", today=TODAY)
    book.record(reached, attempt(date(2026, 11, 22)), "张老师", today=TODAY)  # reached once is reached

    total, shown = book.unreached("海淀区")
    assert total == 3
    assert [(g.ref, g.name, g.attempts, g.last_date, g.last_method) for g in shown] == [
        (never, "王*", 0, None, None),  # never tried first
        (tried_once, "韩**", 1, date(2026, 11, 28), "phone"),
        (tried_twice, "李*", 2, date(2026, 11, 25), "message"),
    ]
    assert in_chat not in [g.ref for g in shown] and shown[0].school == "北京工业大学"
    assert [g.ref for g in book.unreached("海淀")[1]] == [never, tried_once, tried_twice]  # the short name too
    assert book.unreached("朝阳区")[0] == 1 and book.unreached()[0] == 4 and book.unreached("延庆区") == (0, [])
    assert book.unreached("海淀区", offset=1, limit=1) == (3, [shown[1]])


# ---- the latest status
def test_the_latest_status_is_the_last_one_learned(ledger: Ledger) -> None:
    book = ContactBook(ledger)
    ref = imported(ledger, "王芳")
    untouched = imported(ledger, "李雷")
    book.record(ref, attempt(date(2026, 11, 1), reached=True, status="seeking"), "张老师", today=TODAY)
    book.record(ref, attempt(date(2026, 11, 20), reached=True, status="employed"), "张老师", today=TODAY)
    book.record(ref, attempt(date(2026, 11, 10), reached=True, status="study"), "张老师", today=TODAY)  # entered late, older
    book.record(ref, attempt(date(2026, 11, 25)), "张老师", today=TODAY)  # not reached: learns nothing
    relaxed = chat(ledger, "wx:2", "赵敏", "13612345678", status="暂无就业意愿")
    statuses = book.latest_statuses()
    assert (statuses[ref].status, statuses[ref].status_date, statuses[ref].status_source) == ("employed", date(2026, 11, 20), "contact")
    assert statuses[ref].last_date == date(2026, 11, 25) and statuses[ref].last_reached is False
    assert (statuses[untouched].status, statuses[untouched].status_source) == (None, None)
    assert (statuses[relaxed].status, statuses[relaxed].status_source) == ("no_wish", "registration")
    book.record(relaxed, attempt(date(2026, 11, 30), reached=True, status="startup"), "张老师", today=TODAY)
    assert book.latest_statuses("海淀")[relaxed].status == "startup"
    assert set(book.latest_statuses("朝阳区")) == set()


# ---- due this week
def test_a_week_runs_monday_to_sunday_in_beijing_time() -> None:
    assert week_end(date(2026, 11, 30)) == date(2026, 12, 6)  # Monday → that Sunday
    assert week_end(date(2026, 12, 6)) == date(2026, 12, 6)  # Sunday → itself
    assert week_end(date(2026, 12, 7)) == date(2026, 12, 13)
    # Sunday 23:59 in Beijing is still Sunday; 00:30 on Monday in Beijing is 16:30 UTC on Sunday
    assert beijing_today(datetime(2026, 12, 6, 15, 59, tzinfo=timezone.utc)) == date(2026, 12, 6)
    assert beijing_today(datetime(2026, 12, 6, 16, 30, tzinfo=timezone.utc)) == date(2026, 12, 7)


def test_due_this_week_lists_overdue_first_and_stops_at_sunday(ledger: Ledger) -> None:
    book = ContactBook(ledger)
    day = date(2026, 11, 20)
    refs = {}
    for name, follow_up in (("周日", date(2026, 12, 6)), ("下周一", date(2026, 12, 7)), ("逾期", date(2026, 11, 28)),
                            ("今天", date(2026, 12, 2)), ("周一", date(2026, 11, 30))):
        refs[name] = imported(ledger, name)
        book.record(refs[name], attempt(day, reached=True, status="no_wish", next_follow_up=follow_up), "张老师", today=day)
    assert [g.ref for g in book.due(today=TODAY)] == [refs[n] for n in ("逾期", "周一", "今天", "周日")]
    due = {g.ref: g for g in book.due(today=TODAY)}
    assert due[refs["逾期"]].due == date(2026, 11, 28) and due[refs["逾期"]].status == "no_wish"
    # on Sunday the Sunday one is still due and Monday's is not; on Monday next week's all are
    assert refs["周日"] in [g.ref for g in book.due(today=date(2026, 12, 6))]
    assert refs["下周一"] not in [g.ref for g in book.due(today=date(2026, 12, 6))]
    assert refs["下周一"] in [g.ref for g in book.due(today=date(2026, 12, 7))]
    # Monday 00:30 in Beijing (Sunday 16:30 UTC) is already next week
    assert refs["下周一"] in [g.ref for g in book.due(today=beijing_today(datetime(2026, 12, 6, 16, 30, tzinfo=timezone.utc)))]
    assert book.due("朝阳区", today=TODAY) == [] and len(book.due("海淀", today=TODAY)) == 4


def test_a_follow_up_stays_due_until_the_graduate_is_reached(ledger: Ledger) -> None:
    book = ContactBook(ledger)
    ref = imported(ledger, "王芳")
    book.record(ref, attempt(date(2026, 10, 30), reached=True, status="no_wish"), "张老师", today=TODAY)  # → 11-29
    assert [(g.ref, g.due) for g in book.due(today=TODAY)] == [(ref, date(2026, 11, 29))]
    book.record(ref, attempt(date(2026, 11, 29)), "张老师", today=TODAY)  # not reached: still due
    assert [g.due for g in book.due(today=TODAY)] == [date(2026, 11, 29)]
    book.record(ref, attempt(date(2026, 11, 30), reached=True, status="employed"), "张老师", today=TODAY)  # done, no new date
    assert book.due(today=TODAY) == []
    book.record(ref, attempt(date(2026, 12, 1), reached=True, status="seeking", next_follow_up=date(2026, 12, 3)), "张老师", today=TODAY)
    assert [g.due for g in book.due(today=TODAY)] == [date(2026, 12, 3)]
    book.record(ref, attempt(date(2026, 12, 2), reached=True, status="no_wish"), "张老师", today=TODAY)
    assert book.due(today=TODAY) == [] and book.graduate(ref).due == date(2027, 1, 1)  # type: ignore[union-attr]


# ---- notes: encrypted at rest, rotated, erased
def test_notes_are_encrypted_at_rest(ledger: Ledger, database_url: str) -> None:
    ref = imported(ledger, "王芳")
    ContactBook(ledger).record(ref, attempt(note=NOTE), "张老师", today=TODAY)
    [stored] = raw_notes(database_url)
    assert stored is not None and "13912345678" not in stored and "面试" not in stored
    assert ledger.cipher.decrypt(stored) == NOTE


def test_key_rotation_reencrypts_the_notes(database_url: str) -> None:
    old_key, new = new_key(), new_key()
    old = Ledger.open(LedgerSettings(database_url=database_url, keys=[old_key], hash_key=HASH_KEY))
    ref = imported(old, "王芳")
    ContactBook(old).record(ref, attempt(note=NOTE), "张老师", today=TODAY)
    ContactBook(old).record(ref, attempt(), "张老师", today=TODAY)  # no note: nothing to rotate
    old.close()
    both = Ledger.open(LedgerSettings(database_url=database_url, keys=[new, old_key], hash_key=HASH_KEY))
    assert both.rotate_keys("ops") == 2  # the registration and the one note
    both.close()
    only_new = Ledger.open(LedgerSettings(database_url=database_url, keys=[new], hash_key=HASH_KEY))
    assert [c.note for c in ContactBook(only_new).history(ref)] == [None, NOTE]
    assert only_new.cipher.is_current(raw_notes(database_url)[0] or "")
    only_new.close()


def test_deleting_a_registration_erases_its_notes_and_keeps_the_attempts_for_the_counts(ledger: Ledger, database_url: str) -> None:
    ref = chat(ledger, "wx:gone", "王芳", "13912345678")
    ContactBook(ledger).record(ref, attempt(reached=True, status="no_wish", note=NOTE), "张老师", today=TODAY)
    ledger.delete("wx:gone")
    assert raw_notes(database_url) == [None]
    [row] = contact_rows(ledger)
    assert (row.reached, row.status) == (True, "no_wish")
    book = ContactBook(ledger)
    assert book.history(ref) == [] and book.due(today=TODAY + timedelta(days=40)) == [] and book.graduate(ref) is None


def test_purging_expired_registrations_erases_their_notes(ledger: Ledger, database_url: str) -> None:
    old = imported(ledger, "王芳")
    kept = imported(ledger, "李雷")
    book = ContactBook(ledger)
    book.record(old, attempt(note="旧备注"), "张老师", today=TODAY)
    book.record(kept, attempt(note="新备注"), "张老师", today=TODAY)
    ledger.add_follow_up(old, "guidance", TODAY, "服务备注", "张老师")
    with ledger.engine.begin() as conn:
        conn.execute(update(registrations).where(registrations.c.ref == old).values(updated_at=now() - timedelta(days=800)))
    assert ledger.purge_expired("ops")["registrations"] == 1
    notes = raw_notes(database_url)
    assert notes[0] is None and ledger.cipher.decrypt(notes[1]) == "新备注"
    with ledger.engine.begin() as conn:
        assert conn.execute(text("SELECT note FROM follow_ups")).scalars().all() == [None]
    assert [g.ref for g in book.unreached()[1]] == [kept]


# ---- the command line
def test_the_contact_commands_record_and_list_and_refuse_bad_input_with_status_2(ledger: Ledger) -> None:
    env = cli_env(ledger)
    ref = imported(ledger, "王芳")
    other = imported(ledger, "李雷", district="朝阳区")
    today = beijing_today()
    for bad in (["--method", "email", "--reached", "no"],
                ["--method", "phone", "--reached", "yes"],  # reached without a status
                ["--method", "phone", "--reached", "no", "--status", "employed"],
                ["--method", "phone", "--reached", "no", "--date", (today + timedelta(days=1)).isoformat()],
                ["--method", "phone", "--reached", "no", "--date", "2026/12/01"],
                ["--method", "phone", "--reached", "yes", "--status", "seeking", "--next", today.isoformat()]):
        result = run_cli(env, "contact", "add", ref, *bad, "--staff", "张老师")
        assert result.returncode == 2, (bad, result.stderr)
        assert "error" in result.stderr
    missing = run_cli(env, "contact", "add", "QZ-NONE-NONE", "--method", "phone", "--reached", "no", "--staff", "张老师")
    assert missing.returncode == 2 and "no registration QZ-NONE-NONE" in missing.stderr
    assert contact_rows(ledger) == []

    back = today - timedelta(days=31)
    done = run_cli(env, "contact", "add", ref.lower(), "--method", "visit", "--reached", "yes", "--status", "no_wish",
                   "--date", back.isoformat(), "--note", NOTE, "--staff", "张老师")
    assert done.returncode == 0, done.stderr
    # no wish to work yet: followed up 30 days on, which was yesterday — overdue, so due this week whatever the day
    assert f"next follow-up {(today - timedelta(days=1)).isoformat()}" in done.stdout and NOTE not in done.stdout
    [row] = contact_rows(ledger)
    assert row.contact_date == back and row.staff == "张老师" and ledger.cipher.decrypt(row.note_enc) == NOTE

    unreached = run_cli(env, "contact", "unreached")
    assert unreached.returncode == 0 and other in unreached.stdout and ref not in unreached.stdout
    assert "李*" in unreached.stdout and "李雷" not in unreached.stdout and "未联系到: 1" in unreached.stdout
    assert run_cli(env, "contact", "unreached", "--district", "海淀").stdout.count("QZ-") == 0
    due = run_cli(env, "contact", "due", "--district", "海淀区")
    assert due.returncode == 0 and ref in due.stdout and "王*" in due.stdout and "已逾期" in due.stdout
    assert run_cli(env, "contact", "due", "--district", "朝阳区").stdout.count("QZ-") == 0
    today_added = run_cli(env, "contact", "add", other, "--method", "phone", "--reached", "no", "--staff", "张老师")
    assert today_added.returncode == 0 and today.isoformat() in today_added.stdout
