"""Commands at the registration's gates (the privacy consent and the final summary), run through
the actions on the session's ledger: “查看我的登记” shows what is stored, “删除我的登记” goes to
the deletion (with its confirmation), “以后再说” stops and keeps the draft for “继续登记”."""
from __future__ import annotations

import secrets
from typing import List, Optional

import pytest
from rasa_sdk import Action

from actions.registration.action import TASK_SLOT, ActionDeleteRegistration, ActionRegistration
from actions.storage import open_ledger
from ledger.store import Ledger
from tests.actions.conftest import Result, make_tracker, run

REGISTER, DELETE = "action_registration", "action_delete_registration"
TASKS = {REGISTER: ActionRegistration, DELETE: ActionDeleteRegistration}


class Graduate:
    """One sender talking to the registration actions; `active_task` carried from turn to turn
    and obeyed as nlu/task_policy.py does."""

    def __init__(self) -> None:
        self.sender = f"tg:{secrets.randbelow(10**9)}"
        self.phone = f"139{secrets.randbelow(10**8):08d}"
        self.task: Optional[str] = None

    def say(self, text: str, intent: str = "nlu_fallback", action: Optional[Action] = None) -> Result:
        tracker = make_tracker(text, intent, slots={TASK_SLOT: self.task})
        tracker.sender_id = self.sender
        chosen = TASKS[self.task]() if self.task in TASKS else action or ActionRegistration()
        result = run(chosen, tracker)
        self.task = result.slot(TASK_SLOT)
        return result

    def fill(self) -> Result:
        self.say("我要登记", "register")
        result = self.say("同意")
        for answer in ["王芳", self.phone, "跳过", "北京工业大学", "会计学", "本科", "2022", "23", "海淀", "未就业", "行政文员",
                       "不限", "1 2", "不属于"]:
            result = self.say(answer)
        return result


@pytest.fixture
def ledger() -> Ledger:
    return open_ledger()


@pytest.fixture
def graduate(ledger: Ledger) -> Graduate:
    return Graduate()


def at_consent(graduate: Graduate) -> Result:
    notice = graduate.say("我要登记", "register")
    assert "你同意吗" in notice.text and graduate.task == REGISTER
    return notice


def titles(result: Result) -> List[str]:
    return [b["title"] for b in result.buttons]


# ---- at the privacy consent: nothing is stored yet

def test_view_at_consent_says_nothing_is_stored_and_asks_again(graduate: Graduate, ledger: Ledger) -> None:
    at_consent(graduate)
    result = graduate.say("查看我的登记")
    assert "没有保存你的任何登记信息" in result.text and "需要你先同意" in result.text
    assert titles(result) == ["同意", "不同意"] and graduate.task == REGISTER
    assert ledger.get_draft(graduate.sender) is None


def test_delete_at_consent_with_nothing_stored_says_so_and_asks_again(graduate: Graduate, ledger: Ledger) -> None:
    at_consent(graduate)
    result = graduate.say("删除我的登记")
    assert "不需要删除" in result.text and "需要你先同意" in result.text and graduate.task == REGISTER


@pytest.mark.parametrize("words", ["以后再说", "先不了", "not now", "先不登记了", "好的，以后再说吧"])
def test_not_now_at_consent_leaves_politely(graduate: Graduate, ledger: Ledger, words: str) -> None:
    at_consent(graduate)
    result = graduate.say(words)
    assert "没有保存你的任何信息" in result.text and "求职登记" in result.text
    assert graduate.task is None and ledger.get_draft(graduate.sender) is None


# ---- at the summary (final confirmation)

def test_view_at_the_summary_shows_the_draft_masked_and_asks_again(graduate: Graduate) -> None:
    assert "请核对你的登记信息" in graduate.fill().text
    result = graduate.say("看看我填的")
    assert "还没提交" in result.text and "王芳" in result.text and "会计学" in result.text
    assert graduate.phone[:3] + "****" + graduate.phone[-4:] in result.text and graduate.phone not in result.text
    assert "确认提交" in titles(result) and graduate.task == REGISTER


def test_delete_at_the_summary_asks_to_confirm_then_deletes_the_draft(graduate: Graduate, ledger: Ledger) -> None:
    graduate.fill()
    asked = graduate.say("删除我的登记")
    assert "确定删除你没填完的登记" in asked.text and titles(asked) == ["确认删除", "不删了"]
    assert graduate.task == DELETE and ledger.get_draft(graduate.sender) is not None
    done = graduate.say("确认删除")
    assert "已删除" in done.text and graduate.task is None
    assert ledger.get_draft(graduate.sender) is None and ledger.find(graduate.sender) is None


def test_keeping_it_after_all_points_back_to_the_registration(graduate: Graduate, ledger: Ledger) -> None:
    graduate.fill()
    graduate.say("删掉我的登记")
    kept = graduate.say("不删了")
    assert "没有删除" in kept.text and "继续登记" in kept.text and ledger.get_draft(graduate.sender) is not None


@pytest.mark.parametrize("words", ["以后再说", "先不登记了", "not now", "先不了"])
def test_not_now_at_the_summary_keeps_the_draft_and_continue_resumes(graduate: Graduate, ledger: Ledger, words: str) -> None:
    graduate.fill()
    paused = graduate.say(words)
    assert "保存着" in paused.text and "继续登记" in paused.text and graduate.task is None
    assert ledger.get_draft(graduate.sender) is not None
    resumed = graduate.say("继续登记", "register")
    assert "还没提交" in resumed.text and "请核对你的登记信息" in resumed.text and graduate.task == REGISTER
    assert "登记成功" in graduate.say("确认提交").text
    assert ledger.find(graduate.sender) is not None
    ledger.delete(graduate.sender)


def test_cancel_at_the_summary_still_keeps_nothing(graduate: Graduate, ledger: Ledger) -> None:
    graduate.fill()
    assert "已取消登记" in graduate.say("算了").text
    assert graduate.task is None and ledger.get_draft(graduate.sender) is None


def test_view_while_changing_a_saved_registration_shows_its_number(graduate: Graduate, ledger: Ledger) -> None:
    graduate.fill()
    graduate.say("确认提交")
    saved = ledger.find(graduate.sender)
    assert saved is not None
    graduate.say("我要修改登记", "update_registration")
    shown = graduate.say("查看我的登记")
    assert saved.ref in shown.text and graduate.phone not in shown.text and graduate.task == REGISTER
    assert "先不改了" in graduate.say("以后再说").text and graduate.task is None
    assert ledger.find(graduate.sender) is not None
    ledger.delete(graduate.sender)


# ---- while answering the questions

def test_commands_are_not_taken_as_answers_and_an_optional_question_can_still_be_put_off(graduate: Graduate, ledger: Ledger) -> None:
    graduate.say("我要登记", "register")
    graduate.say("同意")
    graduate.say("王芳")
    graduate.say(graduate.phone)
    assert "学校" in graduate.say("先不了").text  # the ID number is skipped, as before
    shown = graduate.say("查看我的登记")
    assert "姓名：王芳" in shown.text and "还有" in shown.text and "回到登记" in shown.text
    draft = ledger.get_draft(graduate.sender)
    assert draft is not None and "school" not in draft["values"]
    assert "保存着" in graduate.say("以后再说吧").text and graduate.task is None
    assert "school" not in (ledger.get_draft(graduate.sender) or {}).get("values", {})


def test_a_question_said_to_be_on_the_side_is_answered_not_taken_for_the_id_number(graduate: Graduate) -> None:
    at_consent(graduate)
    graduate.say("同意")
    graduate.say("王芳")
    graduate.say(graduate.phone)
    result = graduate.say("等下 先问一句 登记完了区里会给我推荐岗位吗", "list_subscriptions")
    assert "身份证号应为18位" not in result.text and "订阅" not in result.text
    assert "实名台账" in result.text and "（3/14）" in result.text and graduate.task == REGISTER


def test_agreeing_right_after_declining_starts_the_registration(graduate: Graduate, ledger: Ledger) -> None:
    at_consent(graduate)
    declined = graduate.say("不同意")
    assert graduate.task is None and declined.slot("answer_ref") == "registration:declined"
    tracker = make_tracker("好吧，同意", "out_of_scope", slots={"answer_ref": "registration:declined"})
    tracker.sender_id = graduate.sender
    from actions.fallback import ActionOutOfScope

    agreed = run(ActionOutOfScope(), tracker)
    assert "我们开始" in agreed.text and "姓名" in agreed.text and agreed.slot(TASK_SLOT) == REGISTER
    # without the decline just before, an agreement alone starts nothing
    alone = run(ActionOutOfScope(), make_tracker("好吧，同意", "out_of_scope"))
    assert "我们开始" not in alone.text


def test_having_found_work_after_registering_is_told_what_to_do_not_started_again(graduate: Graduate) -> None:
    result = graduate.say("我之前做过求职登记，现在找到工作了，要怎么处理？", "register")
    assert "修改登记" in result.text and "删除我的登记" in result.text and "你同意吗" not in result.text
    assert graduate.task is None


def test_asking_to_register_and_whether_one_may_checks_then_asks_for_consent(graduate: Graduate) -> None:
    from actions.eligibility import ActionCheckEligibility

    checked = graduate.say("我想登记求职，我是2021届的可以吗", "check_eligibility", ActionCheckEligibility())
    assert "2021届" in checked.text and "你同意吗" in checked.text and graduate.task == REGISTER
    assert "姓名" in graduate.say("同意").text
