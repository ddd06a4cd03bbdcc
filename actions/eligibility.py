"""“我22岁失业能参加见习吗” / “2021届还能享受吗”: eligibility decided by the knowledge base's rules."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from actions.answer import KnowledgeAction, answer_instead, execute, mentioned_topics, understand
from actions.common import answered, latest_entities, latest_text, slot_text
from actions.facts import BOUND, chinese_number, parse_age, parse_grad_year
from actions.knowledge import kb
from policy_kb import KnowledgeBase, schema
from policy_kb.eligibility import Decision, Facts, Verdict, decide
from policy_kb.text import normalize_chars

CAMPAIGN = "campaign"


# what asking whether one qualifies says (“算不算”, “能参加吗”, “我26了也行吗”); a message without it (“这种情况
#怎么维权”, “档案该放哪”) is not a request for the check, whatever the NLU guessed
QUALIFYING = re.compile(r"算不算|算吗|算么|算在|算是|算进|属于|属不属于|符合|资格|条件|能不能|能否|可不可以|可以吗|可以不|可以么|"
                        r"能.{0,8}[吗不么嘛]|行吗|行不|行么|也行|够不够|在不在|包不包括|包括|范围|对象|享受|参加|参与|报名|申请|领|"
                        r"要我|收我|管我|管不管|赶得上|还有戏|有我份|我的份|轮得到|够格|eligib|qualif|can i|am i", re.IGNORECASE)


def asks_to_be_checked(knowledge: KnowledgeBase, tracker: Tracker, text: str) -> bool:
    """Whether a message is for the eligibility check: it asks whether one qualifies, gives one's age
    or year (“我34，去年毕业的”), answers the check's question, or follows a check up (“那见习呢”)."""
    if QUALIFYING.search(normalize_chars(text)):
        return True
    if tracker.get_slot("pending") or str(tracker.get_slot("answer_ref") or "").startswith("eligibility:"):
        return True  # the check's question answered, or the check followed up
    if ASKS_OTHER.search(normalize_chars(text)) or ABOUT_DATA.search(text):
        return False  # “刚被裁 28岁 去哪登记失业啊”, “22届 我信息会给残联吗”: the age is the story, not what is asked
    if parse_age([text]) is not None or parse_grad_year([text], knowledge.notice.reference_year) is not None:
        return True
    return bool((tracker.get_slot("age") or tracker.get_slot("grad_year")) and "呢" in text)


# a question for something other than whether one qualifies (where, how, how much); “我是2019届的
# 有啥政策” still asks whether there is any for them: the check's
ASKS_OTHER = re.compile(r"去哪|哪里|哪儿|在哪|怎么|咋|如何|多少|几|干嘛|干啥|做什么|做啥|该先")  # (“22届 啥也不懂 该先干嘛”)
ABOUT_DATA = re.compile(r"信息|资料|数据|隐私|泄露|泄漏")  # what is done with one's data


class ActionCheckEligibility(KnowledgeAction):
    """Checks the asker's facts against the rules of the policy asked about (or of the campaign)."""

    def name(self) -> str:
        return "action_check_eligibility"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        text = latest_text(tracker)
        if text.startswith("/"):
            return await self.answer(dispatcher, tracker, domain)
        plan = understand(kb(), tracker, self.name())
        if plan is not None:
            return await execute(plan, dispatcher, tracker, domain)
        if not asks_to_be_checked(kb(), tracker, text):  # what else it may be, read as not understood
            instead = await answer_instead(dispatcher, tracker, domain)
            if instead is not None:
                return instead
        return await self.answer(dispatcher, tracker, domain)

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        knowledge = kb()
        facts = asker_facts(knowledge, tracker)
        subject, ref, eligibility, sources = subject_of(knowledge, tracker)
        decision = decide(eligibility, facts, knowledge.notice.reference_year)
        text = render.eligibility_answer(knowledge, subject, decision, sources)
        who = knowledge.units.get(f"policy:{ref}#who")
        if decision.outcome == "no_rules" and who is not None:
            text = render.units_answer(knowledge, [who], subject)
            if decision.conditions:
                text += f"\n还需满足：{'；'.join(decision.conditions)}。"
        covered = schooling_covered(latest_text(tracker), eligibility) or bound_covered(latest_text(tracker), eligibility)
        dispatcher.utter_message(text=f"{covered}\n{text}" if covered else text)
        if ref == CAMPAIGN:
            hint = traineeship_hint(knowledge, facts, decision)
            if hint:
                dispatcher.utter_message(text=hint)
        if ref == CAMPAIGN and REGISTERS_TOO.search(normalize_chars(latest_text(tracker))):
            # “我想登记求职，我是2021届的可以吗”: the check, then the registration asked for
            from actions.registration.action import ActionRegistration, guarded  # registration builds on the answers
            from actions.storage import open_ledger

            entered = await guarded(dispatcher, ActionRegistration().enter(dispatcher, tracker, open_ledger(), tracker.sender_id, domain))
            return [*remember(facts), *answered(tracker, f"eligibility:{ref}"), *entered]
        pending = self.name() if decision.outcome == "need_facts" else None
        return [*remember(facts), *answered(tracker, f"eligibility:{ref}", pending=pending)]


# registering asked for beside the question whether one may (not 失业登记, the legal unemployment registration)
REGISTERS_TOO = re.compile(r"(?:我想|我要|想|要|帮我|给我)(?:先)?(?:做(?:个|一下)?)?(?:求职登记|登记求职|登记一下求职|实名登记)(?!失业)")


# how graduates name their schooling → the word the rules' labels use for it
SCHOOLING = {"中专": "中专", "技校": "技校", "职高": "中专", "大专": "高校", "专科": "高校", "高职": "高校", "本科": "高校", "研究生": "高校", "硕士": "高校"}


def schooling_covered(text: str, eligibility: Optional[schema.Eligibility]) -> Optional[str]:
    """“中专毕业的能参加见习吗”: a rule that names the asker's schooling answers that part at once."""
    for said, word in SCHOOLING.items():
        if said in text and eligibility is not None:
            for rule in eligibility.rules:
                if word in rule.label:
                    return f"{said}毕业生可以，属于「{rule.label}」这一条。"
    return None


def bound_covered(text: str, eligibility: Optional[schema.Eligibility]) -> Optional[str]:
    """“35岁以下失业的也算吗”: a group named by a rule's own age bound is that rule's."""
    if eligibility is None:
        return None
    for match in BOUND.finditer(normalize_chars(text)):
        bound = f"{chinese_number(match.group(1))}岁以下"
        for rule in eligibility.rules:
            if bound in rule.label and "以下" in match.group(0):
                return f"算，{bound}的属于「{rule.label}」这一条。"
    return None


def asker_facts(knowledge: KnowledgeBase, tracker: Tracker) -> Facts:
    """Facts from this message first, then from earlier ones (the age/grad_year slots)."""
    text = latest_text(tracker)
    year = knowledge.notice.reference_year
    bounds = {chinese_number(m.group(1)) for m in BOUND.finditer(normalize_chars(text))}
    said = [value for value in latest_entities(tracker, "age") if parse_age([value]) not in bounds]  # not “35岁以下”
    age = parse_age([*said, text]) or parse_age(_slot(tracker, "age"))
    grad_year = parse_grad_year([*latest_entities(tracker, "grad_year"), text], year)
    return Facts(age=age, grad_year=grad_year or parse_grad_year(_slot(tracker, "grad_year"), year))


def _slot(tracker: Tracker, name: str) -> List[str]:
    value = slot_text(tracker, name)
    return [value] if value else []


def remember(facts: Facts) -> List[EventType]:
    events: List[EventType] = []
    if facts.age is not None:
        events.append(SlotSet("age", f"{facts.age}岁"))
    if facts.grad_year is not None:
        events.append(SlotSet("grad_year", f"{facts.grad_year}届"))
    return events


def subject_of(
    knowledge: KnowledgeBase, tracker: Tracker
) -> Tuple[str, str, Optional[schema.Eligibility], Sequence[str]]:
    """The policy named now (the last one named: questions end with what they ask about), else the
    one talked about last, else the campaign's own targets."""
    named = [t for t in mentioned_topics(knowledge, tracker) if isinstance(t, schema.Policy)]
    policy = named[-1] if named else None
    if policy is None:
        policy = _recent_policy(knowledge, tracker)
    if policy is not None:
        return policy.name, policy.id, policy.eligibility, policy.sources
    notice = knowledge.notice
    return "本次攻坚行动的服务对象", CAMPAIGN, notice.eligibility, notice.sources


def _recent_policy(knowledge: KnowledgeBase, tracker: Tracker) -> Optional[schema.Policy]:
    """The policy the last answer was about, so “那我能享受吗” follows the conversation."""
    kind, _, key = (slot_text(tracker, "answer_ref") or "").partition(":")
    if kind in ("policy", "eligibility"):
        return knowledge.policies.get(key)
    return None


def traineeship_hint(knowledge: KnowledgeBase, facts: Facts, campaign: Decision) -> Optional[str]:
    """Traineeship reaches further than the campaign (2 years, 16-24); say so when it fits."""
    traineeship = knowledge.policies.get("traineeship")
    if traineeship is None or campaign.outcome == "eligible":
        return None
    decision = decide(traineeship.eligibility, facts, knowledge.notice.reference_year)
    met = [r for r in decision.results if r.verdict is Verdict.MET]
    if not met:
        return None
    return f"另外，「就业见习」的范围更宽：依据「{met[0].rule.label}」，{met[0].reason}，可以报名参加。来源：{knowledge.cite(traineeship.sources)}"
