"""Follow-up rules of the notice, 五（八）, on both databases, and the staff commands that record
services (`follow-up add`) and show what is still owed (`status`)."""
from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Dict, List

import pytest

from ledger.fields import id_check_digit
from ledger.followup import (
    difficulty_short,
    owed,
    owed_labels,
    received_labels,
    requirements,
    summarize,
)
from ledger.model import Registration
from ledger.store import Ledger, LedgerRow, UnknownRegistration

ROOT = Path(__file__).resolve().parents[2]
ALL_OWED = ["职业指导 0/1", "岗位推介 0/3", "技能培训/就业见习 0/1"]


# ---- helpers shared with test_export.py (plain functions, not tests)
def id_number(birth: str, serial: str = "123") -> str:
    """A valid 18-character ID number for a Beijing (Haidian) birth date 'YYYYMMDD'."""
    first17 = f"110108{birth}{serial}"
    return first17 + id_check_digit(first17)


def registration(name: str, phone: str, **changes: object) -> Registration:
    values: Dict[str, object] = dict(
        name=name,
        phone=phone,
        id_number=id_number("20000101", phone[-3:]),
        school="北京大学",
        major="计算机科学与技术",
        degree="本科",
        grad_year=2022,
        birth_year=2000,
        district="海淀区",
        status="未就业",
        intention="软件开发",
        preferred_districts=["海淀区", "朝阳区"],
        services=["guidance", "recommendation"],
        difficulty=False,
        difficulty_kind=None,
    )
    values.update(changes)
    return Registration(**values)  # type: ignore[arg-type]


def row_of(ledger: Ledger, ref: str) -> LedgerRow:
    return next(row for row in ledger.rows() if row.ref == ref)


def give(ledger: Ledger, ref: str, kind: str, times: int = 1) -> None:
    for _ in range(times):
        ledger.add_follow_up(ref, kind, date(2022, 7, 15), None, "张老师")


def cli_env(ledger: Ledger) -> Dict[str, str]:
    """The environment that makes `python -m ledger` open the same database with the same keys."""
    settings = ledger.settings
    assert settings is not None
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LEDGER_", "DATABASE_URL"))}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=settings.database_url,
        LEDGER_KEYS=",".join(key.decode("ascii") for key in settings.keys),
        LEDGER_HASH_KEY=base64.urlsafe_b64encode(settings.hash_key).decode("ascii"),
    )
    return env


def run_cli(env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ledger", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def follow_up_total(ledger: Ledger) -> int:
    return sum(sum(row.follow_ups.values()) for row in ledger.rows(include_deleted=True))


# ---- the rules, without a database
def test_a_job_seeker_is_owed_guidance_three_recommendations_and_one_training_chance() -> None:
    reg = registration("王芳", "13912345678")
    assert [str(item) for item in owed(reg, {})] == ALL_OWED
    assert [str(item) for item in owed(reg, {"guidance": 1, "recommendation": 1})] == ["岗位推介 1/3", "技能培训/就业见习 0/1"]
    assert owed(reg, {"guidance": 2, "recommendation": 3, "training": 1}) == []


@pytest.mark.parametrize("status", ["已就业", "暂无就业意愿"])
def test_graduates_without_job_seeking_intent_are_owed_nothing(status: str) -> None:
    reg = registration("王芳", "13912345678", status=status, difficulty=True)
    assert requirements(reg) == []
    assert owed(reg, {}) == []


def test_flexible_employment_still_counts_as_seeking() -> None:
    reg = registration("王芳", "13912345678", status="灵活就业")
    assert [str(item) for item in owed(reg, {"recommendation": 5})] == ["职业指导 0/1", "技能培训/就业见习 0/1"]


@pytest.mark.parametrize("kind", ["training", "traineeship"])
def test_training_or_traineeship_either_satisfies_the_one_chance(kind: str) -> None:
    reg = registration("王芳", "13912345678")
    assert [str(item) for item in owed(reg, {"guidance": 1, "recommendation": 3, kind: 1})] == []
    # a start-up service is not a training chance
    assert [str(item) for item in owed(reg, {"guidance": 1, "recommendation": 3, "startup": 2})] == ["技能培训/就业见习 0/1"]


def test_received_labels_follow_the_kind_order() -> None:
    assert received_labels({"traineeship": 1, "guidance": 2}) == ["职业指导 2", "就业见习 1"]
    assert received_labels({}) == []


# ---- on the ledger (SQLite and PostgreSQL)
def test_owed_lists_follow_the_services_recorded(ledger: Ledger) -> None:
    ref = ledger.save("wx:a", registration("王芳", "13912345678")).ref
    assert owed_labels(row_of(ledger, ref)) == ALL_OWED
    give(ledger, ref, "guidance")
    give(ledger, ref, "recommendation")
    assert owed_labels(row_of(ledger, ref)) == ["岗位推介 1/3", "技能培训/就业见习 0/1"]
    give(ledger, ref, "recommendation", 2)
    give(ledger, ref, "traineeship")
    row = row_of(ledger, ref)
    assert owed_labels(row) == []
    assert row.follow_ups == {"guidance": 1, "recommendation": 3, "traineeship": 1}


def test_difficulty_graduates_with_fewer_than_three_opportunities_are_reported(ledger: Ledger) -> None:
    poor = ledger.save("wx:poor", registration("李强", "13811112222", difficulty=True, difficulty_kind="城乡低保家庭")).ref
    other = ledger.save("wx:other", registration("赵敏", "13633334444")).ref
    give(ledger, poor, "recommendation", 2)
    give(ledger, other, "recommendation", 2)
    assert difficulty_short(row_of(ledger, poor)) is True
    assert difficulty_short(row_of(ledger, other)) is False  # not from a family in difficulty
    summary = summarize(ledger.rows())
    assert (summary.difficulty, summary.difficulty_short) == (1, 1)

    give(ledger, poor, "recommendation")
    assert difficulty_short(row_of(ledger, poor)) is False
    assert owed_labels(row_of(ledger, poor)) == ["职业指导 0/1", "技能培训/就业见习 0/1"]
    assert summarize(ledger.rows()).difficulty_short == 0


def test_summary_counts_registered_served_and_owed(ledger: Ledger) -> None:
    served = ledger.save("wx:served", registration("王芳", "13912345678")).ref
    ledger.save("wx:owed", registration("李强", "13811112222", difficulty=True))
    ledger.save("wx:employed", registration("赵敏", "13633334444", status="已就业"))
    give(ledger, served, "guidance")
    give(ledger, served, "recommendation", 3)
    give(ledger, served, "training")
    summary = summarize(ledger.rows())
    assert (summary.registered, summary.seeking, summary.fully_served, summary.owed) == (3, 2, 1, 1)
    assert (summary.difficulty, summary.difficulty_short) == (1, 1)


def test_deleted_registrations_are_not_listed_nor_owed_anything(ledger: Ledger) -> None:
    kept = ledger.save("wx:kept", registration("王芳", "13912345678")).ref
    gone = ledger.save("wx:gone", registration("李强", "13811112222", difficulty=True)).ref
    give(ledger, gone, "guidance")
    assert ledger.delete("wx:gone") == gone
    assert [row.ref for row in ledger.rows()] == [kept]
    summary = summarize(ledger.rows())
    assert (summary.registered, summary.difficulty) == (1, 0)
    with pytest.raises(UnknownRegistration):
        give(ledger, gone, "recommendation")


# ---- the command line: follow-up add, status
def test_cli_follow_up_add_records_the_service_and_audits_it(ledger: Ledger) -> None:
    ref = ledger.save("wx:a", registration("王芳", "13912345678")).ref
    result = run_cli(cli_env(ledger), "follow-up", "add", ref.lower(), "--kind", "recommendation", "--date", "2022-07-15",
                     "--note", "推荐某科技公司前端岗位", "--staff", "张老师")
    assert result.returncode == 0, result.stderr
    assert ref in result.stdout and "岗位推介" in result.stdout
    assert row_of(ledger, ref).follow_ups == {"recommendation": 1}
    entry = ledger.audit_entries()[-1]
    assert (entry["actor"], entry["action"], entry["detail"]) == ("张老师", "follow_up", {"ref": ref, "kind": "recommendation", "date": "2022-07-15"})


@pytest.mark.parametrize(
    "args, message",
    [
        (["QZ-ZZZZ-ZZZZ", "--kind", "guidance", "--date", "2022-07-15"], "no registration QZ-ZZZZ-ZZZZ"),
        (["{ref}", "--kind", "guidance", "--date", "2022-13-40"], "not a date"),
        (["{ref}", "--kind", "guidance", "--date", "15/07/2022"], "not a date"),
        (["{ref}", "--kind", "guidance", "--date", (date.today() + timedelta(days=1)).isoformat()], "in the future"),
        (["{ref}", "--kind", "lunch", "--date", "2022-07-15"], "invalid choice: 'lunch'"),
    ],
)
def test_cli_follow_up_add_rejects_bad_input_without_change(ledger: Ledger, args: List[str], message: str) -> None:
    ref = ledger.save("wx:a", registration("王芳", "13912345678")).ref
    audit_before = len(ledger.audit_entries())
    result = run_cli(cli_env(ledger), "follow-up", "add", *[arg.format(ref=ref) for arg in args], "--staff", "张老师")
    assert result.returncode == 2
    assert message in result.stderr
    assert follow_up_total(ledger) == 0
    assert len(ledger.audit_entries()) == audit_before


def test_cli_status_shows_masked_names_services_owed_and_summary(ledger: Ledger) -> None:
    a = ledger.save("wx:a", registration("王芳芳", "13912345678")).ref
    b = ledger.save("wx:b", registration("李强", "13811112222", district="朝阳区", difficulty=True)).ref
    give(ledger, a, "guidance")
    give(ledger, a, "recommendation", 3)
    give(ledger, a, "training")
    give(ledger, b, "recommendation")
    env = cli_env(ledger)

    result = run_cli(env, "status")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "王**" in out and "李*" in out
    assert "王芳芳" not in out and "李强" not in out and "13912345678" not in out
    line_b = next(line for line in out.splitlines() if line.startswith(b))
    assert "岗位推介 1" in line_b and "职业指导 0/1" in line_b and "岗位推介 1/3" in line_b
    assert "登记人数: 2" in out and "服务已达标: 1" in out and "尚欠服务: 1" in out
    assert "困难家庭毕业生就业机会不足3个: 1" in out

    owed_only = run_cli(env, "status", "--owed").stdout
    assert b in owed_only and a not in owed_only

    haidian = run_cli(env, "status", "--district", "海淀").stdout
    assert a in haidian and b not in haidian
    assert "登记人数: 1" in haidian


def test_cli_reports_a_bad_setting_and_exits_2(ledger: Ledger) -> None:
    env = cli_env(ledger)
    result = run_cli({**env, "DATABASE_URL": "mysql://x@localhost/db"}, "status")
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr
    result = run_cli({**env, "LEDGER_HASH_KEY": "c2hvcnQ="}, "status")
    assert result.returncode == 2
    assert "LEDGER_HASH_KEY" in result.stderr


def test_cli_with_the_wrong_key_says_so(ledger: Ledger) -> None:
    ledger.save("wx:a", registration("王芳", "13912345678"))
    other_key = run_cli(cli_env(ledger), "new-key").stdout.splitlines()[0].split("=", 1)[1]
    result = run_cli({**cli_env(ledger), "LEDGER_KEYS": other_key}, "status")
    assert result.returncode == 2
    assert "LEDGER_KEYS" in result.stderr and "王芳" not in result.stdout
