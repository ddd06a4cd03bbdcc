"""The registration conversation as a state machine (flow.py): every deviation of the issue,
without Rasa or a database. The same paths run end to end in tests/conversation."""
from __future__ import annotations

from datetime import date
from typing import List, Optional

import pytest

from actions.registration import flow
from actions.registration.flow import Draft, Outcome, Turn
from ledger import fields as F

TODAY = date(2026, 11, 26)


class Talk:
    def __init__(self) -> None:
        self.draft: Optional[Draft] = None
        self.last: Optional[Outcome] = None

    def say(self, text: str, knowledge: bool = False, intent: Optional[str] = None) -> str:
        self.last = flow.handle(self.draft, Turn(text, intent, 0.95 if intent else 0.0, knowledge, TODAY), 730)
        self.draft = self.last.draft
        return "\n".join(r.text for r in self.last.replies)

    def fill(self, answers: List[str]) -> str:
        out = ""
        for answer in answers:
            out = self.say(answer)
        return out


FULL = ["同意", "王芳", "13912345678", "跳过", "北京工业大学", "会计学", "本科", "2022", "23", "海淀", "未就业", "行政文员", "不限", "1 2", "不属于"]


def test_whole_path_ends_in_a_masked_summary_then_submit() -> None:
    talk = Talk()
    summary = talk.fill(FULL)
    assert "139****5678" in summary and "13912345678" not in summary
    assert "会计学" in summary and "职业指导、岗位推介" in summary
    talk.say("确认提交")
    assert talk.last is not None and talk.last.status == "submit"
    reg = talk.draft.registration() if talk.draft else None
    assert reg is not None and reg.phone == "13912345678" and reg.services == ["guidance", "recommendation"]
    assert reg.difficulty is False and reg.id_number is None


def test_declining_consent_keeps_nothing() -> None:
    talk = Talk()
    reply = talk.say("不同意")
    assert talk.last is not None and talk.last.status == "declined" and talk.draft is None
    assert "没有保存" in reply and "12333" in reply


def test_cancel_at_any_point() -> None:
    for words in ("取消", "算了", "不登记了"):
        talk = Talk()
        talk.fill(FULL[:6])
        reply = talk.say(words)
        assert talk.last is not None and talk.last.status == "cancelled" and talk.draft is None
        assert "取消" in reply


def test_wrong_phone_is_asked_again_with_the_rule_then_a_person_is_offered() -> None:
    talk = Talk()
    talk.fill(["同意", "王芳"])
    assert "11位数字，以1开头" in talk.say("12345")
    talk.say("abc")
    third = talk.say("139")
    assert "转人工" in third and "12333" in third
    assert "已经填好的信息会保留" in third
    assert talk.draft is not None and talk.draft.values["name"] == "王芳"
    assert "身份证" in talk.say("13912345678")


def test_several_values_in_one_message_are_all_taken() -> None:
    talk = Talk()
    talk.say("同意")
    reply = talk.say("我叫王芳，手机13912345678")
    assert talk.draft is not None
    assert talk.draft.values["name"] == "王芳" and talk.draft.values["phone"] == "13912345678"
    assert "身份证" in reply  # the next question skips the phone already given


@pytest.mark.parametrize("words", ["算了不填了", "算了不想登了", "我不登了"])
def test_cancel_words_run_together_still_cancel(words: str) -> None:
    talk = Talk()
    talk.fill(["同意", "王芳"])
    assert "已取消登记" in talk.say(words)
    assert talk.draft is None


@pytest.mark.parametrize("words", ["转人工", "我要转人工", "帮我找工作人员吧"])
def test_asking_for_a_person_at_a_step_keeps_the_draft_for_the_person(words: str) -> None:
    talk = Talk()
    talk.fill(["同意", "王芳"])
    talk.say(words)
    assert talk.last is not None and talk.last.status == "human" and talk.draft is not None


def test_a_wrong_phone_given_with_the_name_is_said_at_once() -> None:
    talk = Talk()
    talk.say("同意")
    reply = talk.say("我叫刘洋，手机号是1391234")
    assert talk.draft is not None and talk.draft.values["name"] == "刘洋" and "phone" not in talk.draft.values
    assert reply.startswith("已记下姓名。手机号应为11位数字")
    assert "身份证" in talk.say("13912345678")


def test_a_question_on_the_way_is_an_aside_and_the_same_question_comes_back() -> None:
    talk = Talk()
    talk.fill(FULL[:4])
    reply = talk.say("社保补贴怎么申请？", knowledge=True, intent="ask_policy")
    assert talk.last is not None and talk.last.status == "aside"
    assert "回到登记" in reply and "学校" in reply
    assert "school" not in (talk.draft.values if talk.draft else {})


def test_correcting_an_earlier_answer_mid_way() -> None:
    talk = Talk()
    talk.fill(FULL[:6])
    reply = talk.say("手机号填错了")
    assert "手机号" in reply
    talk.say("13812345678")
    assert talk.draft is not None and talk.draft.values["phone"] == "13812345678"
    assert talk.draft.values["major"] == "会计学"  # nothing else lost
    assert "学历" in talk.last.replies[-1].text if talk.last else False


def test_correction_with_the_new_value_in_the_same_message() -> None:
    talk = Talk()
    talk.fill(FULL)
    reply = talk.say("学校写错了，应该是首都师范大学")
    assert "首都师范大学" in reply and talk.draft is not None and talk.draft.values["school"] == "首都师范大学"


def test_editing_from_the_summary() -> None:
    talk = Talk()
    talk.fill(FULL)
    menu = talk.say("修改")
    assert "要修改哪一项" in menu
    assert talk.last is not None and "改学历" in talk.last.replies[-1].buttons
    talk.say("改学历")
    summary = talk.say("硕士")
    assert "学历：硕士" in summary


def test_employed_graduates_are_not_asked_for_a_job_intention() -> None:
    talk = Talk()
    reply = talk.fill(FULL[:10] + ["已经上班了"])
    assert "需要哪些就业服务" in reply


def test_resume_offer_continues_where_it_stopped() -> None:
    talk = Talk()
    talk.fill(FULL[:5])
    assert talk.draft is not None
    offer = flow.resume_offer(talk.draft)
    assert "已填" in offer.replies[0].text
    talk.draft = offer.draft
    assert "专业" in talk.say("继续")


def test_difficulty_kinds_are_recorded() -> None:
    talk = Talk()
    talk.fill(FULL[:-1] + ["低保家庭"])
    assert talk.draft is not None
    reg = talk.draft.registration()
    assert reg.difficulty is True and reg.difficulty_kind == "城乡低保家庭" and reg.difficulty_kind in F.DIFFICULTY_KINDS


def test_an_optional_question_never_blocks_the_rest() -> None:
    talk = Talk()
    talk.fill(FULL[:3])
    assert "学校" in talk.say("没有身份证号")  # skipped in words
    talk = Talk()
    talk.fill(FULL[:3])
    assert "18位" in talk.say("我今年22")
    reply = talk.say("在找工作")
    assert "身份证号先跳过" in reply and "学校" in reply
    assert talk.draft is not None and "id_number" in talk.draft.skipped


def test_values_for_later_questions_are_noted_while_another_is_pending() -> None:
    talk = Talk()
    talk.fill(FULL[:3])
    reply = talk.say("学的是计算机科学与技术")
    assert "已记下：专业 计算机科学与技术" in reply and "身份证" in reply


def test_changing_a_saved_registration_goes_to_the_field_named() -> None:
    reg = Talk()
    reg.fill(FULL)
    assert reg.draft is not None
    saved = reg.draft.registration()
    outcome = flow.edit_saved(saved, "QZ-TEST-0001", Turn("我换手机号了，要改一下", today=TODAY))
    assert "请重新输入手机号" in outcome.replies[0].text
    talk = Talk()
    talk.draft = outcome.draft
    assert "138****2222" in talk.say("13811112222")
    menu = flow.edit_saved(saved, "QZ-TEST-0001", Turn("修改登记信息", today=TODAY))
    assert "QZ-TEST-0001" in menu.replies[0].text and "要修改哪一项" in menu.replies[1].text


def test_a_wrong_phone_given_by_name_before_the_name_is_said_to_be_the_phone() -> None:
    talk = Talk()
    talk.say("同意")
    reply = talk.say("手机号是138123456")
    assert reply.startswith("手机号应为11位数字") and "姓名" in reply  # then the pending question again
    assert talk.draft is not None and not talk.draft.values and not talk.draft.failures
    talk.say("王芳")
    assert talk.draft is not None and talk.draft.values["name"] == "王芳"


def test_pausing_for_tomorrow_keeps_the_draft_and_says_how_to_come_back() -> None:
    # (an errand before “later” too: “我先去吃个饭 待会再弄”, or after the pause: “先暂停一下，我去找身份证”)
    for words in ("暂停一下 我明天再填", "明天再填吧", "先暂停", "我先去吃个饭 待会再弄", "我先去吃个饭，回头再弄", "有事先走 明天再填",
                  "先暂停一下，我去找身份证", "我先去吃饭，回来再弄"):
        talk = Talk()
        talk.fill(["同意", "王芳"])
        reply = talk.say(words)
        assert talk.last is not None and talk.last.status == "paused", words
        assert talk.draft is not None and talk.draft.values["name"] == "王芳"
        assert "暂停" in reply and "继续登记" in reply


def test_declining_says_registration_stays_open_any_time() -> None:
    talk = Talk()
    assert "随时说“求职登记”" in talk.say("不同意")


@pytest.mark.parametrize("words", ["I agree.", "同意授权"])  # in English, or as an authorisation
def test_consent_in_other_words_is_consent(words: str) -> None:
    talk = Talk()
    assert "姓名" in talk.say(words)
    assert talk.draft is not None and talk.draft.phase == "collect"


def test_a_question_at_the_consent_step_gets_the_notice_that_answers_it() -> None:
    talk = Talk()
    reply = talk.say("要填几项")
    assert "共14项" in reply and "你同意吗" in reply and talk.draft is None
    assert "需要你先同意" in talk.say("随便看看")  # not a question: asked again briefly


@pytest.mark.parametrize("question, knowledge", [("见习补贴怎么申请？", True), ("And how much is the subsidy for it?", False)])
def test_a_question_on_the_side_at_the_consent_step_is_answered_with_one_line_recalling_it(question: str, knowledge: bool) -> None:
    talk = Talk()
    reply = talk.say(question, knowledge=knowledge)
    assert talk.last is not None and talk.last.status == "aside" and talk.draft is None
    assert "还没开始" in reply and "同意" in reply and "收集什么" not in reply  # the notice is not shown again


def test_consent_said_with_a_lead_in_is_consent_and_a_refusal_asking_why_gets_the_notice() -> None:
    talk = Talk()
    reply = talk.say("我不同意 你们要我信息干嘛")
    assert talk.draft is None and "为什么" in reply and talk.last is not None and talk.last.status != "declined"
    reply = talk.say("那好吧 同意")
    assert talk.draft is not None and "（1/14）" in reply


@pytest.mark.parametrize("text", ["好的同意", "好的，我同意", "可以 同意", "看完了，同意"])
def test_consent_after_an_ok_is_consent(text: str) -> None:
    talk = Talk()
    assert "（1/14）" in talk.say(text) and talk.draft is not None


def test_an_ok_before_a_no_is_still_a_no() -> None:
    talk = Talk()
    talk.say("好的，不同意")
    assert talk.draft is None and talk.last is not None and talk.last.status == "declined"


def test_an_id_number_that_fails_its_check_is_said_at_once_not_dropped() -> None:
    talk = Talk()
    talk.say("同意")
    reply = talk.say("我叫王芳 身份证110105199912311235")
    assert "核对不上" in reply and "（2/14）" in reply
    assert talk.draft is not None and talk.draft.registration().name == "王芳"


def test_stopping_for_today_at_an_optional_question_keeps_the_draft() -> None:
    talk = Talk()
    talk.fill(FULL[:3])
    reply = talk.say("算了 今天先不弄了")
    assert talk.last is not None and talk.last.status == "paused" and "继续登记" in reply


def test_several_answers_in_one_message_are_data_not_a_question_aside() -> None:
    talk = Talk()
    talk.say("同意")
    reply = talk.say("陈晨 18612345678 本科 计算机", knowledge=True, intent="check_eligibility")
    assert talk.last is not None and talk.last.status != "aside" and "186****5678" in reply


def test_a_value_taken_after_a_wrong_one_is_acknowledged_masked() -> None:
    talk = Talk()
    talk.fill(["同意", "王芳"])
    assert "11位" in talk.say("1391234567")
    reply = talk.say("打错了 是13912345678")
    assert "手机号已记下：139****5678" in reply and "13912345678" not in reply and "（3/14）" in reply


def test_a_phone_given_right_after_the_name_message_said_it_was_wrong_is_acknowledged() -> None:
    talk = Talk()
    talk.fill(["同意"])
    assert "请重新输入" in talk.say("我叫李想 手机1381234567")
    reply = talk.say("打错了 是13812345678")
    assert "手机号已记下：138****5678" in reply and "13812345678" not in reply


def test_a_question_where_a_name_is_asked_is_answered_aside_not_taken_for_a_wrong_name() -> None:
    talk = Talk()
    talk.fill(["同意"])
    reply = talk.say("登记了有啥好处")
    assert talk.last is not None and talk.last.status == "aside"
    assert "姓名请填写" not in reply and "回到登记" in reply
    assert talk.draft is not None and not talk.draft.failures


def test_coming_back_to_a_draft_paused_before_its_first_answer_offers_to_start_not_to_go_on() -> None:
    talk = Talk()
    talk.fill(["同意"])
    assert "退出登记" in talk.say("算了 先不登了")
    assert talk.draft is not None
    offer = flow.resume_offer(talk.draft, "那我以后还能再登记吗")  # what the action says when the graduate comes back
    reply = "\n".join(r.text for r in offer.replies)
    assert reply.startswith("可以") and "还没开始填" in reply and "已填0项" not in reply
    talk.draft = offer.draft
    assert "（1/14）" in talk.say("继续")


def test_saying_a_field_was_wrong_before_it_was_taken_asks_for_it_again() -> None:
    talk = Talk()
    talk.fill(["同意", "王芳", "1391234567"])  # the number was not one: the phone is still asked
    reply = talk.say("手机号填错了")
    assert reply.startswith("好的，请重新输入手机号") and "（2/14）" in reply
    assert "手机号已记下：139****5678" in talk.say("13912345678")


def test_a_question_about_a_field_is_answered_aside_not_checked_as_that_field() -> None:
    talk = Talk()
    talk.fill(["同意"])
    reply = talk.say("你们会不会把我身份证号泄露出去啊")
    assert talk.last is not None and talk.last.status == "aside" and "18位" not in reply


def test_going_on_after_a_question_aside_says_so() -> None:
    talk = Talk()
    talk.fill(["同意", "王芳"])
    assert talk.say("好 继续登记吧").startswith("好的，继续登记。")


def test_a_name_leading_a_message_of_several_answers_is_taken_with_them() -> None:
    talk = Talk()
    talk.fill(["同意"])
    reply = talk.say("陈晨 18612345678 本科 计算机")
    assert reply.startswith("好的，已记下：姓名 陈晨，手机号 186****5678，学历 本科。")
    assert talk.draft is not None and talk.draft.values["name"] == "陈晨"
    talk = Talk()
    talk.fill(["同意"])
    talk.say("本科 18612345678")  # a degree first is no name
    assert talk.draft is not None and "name" not in talk.draft.values


def test_a_field_given_again_after_saying_it_was_wrong_is_acknowledged() -> None:
    talk = Talk()
    talk.fill(["同意", "王芳", "13912345678", "跳过"])
    talk.say("手机号填错了")
    assert "手机号已记下：159****4567" in talk.say("15901234567")


def test_anything_goes_is_an_answer_not_a_question() -> None:
    from actions.registration import parse as P

    assert not P.looks_like_question("啥都行") and P.looks_like_question("登记了有啥好处")
    talk = Talk()
    talk.fill(FULL[:11])
    talk.say("啥都行")
    assert talk.last is not None and talk.last.status != "aside"
    assert talk.draft is not None and talk.draft.values.get("intention") == "啥都行"


def test_answers_listed_with_commas_or_spaces_each_go_to_their_field() -> None:
    talk = Talk()
    talk.fill(["同意", "王芳", "13912345678", "跳过"])
    reply = talk.say("北京联合大学，计算机科学与技术，本科，2022年毕业")
    assert talk.draft is not None
    assert talk.draft.values["school"] == "北京联合大学" and talk.draft.values["major"] == "计算机科学与技术"
    assert talk.draft.values["degree"] == "本科" and talk.draft.values["grad_year"] == 2022
    assert "专业 计算机科学与技术" in reply and "年龄" in reply  # the next question is the first one not answered
    spaced = Talk()
    spaced.fill(["同意", "李雷", "13912345678", "跳过"])
    spaced.say("中国人民大学 金融 硕士 2022年毕业")
    assert spaced.draft is not None and spaced.draft.values["major"] == "金融" and spaced.draft.values["degree"] == "硕士"


def test_everything_in_one_message_after_the_name_question() -> None:
    talk = Talk()
    talk.say("同意")
    reply = talk.say("王芳，13900001111，110108199903154565，北京工业大学，会计，本科，2022年毕业，海淀区，想找财务")
    assert talk.draft is not None
    values = talk.draft.values
    assert values["name"] == "王芳" and values["major"] == "会计" and values["district"] == "海淀区" and values["intention"] == "财务"
    assert "139****1111" in reply and "13900001111" not in reply
    assert "就业状态" in reply


@pytest.mark.parametrize("message", [
    "王小明，13800138000，跳过",
    "王小明，13800138000，身份证跳过",
    "王小明，13800138000，跳过，北京联合大学，计算机，本科，2022年毕业",
])
def test_skip_in_a_listed_message_skips_the_id_number(message: str) -> None:
    talk = Talk()
    talk.say("同意")
    reply = talk.say(message)
    assert talk.draft is not None and talk.draft.values["phone"] == "13800138000"
    assert "id_number" in talk.draft.skipped and "id_number" not in talk.draft.values
    assert "身份证号 未填写" in reply and "（3/14）" not in reply  # the ID question is not asked after all
    assert ("学校" in reply) if "大学" not in message else ("年龄" in reply)


def test_skip_in_a_list_is_not_taken_for_the_id_number_elsewhere() -> None:
    talk = Talk()
    talk.fill(["同意", "王芳", "13912345678", "110108199903154565"])
    talk.say("北京联合大学，计算机，本科，跳过")  # not after the phone nor naming the ID: nothing skipped
    assert talk.draft is not None and talk.draft.values["id_number"] == "110108199903154565"


def test_the_later_answers_listed_together_each_go_to_their_field() -> None:
    talk = Talk()
    talk.fill(FULL[:10])  # up to the status question
    reply = talk.say("未就业，想找软件开发，工作区域不限，需要岗位推介，没有困难情形")
    assert talk.draft is not None and talk.draft.phase == "confirm"
    values = talk.draft.values
    assert values["status"] == "未就业" and values["intention"] == "软件开发" and values["preferred_districts"] == ["不限"]
    assert values["services"] == ["recommendation"] and values["difficulty"] is False
    assert "请核对" in reply


def test_a_wish_and_the_districts_wanted_in_one_message() -> None:
    talk = Talk()
    talk.fill(FULL[:11])  # the wish is asked
    reply = talk.say("软件开发，海淀朝阳都行")
    assert talk.draft is not None
    assert talk.draft.values["intention"] == "软件开发" and talk.draft.values["preferred_districts"] == ["海淀区", "朝阳区"]
    assert "服务" in reply  # the next question is the services


def test_a_school_and_a_major_are_two_answers() -> None:
    talk = Talk()
    talk.fill(["同意", "吴昊", "15012345678", "跳过"])
    reply = talk.say("首都师范大学，汉语言文学")
    assert talk.draft is not None
    assert talk.draft.values["school"] == "首都师范大学" and talk.draft.values["major"] == "汉语言文学"
    assert "学历" in reply


def test_consent_and_answers_in_one_message() -> None:
    talk = Talk()
    reply = talk.say("同意 我叫陈晨 手机13700002222")
    assert talk.draft is not None and talk.draft.values["name"] == "陈晨" and talk.draft.values["phone"] == "13700002222"
    assert reply.startswith("好的，我们开始。") and "137****2222" in reply and "身份证号" in reply


def test_a_correction_carrying_the_value_after_shi_is_taken_at_once() -> None:
    talk = Talk()
    talk.fill(["同意", "刘洋"])
    reply = talk.say("不对 名字写错了 是刘阳")
    assert talk.draft is not None and talk.draft.values["name"] == "刘阳"
    assert "已把姓名改为：刘阳" in reply and "手机号" in reply


def test_going_on_with_an_answer_in_the_same_message() -> None:
    talk = Talk()
    talk.fill(["同意", "刘阳"])
    talk.say("那继续登记吧 13600003333")
    assert talk.draft is not None and talk.draft.values["phone"] == "13600003333" and "name" in talk.draft.values
    assert talk.draft.values["name"] == "刘阳"


def test_going_on_after_a_pause_before_the_first_answer_starts_at_the_first_question() -> None:
    talk = Talk()
    talk.say("同意")
    talk.say("我先去吃个饭，回头再弄")
    assert talk.draft is not None
    outcome = flow.resume_offer(talk.draft, "继续登记")
    reply = "\n".join(r.text for r in outcome.replies)
    assert "从第一项开始" in reply and "已填0项" not in reply and "姓名" in reply


def test_a_request_out_of_scope_at_a_step_is_declined_and_the_step_asked_again() -> None:
    talk = Talk()
    talk.fill(["同意", "刘阳"])
    reply = talk.say("顺便帮我写份简历呗", intent="out_of_scope")
    assert reply.startswith("抱歉，这个我帮不上忙") and "手机号" in reply
    assert talk.draft is not None and "phone" not in talk.draft.values and not talk.draft.failures
    # a favour asked is one whatever the NLU made of it
    again = talk.say("顺便帮我写份简历呗", intent="inform")
    assert again.startswith("抱歉，这个我帮不上忙") and not talk.draft.failures


def test_emoji_or_a_huge_paste_taken_for_out_of_scope_still_count_as_wrong_answers() -> None:
    talk = Talk()
    talk.fill(["同意", "李明"])
    talk.say("1391234")
    talk.say("我的电话是 010-12345678")
    third = talk.say("😀😀😀", intent="out_of_scope")
    assert "转人工" in third and "12333" in third
    pasted = Talk()
    pasted.fill(["同意", "张伟", "13700001111", "跳过"])
    assert "太长" in pasted.say("北京" * 1000, intent="out_of_scope")


@pytest.mark.parametrize("text", ["我已经填了哪些，给我看看", "填了哪些", "我都填了啥", "我想看看我刚才都填了什么", "我刚才填了啥"])
def test_asking_what_was_filled_mid_way_shows_the_draft(text: str) -> None:
    talk = Talk()
    talk.fill(["同意", "刘洋", "13700001111"])
    talk.say(text)
    assert talk.last is not None and talk.last.status == "view"
    assert talk.draft is not None and talk.draft.values["name"] == "刘洋"


@pytest.mark.parametrize("words", ["找到了，继续", "我回来了 继续吧"])
def test_going_on_after_an_errand_goes_straight_to_the_next_question(words: str) -> None:
    talk = Talk()
    talk.fill(["同意", "赵敏", "13611112222", "先暂停一下，我去找身份证"])
    assert talk.draft is not None
    outcome = flow.resume_offer(talk.draft, words)
    reply = "\n".join(r.text for r in outcome.replies)
    assert "我们接着来" in reply and "身份证号" in reply


def test_seeing_or_deleting_what_was_given_works_in_everyday_words_at_a_step() -> None:
    for words in ("看看我填了哪些信息", "我填了啥 给我看看"):
        talk = Talk()
        talk.fill(["同意", "王芳", "13912345678"])
        talk.say(words)
        assert talk.last is not None and talk.last.status == "view", words
    # giving up and deleting in one message (“我不想登了，把刚才填的名字删了吧”) is the deletion, not a wrong phone number
    for words in ("删掉我填的所有信息", "算了，把我填的信息全部删掉", "我不想登了，把刚才填的名字删了吧"):
        talk = Talk()
        talk.fill(["同意", "王芳"])
        reply = talk.say(words)
        assert talk.last is not None and talk.last.status == "delete", words
        assert "手机号应为" not in reply


def test_a_wrong_number_at_the_phone_step_is_asked_again_even_if_the_nlu_took_it_for_a_question() -> None:
    talk = Talk()
    talk.fill(["同意", "李明"])
    reply = talk.say("我的电话是 010-12345678", knowledge=True)
    assert talk.last is not None and talk.last.status != "aside"
    assert "11位数字，以1开头" in reply
