"""The registration conversation as a state machine over a `Draft`: no Rasa, no database.

`handle(draft, turn)` reads one message and returns what to say and the next draft. The action
(action.py) loads and stores the draft, saves the confirmed registration, and answers questions
asked on the way (an `aside`) before repeating the question that was pending.

Phases: consent → collect (one field at a time; several values in one message are all taken)
→ confirm (summary, edit any field) → the action saves. Cancel works in every phase, and so do
the commands (`command`): see what is stored, delete it, or stop for now keeping the draft.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Dict, List, Optional, Sequence

from actions.knowledge import kb
from actions.registration import parse as P
from actions.registration.steps import BY_KEY, STEPS, Step, display, field_named
from ledger.model import Registration

MAX_FAILURES = 3
OPTIONAL_TRIES = 2  # an optional question is skipped after this many answers it cannot take
FREE_TEXT = ("name", "school", "major", "intention")
CANCEL = re.compile(r"^(?:(?:我|那|还是|我还是)?(?:取消|算了|退出|放弃|不填了|不想填了|不弄了|不登了|不搞了|不想登了|不想弄了|不想搞了|不想做了|不做了)(?:吧|了|啦)?)+$")
# “Actually, cancel it.”, “Stop the registration”: in English, as the whole message
CANCEL_ENGLISH = re.compile(r"^(?:ok(?:ay)?,?\s*|actually,?\s*|never ?mind,?\s*|no,?\s*)*(?:please\s+)?(?:cancel|stop|quit|abort|forget)"
                            r"(?:\s+(?:it|this|that|the registration|registering|registration|please))*[.!\s]*$", re.IGNORECASE)
CANCEL_ANYWHERE = re.compile(r"不登记了|不想登记|取消登记|退出登记|停止登记|结束登记|放弃登记|先不登记|不要登记|别登记了")
# commands that work whatever is being asked, matched on the whole message without punctuation
VIEW = re.compile(
    r"^(?:请|帮我|我想|我要|让我|给我)?(?:查看|看看|看一看|看一下|看下|查查|查一下|查询|显示|核对一下)(?:一下)?(?:我的|我)?"
    r"(?:求职)?(?:登记(?:信息|内容|的信息)?|填的(?:信息|内容|东西)?|填写的(?:信息|内容)?|已填的(?:信息|内容)?|资料|信息)(?:吧|呢|呀)?$"
    r"|^我的(?:求职)?(?:登记|登记信息|资料)$"
    r"|^(?:我(?:刚才|之前|前面)?(?:都|已经)?)?(?:已经)?填了(?:什么|啥|哪些|几项)(?:信息|内容)?(?:呀|啊|了)?(?:(?:给我|让我|我想)?(?:看看|看一下|看下|瞅瞅))?$"
    r"|^(?:请|帮我|我想|我要|让我|给我)?(?:查看|看看|看一看|看一下|看下|查查|查一下|查询|显示|核对一下)(?:一下)?"  # “看看我填了哪些信息”
    r"我(?:刚才|之前|前面)?(?:都|已经)?填了(?:什么|啥|哪些|几项)?(?:信息|内容)?(?:吧|呢|呀)?$")  # “我想看看我刚才都填了什么”
DELETE = re.compile(
    r"^(?:请|帮我|我要|我想|麻烦)?(?:删除|删掉|删了|清除|清空|注销)(?:掉)?(?:我的|我)?(?:求职)?"
    r"(?:登记|信息|个人信息|资料|填的(?:信息|内容)?)(?:信息)?(?:吧|了)?$"
    r"|^(?:请|帮我)?把我的(?:求职)?(?:登记|信息|资料)(?:都|全)?(?:删除|删掉|删了|清除)(?:吧|了)?$"
    # “删掉我填的所有信息”, “算了，把我填的信息全部删掉”, “我不想登了，把刚才填的名字删了吧”
    r"|^(?:请|帮我|我要|我想|麻烦)?(?:删除|删掉|删了|清除|清空)(?:掉)?我(?:刚才)?填的(?:所有|全部)?(?:信息|内容|东西)(?:吧|了)?$"
    r"|^(?:算了|我?不想登了|我?不登了|我?不想登记了|我?不填了|我?不想填了)?(?:请|帮我|麻烦)?把(?:我|我刚才|刚才|之前|我之前)?"
    r"(?:填的|登记的|的)(?:求职)?(?:名字|姓名|信息|资料|内容|东西|登记)(?:信息)?(?:都|全|全部)?(?:删除|删掉|删了|清除|清空)(?:掉)?(?:吧|了)?$")
PAUSE_PART = (
    r"(?:我?(?:有事|有点事)?先(?:去|出去|走|忙)[\u4e00-\u9fff]{0,5}?)?"  # “我先去吃个饭 待会再弄”
    r"(?:那|那就|嗯+|好吧?|好的|哦+|算了)?我?(?:今天)?先?(?:暂停一下|暂停|先暂停|先不了|先不登记了?|先不登了|先不填了|先不弄了|先不做了|先不搞了|"
    r"暂时不登记了?|暂时不填了|今天先不填了|今天不弄了|今天不填了|先这样|"
    r"(?:以后|下次|回头|回来|一会儿?|等下|等一下|改天|晚点|晚些|等会儿?|待会儿?|稍后|过会儿?|过两天|有空|明天|明儿|后天|晚上|下午|周末|下周)"
    r"再(?:说|登记|填|弄|继续|来))"
    r"(?:吧|了|啦|哈|呗)*(?:算了)?"
    r"(?:我?(?:得|要)?去(?:找|拿|翻|查|问|吃|上)[\u4e00-\u9fff]{0,6})?"  # “先暂停一下，我去找身份证”
)
PAUSE = re.compile(
    rf"^(?:{PAUSE_PART})+$"
    r"|^(?:notnow|later|maybelater|notyet|notnowthanks)$")
VIEW_PAYLOAD, DELETE_PAYLOAD = "/view_registration", "/delete_registration"
CORRECTION = re.compile(r"错|改|更正|修改|不对|重新填|重填|换了|换成|换一个")
AGREE = re.compile(r"^(?:同意|我同意|同意的|同意授权|我同意授权|授权|我授权|同意并授权|好的?|可以|行|没问题|是的?|嗯+|ok|okay|yes|1|确定|接受|i ?agree|agreed?|yes,? ?i ?agree|sure)(?:的|吧|了|啊)?$")
DISAGREE = re.compile(r"^(?:不同意|我不同意|拒绝|不要|不了|不用了?|不行|否|no|2|算了)(?:的|吧|了|啊)?$")
CONFIRM = re.compile(r"^(?:确认|确认提交|提交|对|对的|没问题|正确|无误|信息无误|是的?|好的?|可以|ok|yes|确定)(?:的|吧|了|啊)?$")
EDIT = re.compile(r"^(?:修改|改|我要改|要改|改一下|编辑|更改)(?:一下|信息)?$")
RESUME = re.compile(r"^(?:(?:好的?|好吧|好了|行|嗯+|那|ok|(?:我)?(?:找到了|回来了|弄好了|忙完了|吃完了|来了))[，,。\s]*)*"
                    r"(?:继续|继续登记|接着填|接着来|继续填)(?:吧|了|啊)?$")
RESUME_LEAD = re.compile(r"^(?:(?:好的?|好吧|行|嗯+|那|ok)[，,。\s]*)?(?:继续登记|接着填|继续填)(?:吧|了|啊)?[，,。\s]+")
RESTART = re.compile(r"^(?:重新开始|重来|从头开始|重新登记|重新填)(?:吧|了|啊)?$")

BUTTON_CONFIRM = "确认提交"
BUTTON_EDIT = "修改"
BUTTON_CANCEL = "取消登记"


@dataclass
class Reply:
    text: str
    buttons: List[str] = field(default_factory=list)  # each button sends its title as text


@dataclass
class Draft:
    phase: str = "consent"  # consent | collect | confirm | resume
    values: Dict[str, Any] = field(default_factory=dict)
    skipped: List[str] = field(default_factory=list)
    editing: Optional[str] = None
    failures: Dict[str, int] = field(default_factory=dict)
    mode: str = "new"  # new | edit (a saved registration being changed)

    def registration(self) -> Registration:
        return Registration.from_dict(self.values)

    def to_dict(self) -> Dict[str, Any]:
        return {"phase": self.phase, "values": self.values, "skipped": self.skipped, "editing": self.editing,
                "failures": self.failures, "mode": self.mode}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Draft":
        return cls(phase=data.get("phase", "collect"), values=dict(data.get("values") or {}), skipped=list(data.get("skipped") or []),
                   editing=data.get("editing"), failures=dict(data.get("failures") or {}), mode=data.get("mode", "new"))


@dataclass(frozen=True)
class Turn:
    text: str
    intent: Optional[str] = None
    confidence: float = 0.0
    knowledge_question: bool = False  # the NLU placed it among the questions the assistant answers
    today: date = field(default_factory=date.today)


@dataclass
class Outcome:
    replies: List[Reply]
    draft: Optional[Draft]  # None: nothing to keep (cancelled, declined, or ready to save)
    status: str = "continue"  # continue | aside | cancelled | declined | paused | submit | human | view | delete
    noted: List[str] = field(default_factory=list)


def is_cancel(text: str) -> bool:
    """取消 / 算了 / 不登记了, alone or in a sentence ("算了，不登记了")."""
    if CANCEL_ANYWHERE.search(text) or CANCEL_ENGLISH.match(text.strip()):
        return True
    return any(CANCEL.match(part.strip()) for part in re.split(r"[,，。.!！~～;；\s]+", text) if part.strip())


# ---- entry points ----------------------------------------------------------------------------

HUMAN = re.compile(r"^(?:我要|我想|帮我|请|麻烦)?(?:转|找|要)?(?:人工|人工客服|人工服务|客服|工作人员|真人)(?:吧|啊|呀|谢谢)?$")
NOT_STARTED = Reply("（求职登记还没开始：要登记请回复“同意”，不登记请回复“不同意”。）", ["同意", "不同意"])
# a question in English (“What about a traineeship — who can join?”): the registration is in Chinese
ENGLISH_QUESTION = re.compile(r"^[^\u4e00-\u9fff]*[A-Za-z]{2,}[^\u4e00-\u9fff]*\?\s*$")


def consent_again() -> Reply:
    return Reply("需要你先同意才能开始登记：同意请回复“同意”，不登记请回复“不同意”。", ["同意", "不同意"])


def confirm_again() -> Reply:
    return Reply("信息无误请点“确认提交”；要改哪一项请点“修改”或直接说（如“改手机号”）；不登记了请说“取消”。",
                 [BUTTON_CONFIRM, BUTTON_EDIT, BUTTON_CANCEL])


def privacy_notice(retention_days: int) -> Reply:
    years = retention_days / 365
    keep = f"{years:g}年" if years >= 1 and retention_days % 365 == 0 else f"{retention_days}天"
    return Reply(
        "求职登记前，请先了解个人信息怎么用：\n"
        "• 收集什么：姓名、手机号、学校、专业、学历、毕业年份、年龄、居住区、就业状态、求职意向、意向工作区域、需要的服务，身份证号和是否困难家庭选填，共14项。\n"
        "• 为什么：建立实名台账（通知 五（八）），为你提供职业指导、岗位推介、培训见习等服务。\n"
        "• 谁能看到：只有负责就业服务的人社工作人员；手机号、身份证号加密保存。\n"
        f"• 保存多久：最后一次更新后{keep}，到期删除；随时可说“删除我的登记”。\n"
        "同意后开始，过程中随时可以说“取消”。你同意吗？",
        ["同意", "不同意"],
    )


def start(retention_days: int) -> Outcome:
    return Outcome([privacy_notice(retention_days)], None)


def resume_offer(draft: Draft, text: str = "") -> Outcome:
    """A draft left unfinished: asked whether to go on or start again; “继续登记” goes straight
    on (the draft stays in the resume phase, so “重新开始” still starts again)."""
    done = sum(1 for step in STEPS if _answered(draft, step))
    offered = Draft.from_dict({**draft.to_dict(), "phase": "resume"})
    if RESUME.match(P.clean(text)) and done == 0:
        return Outcome([Reply("好的，我们从第一项开始。"), _ask(offered)], offered)
    if RESUME.match(P.clean(text)):
        where = "已经填完，还没提交" if _next_step(offered) is None else f"还没完成（已填{done}项）"
        return Outcome([Reply(f"你上次的登记{where}，我们接着来；想从头填请说“重新开始”。"), _ask(offered)], offered)
    if done == 0:  # paused before the first answer: nothing to go on with or start again
        can = "可以，随时都能登记。" if P.looks_like_question(text) else ""
        return Outcome([Reply(f"{can}你上次的登记还没开始填，现在从第一项开始吗？", ["继续", "以后再说"])], offered)
    return Outcome([Reply(f"你上次的登记还没完成（已填{done}项）。接着填，还是重新开始？", ["继续", "重新开始"])], offered)


def edit_saved(reg: Registration, ref: str, turn: Optional[Turn] = None) -> Outcome:
    """Changing a saved registration: the field the graduate named (“我换手机号了”), or the
    summary and a menu of fields."""
    draft = Draft(phase="confirm", values=reg.to_dict(), mode="edit",
                  skipped=[s.key for s in STEPS if s.optional and getattr(reg, s.key) in (None, "")])
    key = field_named(turn.text) if turn is not None else None
    if key is not None and turn is not None:
        return _start_edit(draft, key, turn)
    return Outcome([summary(draft, f"你的登记（编号 {ref}）："), _field_menu()], draft)


# ---- one message ---------------------------------------------------------------------------

def handle(draft: Optional[Draft], turn: Turn, retention_days: int) -> Outcome:
    text = P.clean(turn.text)
    commanded = command(draft, turn, text)
    if commanded is not None:
        return commanded
    if is_cancel(text):
        if draft is not None and draft.mode == "edit":
            return Outcome([Reply("好的，不改了，你的登记保持原样。")], None, "cancelled")
        return Outcome([Reply("好的，已取消登记，刚才填的信息都没有保存。想登记时随时说“求职登记”。")], None, "cancelled")
    if draft is None or draft.phase == "consent":
        return _consent(turn, text, retention_days)
    if draft.phase == "resume":
        return _resume(draft, text, turn)
    if HUMAN.match(_compact(text)):  # “转人工”, “我要转人工”, “帮我转人工客服吧”
        return Outcome([_ask(draft)], draft, "human")
    if draft.phase == "confirm":
        return _confirm(draft, turn, text)
    return _collect(draft, turn, text)


def command(draft: Optional[Draft], turn: Turn, text: str) -> Optional[Outcome]:
    """“查看我的登记” / “删除我的登记” / “以后再说” at any step. View and delete are done by the
    action (status view / delete; the replies are the question to come back to); stopping keeps
    the draft. “先不了” to an optional question is still its answer (skipped)."""
    compact = _compact(text)
    if VIEW.match(compact) or text.startswith(VIEW_PAYLOAD):
        return Outcome([prompt(draft)], draft, "view")
    if DELETE.match(compact) or text.startswith(DELETE_PAYLOAD):
        return Outcome([prompt(draft)], draft, "delete")
    if PAUSE.match(compact) and not _skips_optional(draft, turn):
        return _pause(draft)
    return None


def _compact(text: str) -> str:
    return re.sub(r"[,，。.!！?？~～、;；:：\s]+", "", text.lower())


LATER = re.compile(r"今天|以后|下次|回头|回来再|改天|晚点|晚些|明天|有空|待会|等会|过两天|过会|稍后")


def _skips_optional(draft: Optional[Draft], turn: Turn) -> bool:
    if draft is None or draft.phase != "collect" or "登记" in turn.text or LATER.search(turn.text):  # “今天先不弄了”: a pause
        return False
    step = _current(draft)
    return step is not None and step.optional and isinstance(step.parser(turn.text, _options(step, turn)), P.Skipped)


def _pause(draft: Optional[Draft]) -> Outcome:
    if draft is None or draft.phase == "consent":
        return Outcome([Reply("好的，那就以后再说。我没有保存你的任何信息，想登记时随时说“求职登记”。")], None, "declined")
    if draft.mode == "edit":
        return Outcome([Reply("好的，先不改了，你的登记保持原样。想修改时随时说“修改登记”。")], None, "cancelled")
    return Outcome([Reply("好的，先暂停，退出登记。你已经填的信息帮你保存着，想接着填时说“继续登记”；不要了就说“删除我的登记”。",
                          ["继续登记"])], draft, "paused")


def prompt(draft: Optional[Draft]) -> Reply:
    """The question pending, asked again after a command."""
    if draft is None or draft.phase == "consent":
        return consent_again()
    if draft.phase == "resume":
        return Reply("接着上次的填，还是重新开始？", ["继续", "重新开始"])
    if draft.phase == "confirm":
        return confirm_again()
    return _ask(draft, again=True)


OUT_OF_SCOPE_SURE = 0.7  # the NLU this sure a message asks for something the assistant does not do
REQUEST_WORDS = 4  # Chinese characters a request has at least (“帮我写简历”)
# a favour asked, whatever the NLU made of it (“顺便帮我写份简历呗”): no answer to a registration step
ASKS_A_FAVOUR = re.compile(r"^(?:顺便|那|对了|另外)?[，,\s]*(?:你)?(?:能不能|可不可以|能)?(?:帮我|替我)(?:写|做|改|弄|订|买)")  # (not “给我找个会计的工作”: a wish)
AGREE_THEN = re.compile(r"^(?:我)?同意(?:的|了|啊)?[，,。.!！\s]+(.+)$")
# what may come before a yes or a no (“那好吧 同意”, “嗯 可以”)
CONSENT_LEAD = re.compile(r"^(?:(?:那|就|好吧|好的?|好啊|可以|没问题|看完了|知道了|行吧|行|嗯+|哦+|噢+|ok)[，,。.!！\s]*)+")


def agrees(text: str) -> bool:
    """“同意” / “好吧，同意” / “那行吧 我同意”: a yes to the privacy notice."""
    text = P.clean(text)
    return bool(AGREE.match(text) or AGREE.match(CONSENT_LEAD.sub("", text)))


def _consent(turn: Turn, text: str, retention_days: int) -> Outcome:
    if text.startswith("不同意") or text.startswith("我不同意"):
        if P.looks_like_question(text) or "干嘛" in text:  # “我不同意 你们要我信息干嘛”: the notice says why, asked again
            return Outcome([privacy_notice(retention_days)], None)
    if not AGREE.match(text):
        text = CONSENT_LEAD.sub("", text) or text
    if AGREE.match(text):
        draft = Draft(phase="collect")
        return Outcome([Reply("好的，我们开始。"), _ask(draft)], draft)
    answers = AGREE_THEN.match(text)
    if answers:  # “同意。我叫赵子涵，手机137…”: the consent, then the answers it carries
        rest = answers.group(1)
        outcome = _collect(Draft(phase="collect"), replace(turn, text=rest), P.clean(rest))
        return Outcome([Reply("好的，我们开始。"), *outcome.replies], outcome.draft, outcome.status, outcome.noted)
    if DISAGREE.match(text) or text.startswith("不同意"):
        return Outcome([Reply("好的，已取消，不登记也没关系，我没有保存你的任何信息，想登记时随时说“求职登记”。也可以到户籍地或居住地的"
                              "区公共就业服务机构现场登记，或拨打12333咨询。")], None, "declined")
    if turn.knowledge_question or ENGLISH_QUESTION.search(text):
        # answered aside (“And how much is the subsidy for it?”); the notice was just shown: a line recalls it
        return Outcome([NOT_STARTED], None, "aside")
    if P.looks_like_question(text):  # “要填几项”, “谁能看到”: the notice says what, why, who and how long
        return Outcome([privacy_notice(retention_days)], None)
    return Outcome([consent_again()], None)


def _resume(draft: Draft, text: str, turn: Turn) -> Outcome:
    if RESTART.match(text):
        fresh = Draft(phase="collect")
        return Outcome([Reply("好的，重新开始。"), _ask(fresh)], fresh)
    draft.phase = "confirm" if not _next_step(draft) else "collect"
    if RESUME.match(text) or AGREE.match(text):
        return Outcome([Reply("好的，接着上次的填。"), _ask(draft)], draft)
    return _collect(draft, turn, text) if draft.phase == "collect" else _confirm(draft, turn, text)


# digits meant as a phone number that are not one (too short or too long)
PHONE_ATTEMPT = re.compile(r"(?<!\d)\d{5,10}(?!\d)|(?<!\d)\d{12,16}(?!\d)")


ID_ATTEMPT = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])|(?<!\d)\d{15,16}(?!\d)|(?<!\d)\d{19,20}(?!\d)")


def _collect(draft: Draft, turn: Turn, text: str) -> Outcome:
    correction = _correction(draft, turn, text)
    if correction is not None:
        return correction
    step = _current(draft)
    if step is None:
        draft.phase = "confirm"
        return Outcome([summary(draft)], draft)
    going_on = RESUME_LEAD.match(text)
    if going_on and going_on.end() < len(text):  # “那继续登记吧 13600003333”: the answer after it
        turn, text = replace(turn, text=text[going_on.end():]), text[going_on.end():]
    answer = _looks_like_answer(step, turn)
    if RESUME.match(text) or (turn.intent == "register" and turn.confidence >= 0.8 and not answer):
        return Outcome([Reply("好的，继续登记。"), _ask(draft)], draft)
    listed = P.extract_listed(turn.text, turn.today)  # “北京联合大学，计算机科学与技术，本科，2022年毕业”
    extra = {**listed, **P.extract_all(turn.text, turn.today)}
    data = not P.looks_like_question(turn.text) and bool(extra)  # “陈晨 186… 本科 计算机”
    # digits typed at the phone or ID step are a try at it, whatever the NLU made of the words around them
    # (“我的电话是 010-12345678” taken for a question about help routes)
    attempt = {"phone": PHONE_ATTEMPT, "id_number": ID_ATTEMPT}.get(step.key)
    tried = attempt is not None and bool(attempt.search(turn.text.replace(" ", "")))
    if turn.knowledge_question and not answer and not data and not tried and len(turn.text) <= P.MAX_TEXT \
            and _other_field_problem(draft, step, turn) is None:
        return Outcome([_ask(draft, again=True)], draft, "aside")
    # (“软件开发，海淀朝阳都行” at the wish: the part no other field takes is the wish)
    unlisted = P.unlisted_parts(turn.text, turn.today) if listed and step.key in FREE_TEXT else []
    answer_text = unlisted[0] if len(unlisted) == 1 else turn.text
    parsed = listed[step.key] if step.key in listed else step.parser(answer_text, _options(step, turn))
    if isinstance(parsed, P.Problem) and step.key in extra:
        parsed = extra[step.key]
    if isinstance(parsed, P.Problem) and data and step.key == "name":
        parsed = _leading_name(step, turn)  # “陈晨 18612345678 本科 计算机”: the name first, then the rest
    noted = _take_extra(draft, extra, exclude=step.key)
    if isinstance(parsed, P.Problem):
        if noted:
            return Outcome([Reply(_noted_text(draft, noted)), _ask(draft)], draft, noted=noted)
        other = _other_field_problem(draft, step, turn)
        if other is not None:  # “手机号是138123456” while the name is asked: the number is what is wrong
            return Outcome([Reply(other.hint), _ask(draft)], draft)
        if P.looks_like_question(turn.text):
            # “登记了有啥好处” while the name is asked: a question, not a wrong answer
            return Outcome([_ask(draft, again=True)], draft, "aside")
        if (turn.intent == "out_of_scope" and turn.confidence >= OUT_OF_SCOPE_SURE or ASKS_A_FAVOUR.search(turn.text)) \
                and not re.search(r"\d", turn.text) and len(turn.text) <= P.MAX_TEXT \
                and len(re.findall(r"[\u4e00-\u9fff]", turn.text)) >= REQUEST_WORDS:
            # “顺便帮我写份简历呗”: a request the assistant does not take, not a wrong answer (emoji or a
            # 2,000-character paste still count as wrong answers, and the third offers a person)
            return Outcome([Reply("抱歉，这个我帮不上忙，我只能回答就业政策和服务方面的问题。"), _ask(draft, again=True)], draft)
        return _failed(draft, step, parsed)
    _set(draft, step, parsed)
    retried = draft.failures.pop(step.key, None)
    if draft.editing == step.key:  # “手机号填错了” then the number: said to be taken, like a retried one
        draft.editing = None
        retried = retried or 1
    ack = [Reply(_noted_text(draft, [step.key, *noted]))] if noted else []  # “陈晨 186… 本科”: all that was taken
    if retried and not noted:  # “打错了 是138…” after a number that was not one: say it is taken now
        ack = [Reply(f"好的，{step.label}已记下：{display(step, draft.registration())}。")]
    following = _current(draft)
    if following is None:
        draft.phase = "confirm"
        return Outcome(ack + [summary(draft)], draft, noted=noted)
    if following.key == "phone" and PHONE_ATTEMPT.search(turn.text.replace(" ", "")):
        # “我叫刘洋，手机号是1391234”: the name is taken, the number is not one: said at once
        problem = following.parser(turn.text, _options(following, turn))
        if isinstance(problem, P.Problem):
            draft.failures[following.key] = draft.failures.get(following.key, 0) + 1  # the right one is acknowledged
            return Outcome(ack + [Reply(f"已记下{step.label}。{problem.hint}")], draft, noted=noted)
    if step.key != "id_number" and "id_number" not in noted and ID_ATTEMPT.search(turn.text.replace(" ", "")):
        # “我叫王芳 身份证1101051999123112x5”: a number meant as the ID that is not one is not dropped unsaid
        return Outcome(ack + [Reply(f"已记下{step.label}。你发的身份证号核对不上（18位，最后一位可能是X），"
                                    "到身份证号那一步时请核对后再输入。"), _ask(draft)], draft, noted=noted)
    return Outcome(ack + [_ask(draft)], draft, noted=noted)


def _leading_name(step: Step, turn: Turn) -> P.Parsed:
    """The first word of a message listing several answers, if it is a name and no other field's value."""
    first = re.split(r"[\s,，、;；]+", P.clean(turn.text).strip())[0]
    if P.extract_all(first, turn.today):
        return P.Problem("")
    return step.parser(first, _options(step, turn))


def _other_field_problem(draft: Draft, step: Step, turn: Turn) -> Optional[P.Problem]:
    """The problem with an answer the graduate gave, by name, to another question not yet answered."""
    key = field_named(turn.text)
    if P.looks_like_question(turn.text) and not re.search(r"\d{5}", turn.text):
        return None  # “你们会不会把我身份证号泄露出去”: a question about the field, not an answer to it
    other = BY_KEY.get(key) if key and key != step.key and key not in draft.values else None
    if other is None or len(P.clean(turn.text)) <= len(key or "") + 2:
        return None
    problem = other.parser(turn.text, _options(other, turn))
    return problem if isinstance(problem, P.Problem) else None


def _confirm(draft: Draft, turn: Turn, text: str) -> Outcome:
    if CONFIRM.match(text) or text == BUTTON_CONFIRM:
        return Outcome([], draft, "submit")
    if EDIT.match(text) or text == BUTTON_EDIT:
        return Outcome([_field_menu()], draft)
    picked = _menu_pick(text)
    key = picked or field_named(text)
    if key is not None and (picked or CORRECTION.search(text) or len(text) <= 6):
        return _start_edit(draft, key, turn)
    if turn.knowledge_question:
        return Outcome([summary(draft, "回到登记，请核对：")], draft, "aside")
    return Outcome([confirm_again()], draft)


# ---- corrections -----------------------------------------------------------------------------

def _correction(draft: Draft, turn: Turn, text: str) -> Optional[Outcome]:
    """'手机号填错了' / '学校写错了，应该是清华大学' for a field already answered."""
    if not CORRECTION.search(text):
        return None
    key = field_named(text)
    if key is None:
        return None
    if key not in draft.values and key not in draft.skipped:
        if key in BY_KEY and _current(draft) is not None and not P.looks_like_question(text) and _new_value(BY_KEY[key], turn) is None:
            # “手机号填错了” before it was taken (a number that was not one): asked for it now
            draft.editing = key
            return Outcome([Reply(f"好的，请重新输入{BY_KEY[key].label}。"), _ask(draft)], draft)
        return None
    return _start_edit(draft, key, turn)


def _start_edit(draft: Draft, key: str, turn: Turn) -> Outcome:
    step = BY_KEY[key]
    new_value = _new_value(step, turn)
    if new_value is not None:
        _set(draft, step, new_value)
        draft.editing = None
        if _current(draft) is None:
            draft.phase = "confirm"
        after = summary(draft) if draft.phase == "confirm" else _ask(draft)
        return Outcome([Reply(f"已把{step.label}改为：{display(step, draft.registration())}"), after], draft)
    draft.editing = key
    draft.values.pop(key, None)
    if key in draft.skipped:
        draft.skipped.remove(key)
    draft.phase = "collect"
    return Outcome([Reply(f"好的，请重新输入{step.label}。"), _ask(draft)], draft)


NEW_VALUE = re.compile(r"(?:应该是|应为|改成|改为|换成|换为|更正为|其实是|正确的是)[:：]?\s*(.+)$"
                       r"|(?:^|[\s,，。;；])(?:是|叫)[:：]?\s*(.+)$")  # “不对 名字写错了 是刘阳”


def _new_value(step: Step, turn: Turn) -> Any:
    """The corrected value when the correction carries it: "学校写错了，应该是首都师范大学"."""
    match = NEW_VALUE.search(turn.text)
    if match:
        parsed = step.parser(match.group(1) or match.group(2), _options(step, turn))
        if not isinstance(parsed, P.Problem):
            return parsed
    return P.extract_all(turn.text, turn.today).get(step.key)


# ---- helpers ---------------------------------------------------------------------------------

def _answered(draft: Draft, step: Step) -> bool:
    return step.key in draft.values or step.key in draft.skipped


def _next_step(draft: Draft) -> Optional[Step]:
    reg = draft.registration()
    for step in STEPS:
        if step.applies(reg) and not _answered(draft, step):
            return step
    return None


def _current(draft: Draft) -> Optional[Step]:
    if draft.editing:
        return BY_KEY[draft.editing]
    return _next_step(draft)


def _options(step: Step, turn: Turn) -> P.Options:
    return P.Options(choices=list(step.choices()), today=turn.today)


def _set(draft: Draft, step: Step, value: Any) -> None:
    if isinstance(value, P.Skipped):
        draft.values.pop(step.key, None)
        if step.key not in draft.skipped:
            draft.skipped.append(step.key)
        if step.key == "difficulty":
            draft.values["difficulty"] = None
            draft.values.pop("difficulty_kind", None)
        return
    if step.key in draft.skipped:
        draft.skipped.remove(step.key)
    if step.key == "difficulty":
        draft.values["difficulty"] = bool(value)
        draft.values["difficulty_kind"] = value if isinstance(value, str) else None
        return
    draft.values[step.key] = value
    if step.key == "id_number" and isinstance(value, str) and "birth_year" not in draft.values:
        draft.values["birth_year"] = int(value[6:10])
    if step.key == "status" and value in ("已就业", "暂无就业意愿"):
        for key in ("intention", "preferred_districts"):
            draft.values.pop(key, None)


def _take_extra(draft: Draft, extra: Dict[str, Any], exclude: str) -> List[str]:
    """Values the message gives for fields not yet answered (never overwrites an answer)."""
    noted: List[str] = []
    for key, value in extra.items():
        if key == exclude or key in draft.values or key in draft.skipped:
            continue
        if isinstance(value, P.Skipped):  # “…，身份证跳过，…”: that optional question is not asked
            draft.skipped.append(key)
            noted.append(key)
            continue
        draft.values[key] = value
        noted.append(key)
    return noted


def _noted_text(draft: Draft, noted: Sequence[str]) -> str:
    if not noted:
        return ""
    reg = draft.registration()
    parts = [f"{BY_KEY[key].label} {display(BY_KEY[key], reg)}" for key in noted if key in BY_KEY]
    return "好的，已记下：" + "，".join(parts) + "。" if parts else ""


def _looks_like_answer(step: Step, turn: Turn) -> bool:
    """An answer the field accepts that is not itself a question about the knowledge base."""
    if step.key in FREE_TEXT and (P.looks_like_question(turn.text) or kb().topics_in(turn.text)):
        return False
    return not isinstance(step.parser(turn.text, _options(step, turn)), P.Problem)


def _failed(draft: Draft, step: Step, problem: P.Problem) -> Outcome:
    count = draft.failures.get(step.key, 0) + 1
    draft.failures[step.key] = count
    if step.optional and count >= OPTIONAL_TRIES:
        # an optional question must not block the rest: skip it, it can be added from the summary
        _set(draft, step, P.Skipped())
        draft.failures.pop(step.key, None)
        if draft.editing == step.key:
            draft.editing = None
        note = Reply(f"{step.label}先跳过，之后核对信息时可以再补充。")
        if _current(draft) is None:
            draft.phase = "confirm"
            return Outcome([note, summary(draft)], draft)
        return Outcome([note, _ask(draft)], draft)
    replies = [Reply(problem.hint, list(step.choices()) if not step.multi else [])]
    if count >= MAX_FAILURES:
        skip = "这一项可以回复“跳过”；" if step.optional else ""
        replies.append(Reply(f"好像不太顺利。{skip}需要的话回复“转人工”请工作人员帮你，或拨打12333人社服务热线，"
                             "也可以到居住地的区公共就业服务机构现场登记。已经填好的信息会保留。"))
    return Outcome(replies, draft, "continue")


def _ask(draft: Draft, again: bool = False) -> Reply:
    step = _current(draft)
    if step is None:
        return summary(draft)
    reg = draft.registration()
    asked = [s.key for s in STEPS if s.applies(reg)]
    total = len(asked)
    position = asked.index(step.key) + 1 if step.key in asked else total
    prefix = "回到登记——" if again else ""
    choices = list(step.choices())
    text = f"{prefix}（{position}/{total}）{step.question}"
    if step.multi and choices:
        text += "\n" + "\n".join(f"{i}. {c}" for i, c in enumerate(choices, 1))
        return Reply(text)
    return Reply(text, choices)


def summary(draft: Draft, title: str = "请核对你的登记信息：") -> Reply:
    reg = draft.registration()
    lines = [f"{step.label}：{display(step, reg)}" for step in STEPS if step.applies(reg)]
    verb = "保存修改" if draft.mode == "edit" else "提交"
    return Reply(f"{title}\n" + "\n".join(lines) + f"\n信息无误请点“{BUTTON_CONFIRM}”{verb}；要改哪一项请点“{BUTTON_EDIT}”或直接说（如“改手机号”）。",
                 [BUTTON_CONFIRM, BUTTON_EDIT, BUTTON_CANCEL])


def stored_view(draft: Optional[Draft], saved: Optional[Registration], ref: Optional[str]) -> Reply:
    """What is stored, for “查看我的登记” in the middle of a registration: the draft so far (or,
    when changing a saved registration, the registration with the changes not yet saved), else
    the saved registration; phone and ID masked as in the summary."""
    if draft is not None and (draft.values or draft.skipped):
        reg = draft.registration()
        if draft.mode == "edit":
            title = f"你的登记（编号 {ref}），含这次还没保存的修改：" if ref else "你的登记，含这次还没保存的修改："
            return Reply(title + "\n" + "\n".join(f"{s.label}：{display(s, reg)}" for s in STEPS if s.applies(reg)))
        done = [s for s in STEPS if s.applies(reg) and _answered(draft, s)]
        left = sum(1 for s in STEPS if s.applies(reg) and not _answered(draft, s))
        lines = "\n".join(f"{s.label}：{display(s, reg)}" for s in done)
        rest = f"\n还有{left}项没填。" if left else ""
        return Reply(f"你这次已经填的（还没提交）：\n{lines}{rest}")
    if saved is not None:
        lines = "\n".join(f"{s.label}：{display(s, saved)}" for s in STEPS if s.applies(saved))
        return Reply(f"你的求职登记（编号 {ref}）：\n{lines}")
    return Reply("目前没有保存你的任何登记信息，这次也还没开始填。")


def _field_menu() -> Reply:
    return Reply("要修改哪一项？", [f"改{step.label}" for step in STEPS])


def _menu_pick(text: str) -> Optional[str]:
    for step in STEPS:
        if text == f"改{step.label}" or text == step.label:
            return step.key
    return None
