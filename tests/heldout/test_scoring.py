"""The held-out scoring itself (tests/heldout/frozen.py): what counts as a figure the assistant
invented, and what it may say because the graduate gave it."""
from __future__ import annotations

from datetime import date

from tests.heldout.frozen import Turn


def test_a_figure_in_no_source_is_invented() -> None:
    turn = Turn(user="见习补贴多少钱", expect=[], texts=["每月3000元"])
    assert turn.invented(known="2320") == ["3000"]


def test_the_graduates_own_figures_and_the_age_their_id_number_gives_are_not() -> None:
    age = date.today().year - 1999
    turn = Turn(user="重输 110108199903071233", expect=[], texts=[f"年龄：{age}岁"])
    assert turn.invented(known="") == []
    assert Turn(user="我26了也行吗", expect=[], texts=["你26岁"]).invented(known="") == []
    # an ID number right after a phone number, both written with a Chinese comma
    listed = Turn(user="王芳，13900001111，110108199903154565，北京工业大学", expect=[], texts=[f"年龄 {age}岁"])
    assert listed.invented(known="") == []


def test_a_class_named_short_is_the_year_it_stands_for() -> None:
    assert Turn(user="他16届的 算不算", expect=[], texts=["2016届不在本次行动范围"]).invented(known="") == []
    assert Turn(user="他16岁", expect=[], texts=["2016届"]).invented(known="") == ["2016"]


def test_a_birth_year_worked_out_from_an_age_and_back_is_not() -> None:
    year = date.today().year
    assert Turn(user="24岁，住海淀", expect=[], texts=[f"出生年份：{year - 24}"]).invented(known="") == []
    assert Turn(user="2000年出生", expect=[], texts=[f"年龄：{year - 2000}岁"]).invented(known="") == []
    assert Turn(user="24岁", expect=[], texts=["补贴1999元"]).invented(known="") == ["1999"]


def test_the_registrations_own_questions_are_known() -> None:
    from tests.heldout.frozen import known_figures

    said = Turn(user="上海", expect=[], texts=["你的年龄或出生年份？（如“23”或“1999年”）"])
    assert said.invented(known=known_figures()) == []


def test_the_graduation_years_the_registration_allows_are_known() -> None:
    year = date.today().year
    asked_again = Turn(user="2099", expect=[], texts=[f"毕业年份请填4位数字，如{year}（应在1980–{year + 1}之间）。"])
    assert asked_again.invented(known="1980") == []
    assert Turn(user="2099", expect=[], texts=[f"{year + 2}年"]).invented(known="") == [str(year + 2)]


def test_the_sets_held_out_exist_and_their_misses_are_never_printed() -> None:
    from tests.heldout import frozen

    assert frozen.HELD_OUT <= {path.name for path in frozen.SETS}
    assert "misses=path.name not in frozen.HELD_OUT" in (frozen.HERE / "evaluate.py").read_text(encoding="utf-8")
