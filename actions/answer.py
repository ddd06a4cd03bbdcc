"""What the graduate asked, read next to the NLU's intent: the topic named or still in play, the
field asked for (how, where, how much …), their situation, and the answer units retrieval ranks.

Every knowledge action (policy, eligibility, routes, directory, FAQ, clarification, out of scope)
is a KnowledgeAction: before its own answer it asks `understand` whether the message is better
answered otherwise — a field of the topic named or still in play, a situation (“我是低保家庭的，有什么
帮助”), a detail clause retrieval finds, a question in English — and gives that answer instead.
The intent picks the feature; this picks the unit within it, or answers when no intent is sure.
"""
from __future__ import annotations

import re
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, overload

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from actions.common import NONE_OF_THESE, Button, answered, latest_entities, latest_text, text_button
from actions.facts import parse_age
from actions.knowledge import kb
from actions.request import current_request
from policy_kb import KnowledgeBase, Topic, schema
from policy_kb.retrieval import Hit
from policy_kb.text import is_english
from policy_kb.text import normalize_chars, normalize_key
from policy_kb.units import FACET_CUES, FACET_QUESTIONS, FACET_TITLES, NO_MATERIALS, Unit, asked_facets

# the message asks a yes/no question about itself: eligibility, decided by the eligibility check
YES_NO = re.compile(
    r"能不能|能否|可不可以|行不行|算不算|符合吗|符合不|有资格|够格|也行|"
    r"(?:能|可以|行|算|符合|享受|参加|申请|报名|领|要我|收我)[^，。？?！!]{0,10}(?:吗|(?<![什怎这那多要])么|不|没)[？?。！!\s～~]*$"
)  # (“能为她做些什么？” asks what, not whether)
# the message asks what help exists (“我是X，有什么帮助”)
SCOPE_WORDS = re.compile(r"服务(?:范围|对象)")
ASKS_HELP = re.compile(
    r"兜底|管我|保障|帮助|帮扶|帮忙|帮上忙|帮得上|帮我|帮啥|帮什么|能帮|怎么帮|政策|扶持|支持|福利|优惠|补贴|怎么办|咋办|咋整|咋弄|怎么弄|"
    r"能做什么|有什么|有啥|有没有|能得到|可以享受|照顾|优先|服务|出路|提供|能给|给啥|该怎么|怎么整|咋搞|"
    r"帮他|帮她|帮孩子|做点啥|做点什么|能做啥|能干啥|该做啥|该干啥|做些什么|做些啥|为她做|为他做|为孩子做"
)
FOLLOW_UP_TURNS = 3  # a topic stays in play for this many of the graduate's messages
# retrieval scores: sure enough over a confident intent's own answer; over a list intent's list;
# ahead of the second by this factor; worth answering or offering when the NLU is unsure
STRONG, GENERIC, CLEAR_MARGIN, WEAK = 0.30, 0.20, 1.2, 0.18
OVER_REFUSAL = 0.45  # a message the NLU finds out of scope is answered only by a unit this sure
# the actions whose answers set answer_ref (a topic stays in play while they answer about it)
ANSWERING_ACTIONS = {
    "action_answer_policy", "action_check_eligibility", "action_answer_faq", "action_answer_help_routes",
    "action_answer_job_channels", "action_answer_institution", "action_answer_rights", "action_clarify",
    "action_out_of_scope", "action_route_inform", "action_list_measures", "action_answer_notices", "action_chitchat",
}
LISTS = {"ask_policy", "ask_help_routes", "ask_job_channels", "list_measures", "ask_notices"}
UNSURE = {"nlu_fallback", "out_of_scope"}
SMALL_TALK_ACTIONS = {"action_chitchat", "action_social", "action_out_of_scope", "action_help"}
FAQ_OVER_SITUATION = 0.9
GENERAL_SITUATION = "graduate_2022"  # every graduate's situation: any other one named says more
YOUTH_SITUATION = "unemployed_youth"
NO_WISH_SITUATION = "no_wish_yet"  # no wish to work yet: a wish named beside it (“想创业”) says more
FAQ_RESTATES = {"faq:no_intention": NO_WISH_SITUATION}  # FAQ entries that are a situation's answer in other words

TOPIC_KINDS = ("policy", "measure", "eligibility", "situation")


@dataclass
class Plan:
    kind: str  # 'facets', 'unit', 'situation', 'choose', 'english', 'institution', 'eligibility', 'standing', 'subscribe', 'unknown', 'several', 'subscriptions', 'channels', 'out_of_scope', 'measures'
    topic: Optional[Topic] = None
    facets: List[str] = field(default_factory=list)
    units: List[Unit] = field(default_factory=list)
    situation: Optional[schema.Situation] = None
    text: str = ""  # what a 'standing' plan says
    parts: List["Plan"] = field(default_factory=list)  # a 'several' plan: one for each question asked
    asked: str = ""  # the question a part of a 'several' plan answers (else the whole message)


def understand(knowledge: KnowledgeBase, tracker: Tracker, own: str, doubtful: bool = False) -> Optional[Plan]:
    """A better answer than the predicted intent's own, or None to let that action answer."""
    request = current_request(tracker)
    if tracker.get_slot("choice") or (tracker.latest_message or {}).get("text", "").startswith("/"):
        return None  # a picked button or number: it says exactly what it wants
    text = knowledge.spelled(request.text)  # “扩刚补助是啥”: what follows the name is what is asked
    if is_english(text):
        return Plan("english")
    if own != "action_subscribe" and str(tracker.get_slot("answer_ref") or "").startswith("subscribe:") and _names_place(knowledge, text) \
            and (len(content_words(text)) <= SHORT or bool(SUBSCRIPTION_FOLLOW_UP.search(text))) \
            and not (knowledge.kind_index.find(text) or {"where", "phone"} & set(asked_facets(text))):  # not “通州区人社局在哪”
        return Plan("subscribe")  # “那海淀的呢” right after subscribing: that district too
    if str(tracker.get_slot("answer_ref") or "").startswith(("subscribe:", "unsubscribe:", "subscriptions:")) \
            and REMAINING.search(text) and len(content_words(text)) <= SHORT:
        return Plan("subscriptions")  # “还剩啥” right after taking a district out: what is still subscribed
    if WORLD.search(text) and not WORK_WORDS.search(text) or FORTUNE.search(text):  # “对了，你知道今天北京天气吗”, whatever the NLU made of it
        return None if own == "action_out_of_scope" else Plan("out_of_scope")
    refusal = refused(text)
    if refusal:  # “帮我弄一份假的实习证明”, “帮我查下前男友的手机号”, “你们就是个摆设”
        return Plan("standing", text=refusal)
    period = knowledge.units.get("faq:period")
    if period is not None and IN_TIME.search(text) and not knowledge.topics_in(text) and not request.values("policy") \
            and parse_age([text]) is None and not re.search(r"\d+\s*(?:届|年毕业)|(?<!\d)\d{2}了", text):  # not “我都26了 来得及吗”
        return Plan("unit", units=[period])  # “我打算十月份才开始找工作 还赶得上这个行动吗”: the campaign's time
    origin = knowledge.units.get("detail:data_origin")
    if origin is not None and DATA_ORIGIN.search(text):  # “区里人社怎么会有我的电话？我没登记过啊”: where they got it
        return Plan("unit", units=[origin])
    hotline = knowledge.units.get("route:hotline_12333")
    if hotline is not None and HOTLINE_ASKED.search(text):  # “那12333能打吗，几点”, “12333能投诉吗”: the hotline's own answer
        return Plan("unit", units=[hotline])
    if OTHERS_ASKED.search(text) and SUBSIDY_WORDS.search(text) and not knowledge.topics_in(text):
        topic_now, employer = recent_topic(knowledge, tracker), next((s for s in knowledge.situations.values() if s.employer), None)
        if isinstance(topic_now, schema.Policy) and employer is not None and topic_now.id in employer.related:
            return Plan("situation", situation=employer)  # “那有别的补贴吗” after an employer's subsidy: the employer's subsidies
    if own == "action_answer_job_channels" and JOB_HUNT.search(text) \
            and not any(isinstance(topic, schema.Policy) for topic in knowledge.topics_in(text)):
        return None  # “那我还能去哪找工作”, “线上招聘会在哪看”: where the jobs are, whatever was said before
    if own in SMALL_TALK_ACTIONS and JOB_HUNT.search(text) and QUESTION.search(text) and not knowledge.topics_in(text):
        return Plan("channels")  # “以后咋找靠谱的工作” taken for small talk: where the jobs are
    standing = answer_standing(knowledge, tracker, text)
    if standing:  # “这个数靠谱吗” after an amount: where it comes from and how firm it is
        return Plan("standing", text=standing)
    claim = claimed_figure(knowledge, text)
    if claim is not None:  # “我妈说政府会给一次性补贴1000块，是真的吗”: the entry that states it, or that none does
        return claim
    asks_combined = bool(COMBINED.search(text)) and "benefit" in asked_facets(text)
    if asks_combined:  # “两个能一起领吗”: whether these combine, yes or no first
        named = mentioned_topics(knowledge, tracker)
        together = combining_unit(knowledge, tracker, text, named)
        if together is not None:
            return Plan("unit", units=[together])
        if len(named) >= 2:  # “见习补贴和社保补贴能一起拿吗”: no source says; said so, not guessed
            return Plan("standing", text=f"{'和'.join(t.name for t in named[:2])}能否同时享受，通知和收录的文件都没有写明（未核实），"
                                         "请以区人社局的答复为准，可拨打12333咨询。")
    several = several_questions(knowledge, text)
    if several is not None:  # “扩岗补助多少钱？见习补贴发给谁？”: each answered
        return several
    counted = measures_counted(knowledge, text)
    if counted is not None:  # “主要措施一共几项” (the notice's 10), “京政办发20号一共多少条措施” (its 16)
        return counted
    overview = campaign_overview(knowledge, text)
    if overview is not None:  # “离校未就业攻坚行动是啥”: who issued it and when, when it runs, whom it serves
        return overview
    period_asked = campaign_time(knowledge, text) if not ISSUED.search(text) else None
    if period_asked is not None:  # “这个离校未就业攻坚行动搞到什么时候” (not the headcount its words pull)
        return Plan("unit", units=[period_asked])
    compared = comparison(knowledge, text)
    if compared is not None:  # “见习和培训有啥区别”, “见习补贴和扩岗补助，钱都是发给单位的吗”: each entry answered
        return compared
    hosting = hosting_traineeships(knowledge, text)
    if hosting is not None:  # “我们是一家社会组织，能不能设立见习岗位”: who may host, yes first
        return hosting
    after = what_follows(knowledge, tracker, text)
    if after is not None:  # “交接以后会做什么处理？” after the clause on the handover: the whole measure
        return after
    early = knowledge.units.get("measure:m5#4")
    if early is not None and EARLY_CONTRACT.search(normalize_chars(text)) and "recipient" not in asked_facets(text):
        # “见习期还没满公司就跟我签合同了 公司还能拿补贴吗” (“…是发给我个人吗” asks who is paid: that field's yes/no)
        return Plan("unit", units=[early])
    site = knowledge.units.get("route:bj_graduate_platform")
    if site is not None and WEB_ADDRESS.search(text) and "平台" in text and not knowledge.route_index.find(text) \
            and not re.search(r"24365|国家|全国", text):  # “平台网址发我一下”: the Beijing platform, the one the notice names
        return Plan("unit", units=[site])
    unlisted = materials_unlisted(knowledge, tracker, text)
    if unlisted is not None:  # “去区里办要带什么” after the first step: the entry lists none
        return unlisted
    exact = exact_date_follow_up(knowledge, tracker, text)
    if exact is not None:  # “具体哪天” after the autumn job fairs: what is known of them, and that the day is not
        return exact
    follow = follow_up(knowledge, tracker, text)
    if follow is not None:  # “哪天” after “这通知谁发的”: the short question read with the one before it
        return follow
    directory = own == "action_answer_institution" and _names_place(knowledge, text)  # “我户口在朝阳，档案放哪”
    focus = asked_part(text, lambda clause: bool(knowledge.topics_in(clause)))  # the question after a story, if told first
    detail = None if directory else asked_detail(knowledge, text) or (asked_detail(knowledge, focus) if focus else None)
    before = previous_question(tracker) if len(content_words(text)) <= SHORT else None  # a short message's context
    previous = None if directory else before
    if detail is None and not directory:  # “通知要求各区对见习做到哪“两清”？”: the clause the quoted words come from
        detail = quoted_clause(knowledge, text)
    if detail is None and previous:  # “两个能一起领吗” after “吸纳就业补贴要签多久合同”
        detail = asked_detail(knowledge, f"{text} {text} {previous}")
    if detail is not None:  # a fact only retrieval reaches (“通知的文号是多少”): the intent cannot name it
        return Plan("unit", units=[detail])
    # (a yes/no question about the asker, “这个攻坚行动能帮到我吗”, needs the story: it is their case)
    # (nor is help asked after telling one's situation, “我家是低保家庭…。有什么帮扶政策吗？”: the situation's help)
    impersonal = focus is not None and focus != "" and not knowledge.topics_in(focus) and not YES_NO.search(focus) and not PERSONAL.search(focus) \
        and not (ASKS_HELP.search(focus) and any(s.kind == "help" for s in knowledge.situations_in(text)))
    focused = sure_unit(knowledge, focus) if focus and impersonal and not directory else None
    if focused is not None:  # “我是社区工作人员。区人社局怎么摸清情况的？”: the story's entries are not what is asked
        return Plan("unit", units=[focused])
    topics = mentioned_topics(knowledge, tracker)
    rest = rest_of(topics, text)
    if topics and SUBSIDY_WORDS.search(rest):  # “我想参加见习，有补贴吗”: the programme's subsidy; with more said
        subsidy = subsidy_of(knowledge, topics[0])  # (“见习期没满就签了合同，补贴还有吗”) the programme's clauses too
        if subsidy is not topics[0] and len(content_words(rest)) <= SHORT and not asked_facets(text):
            return Plan("facets", topic=subsidy, facets=["recipient", "amount"])  # who gets it and how much
        topics = list({t.id: t for t in [subsidy, *topics]}.values())
    facets = asked_facets(text)
    if "phone" in facets:  # “电话多少”: the number, not an amount
        facets = ["phone"]
    yes_no = bool(YES_NO.search(TRAILING_SYMBOLS.sub("", text)))  # “见习能参加吗 🙏”
    situations = knowledge.situations_in(text)
    # (several problems told: the one the question names last, “…就不要我了，这算就业歧视吗”)
    rights = last_named_first([s for s in situations if s.kind == "rights"], text)
    if rights and not topics:
        return Plan("situation", situation=rights[0])
    # the most specific situation first: “2022届的，家里低保” is a hardship family's case
    # (and a wish named, “想创业”, before having none yet, “不想上班了”)
    # (“…一直没找到工作…家里低保户”: the hardship family's, not any unemployed young person's)
    helps = sorted((s for s in situations if s.kind != "rights"),
                   key=lambda s: (s.id == GENERAL_SITUATION, s.id == NO_WISH_SITUATION, s.id == YOUTH_SITUATION))
    if any(s.id == GENERAL_SITUATION for s in helps) and names_the_class(knowledge, text):
        # “22届本科 毕业了到现在没工作”: a 2022 graduate without a job is the campaign's own case, not an
        # unemployed young person's
        helps = [s for s in helps if s.id != YOUTH_SITUATION]
    # “…你们能帮上忙吗” asks for help as much as “有什么帮助”; “家里吃低保，我还没找到工作” says it without asking
    # (a statement answering the eligibility check's question, “2021年大专毕业”, is that answer's)
    answering_check = bool(tracker.get_slot("pending")) or str(tracker.get_slot("answer_ref") or "").startswith("eligibility:")
    scope_free = SCOPE_WORDS.sub("", text)  # “在你们服务范围里吗” asks whether one is covered, not for a service
    asks_help = bool(ASKS_HELP.search(scope_free)) and (not yes_no or bool(HELP_YES_NO.search(text))) \
        or not (QUESTION.search(text) or answering_check)
    asks_help = asks_help or (ELLIPSIS.search(text) is not None and not answering_check)  # “那我想创业呢”
    if own == "action_out_of_scope":  # “你觉得我该不该跟男朋友分手，他也没工作” asks for no help of ours
        # (a short wish or situation, “我想创业”, is asking for that help)
        asks_help = bool(ASKS_HELP.search(text)) or bool(helps) and helps[0].id != GENERAL_SITUATION \
            and len(content_words(text)) <= SHORT and not QUESTION.search(text)
    # a situation named outweighs an FAQ entry the selector is only fairly sure of (“残疾人毕业生有没有特殊帮扶”
    # is not the campaign's targets)
    faq_over_situation = (tracker.latest_message.get("intent") or {}).get("name") == "faq" \
        and selector_confidence(tracker) >= FAQ_OVER_SITUATION \
        and not (helps and FAQ_RESTATES.get(selected_faq(tracker)) not in (None, helps[0].id))  # “不想上班了，想创业”: the wish
    hiring = next((s for s in knowledge.situations.values() if s.employer), None)
    if hiring is not None and not topics and THIRD_PARTY.search(text) and SUBSIDY_WORDS.search(text) and hiring not in helps:
        helps = [hiring]  # “公司说招我能领补贴，是真的吗”: the employer's subsidies, whoever asks
    # “毕业没找到工作，档案该转到哪儿”: the graduate's plain case is the story, the archives what is asked
    dealt_with = SUBJECT_DEALT.search(text)  # “档案该咋办” asks about the archives, not for help in general
    kind_asked = bool(knowledge.kind_index.find(text)) and bool(facets or dealt_with)
    route_asked = bool(knowledge.route_index.find(text)) and bool(facets or yes_no or "有没有" in text)  # “有没有小程序啥的”
    # (the office's own name asks for no help: “顺义区就业服务中心的地址和电话是多少”)
    asked_of_it = OFFICE_NAMES.sub("", SUBJECT_DEALT.sub("", text))
    if route_asked:
        asked_of_it = asked_of_it.replace("有没有", "")  # “有没有小程序”: asked of the route, not for help
    subject_asked = (kind_asked or route_asked) and not ASKS_HELP.search(asked_of_it) \
        and bool(helps) and all(s.id in (GENERAL_SITUATION, YOUTH_SITUATION) for s in helps)
    if subject_asked and kind_asked and not topics and own != "action_answer_institution":
        return Plan("institution")
    # (a kind of office with a district named is that district's office: the directory answers)
    route_unit = knowledge.units.get(f"route:{knowledge.route_index.find(text)[0].id}") \
        if subject_asked and route_asked and not (kind_asked and _names_place(knowledge, text)) else None
    if route_unit is not None and not topics:  # “有没有小程序啥的”: that route
        return Plan("unit", units=[route_unit])
    named_route = knowledge.route_index.find(text) if not topics and not helps and (facets or yes_no) else []
    if named_route and not _names_place(knowledge, text) and not knowledge.kind_index.find(text):
        # “就业超市在哪儿 几点开门”: the route's own answer (where it is not known, said so), not the
        # clause in play that names it, nor a district's offices
        unit = knowledge.units.get(f"route:{named_route[0].id}")
        if unit is not None:
            return Plan("unit", units=[unit])
    own_money = knowledge.units.get("detail:graduate_own_subsidies")
    if helps and not topics and own_money is not None and CASH_ASKED.search(text) and not helps[0].employer \
            and helps[0].id != "wants_startup":  # “我是零就业家庭的毕业生，除了推荐岗位，有没有现金补贴可以领”
        return Plan("unit", units=[own_money])
    in_play = situation_in_play(knowledge, tracker)
    general = (GENERAL_SITUATION, YOUTH_SITUATION)
    if in_play is not None and in_play.kind == "help" and in_play.id not in general and helps \
            and all(s.id in general for s in helps) and ELLIPSIS.search(text) and not topics:
        return Plan("situation", situation=in_play)  # “实在找不着工作呢” after a hardship family's help: that help (兜底)
    if helps and asks_help and not faq_over_situation and not (topics and (facets or yes_no)) and not subject_asked:  # not “考研期间能去见习不”
        inside = detail_of(knowledge, topics, text) if topics else None
        # (not the field restating whom the question is about: “对有创业意向的毕业生提供什么服务” asks what is given)
        if inside is not None and speaks_more_of(rest, inside, [helps[0].answer]) \
                and not (inside.facet in ("who", "recipient") and WHAT_IS_GIVEN.search(text)):
            return Plan("unit", units=[inside])  # “结对帮扶是谁来结对”: the field that says it, not the situation's help
        return Plan("situation", situation=helps[0])
    if not helps and not topics and yes_no and HELP_YES_NO.search(text) and in_play is not None and in_play.kind == "help" \
            and len(content_words(text)) <= FOLLOW_UP_SHORT:
        return Plan("situation", situation=in_play)  # “真的能帮我找到吗” after the help for a hardship family
    if own == "action_check_eligibility" and not topics and not yes_no and not answering_check \
            and ASKS_HELP.search(text) and campaign_target(knowledge, tracker):
        return Plan("situation", situation=knowledge.situations[GENERAL_SITUATION])  # “本人研究生，离校未就业，有啥政策”
    third_party = bool(THIRD_PARTY.search(text))  # “公司得自己去申请吗”: about the employer, not the asker
    employer_speaks = any(s.employer for s in situations)  # “我们公司想设几个见习岗位，可以吗”: no graduate's check
    if employer_speaks and topics and isinstance(topics[0], schema.Policy) and yes_no and not facets \
            and topics[0].eligibility is not None:  # “我们…签的是半年合同，能领一次性吸纳就业补贴吗”: its conditions
        return Plan("facets", topic=topics[0], facets=["who"])
    if employer_speaks and own == "action_check_eligibility" and (not facets or facets == ["who"]):  # (“我们想设见习岗位，需要什么条件”)
        employer = next(s for s in situations if s.employer)
        if topics and facets == ["who"] and isinstance(topics[0], schema.Policy):  # “2022年1月毕业的也能算扩岗补助的对象吗”
            return Plan("facets", topic=topics[0], facets=["who"])
        hits = knowledge.units.search(text, limit=1, allowed=lambda unit: not unit.id.startswith("situation:")) if topics else []
        return Plan("unit", units=[hits[0].unit]) if hits else Plan("situation", situation=employer)
    # (“要我们自己申请吗” asks how it is applied for, not whether one may)
    personal_yes_no = yes_no and bool(PERSONAL.search(text)) and not third_party and not employer_speaks and facets != ["how"]
    combined = asks_combined and "benefit" in facets  # “两个能一起领吗”: about the policies, not the asker
    asks_to_take_part = (personal_yes_no or (yes_no and bool(ELIGIBILITY.search(text)) and not third_party and facets != ["how"])) \
        and not combined
    if topics and all(isinstance(t, schema.Measure) for t in topics) and {"where", "phone"} & set(facets) \
            and _names_place(knowledge, text):
        return Plan("institution")  # “西城 就业帮扶 找哪”: a measure has no office of its own; the district's does it
    if topics and facets and not personal_yes_no and own != "action_answer_institution":
        # (who is paid is its own field: “剩余期限的见习补贴是发给我个人吗” is not the clause on early contracts)
        inside = field_speaking_of(knowledge, topics, text, facets) if facets != ["recipient"] else None
        if inside is not None:  # “扩岗补助要交多久的失业保险”: the field that speaks of it, not the amount the cue names
            return Plan("unit", units=[inside])
        paid = [t for t in topics if isinstance(t, schema.Policy) and t.kind == "subsidy"] if facets == ["recipient"] else []
        return Plan("facets", topic=(paid or topics)[0], facets=facets)
    if topics and not facets and isinstance(topics[0], schema.Policy) and topics[0].kind == "programme" and WANTS_A_POST.search(text):
        return Plan("facets", topic=topics[0], facets=["how"])  # “我在丰台，想找个见习岗位”: how to find one (there)
    if topics and not facets and isinstance(topics[0], schema.Policy) and topics[0].eligibility is not None \
            and WANTS_TO_JOIN.match(rest) and not personal_yes_no:
        return Plan("facets", topic=topics[0], facets=["who", "how"])  # “他想先去见习 可以吗”: who may join, and how
    if topics and not facets and own != "action_answer_institution" and not asks_to_take_part:
        detail = detail_of(knowledge, topics, text)
        if detail is not None:
            return Plan("unit", units=[detail])
    if not topics and in_play is not None and in_play.kind == "rights" and ({"where", "phone", "how"} & set(facets)
                                                                          or RIGHTS_FOLLOW_UP.search(text)):
        return Plan("situation", situation=in_play)  # “我还能去哪举报”, “报警有用吗 还是找人社” after a rights answer
    if topics and (yes_no or HAS_IT.search(TRAILING_SYMBOLS.sub("", text))) and own == "action_answer_help_routes" \
            and isinstance(topics[0], schema.Policy) and not asks_to_take_part:
        return Plan("facets", topic=topics[0], facets=facets or ["what"])  # “那职业指导有吗”: that service, not every route
    if topics and own in ("action_clarify", "action_out_of_scope"):
        return Plan("facets", topic=topics[0], facets=facets or ["what"])
    if not topics and own not in ("action_subscribe", "action_unsubscribe", "action_answer_notices") and "where" in facets \
            and _names_place(knowledge, text):
        return Plan("institution")  # “我在丰台，找工作该去哪”, “我户口在丰台 档案应该放哪”: that district's office
    after_directory = str(tracker.get_slot("answer_ref") or "").startswith("institution:")
    if not topics and after_directory and "materials" in facets and len(content_words(text)) <= SHORT:
        return Plan("standing", text=f"{NO_MATERIALS}。")  # “要带啥” after a directory answer
    after_entry = str(tracker.get_slot("answer_ref") or "").startswith(("faq:", "detail:", "route:"))
    if not topics and after_entry and ELLIPSIS.search(text) and _names_place(knowledge, text):
        return Plan("institution")  # “那朝阳的呢” after “档案咋办”: that district's office
    if not topics and after_directory and (_names_place(knowledge, text) or {"phone", "where"} & set(facets)):
        return Plan("institution")  # “那海淀的呢”, “电话呢” after a directory answer
    recent = recent_topic(knowledge, tracker)
    if SUBSIDY_WORDS.search(text):
        recent = subsidy_of(knowledge, recent)
    if not topics and isinstance(recent, schema.Policy) and recent.eligibility is not None and ELLIPSIS.search(text) \
            and EMPLOYER_WE.search(text):  # “那要是我们只签半年呢” after a hiring subsidy: its conditions, not the asker's check
        return Plan("facets", topic=recent, facets=["who"])
    stated = bool(latest_entities(tracker, "age") or latest_entities(tracker, "grad_year")) and not QUESTION.search(text)
    if not topics and stated and isinstance(recent, schema.Policy) and recent.eligibility is not None and not helps:
        return Plan("eligibility")  # “我24岁 2021年毕业的” after who may join: the asker's facts, checked
    if not topics and personal_yes_no and isinstance(recent, schema.Policy):
        return Plan("eligibility")  # “我自己能领吗” about the policy in play
    if not topics and asks_to_take_part and recent is None and CAMPAIGN_NAMED.search(text):
        return Plan("eligibility")  # “今年37了，刚失业，能参加这个行动不”: the campaign's own check
    if topics and yes_no and not asks_to_take_part and own == "action_answer_faq" \
            and selector_confidence(tracker) < FAQ_OVER_SITUATION:
        return Plan("facets", topic=topics[0], facets=facets or ["what"])  # “困难家庭的帮扶能保证都帮到吗”
    if not topics and facets and not asks_to_take_part and not _names_place(knowledge, text) and not _names_other(knowledge, text) \
            and not request.values("institution_kind"):  # (“毕业档案放哪” after a subsidy: the archives' office, not the subsidy's)
        if recent is not None and own == "action_answer_job_channels" and (isinstance(recent, schema.Measure) or JOB_HUNT.search(text)):
            return None  # “在哪看” after the recruitment campaigns, “那我还能去哪找工作”: where the jobs are is the channels' list
        if recent is not None:  # (“檔案要放哪裡” names the archives, not a field of the policy in play)
            return Plan("facets", topic=recent, facets=facets)
        period = knowledge.units.get("faq:period")
        if "until" in facets and period is not None and not content_words(FACET_WORDS.sub("", text)):
            return Plan("unit", units=[period])  # “到啥时候” with no entry in play: the campaign's time, not the list
        hotline = knowledge.units.get("route:hotline_12333")
        if facets == ["phone"] and hotline is not None and len(content_words(text)) <= SHORT:
            return Plan("unit", units=[hotline])  # “咨询电话多少” with nothing in play: 12333, not a district's offices
        if not content_words(FACET_WORDS.sub("", text)):
            return None  # “怎么申请” with nothing in play: the feature's own answer (the list) asks which
    if not topics and recent is not None and not asks_to_take_part and not _names_place(knowledge, text):
        inside = detail_of(knowledge, [recent], text, WITHIN_IN_PLAY)
        if inside is not None:  # “能贷款吗” after start-up help: inside the topic in play
            return Plan("unit", units=[inside])
    # (a bare list request, “政策清单发我看看”, is the list's: its words are in every clause about lists)
    if content_words(text) and not asks_to_take_part and not (own == "action_answer_institution" and _names_place(knowledge, text)):
        decisive = decisive_unit(knowledge, text)
        named_refs = {topic_ref(topic) for topic in topics}  # an entry named is its own action's to answer,
        # unless the message asks a field of it (“哪些算困难家庭”: who counts)
        field_asked = decisive is not None and decisive.facet not in ("what", "entry", "point") and len(rest_of(topics, text)) >= 2
        if decisive is not None and (decisive.topic not in named_refs or field_asked):  # retrieval is sure where the intent may not be
            return Plan("unit", units=[decisive])
    return _by_retrieval(knowledge, tracker, text, topics, own, doubtful, before)


# where one question of a message ends and another may start
QUESTION_BREAK = re.compile(r"[？?；;。！!\n]+|[，,、\s]+|(?:还有|另外|顺便问一下|顺便问下|顺便问|以及|再问一下|再问下)")


def several_questions(knowledge: KnowledgeBase, text: str) -> Optional[Plan]:
    """Two or more questions in one message about different entries, each sure on its own: each
    answered (a question that names nothing is about the entry of the one before it, “扩岗补助是啥，
    多少钱”, and so no second question). None when any question is not understood on its own."""
    parts = [part for part in QUESTION_BREAK.split(text) if part and QUESTION.search(part) and len(content_words(part)) >= 2]
    if len(parts) < 2:
        return None
    plans: List[Plan] = []
    keys: List[str] = []  # the units answered
    topic: Optional[Topic] = None
    for part in parts:
        named = knowledge.topics_in(part)
        topic = named[0] if named else topic
        facets = asked_facets(part)
        if topic is not None and facets and len(named) <= 1:
            same = next((p for p in plans if p.kind == "facets" and p.topic is topic), None)
            if same is not None:  # “见习补贴怎么领，多少钱”: two fields of one entry, one answer
                same.facets += [f for f in facets if f not in same.facets]
                continue
            plans.append(Plan("facets", topic=topic, facets=facets, asked=part))
            continue
        unit = asked_detail(knowledge, part) or decisive_unit(knowledge, part) or sure_unit(knowledge, part) \
            or campaign_time(knowledge, part)
        if unit is None:
            return None
        if unit.id not in keys:
            plans.append(Plan("unit", units=[unit], asked=part))
            keys.append(unit.id)
    answered_topics = {topic_ref(p.topic) if p.topic is not None else unit_ref(knowledge, p.units[0]) for p in plans}
    named_topics = {topic_ref(t) for t in knowledge.topics_in(text)}
    # one entry asked about twice, or an entry named outside the questions (“我打零工算灵活就业，有社保补贴吗，
    # 补几年”: the flexible workers' subsidy): the message as a whole is one question
    # (two different fields of one entry, “剩下的见习补贴还给吗？这政策到啥时候”, are two questions too)
    two_fields = len(plans) == 2 and plans[0].kind == "unit" and plans[1].kind == "facets" \
        and plans[0].units[0].facet not in plans[1].facets and plans[0].units[0].facet != "entry"
    if (len(answered_topics) < 2 and not two_fields) or not named_topics <= answered_topics:
        return None
    return Plan("several", parts=plans)


# two entries set side by side: how they differ, or one field asked of both
COMPARED = re.compile(r"区别|区分|不一样|不同|一回事|一样吗|差别|差异|选哪个|哪个好|哪个更")
OF_BOTH = re.compile(r"都|分别|各自|两个|俩")
MONEY_ASKED = re.compile(r"钱|金额|补多少|给多少")
COMPARED_MAX = 2  # entries answered side by side


def comparison(knowledge: KnowledgeBase, text: str) -> Optional[Plan]:
    """Two entries named and compared (“求职创业补贴跟一次性创业补贴是一回事吗”), or one field asked of
    both (“见习补贴和扩岗补助，钱都是发给单位的吗”): each entry's answer, side by side."""
    named = knowledge.topics_in(text)[:COMPARED_MAX]
    facets = asked_facets(text)
    compared = COMPARED.search(text)
    if len(named) < COMPARED_MAX or not (compared or (OF_BOTH.search(text) and facets)):
        return None
    if compared and not facets:  # what each is, and what each pays when money is asked (“哪个钱多”)
        facets = ["what", "amount"] if MONEY_ASKED.search(text) else ["what"]
    lead = f"{named[0].name}和{named[1].name}不是同一项，区别看下面：" if compared else ""
    return Plan("several", text=lead, parts=[Plan("facets", topic=topic, facets=facets, asked=topic.name) for topic in named])


# the campaign asked about as a whole (“给我介绍一下…攻坚行动的通知”, “这个攻坚行动到底干啥的”)
CAMPAIGN_WHAT = re.compile(r"是啥|是什么|是干啥|干啥的|干什么的|做什么的|介绍|讲的啥|讲了啥|讲的什么|讲了什么|说的啥|说了啥|怎么回事|"
                           r"咋回事|是个啥|是个什么|啥意思|什么意思")
# what may stand beside it: the campaign's own descriptors and the words of asking
CAMPAIGN_FILLER = re.compile(r"北京市?|20\d\d年?|22年|今年|离校未就业|高校毕业生|大学生|毕业生|就业|服务|攻[坚艰尖]|功坚|行动|通知|文件|政策|那个|这个|这次|本次|"
                             r"你们|一下|到底|具体|请问|给我|跟我|帮我|说说|讲讲|能不能|可以|我想|了解|想问|的|啊|呀|吗|呢|吧|哈|了|么")
OVERVIEW = ("faq:about_notice", "faq:period", "faq:targets")


def campaign_overview(knowledge: KnowledgeBase, text: str) -> Optional[Plan]:
    """The campaign asked about as a whole: who issued the notice and when, when it runs, whom it
    serves (each a unit with its source). None when something in it is asked (“攻坚行动以什么为支撑”)."""
    if not (CAMPAIGN_WORDS.search(text) and CAMPAIGN_WHAT.search(text)) or knowledge.topics_in(text) or asked_facets(text):
        return None
    rest = re.sub(r"[\W_]+", "", CAMPAIGN_FILLER.sub("", CAMPAIGN_WHAT.sub("", normalize_chars(text))))
    units = [unit for key in OVERVIEW if (unit := knowledge.units.get(key)) is not None]
    if rest or not units:
        return None
    return Plan("several", parts=[Plan("unit", units=[unit]) for unit in units])


HOW_MANY_MEASURES = re.compile(r"几项|几条|多少项|多少条|几个|多少个|一共几|共几|有几")
MEASURES_20 = re.compile(r"若干措施|20号|二十号|京政办|20条")
PRONOUN_OF_DOCUMENT = re.compile(r"它|这个文件|那个文件|该文件")


def measures_counted(knowledge: KnowledgeBase, text: str) -> Optional[Plan]:
    """How many measures: the 20号文's (a unit says 16, reported) when it is named, else the notice's
    own list of 10."""
    if not (HOW_MANY_MEASURES.search(text) and "措施" in text):
        return None
    if MEASURES_20.search(text):
        unit = knowledge.units.get("detail:measures_20_count")
        return Plan("unit", units=[unit]) if unit is not None else None
    if PRONOUN_OF_DOCUMENT.search(text) or knowledge.topics_in(text):
        return None  # “它一共有几条措施”: of the document before, whichever it was
    return Plan("measures")


ISSUED = re.compile(r"发的|发布|印发|出台|下发|文号")  # when the notice was issued is the notice's own fact


def campaign_time(knowledge: KnowledgeBase, text: str) -> Optional[Unit]:
    """“这次行动啥时候开始啥时候结束”: the campaign's period."""
    if WHEN.search(text) and CAMPAIGN_WORDS.search(text) and not knowledge.topics_in(text):
        return knowledge.units.get("faq:period")
    return None


def sure_unit(knowledge: KnowledgeBase, text: str) -> Optional[Unit]:
    """The unit retrieval ranks first for a question, surely and clearly ahead of other entries."""
    ranked = by_topic(knowledge.units.search(text, limit=8), knowledge)
    if not ranked or ranked[0][1] < STRONG or (len(ranked) > 1 and ranked[0][1] < CLEAR_MARGIN * ranked[1][1]):
        return None
    return ranked[0][0].unit


def campaign_target(knowledge: KnowledgeBase, tracker: Tracker) -> bool:
    """Whether nothing the asker said rules them out of the campaign (another year, over 35): “I am
    X, what help is there” is then answered with the help, not with a check they did not ask for."""
    from actions.eligibility import asker_facts  # eligibility builds on this module

    facts = asker_facts(knowledge, tracker)
    year = knowledge.notice.reference_year
    return (facts.grad_year is None or facts.grad_year == year) and (facts.age is None or facts.age < 35) \
        and GENERAL_SITUATION in knowledge.situations


DECISIVE, DECISIVE_MARGIN = 0.45, 1.5  # a unit this sure, this far ahead of the next, answers whatever the intent


def decisive_unit(knowledge: KnowledgeBase, text: str) -> Optional[Unit]:
    hits = knowledge.units.search(text, limit=4)
    if not hits or hits[0].score < DECISIVE:
        return None
    # the next entry's best unit: units of the same entry agreeing do not make it less sure
    best = hits[0]
    runner_up = next((hit.score for hit in hits[1:] if hit.unit.topic != best.unit.topic), 0.0)
    if best.score < DECISIVE_MARGIN * runner_up:
        return None
    close = [hit for hit in hits[1:] if hit.unit.topic == best.unit.topic and hit.score >= SPREAD * best.score]
    if best.unit.facet == "point" and close:  # “打包办是啥”: the measure as a whole
        return knowledge.units.get(f"{best.unit.topic}#what") or best.unit
    return best.unit


# a yes/no question that asks for help (“你们能帮上忙吗”), a message that asks anything at all, and
# one about a third party (the employer)
HAS_IT = re.compile(r"有[吗么嘛][？?。!！\s]*$|有没有")  # “那职业指导有吗”
HELP_YES_NO = re.compile(r"帮|管我|管不管|提供|支持|照顾|优先")
QUESTION = re.compile(r"[?？吗呢么嘛]|([\u4e00-\u9fff])不\1|什么|啥|怎么|咋|哪|谁|几|多少|多久|多长|多大|能不能|可不可以|是否|如何|为啥|为什么|有没有|是不是|行不行")
CASH_ASKED = re.compile(r"现金|(?:有没有|有无|有啥|有什么|能领|可以领|能拿|可以拿)[^，。？?]{0,4}(?:补贴|补助|钱)|补贴可以领|补贴能领|发钱|给钱")
OFFICE_NAMES = re.compile(r"(?:就业|人才|公共|人力资源)?(?:服务)(?:中心|机构|站|大厅|窗口)")
WHAT_IS_GIVEN = re.compile(r"提供(?:什么|啥|哪些)|(?:什么|啥|哪些)(?:服务|帮助|支持|扶持|帮扶)")
EMPLOYER_WE = re.compile(r"我们(?:公司|单位|企业|只|签|招|给)|我司|我单位|本单位|咱们公司|咱公司")  # the employer speaking
THIRD_PARTY = re.compile(r"公司|单位|企业|老板|雇主|用人方|招聘方")
TRAILING_SYMBOLS = re.compile(r"[^\w？?。！!～~）)]+$")  # emoji and the like after the question
ELLIPSIS = re.compile(r"^(?:那|那么|要是|如果)?(?:我|他|她|孩子)?.{1,8}呢[？?。！!\s]*$")  # “那我想创业呢”
RIGHTS_FOLLOW_UP = re.compile(r"报警|警察|110|派出所|人社|投诉|举报|仲裁|监察|维权|有用吗|有没有用|管吗|管不管|也管|能管")
CAMPAIGN_NAMED = re.compile(r"行动|攻坚|服务对象|这个活动|你们这个|服务范围")
CAMPAIGN_WORDS = re.compile(r"(?:这次|这个|本次|今年的?)?(?:就业)?(?:攻坚)?行动|攻坚")
COMBINED = re.compile(r"一起|一块儿?|同时|叠加|兼得|重复|都能|能都|都拿|都领|都享受")
# a yes/no question about the asker themself (“我22岁能参加见习吗”) is for the eligibility check
PERSONAL = re.compile(r"我|本人|\d+\s*岁|[零一二两三四五六七八九十]+岁|\d+\s*届|年毕业")
# what a yes/no question about taking part says (“中专毕业的能参加见习吗”): the eligibility check's
ELIGIBILITY = re.compile(r"参加|申请|享受|领|报名|能报|符合|资格|要我|收我|对象|能去|可以去|范围(?:内|里|之内)")
WITHIN = 0.2  # a clause or field of the entry named, matched by what the message says beyond its name
WITHIN_IN_PLAY = 0.1  # the same inside the topic in play: a follow-up (“合同签几年”) says little


UNNAMED_LEAD = 0.9  # a detail this close to an unnamed entry's field ranked above it still answers


def asked_detail(knowledge: KnowledgeBase, text: str) -> Optional[Unit]:
    """A detail entry (policy_kb/data/details.yml) that retrieval ranks first, surely and clearly."""
    hits = knowledge.units.search(text, limit=4)
    # a field of an entry the message does not name is no rival unless far ahead (“北京现在最低工资多少”:
    # not 见习补贴's amount, whose text speaks of the minimum wage)
    named = {topic_ref(topic) for topic in knowledge.topics_in(text)}
    candidates = [hit for hit in hits if not hit.unit.topic.startswith(("policy:", "measure:")) or hit.unit.topic in named
                  or unit_ref(knowledge, hit.unit) in named]
    if not candidates or not candidates[0].unit.topic.startswith("detail:") or candidates[0].score < STRONG:
        return None
    if candidates[0].score < UNNAMED_LEAD * hits[0].score:
        return None
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    return candidates[0].unit if candidates[0].score >= CLEAR_MARGIN * runner_up else None


def strip_names(text: str, names: Sequence[str]) -> str:
    """`text` (normalised) with every one of `names` blanked out, longest first."""
    rest = normalize_chars(text)
    for name in sorted(names, key=len, reverse=True):
        rest = rest.replace(normalize_chars(name), " ")
    return rest


def rest_of(topics: Sequence[Topic], text: str) -> str:
    """What a message says beyond the names of the entries it names."""
    return re.sub(r"[\W_]+", "", strip_names(text, [name for topic in topics for name in (topic.name, *topic.aliases)]))


def detail_of(knowledge: KnowledgeBase, topics: Sequence[Topic], text: str, within: float = WITHIN) -> Optional[Unit]:
    """“实名台账都记些什么”, “见习期没满签了合同还有补贴吗”: entries are named and the message asks
    something inside them: the clause or field (of those entries, or of the measures they answer
    for) that best matches what it says beyond the names."""
    names: List[str] = []
    for topic in topics:
        names += [topic.name, *topic.aliases] + ([topic.title, topic.section] if isinstance(topic, schema.Measure) else [])
    rest = strip_names(text, names)
    if len(content_words(rest)) < 2:
        return None
    refs = {topic_ref(topic) for topic in topics}
    refs |= {f"measure:{m.id}" for m in knowledge.measures.values() if m.answered_by and f"policy:{m.answered_by}" in refs}
    hits = knowledge.units.search(rest, limit=2, allowed=lambda unit: unit.topic in refs and unit.facet != "what")
    if not hits or hits[0].score < within:
        return None
    ref = hits[0].unit.topic
    if len(hits) > 1 and hits[1].unit.topic == ref and hits[0].unit.facet == hits[1].unit.facet == "point" and hits[1].score >= SPREAD * hits[0].score:
        return knowledge.units.get(f"{ref}#what") or hits[0].unit  # “要亮出哪些东西”: every clause, i.e. the summary
    return hits[0].unit


def names_the_class(knowledge: KnowledgeBase, text: str) -> bool:
    """Whether the message says the asker is of the campaign's graduating class (“22届”, “今年刚毕业”)."""
    year = knowledge.notice.reference_year
    return bool(re.search(rf"(?<!\d)(?:20)?{year % 100:02d}\s*届|(?:20)?{year % 100:02d}年毕业|今年(?:刚)?毕业|应届", text))


UNMISTAKABLE = {"until", "materials", "phone"}  # fields whose cue words mean nothing else


def field_speaking_of(knowledge: KnowledgeBase, topics: Sequence[Topic], text: str, facets: Sequence[str]) -> Optional[Unit]:
    """A field or clause of the entry named that speaks of what the message says beyond the entry's
    name and the field it cues, where the fields cued say none of it (“扩岗补助要给员工交多久的失业
    保险” cues an amount; the conditions say 失业保险1个月以上)."""
    if set(facets) & UNMISTAKABLE:  # “…这个政策到什么时候截止”: a deadline is asked, whatever the story says
        return None
    topic = topics[0]
    cued = [knowledge.units.get(f"{topic_ref(topic)}#{facet}") for facet in facets]
    said = [unit.text for unit in cued if unit is not None]
    if not said:
        return None
    rest = FACET_WORDS.sub(" ", rest_of(topics, text))
    if len(content_words(rest)) < 2:
        return None
    refs = {topic_ref(topic)} | {f"measure:{m.id}" for m in knowledge.measures.values() if m.answered_by and f"policy:{m.answered_by}" == topic_ref(topic)}
    hits = knowledge.units.search(rest, limit=1, allowed=lambda unit: unit.topic in refs and unit.facet not in facets)
    if not hits or hits[0].score < WITHIN:
        return None
    return hits[0].unit if speaks_more_of(rest, hits[0].unit, said) else None


def situation_in_play(knowledge: KnowledgeBase, tracker: Tracker) -> Optional[schema.Situation]:
    kind, _, key = str(tracker.get_slot("answer_ref") or "").partition(":")
    return knowledge.situations.get(key) if kind == "situation" else None


def mentioned_topics(knowledge: KnowledgeBase, tracker: Tracker) -> List[Topic]:
    """Topics named in the latest message, in the order the graduate wrote them; entities the NLU
    extracted but the text scan missed come last."""
    topics: Dict[str, Topic] = {}
    for topic in knowledge.topics_in(latest_text(tracker)):
        topics.setdefault(topic.id, topic)
    for value in named_policies(tracker):
        extracted = knowledge.topic(value)
        if extracted is not None:
            topics.setdefault(extracted.id, extracted)
    return list(topics.values())


# words the NLU may tag as a policy (and its synonyms map to one) that name none on their own:
# “补贴多少钱” after 就业见习 is about that programme's subsidy, not 社保补贴
GENERIC_POLICY_WORDS = {"补贴", "补助", "政策", "贷款", "扶持", "帮扶", "服务", "岗位", "培训"}


def named_policies(tracker: Tracker) -> List[str]:
    """The policy entities of this turn, without those whose words in the message are generic."""
    if tracker.get_slot("choice"):
        return latest_entities(tracker, "policy")
    message = tracker.latest_message or {}
    text = str(message.get("text") or "")
    values = []
    for item in message.get("entities") or []:
        if item.get("entity") != "policy" or item.get("value") is None:
            continue
        start, end = item.get("start"), item.get("end")
        surface = text[start:end] if isinstance(start, int) and isinstance(end, int) else str(item["value"])
        if surface not in GENERIC_POLICY_WORDS:
            values.append(str(item["value"]))
    return values


SUBSIDY_WORDS = re.compile(r"补贴|补助")


@overload
def subsidy_of(knowledge: KnowledgeBase, topic: Topic) -> Topic:
    ...


@overload
def subsidy_of(knowledge: KnowledgeBase, topic: None) -> None:
    ...


def subsidy_of(knowledge: KnowledgeBase, topic: Optional[Topic]) -> Optional[Topic]:
    """The subsidy that goes with a programme (就业见习 → 见习补贴), for “补贴多少钱” while it is in play."""
    if not isinstance(topic, schema.Policy) or topic.kind == "subsidy":
        return topic
    names = [topic.name, *topic.aliases]
    for policy in knowledge.policies.values():
        if policy.kind == "subsidy" and any(name in policy.name for name in names if len(name) >= 2):
            return policy
    return topic


def _by_retrieval(
    knowledge: KnowledgeBase, tracker: Tracker, text: str, topics: Sequence[Topic], own: str, doubtful: bool,
    previous: Optional[str] = None,
) -> Optional[Plan]:
    intent = (tracker.latest_message.get("intent") or {})
    name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
    refused = name == "out_of_scope" or own == "action_out_of_scope"
    unsure = refused or name == "nlu_fallback" or own == "action_clarify" or confidence < 0.5
    unsure = unsure or (name == "faq" and selector_confidence(tracker) < 0.5)
    # a named route is the route list's own answer (“人社部搞的” is no typo of 人社部门); not the policy
    # list's (“人社局怎么拿到我们的名单” asks how the data came, not for the list)
    named_route = name == "ask_help_routes" and bool(knowledge.route_index.find(text, typos=False))
    generic = doubtful or (name in LISTS and not topics and not named_route and bool(content_words(text)))
    ranked = by_topic(knowledge.units.search(text, limit=8), knowledge) if unsure or generic or name == "faq" else []
    # the FAQ entry the selector picked, far behind what retrieval finds (“若干措施是哪个部门印发的” is
    # not about this notice): retrieval's answer, if it is sure and clear
    listing = generic and not doubtful  # a list's intent with words of its own
    generic = generic or (name == "faq" and faq_far_behind(tracker, ranked, text, knowledge))
    if not (unsure or generic):
        return None
    focus = asked_part(text, lambda clause: bool(knowledge.topics_in(clause)))
    if focus:  # “我是社区工作人员。区人社局是怎么摸清情况的？”: the question, without the story before it
        focused = by_topic(knowledge.units.search(focus, limit=8), knowledge)
        if focused and (not ranked or focused[0][1] >= STRONG or focused[0][1] > ranked[0][1]):
            ranked = focused  # (the story's words, “社区工作人员”, do not outweigh a question retrieval places)
    if previous:  # “哪天” after “这通知谁发的”: the short question read with the one before it
        in_context = by_topic(knowledge.units.search(f"{text} {text} {previous}", limit=8), knowledge)
        if in_context and (not ranked or in_context[0][1] > ranked[0][1]):
            ranked = in_context
    if not ranked:
        return None
    # (a short message, “那都有哪些帮助”, says too little to tell entries apart by a word)
    ranked, told_apart = told_apart_by_words(text, ranked) if len(content_words(text)) > SHORT else (ranked, False)
    best, best_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    clear = told_apart or best_score >= CLEAR_MARGIN * runner_up
    needed = OVER_REFUSAL if refused else GENERIC if generic and not unsure else STRONG
    if best_score >= needed and clear:
        topic = topic_of(knowledge, best.unit)
        asked = asked_facets(text)
        if isinstance(topic, schema.Policy) and asked and best.unit.facet not in asked:
            return Plan("facets", topic=topic, facets=asked)  # the entry found, the field asked of it
        return Plan("unit", units=[best.unit])
    # (a list's intent with words of its own that retrieval places, “档案一般放哪”: those units, not the list)
    if (unsure and not refused and best_score >= WEAK) or (listing and not refused and best_score >= GENERIC):
        close = [hit.unit for hit, score in ranked[:3] if score >= best_score / CLEAR_MARGIN]
        if clear or all(same_content(best.unit, other) for other in close[1:]):
            return Plan("unit", units=[best.unit])
        own_case = [unit for unit in close if unit.topic in {f"situation:{s.id}" for s in knowledge.situations_in(text)}]
        if len(own_case) == 1:  # “我暂时不想工作…会有人一直打电话烦我吗”: the case the asker says is theirs
            return Plan("unit", units=own_case)
        if not unsure and best_score < STRONG:  # the list's intent is sure (“在哪看岗位”) and no unit stands out: the list answers
            return None
        return choose_among(text, close)
    return None


SENTENCE_END = re.compile(r"(?<=[。！!？?；;：:\n])")


# a sentence that is the asker's question whatever words it uses: it ends in a question mark, or says it asks
ASKS_OUTRIGHT = re.compile(r"[？?][^\w]*$|请问|想问|想知道|想了解|问一下|问下|咨询一下|我的问题是")
CLAUSE_END = re.compile(r"(?<=[，,])")
# a clause reporting what someone said or what was read (not “再说回档案”)
TELLING = re.compile(r"听说|据说|网上|新闻|报道|看到|看了|刷到|(?:有人|别人|朋友|同学|家里|老师|学校|居委会|社区|他们|人家|我妈|我爸)说")


def asked_part(text: str, names_entry: Callable[[str], bool] = lambda _: False) -> Optional[str]:
    """The question after a story (“我是一名家长。我女儿…还没找到工作。想问问…能为她做些什么？”): the
    sentences from the first that asks (a question mark or “请问”, else any question word: “有几个孩子
    电话打不通。” tells), and within it the clauses from the one that asks, after a clause reporting what
    was heard (“网上说北京有个攻坚行动，这是哪个部门发的通知？”) unless it names an entry (“听说有个求职创业
    补贴，一次给多少”: asked of that entry); None when the message asks from its start."""
    sentences = [part for part in SENTENCE_END.split(text) if part.strip()]
    outright = [i for i, sentence in enumerate(sentences) if ASKS_OUTRIGHT.search(sentence)]
    first = outright[0] if outright else next((i for i, sentence in enumerate(sentences) if QUESTION.search(sentence)), 0)
    clauses = [part for part in CLAUSE_END.split(sentences[first]) if part.strip()] if sentences else []
    asking = next((j for j, clause in enumerate(clauses) if QUESTION.search(clause)), 0)
    if asking and not all(TELLING.search(clause) and not names_entry(clause) for clause in clauses[:asking]):
        asking = 0
    if not first and not asking:
        return None
    return "".join(clauses[asking:]) + "".join(sentences[first + 1:])


# characters of asking, not of what is asked: a word pair with one of them tells no unit apart
ASKING_CHARS = set("是哪个几多少的吗么什啥怎咋呢了我你们他她有要能会可以吧啊呀嘛还也都就请问那这么给到在")


def _word_pairs(text: str) -> set:
    """Pairs of Chinese characters, the asking characters (吗, 呢 …) left out."""
    return {pair for pair in _chinese_pairs(text) if not set(pair) & ASKING_CHARS}


def _chinese_pairs(text: str) -> set:
    """Every pair of neighbouring Chinese characters, the asking ones kept (“放哪”)."""
    text = normalize_chars(text)
    return {text[i:i + 2] for i in range(len(text) - 1) if all("\u4e00" <= c <= "\u9fff" for c in text[i:i + 2])}


def speaks_more_of(rest: str, unit: Unit, others: Sequence[str]) -> bool:
    """Whether `unit` shares at least two word pairs with what the message says beyond the names,
    and more than any of the `others` answers does."""
    asked = _word_pairs(rest)
    shared = len(asked & _word_pairs(" ".join([unit.text, unit.search])))
    return shared >= 2 and all(shared > len(asked & _word_pairs(other)) for other in others)


def told_apart_by_words(text: str, ranked: List[Tuple[Hit, float]]) -> Tuple[List[Tuple[Hit, float]], bool]:
    """Close runners told apart by what the question says that only one of them speaks of: “若干措施
    是哪个部门印发的” ranks the 20号文's issuer, its count of measures and the clause about carrying
    it out alike; only the first says 印发. Returns the ranking (that unit first) and whether one was
    told apart."""
    close = [item for item in ranked[:3] if item[1] * CLEAR_MARGIN > ranked[0][1]]
    if len(close) < 2:
        return ranked, False
    asked = _word_pairs(text)
    said = [asked & _word_pairs(" ".join([hit.unit.text, hit.unit.search, *hit.unit.asks])) for hit, _ in close]
    own = [pairs - set().union(*(other for j, other in enumerate(said) if j != i)) for i, pairs in enumerate(said)]
    alone = [i for i, pairs in enumerate(own) if pairs]
    # (and it says at least as much of the question as any other: “就不签了” is no reason to leave the
    # traineeship clause that says all the rest)
    if len(alone) != 1 or len(said[alone[0]]) < max(len(pairs) for pairs in said) \
            or (alone[0] > 0 and len(said[alone[0]]) <= len(said[0])):  # a runner-up must say more than the first
        return ranked, False
    first = close[alone[0]]
    return [first, *[item for item in ranked if item is not first]], True


SHORT = 6  # a message saying this little beyond list words is read together with the one before
# answers a short follow-up can be about, and how much the previous answer's own entry is favoured
FOLLOW_UP_REFS = ("policy:", "measure:", "route:", "detail:", "faq:", "situation:", "eligibility:")
IN_PLAY_BONUS, FOLLOW_UP_SURE = 0.25, 0.28
FOLLOW_UP_SHORT = 8  # content characters a follow-up may have (“今年啥时候报名”)


# “这个数靠谱吗”, “真的假的”, “这是哪个文件规定的”: how firm the previous answer is
RELIABLE = re.compile(r"靠谱|靠不靠谱|准确|准不准|准吗|准么|可信|可靠|确定吗|确定么|真的吗|真的假的|真的么|属实|权威|有依据|"
                      r"出处|哪来的|从哪来|官方的吗|正式的吗|哪个文件|哪份文件|什么文件|哪条规定|谁规定")
DEMONSTRATIVE = re.compile(r"这|那个|上面|刚才|你说的")
CITED = re.compile(r"来源：([^）)\n]+)")


def answer_standing(knowledge: KnowledgeBase, tracker: Tracker, text: str) -> str:
    """The sources of the previous answer and their standing, when the graduate asks whether it is
    reliable; "" when they do not (or nothing sourced was said)."""
    if len(text) > 16 or not RELIABLE.search(text) or not (len(text) <= 8 or DEMONSTRATIVE.search(text)):
        return ""
    said = last_sourced_answer(tracker)
    cited = CITED.search(said)
    if cited is None:
        return ""
    names = [n.strip() for n in re.split(r"[；;]", cited.group(1)) if n.strip()]
    documents = {d.short or d.id: d for d in knowledge.documents.values()}
    weak = [documents[n] for n in names if n in documents and documents[n].standing in ("report", "rule_2019")]
    notice = [n for n in names if n.startswith("通知")]
    firm = [documents[n].title for n in names if n in documents and documents[n].standing == "checked"]
    if weak:
        kinds = "、".join(d.title for d in weak)
        return (f"这一条来自{kinds}，不是正式文件原文，北京现行的标准未核实。请以官方文件为准，"
                "办理前可拨打12333或问所在区人社局确认。")
    parts = ([f"北京市人社局2022年7月19日通知的原文（{'、'.join(n.removeprefix('通知').strip() for n in notice)}）"] if notice else []) + firm
    line = f"这一条出自{'和'.join(parts)}，可以作为依据。" if parts else f"这一条的来源：{cited.group(1)}。"
    if "未核实" in said or "未确认" in said:
        line += "其中标明“未核实”的部分请以官方为准，可拨打12333确认。"
    return line


# an amount of money someone told the asker about, asked to be confirmed (“听说有1000块补贴，真的吗”)
CLAIMED_AMOUNT = re.compile(r"(?<![\d.])(\d{3,6}|\d{1,3}(?:,\d{3})+)\s*(?:块钱|块|元)")
CLAIM_ASKED = re.compile(r"真的|是真是假|真假|靠谱|可信|属实|骗人|是不是|有没有这|有这(?:个|种|回)?事|听说|说是|据说|我妈说|我爸说|别人说|朋友说|同学说")


def claimed_figure(knowledge: KnowledgeBase, text: str) -> Optional[Plan]:
    """A sum the asker heard of and asks about: the unit that states it (with its standing), or,
    when no entry states it, that the sources do not give it; None when no sum is claimed."""
    amount = CLAIMED_AMOUNT.search(text)
    if amount is None or not CLAIM_ASKED.search(text) or not SUBSIDY_WORDS.search(text):
        return None
    figure = amount.group(1).replace(",", "")
    # the units that state the sum, the one closest to the question first
    stating = [hit.unit for hit in knowledge.units.search(
        text, limit=1, allowed=lambda unit: figure in re.sub(r"(?<=\d),(?=\d{3})", "", unit.text))]
    if stating:
        return Plan("unit", units=[stating[0]])
    return Plan("standing", text=f"通知和我们收录的文件里没有写{figure}元这个数（未核实），别轻信；北京现行的补贴标准请以官方文件为准，"
                                 "可拨打12333或问所在区人社局。")


def last_sourced_answer(tracker: Tracker) -> str:
    """The assistant's latest message with a source line, in its answer to the previous message."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return ""
        elif event.get("event") == "bot" and CITED.search(str(event.get("text") or "")):
            return str(event.get("text"))
    return ""


WHEN = re.compile(r"哪天|几号|什么时候|啥时候|啥时|几月|哪年|何时|多会儿")
_TIME = r"\d+月|\d+日|年底|月底|月中|\d{4}年|即日起|施行|常态化"
# what a text must hold to answer a field asked
URL_ASKED = re.compile(r"网址|链接|网站|网页|官网|入口")
EVIDENCE = {"until": _TIME, "when": _TIME, "where": r"网址|地址|地点|http|窗口|大厅|人社局|服务中心|平台|服务机构|现场",
            "phone": r"\d{5}|12333|电话", "amount": r"\d|[一二两三四五六七八九十百千万]+(?:年|个月|次|人|元)|最低工资|标准",
            "url": r"http|www\.|\.cn|\.com"}


ELLIPTICAL = re.compile(r"^(?:(?:那|那么|要是|如果|换成|换作)?(?P<subject>.{1,12}?)(?:的话)?(?:的)?呢"
                        r"|(?:那|那么)(?P<thing>.{1,8}?)(?:该|要|又)?(?:怎么办|咋办|怎么弄|咋弄|怎么处理))[？?。！!\s～~]*$")


def elliptical_subject(text: str) -> str:
    """“线下的呢” → “线下”; “” when the message is no “X呢”."""
    match = ELLIPTICAL.match(text.strip())
    subject = (match["subject"] or match["thing"]) if match else ""
    return subject if subject not in ("我", "你", "他", "她", "这", "那", "这个", "那个") else ""


def mentions(unit: Unit, subject: str) -> bool:
    """Whether a unit speaks of what an elliptical question names (every character of it, so that
    国企 finds 国有企业)."""
    text = normalize_chars(unit.text)
    return all(char in text for char in normalize_chars(subject) if not char.isspace())


def says(unit: Unit, subject: str) -> bool:
    """Whether a unit says what an elliptical question names, word for word (“20年” as 2020年)."""
    text = normalize_chars(unit.text)
    subject = normalize_chars(subject)
    year = re.fullmatch(r"(\d{2})年", subject)
    return subject in text or bool(year and f"20{year[1]}年" in text)


def without_names(knowledge: KnowledgeBase, text: str, ref: str) -> str:
    """`text` without the names of the entry `ref` answered about."""
    kind, _, key = ref.partition(":")
    entry: Any = None
    if kind == "route":
        entry = knowledge.routes.get(key)
    elif kind in ("policy", "eligibility"):
        entry = knowledge.policies.get(key)
    elif kind == "measure":
        entry = knowledge.measures.get(key)
    return strip_names(text, [entry.name, *getattr(entry, "aliases", [])] if entry is not None else [])


def lacks(unit: Unit, asked: Sequence[str]) -> bool:
    """Whether a unit's text holds nothing of the kind the fields asked need (a date for “哪天”)."""
    needs = [EVIDENCE[facet] for facet in asked if facet in EVIDENCE]
    return bool(needs) and not any(re.search(need, unit.text) for need in needs)


ASKING_WORDS = re.compile(r"什么|啥|怎么|咋|哪|谁|几|多少|吗|呢|么|吧|啊|呀|嘛|了|的|那|我|你|是|要是|如果|还|也|都|就|对了|请问|知道")


def residual(text: str) -> str:
    """What a follow-up says beyond asking (“晚上能打吗” → 晚上打; “哪天” → “”)."""
    return content_words(ASKING_WORDS.sub("", FACET_WORDS.sub("", text)))


RELATIVE_YEARS = ("今年", "去年", "前年", "明年")  # “今年啥时候报名”: a time asked, not the asker's class without 毕业/届


def follow_up(knowledge: KnowledgeBase, tracker: Tracker, text: str) -> Optional[Plan]:
    """A short question naming nothing (“哪天”, “在哪”, “晚上能打吗”, “补多少”) right after an answer:
    ranked together with the question before it, the previous answer's entry favoured; the unit
    (or, of a policy in play, the field asked) when it is sure and clearly ahead. Whatever the NLU
    made of two words (a greeting, out of scope, the policy list) matters less than the thread."""
    text = knowledge.spelled(text)
    if len(content_words(text)) > FOLLOW_UP_SHORT or not QUESTION.search(text) or knowledge.topics_in(text) or _names_place(knowledge, text) \
            or knowledge.route_index.find(text, typos=False) or latest_entities(tracker, "institution_kind"):
        return None  # “对了 12333晚上有人接吗”, “对了，毕业档案放哪”: about the route or office it names
    if YES_NO.search(TRAILING_SYMBOLS.sub("", text)) and PERSONAL.search(text):
        return None  # “我26了也行吗”: the eligibility check's
    ref = str(tracker.get_slot("answer_ref") or "")
    previous = previous_question(tracker)
    if not ref.startswith(FOLLOW_UP_REFS) or not previous:
        return None
    intent = tracker.latest_message.get("intent") or {}
    if intent.get("name") in ("chitchat", "out_of_scope") and float(intent.get("confidence") or 0.0) >= 0.9 and len(residual(text)) >= 3:
        return None  # “你知道今天北京天气吗”: small talk that says something of its own, not a follow-up
    years = [v for v in latest_entities(tracker, "grad_year") if not (v in RELATIVE_YEARS and not re.search(r"毕业|届|毕的", text))]
    if (latest_entities(tracker, "age") or years) and not (
            elliptical_subject(text) and not PERSONAL.search(previous)):
        return None  # “2021届的”: the asker's own facts (but “20年呢” after “19年招了多少人” is the year asked about)
    selector = tracker.latest_message.get("response_selector") or {}
    picked = str(((selector.get("faq") or selector.get("default") or {}).get("response") or {}).get("intent_response_key") or "")
    if (tracker.latest_message.get("intent") or {}).get("name") == "faq" and selector_confidence(tracker) >= 0.8 \
            and f"faq:{picked.partition('/')[2]}" != ref and not elliptical_subject(text):
        return None  # “市里怎么监督各区”: a question the FAQ knows, whatever was asked before
    in_play = "policy:" + ref.partition(":")[2] if ref.startswith("eligibility:") else ref
    related = _ref_topic(knowledge, ref)  # a situation's first policy is in play too
    playing = {in_play, topic_ref(related)} if related is not None else {in_play}
    if related is not None and SUBSIDY_WORDS.search(text):  # “补贴多少” after 就业见习 (or its check): 见习补贴's
        playing.add(topic_ref(subsidy_of(knowledge, related)))
    plain = by_topic(knowledge.units.search(f"{text} {text} {previous}", limit=8), knowledge)
    alone = by_topic(knowledge.units.search(text, limit=8), knowledge)
    if not elliptical_subject(text) and alone and plain and alone[0][1] >= STRONG \
            and (len(alone) == 1 or alone[0][1] >= CLEAR_MARGIN * alone[1][1] or same_content(alone[0][0].unit, alone[1][0].unit)) \
            and alone[0][0].unit.topic == plain[0][0].unit.topic and unit_ref(knowledge, alone[0][0].unit) not in playing:
        return None  # “那20号文谁发的”: the message says enough on its own, and the context agrees
    ranked = [(hit, score + (IN_PLAY_BONUS if unit_ref(knowledge, hit.unit) in playing else 0.0)) for hit, score in plain]
    ranked.sort(key=lambda item: item[1], reverse=True)
    asked = asked_facets(text) + (["when"] if WHEN.search(text) else []) + (["url"] if URL_ASKED.search(text) else [])
    # the answer just given again only if it holds what is asked (“在哪” of 就业超市, not “啥时候报名” of
    # a post no date is known for: that is said to be unknown)
    unknown = ranked[0][0].unit if ranked and ranked[0][1] >= FOLLOW_UP_SURE and unit_ref(knowledge, ranked[0][0].unit) in playing \
        and not isinstance(topic_of(knowledge, ranked[0][0].unit), schema.Policy) and lacks(ranked[0][0].unit, asked) else None
    other = elliptical_subject(text)  # “线下的呢” after online forms: a unit that speaks of 线下
    if other and not any(unit_ref(knowledge, hit.unit) in playing and mentions(hit.unit, other) for hit, _ in ranked):
        # the entry in play does not speak of it: the question before, about it instead (“24365的网址”
        # then “北京的呢”: 北京's 网址)
        rest = without_names(knowledge, previous, ref)
        ranked = by_topic(knowledge.units.search(f"{other} {other} {rest}", limit=8), knowledge)
    ranked = [(hit, score) for hit, score in ranked if hit.unit is not unknown and (not other or mentions(hit.unit, other))]
    # the runner-up that disagrees: two entries of the thread (a situation and its measure) agree
    top_in_play = bool(ranked) and (unit_ref(knowledge, ranked[0][0].unit) in playing or about_route_in_play(knowledge, ranked[0][0].unit, ref))
    rivals = [score for hit, score in ranked[1:] if not (top_in_play and unit_ref(knowledge, hit.unit) in playing)]
    if not ranked or ranked[0][1] < FOLLOW_UP_SURE or (rivals and ranked[0][1] < CLEAR_MARGIN * rivals[0]):
        if unknown is not None and unknown.topic.startswith("faq:") and {"when", "until"} & set(asked):
            period = knowledge.units.get("faq:period")  # “到啥时候” after a question about the campaign: its time
            return Plan("unit", units=[period]) if period is not None else None
        if unknown is not None and unknown.topic.startswith(("detail:", "route:")):
            return Plan("unknown", units=[unknown], facets=asked)
        return None
    best, score = ranked[0]
    if best.unit.facet == "what" and not other:  # “笔试面试线上吗”: the clause asked, not the summary
        inside = knowledge.units.search(text, limit=1, allowed=lambda unit: unit.topic == best.unit.topic)
        best = inside[0] if inside and inside[0].score >= WEAK else best
    if other and not says(best.unit, other):  # “20年呢”: the entry's unit that says 2020年
        inside = knowledge.units.search(f"{other} {text} {previous}", limit=8, allowed=lambda unit: unit.topic == best.unit.topic)
        best = next((hit for hit in inside if says(hit.unit, other)), best)
    topic = topic_of(knowledge, best.unit)
    if SUBSIDY_WORDS.search(text):
        topic = subsidy_of(knowledge, topic)  # “那补贴给谁” while 就业见习 is in play: 见习补贴's
    fields = [facet for facet in asked if facet in FACET_CUES]
    if isinstance(topic, schema.Policy) and fields:  # “补多少” of the policy in play (“要去哪申请” of one paid unasked: that first)
        return Plan("facets", topic=topic, facets=["phone"] if "phone" in fields else fields)
    return Plan("unit", units=[best.unit])


def about_route_in_play(knowledge: KnowledgeBase, unit: Unit, ref: str) -> bool:
    """Whether a unit speaks of the help route just answered (“12333按1再按0转人工” after 12333):
    the same thread, not a rival of the route's own answer."""
    kind, _, key = ref.partition(":")
    route = knowledge.routes.get(key) if kind == "route" else None
    return route is not None and any(name in unit.text for name in [route.name, *route.aliases, route.phone or ""] if len(name) >= 4)


def previous_question(tracker: Tracker) -> Optional[str]:
    """The graduate's message before this one, if it was answered within the last few turns."""
    seen = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen += 1
            if seen == 2:
                text = str(event.get("text") or "")
                return None if text.startswith("/") else text
            if seen > FOLLOW_UP_TURNS:
                return None
    return None


def choose_among(text: str, close: List[Unit]) -> Plan:
    """Close units offered to choose from, unless one's own question is clearly the one asked
    (“档案一般放哪”: “毕业后档案放哪里”, not “人才中心会不会拒收我的档案”)."""
    liked = likeliest_question(text, close)
    return Plan("unit", units=[liked]) if liked is not None else Plan("choose", units=close)


def likeliest_question(text: str, units: Sequence[Unit]) -> Optional[Unit]:
    """The unit whose question shares at least two character pairs with the message and more than
    any other's does."""
    asked = _chinese_pairs(text)
    shared = sorted(((len(asked & _chinese_pairs(unit.question)), index) for index, unit in enumerate(units)), reverse=True)
    if not shared or shared[0][0] < 2 or (len(shared) > 1 and shared[1][0] >= shared[0][0]):
        return None
    return units[shared[0][1]]


def same_content(a: Unit, b: Unit) -> bool:
    """Two units saying the same thing in other entries (a measure's clause and its policy's field)."""
    grams = lambda text: {text[i:i + 2] for i in range(len(text) - 1)}  # noqa: E731
    first, second = grams(a.text), grams(b.text)
    return bool(first and second) and len(first & second) >= 0.6 * min(len(first), len(second))


FAQ_BEHIND = 0.5  # the selected FAQ entry scoring under this share of retrieval's best is doubted


def selected_faq(tracker: Tracker) -> str:
    selector = tracker.latest_message.get("response_selector") or {}
    response = (selector.get("faq") or selector.get("default") or {}).get("response") or {}
    key = str(response.get("intent_response_key") or "")
    return f"faq:{key.split('/', 1)[1]}" if "/" in key else ""


def faq_far_behind(tracker: Tracker, ranked: Sequence[Tuple[Hit, float]], text: str = "",
                   knowledge: Optional[KnowledgeBase] = None) -> bool:
    """Whether retrieval's best unit beats the FAQ entry the selector picked: far ahead of it, or ahead
    and speaking of what the question says where the entry does not (“工作要求里说要调动哪些机构一起参与”
    is not the entry on supervising the districts)."""
    selected = selected_faq(tracker)
    if not selected or not ranked or ranked[0][0].unit.topic == selected:
        return False
    best, score = ranked[0][1], next((value for hit, value in ranked if hit.unit.topic == selected), 0.0)
    if best >= STRONG and score < FAQ_BEHIND * best:
        return True
    picked = knowledge.units.get(selected) if knowledge is not None else None
    said = CAMPAIGN_WORDS.sub(" ", text)  # the campaign's own name speaks of no entry in particular
    return bool(said.strip()) and picked is not None and best >= GENERIC and score < best \
        and speaks_more_of(said, ranked[0][0].unit, [picked.text, picked.search])


def selector_confidence(tracker: Tracker) -> float:
    selector = tracker.latest_message.get("response_selector") or {}
    response = (selector.get("faq") or selector.get("default") or {}).get("response") or {}
    return float(response.get("confidence") or 0.0)


def by_topic(hits: Sequence[Hit], knowledge: Optional[KnowledgeBase] = None) -> List[Tuple[Hit, float]]:
    """Hits grouped by the entry they belong to, best first: an entry's score is its best unit's plus
    half its second's, so two clauses of one measure agreeing outweigh a lone clause elsewhere.
    When two clauses of one measure match about as well (“公开行动要亮出哪些东西”), the question is
    about the measure as a whole: its summary answers."""
    groups: Dict[str, List[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.unit.topic, []).append(hit)
    scored = []
    for group in groups.values():
        best = group[0]
        if len(group) > 1:
            second = group[1]
            whole = knowledge.units.get(f"{best.unit.topic}#what") if knowledge is not None else None
            if whole is not None and best.unit.facet == second.unit.facet == "point" and second.score >= SPREAD * best.score:
                best = Hit(whole, best.score)
        scored.append((best, group[0].score + (0.5 * group[1].score if len(group) > 1 else 0.0)))
    return sorted(scored, key=lambda item: item[1], reverse=True)


SPREAD = 0.85  # a second clause matching this nearly as well as the first: the measure as a whole


# words that ask for a whole list rather than a detail (“有哪些政策”, “政策清单发我看看”)
LIST_WORDS = re.compile(r"最近|近期|招聘会|见习岗位|去哪|哪里|在哪|找不到|通知|文件|政策|清单|补贴|补助|措施|渠道|途径|办法|有哪些|有什么|有啥|都有|哪些|什么|发我|给我|看看|看下|一下|就业|创业|服务|帮扶|求助|找工作|工作|招聘|岗位|北京|毕业生|我|想|要|能|可以|吗|呢|啊|的|了|请问|列表|所有|全部|介绍|说说|讲讲|了解")


FACET_WORDS = re.compile("|".join(FACET_CUES.values()), re.IGNORECASE)


def content_words(text: str) -> str:
    """What a message says beyond asking for a list: empty for “就业创业政策清单发我看看”."""
    return re.sub(r"[\W_\d]+", "", LIST_WORDS.sub("", text))


# what is left of “他说想先见习”, “孩子想去参加见习 可以吗” once the programme's name is taken out
WANTS_TO_JOIN = re.compile(r"^(?:那)?(?:他|她|孩子|我孩子|我家孩子|我女儿|我儿子|闺女|儿子|女儿)(?:说)?(?:想|打算|准备|要)(?:先|要)?"
                           r"(?:去|参加|报名|做|搞|试试)?(?:可以吗|行吗|能行吗|行不行|可以不|能去吗|成吗)?$")
NO_APPLICATION = re.compile(r"免申|无需申请|不用申请|不需要申请")  # a subsidy paid without being applied for
# “有没有专门帮扶”: a yes/no question a help situation's answer answers yes
CAN_COMPLAIN = re.compile(r"(?:能|可以|可不可以|能不能)(?:去)?(?:投诉|举报|维权|告)(?:他们|他|它|公司|单位)?[吗么嘛]?$")  # “我能投诉吗”
HAS_HELP = re.compile(r"(?:有没有|有无)[^，。？?]{0,8}(?:帮扶|帮助|帮忙|政策|支持|照顾|优惠|扶持)|有[^，。？?没什么啥哪]{0,8}(?:帮扶|帮助|政策|支持|照顾|优惠|扶持)[吗么嘛][？?]?$")
SUBJECT_DEALT = re.compile(r"(?:档案|户口|户籍|报到证|党组织关系)(?:该|要|应该|得)?(?:咋办|怎么办|咋弄|怎么弄|怎么处理|如何处理)")
# how the bureau came to have one's number or data
DATA_ORIGIN = re.compile(r"怎么(?:会)?(?:有|知道|拿到|弄到|搞到)(?:了)?我(?:的)?(?:电话|号码|手机|信息|资料|联系方式)|"
                         r"(?:从哪|哪里|哪儿)(?:弄|拿|搞|得|来)(?:到|的)?(?:了)?我(?:的)?(?:电话|号码|手机|信息|资料)|我的(?:电话|号码|信息|数据)(?:是)?(?:从)?哪(?:来|里来|儿来)")
WANTS_A_POST = re.compile(r"(?:想|要|得)(?:找|寻|去找)(?:个|份|一个|一份)?(?:见习|实习)(?:岗位|机会|单位|的地方)?")
OTHERS_ASKED = re.compile(r"别的|其他|其它|另外的|还有(?:什么|啥|哪些|没有)")
WHY = re.compile(r"为啥|为什么|图啥|图什么|干嘛用|干啥用|做什么用|有啥用|有什么用|目的")
# where the jobs are (not “我暂时真不想找工作”)
JOB_HUNT = re.compile(r"(?<!不想)(?<!不要)(?<!不用)(?<!没想)(?<!不急着)找(?:个|份)?(?:靠谱的?|好点?的|正规的?|合适的?)?(?:工作|岗位|活儿?|实习|班上)|(?:工作|岗位|招聘会?|招聘信息)(?:在哪|去哪|哪里)")
IN_TIME = re.compile(r"还有效|有效吗|过期了|结束了吗|还算数吗|还作数吗|赶得上|赶不上|赶得及|来得及|来不及|还赶趟|晚不晚|晚了吗|晚了没")  # whether it is too late, or still in force
# a question about the hotline itself: when it answers, what it takes
HOTLINE_ASKED = re.compile(r"12333[^，。,.?？]{0,6}(?:能打|打得通|几点|什么时候|时间|24小时|晚上|周末|节假日|投诉|举报|人工|收费|要钱|免费|"
                           r"能干|干啥|干什么|干嘛|是干|管什么|管啥|能做|能办|能问|是什么|是啥|有什么用|有啥用)")


# what the assistant will not do, and abuse: a polite answer saying so, not a guess at a policy
IMPROPER = re.compile(r"(?:帮我|给我|替我|能不能|能否|可不可以|可以|想)[^，。？?!！]{0,8}(?:假的?|伪造|造假|作假)|走后门|托关系|钱好说|塞钱|"
                      r"像真的|跟真的一样|和真的一样|以假乱真|"  # “帮我弄一张学位证，做得像真的就行”
                      r"刷补贴|多领几份|多领几次|冒领|骗补|套取补贴|套补贴|"  # “写个脚本批量刷补贴申请，多领几份”
                      r"(?:同学|室友|朋友|别人|他人|某人)[^，。？?!！]{0,12}(?:身份证|手机号|电话|住址)[^，。？?!！]{0,8}(?:发给我|告诉我|给我)|"
                      r"(?:查|找|要|打听)[^，。？?!！]{0,6}(?:别人|他人|前男友|前女友|男朋友|女朋友|前任|某人)[^，。？?!！]{0,10}"
                      r"(?:手机|电话|身份证|住址|地址|信息|在哪|哪家|公司|单位|上班)")
NOT_OURS = re.compile(r"代写|代考|替考|枪手|(?:帮我|给我|替我)[^，。？?!！]{0,4}写[^，。？?!！]{0,4}(?:论文|作业|代码|报告|小说)")
NOT_OURS_ANSWER = ("抱歉，这个我帮不了：代写论文、作业这类事不是就业服务。我能回答离校未就业毕业生的就业政策、求助途径、"
                   "招聘渠道和服务机构方面的问题，也可以帮你做求职登记。")
# everyday matters outside employment services (not “游戏公司招人吗”: a job wish)
WORLD = re.compile(r"天气|下雨|下雪|气温|雾霾|空气质量|彩票|双色球|算命|星座|运势|炒股|股票|外卖|菜谱|怎么做菜|weather")
WORK_WORDS = re.compile(r"工作|岗位|招聘|就业|公司|单位|补贴|见习|培训|行业")
FORTUNE = re.compile(r"算命|命里|八字|运势|星座|塔罗|风水|占卜|生辰|算一卦|算卦")  # “帮我算算今年命里能不能找到工作”, job or not
# writing or polishing the asker's own papers (“帮我改改简历”): career guidance does that, not the chat
PAPERS = re.compile(r"(?:帮我|给我|替我|帮忙|你能|能不能|能否|可以|可不可以)[^，。？?!！]{0,4}(?:写|改|修改|优化|润色|美化|弄|做)[^，。？?!！]{0,4}"
                    r"(?:简历|求职信|自荐信|推荐信|个人陈述)")
PAPERS_ANSWER = ("抱歉，写、改简历这类事我做不了。想找人帮着做求职准备，可以找所在区公共就业服务机构的职业指导（通知 五（八）："
                 "想就业的至少1次职业指导），做完求职登记工作人员会联系你。我能回答就业政策、求助途径、招聘渠道和服务机构方面的问题。")
ABUSE = re.compile(r"屁用|摆设|(?:真|就是个?|太)垃圾|垃圾[！!。.~～]*$|破系统|废物|没用的东西|傻[逼Bb叉]|智障")
IMPROPER_ANSWER = ("抱歉，这个我不能帮你：伪造材料、走关系安排岗位或查询他人的个人信息都不行。"
                   "找工作可以走正规渠道：做求职登记、参加招聘活动、公开招聘和就业见习，我可以告诉你怎么办。")
ABUSE_ANSWER = ("抱歉没帮上你。可以直接说遇到的具体问题（比如“见习补贴怎么领”），或回复“转人工”找工作人员，"
                "也可以拨打12333咨询、投诉。")


def refused(text: str) -> str:
    """The polite answer to a request the assistant will not do, or to abuse; empty otherwise."""
    text = normalize_chars(text)
    if IMPROPER.search(text):
        return IMPROPER_ANSWER
    if NOT_OURS.search(text):
        return NOT_OURS_ANSWER
    if PAPERS.search(text):
        return PAPERS_ANSWER
    if ABUSE.search(text) and len(text) <= 40:
        return ABUSE_ANSWER
    return ""


REMAINING = re.compile(r"还剩|剩下|剩了|还有哪些|还订了|现在订了|订了哪些|订了啥|订了什么")  # what is still subscribed
SUBSCRIPTION_FOLLOW_UP = re.compile(r"订|再加|加上|加一个|加个|也要|也订")  # “再加个海淀的” right after subscribing


def _names_place(knowledge: KnowledgeBase, text: str) -> bool:
    return bool(knowledge.district_index.find(text))


def _names_other(knowledge: KnowledgeBase, text: str) -> bool:
    """Whether the message names an institution kind or a help route: a subject of its own."""
    return bool(knowledge.kind_index.find(text) or knowledge.route_index.find(text))


COMBINES = "重复享受 一起 同时 叠加"  # what the unit saying whether two policies combine speaks of


def combining_unit(knowledge: KnowledgeBase, tracker: Tracker, text: str, topics: Sequence[Topic]) -> Optional[Unit]:
    """The unit saying whether the policies named or in play can be had together."""
    named = list(topics) or [t for t in (recent_topic(knowledge, tracker),) if t is not None]
    if not named:
        return None
    names = " ".join(t.name for t in named)
    hits = knowledge.units.search(f"{text} {names} {COMBINES}", limit=2)
    if not hits or hits[0].score < STRONG:
        return None
    unit = hits[0].unit  # only a unit that speaks of every policy asked about: never another pair's rule
    speaks = all(any(name in unit.text for name in [t.name, *getattr(t, "aliases", [])] if len(name) >= 2) for t in named)
    return unit if speaks else None


def recent_topic(knowledge: KnowledgeBase, tracker: Tracker) -> Optional[Topic]:
    """The policy or measure the last answers were about, if given during the graduate's last few
    messages. (answer_ref is set only when it changes, so the latest answer's ref is the slot's
    value, and when it was given is the latest answering action or change of the slot.) An answer
    from no entry in between (a detail, a FAQ: “两个能一起领吗”) leaves the topic in play."""
    topic = _ref_topic(knowledge, str(tracker.get_slot("answer_ref") or ""))
    messages = 0
    latest = True  # still looking for when the slot's current value was last answered
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            messages += 1
            if messages > FOLLOW_UP_TURNS:
                return None
        elif latest and ((event.get("event") == "slot" and event.get("name") == "answer_ref") or (
            event.get("event") == "action" and event.get("name") in ANSWERING_ACTIONS
        )):
            if topic is not None:
                return topic
            latest = False
        elif not latest and event.get("event") == "slot" and event.get("name") == "answer_ref":
            earlier = _ref_topic(knowledge, str(event.get("value") or ""))
            if earlier is not None:
                return earlier
    return None


def _ref_topic(knowledge: KnowledgeBase, ref: str) -> Optional[Topic]:
    kind, _, key = ref.partition(":")
    if kind in ("policy", "eligibility"):
        return knowledge.policies.get(key)
    if kind == "measure":
        return knowledge.measures.get(key)
    if kind == "situation" and key in knowledge.situations and knowledge.situations[key].related:
        # “我想创业，有啥支持” then “贷款能贷多少”: the situation's first policy is in play
        related = knowledge.situations[key].related[0]
        return knowledge.policies.get(related) or knowledge.measures.get(related)
    return None


def topic_ref(topic: Topic) -> str:
    return f"policy:{topic.id}" if isinstance(topic, schema.Policy) else f"measure:{topic.id}"


def unit_ref(knowledge: KnowledgeBase, unit: Unit) -> str:
    """What answer_ref records for a unit: its entry, a measure answered by a policy as that policy."""
    kind, _, key = unit.topic.partition(":")
    measure = knowledge.measures.get(key) if kind == "measure" else None
    if measure is not None and measure.answered_by:
        return f"policy:{measure.answered_by}"
    return unit.topic


def more_buttons(knowledge: KnowledgeBase, topic: Optional[Topic], asked: Sequence[str]) -> List[Button]:
    """“More” for a policy: the fields not yet given, as questions the graduate could type."""
    if not isinstance(topic, schema.Policy):
        return []
    buttons = [text_button(FACET_TITLES[f], f"{topic.name}{FACET_QUESTIONS[f]}") for f in ("who", "how", "where", "until") if f not in asked]
    if topic.eligibility and topic.eligibility.rules:
        buttons.append(text_button("我能享受吗", f"我能享受{topic.name}吗"))
    return buttons[:4]


async def execute(plan: Plan, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
    knowledge = kb()
    if plan.kind == "several":
        events: List[EventType] = []
        if plan.text:  # “是一回事吗”: said first, then each entry
            dispatcher.utter_message(text=plan.text)
        for part in plan.parts:
            events += await execute(part, dispatcher, tracker, domain)
        return events
    if plan.kind == "english":
        return await in_english(knowledge, dispatcher, tracker, domain)
    if plan.kind == "measures":
        from actions.policy import ActionListMeasures  # policy builds on this module

        return await ActionListMeasures().answer(dispatcher, tracker, domain)
    if plan.kind == "out_of_scope":
        from actions.fallback import ActionOutOfScope  # fallback builds on this module

        return await ActionOutOfScope().answer(dispatcher, tracker, domain)
    if plan.kind == "subscribe":
        from actions.subscriptions import ActionSubscribe  # subscriptions builds on this module

        return await ActionSubscribe().answer(dispatcher, tracker, domain)
    if plan.kind == "channels":
        from actions.routes import ActionAnswerJobChannels  # routes builds on this module

        return await ActionAnswerJobChannels().answer(dispatcher, tracker, domain)
    if plan.kind == "subscriptions":
        from actions.subscriptions import ActionListSubscriptions

        return await ActionListSubscriptions().run(dispatcher, tracker, domain)
    if plan.kind == "unknown" and plan.units:
        unit = plan.units[0]
        field = next((FIELD_NAMES[f] for f in plan.facets if f in FIELD_NAMES), "具体信息")
        dispatcher.utter_message(text=f"关于「{_unit_heading(knowledge, unit)}」，{field}目前没有可核实的信息（未核实），请以官方公告为准，"
                                      "或拨打12333咨询。")
        return []  # the topic in play stays
    if plan.kind == "standing":
        dispatcher.utter_message(text=plan.text)
        return []  # the topic in play stays
    if plan.kind == "eligibility":
        from actions.eligibility import ActionCheckEligibility  # eligibility builds on this module

        return await ActionCheckEligibility().answer(dispatcher, tracker, domain)
    if plan.kind == "institution":
        from actions.institution import ActionAnswerInstitution  # institution builds on this module

        return await ActionAnswerInstitution().answer(dispatcher, tracker, domain)
    if plan.kind == "facets" and plan.topic is not None:
        units = facet_units(knowledge, plan.topic, plan.facets, latest_text(tracker))
        buttons = more_buttons(knowledge, plan.topic, plan.facets)
        text = render.units_answer(knowledge, units, plan.topic.name)
        text = yes_first(latest_text(tracker), plan.topic, units) + in_district_named(knowledge, latest_text(tracker), text)
        text = city_wide_note(knowledge, latest_text(tracker), text) + text
        text += unknown_line(unknown_asked(plan.asked or latest_text(tracker), text))
        dispatcher.utter_message(text=text, buttons=buttons or None)
        return answered(tracker, topic_ref(plan.topic), buttons=buttons)
    if plan.kind == "situation" and plan.situation is not None:
        situation = plan.situation
        buttons = [text_button(_topic_name(knowledge, ref), _topic_name(knowledge, ref)) for ref in situation.related][:3]
        if situation.kind == "help" and situation.related and not situation.employer:
            buttons.append(text_button("我符合条件吗", "我符合条件吗"))
        asked = TRAILING_SYMBOLS.sub("", latest_text(tracker))
        yes = "有。" if situation.kind == "help" and HAS_HELP.search(asked) else \
            "可以。" if situation.kind == "rights" and CAN_COMPLAIN.search(asked) else ""
        dispatcher.utter_message(text=yes + render.situation_answer(knowledge, situation), buttons=buttons or None)
        from actions.eligibility import asker_facts, remember  # eligibility builds on this module

        return [*remember(asker_facts(knowledge, tracker)), *answered(tracker, f"situation:{situation.id}", buttons=buttons)]
    if plan.kind == "unit":
        unit = plan.units[0]
        whole = knowledge.units.get(f"{unit.topic}#what") if unit.facet == "point" and WHY.search(latest_text(tracker)) else None
        unit = whole or unit  # “为啥要拿我的信息去比对，图啥”: a clause says what is done, the summary what for
        buttons = more_buttons(knowledge, topic_of(knowledge, unit), [unit.facet])
        return say_unit(knowledge, dispatcher, tracker, unit, buttons=buttons, unknown=unknown_asked(plan.asked or latest_text(tracker), unit.text),
                        lead=plan.text)
    from actions.fallback import remember_unanswered  # fallback builds on this module

    await remember_unanswered(tracker, "unclear")  # a choice offered is a question not yet answered
    buttons = [text_button(u.title, u.question) for u in plan.units] + [text_button("都不是", "菜单")]
    dispatcher.utter_message(text=f"你想问的是下面哪一个？{NONE_OF_THESE}", buttons=buttons)
    return answered(tracker, "clarify", buttons=buttons)


# in English, asking for a person or to register: those features, not an answer
ENGLISH_HUMAN = re.compile(r"\b(?:real person|human|a person|(?:talk|speak) to someone|staff member|an? (?:agent|officer|advisor|adviser))\b", re.IGNORECASE)
THERE = re.compile(r"\bthere\b|\bon (?:it|that|the (?:hotline|line|phone))\b|\bwhen (?:i|you) call\b|\bby phone\b", re.IGNORECASE)
ENGLISH_REGISTER = re.compile(r"\bregist(?:er|ration)\b.*\bjob[ -]?seeker|\bjob[ -]?seeker\b.*\bregist|\bsign (?:me )?up\b", re.IGNORECASE)


async def answer_instead(dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> Optional[List[EventType]]:
    """A message the NLU took for a command that its words do not ask for (“北京现在最低工资是多少” as
    “register”), read as not understood: the answer `understand` finds, or None."""
    plan = understand(kb(), tracker, "action_clarify")
    return None if plan is None else await execute(plan, dispatcher, tracker, domain)


async def in_english(knowledge: KnowledgeBase, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
    text = latest_text(tracker)
    # (“How do I reach a human there?” right after the hotline's answer asks about the hotline too)
    of_hotline = "12333" in text or ("hotline_12333" in str(tracker.get_slot("answer_ref") or "") and THERE.search(text) is not None)
    if of_hotline and ENGLISH_HUMAN.search(text):
        person = knowledge.units.get("detail:hotline_12333_person") or knowledge.units.get("route:hotline_12333")
        if person is not None:  # pressing 1 then 0 reaches a person there
            from actions.english import english_text

            dispatcher.utter_message(text=english_text(knowledge, person))
            return answered(tracker, f"english:{person.id}")
    if ENGLISH_HUMAN.search(text) and not of_hotline:
        from actions.handoff import ActionHandoff  # handoff builds on this module

        dispatcher.utter_message(text="Sure, I'm passing you to the bureau's staff; they answer here (in Chinese or English).")
        return await ActionHandoff().run(dispatcher, tracker, domain)
    if ENGLISH_REGISTER.search(text):
        from actions.registration.action import ActionRegistration  # registration builds on this module

        dispatcher.utter_message(text="The job-seeker registration (求职登记) is in Chinese: first the privacy notice; reply 同意 to agree and start.")
        return await ActionRegistration().run(dispatcher, tracker, domain)
    from actions.english import answer_in_english

    return answer_in_english(knowledge, dispatcher, tracker)


# a date or place asked for exactly (“仲夏之约哪天在哪办”): the clause answers what happens, and
# says once that the date or place is not known
EXACT_WHEN = re.compile(r"哪天|几号|几月几|几月份|哪个月|哪月|具体时间|具体日期|什么时候开始|啥时候开始|哪一天|日期|开始时间|报名时间|考试时间|笔试时间")
EXACT_WHERE = re.compile(r"在哪办|在哪举办|在哪儿办|在哪里办|在哪举行|地点|地址|在哪开")
# what an answer must hold to answer them: a day (not a year or “常态化”), a place
EXACT_EVIDENCE = {"日期": r"\d+月\d+日|\d+日|\d+号|年底|月底|中旬|上旬|下旬|即日起|\d+月[—-]\d+月",
                  "地点": EVIDENCE["where"], "频率": r"每月|每周|每天|每年|定期|常态化|随时|\d+天一次"}
# how often (“多久打一次”, “多久更新一次”): a rhythm the answer must state
EXACT_OFTEN = re.compile(r"多久(?:[\u4e00-\u9fff]{0,2})一次|多长时间一次|几天一次|多久更新|频率|隔多久")
EXACT_NAMES = (("日期", EXACT_WHEN), ("地点", EXACT_WHERE), ("频率", EXACT_OFTEN))
SOURCE_NOTE = re.compile(r"（?来源：[^\n]*")


def last_named_first(situations: Sequence[schema.Situation], text: str) -> List[schema.Situation]:
    """Situations ordered by where the message last names them, latest first."""
    key = normalize_key(text)
    return sorted(situations, key=lambda s: -max(key.rfind(normalize_key(name)) for name in [s.name, *s.aliases] if name))


LIST_ASKED = re.compile(r"哪些|哪几|都有什么|都有啥|有什么东西|什么东西")
QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,12})[”\"」』]")


def quoted_clause(knowledge: KnowledgeBase, text: str) -> Optional[Unit]:
    """A clause of the notice (or a detail) ranked first, surely, for a message quoting a term that
    names no entry (“两清”, “打包办”): the asker quotes the notice, so the clause outweighs a field of
    the entry the message also names."""
    quoted = QUOTED.findall(normalize_chars(text))
    if not quoted or any(knowledge.topics_in(term) or CAMPAIGN_WORDS.search(term) for term in quoted):
        return None
    hits = knowledge.units.search(text, limit=4)
    runner_up = next((hit.score for hit in hits[1:] if hit.unit.topic != hits[0].unit.topic), 0.0) if hits else 0.0
    if not hits or hits[0].score < STRONG or hits[0].score < CLEAR_MARGIN * runner_up:
        return None  # (clauses of one measure close together do not make it less sure)
    best = hits[0].unit
    if best.facet == "point":  # (“要求“亮出”哪些东西”: every clause of the measure that says it, i.e. the measure)
        saying = [u for u in knowledge.units.of_topic(best.topic) if u.facet == "point" and any(term in u.text for term in quoted)]
        whole = knowledge.units.get(f"{best.topic}#what")
        return whole if len(saying) >= 2 and whole is not None and LIST_ASKED.search(text) else best
    return best if best.topic.startswith("detail:") else None


# an organisation asking whether it may host trainees (not a graduate asking to join one)
HOSTS_TRAINEES = re.compile(r"(?:设立?|设置|开设|招收?|接收|收|提供|申请设立?|申请)(?:几个|一些|点|些)?(?:就业)?见习(?:岗位|生|人员|的)?|"
                            r"(?:当|做|成为|作为)见习(?:单位|基地)")
ORGANISATION = re.compile(r"我们|我司|我单位|本单位|公司|企业|单位|组织|项目组|课题组|机构|协会|基金会|民非|事业单位")
HOST_KINDS = ("企事业单位", "企业", "公司", "事业单位", "社会组织", "民非", "政府投资项目", "科研项目", "项目组", "课题组")
HOST_YES_NO = re.compile(r"能不能|可不可以|行不行|能否|可以吗|能吗|行吗|[能可以行][^，。？?]{0,10}[吗么][？?。！!\s]*$")


def hosting_traineeships(knowledge: KnowledgeBase, text: str) -> Optional[Plan]:
    """Who may set up traineeship posts, for an organisation asking whether it may; “可以。” first when
    the kind of organisation it says it is is among them."""
    unit = knowledge.units.get("policy:traineeship#what")
    if unit is None or not HOSTS_TRAINEES.search(text) or not ORGANISATION.search(text) or not QUESTION.search(text) \
            or asked_facets(text):  # (“怎么申请设立见习岗位”, “需要什么条件”: the field asked)
        return None
    named = [kind for kind in HOST_KINDS if kind in text]
    listed = unit.text.replace("企事业单位", "企业 事业单位 企事业单位")
    host = {"民非": "社会组织", "项目组": "科研项目", "课题组": "科研项目", "公司": "企业"}
    yes = bool(named) and all(host.get(kind, kind) in listed for kind in named)
    return Plan("unit", units=[unit], text="可以。" if yes and HOST_YES_NO.search(text) else "")


NEXT_STEP = re.compile(r"以后|之后|然后|接下来|下一步|后续|再往后")
NEXT_STEP_WORDS = 10  # characters a “what next” may say besides (“交接会做什么处理”)


def what_follows(knowledge: KnowledgeBase, tracker: Tracker, text: str) -> Optional[Plan]:
    """A short “what happens next” after a clause of a measure: the measure as a whole, every step."""
    ref = str(tracker.get_slot("answer_ref") or "")
    if not ref.startswith("measure:") or not NEXT_STEP.search(text) or knowledge.topics_in(text) \
            or len(content_words(NEXT_STEP.sub("", text))) > NEXT_STEP_WORDS:
        return None
    whole = knowledge.units.get(f"{ref}#what")
    said = last_bot_text(tracker)
    if whole is None or whole.text in said:
        return None  # the whole measure was the answer already: retrieval reads the question
    return Plan("unit", units=[whole])


def last_bot_text(tracker: Tracker) -> str:
    return next((str(event.get("text") or "") for event in reversed(tracker.events) if event.get("event") == "bot"), "")


# a traineeship ended early by a contract: the host keeps the rest of the subsidy (通知 五（五）)
EARLY_CONTRACT = re.compile(r"见习[^，。？?]{0,4}(?:没满|未满|还没满|没到期|还没到期|没结束|还没结束|到一半|一半)[^？?]{0,16}签[^，。？?]{0,4}合同|"
                            r"签[^，。？?]{0,6}合同[^？?]{0,10}见习[^，。？?]{0,4}(?:没满|未满|还没满|没到期|没结束)")
WEB_ADDRESS = re.compile(r"网址|网站|链接|域名|url|website", re.IGNORECASE)


def materials_unlisted(knowledge: KnowledgeBase, tracker: Tracker, text: str) -> Optional[Plan]:
    """Materials asked, briefly, right after a detail, FAQ or route answer that lists none: said so once."""
    entry = knowledge.units.get(str(tracker.get_slot("answer_ref") or ""))
    if entry is None or not entry.topic.startswith(("faq:", "detail:", "route:")) or knowledge.topics_in(text) \
            or asked_facets(text) != ["materials"] or len(content_words(text)) > FOLLOW_UP_SHORT \
            or re.search(r"材料|证件|证明|身份证|带上|携带", entry.text):
        return None
    return Plan("standing", text=f"{NO_MATERIALS}。")


def exact_date_follow_up(knowledge: KnowledgeBase, tracker: Tracker, text: str) -> Optional[Plan]:
    """A bare “具体哪天” about the entry just answered: that entry (the reply says once that the day is
    not known when its text holds none)."""
    if not EXACT_WHEN.search(text) or knowledge.topics_in(text) or len(content_words(EXACT_WHEN.sub("", text))) > 2:
        return None
    ref = str(tracker.get_slot("answer_ref") or "")
    if not ref.startswith(("measure:", "policy:", "detail:", "faq:", "route:")):
        return None
    unit = knowledge.units.get(f"{ref}#what") or knowledge.units.get(ref)
    return Plan("unit", units=[unit]) if unit is not None else None


# “低保户算困难家庭吗”: whether something counts, asked of an entry
COUNTS_AS = re.compile(r"^(?:那|请问)?(?:我|我们|我家|家里)?(?:是)?(.{2,8}?)(?:也)?(?:算不算|算|属于|属不属于|包括|包不包括|在不在)")


CONFIRM_ASKED = re.compile(r"是不是|是否|对吗|对不对|[吗么][？?。!！\s]*$")
QUANTITY = re.compile(r"\d+(?:\s*[-—~～到至]\s*\d+)?\s*(?:个月|次|个|年|岁|元|天|项|周)")


def yes_first(text: str, topic: Optional[Topic], units: Sequence[Unit]) -> str:
    """“算。” or “是的。” before an answer that bears out what a yes/no question says."""
    return counted_in(text, topic, units) or count_confirmed(text, units)


def count_confirmed(text: str, units: Sequence[Unit]) -> str:
    """“是的。” when a yes/no question states counts (“是不是至少能有3次岗位推介”) and the answer says each."""
    text = normalize_chars(TRAILING_SYMBOLS.sub("", text))
    # each count with what it counts (“3次岗位”): “过了35岁是不是就没人管了” states no count the answer bears out
    counts = [re.sub(r"\s+", "", match.group(0)) for match in re.finditer(QUANTITY.pattern + r"[\u4e00-\u9fff]{2}", text)]
    if not counts or not CONFIRM_ASKED.search(text):
        return ""
    said = "".join(u.text for u in units)
    if UNFIRM.search(said):  # “见习补贴每月2200元吗”: a 2019 figure, or a reported one, is not a yes
        return ""
    return "是的。" if all(count in said for count in counts) else ""


UNFIRM = re.compile(r"未核实|报道|以官方|据北京20\d\d年")


def counted_in(text: str, topic: Optional[Topic], units: Sequence[Unit]) -> str:
    """“算。” first when a yes/no question asks whether something counts and the fields answering it
    name that thing (“低保户算困难家庭吗”: the field lists 低保)."""
    match = COUNTS_AS.search(normalize_chars(text))
    if match is None or not YES_NO.search(TRAILING_SYMBOLS.sub("", text)) or not any(u.facet == "who" for u in units):
        return ""
    subject = re.sub(r"(?:户|家庭|的)$", "", match.group(1))
    if len(subject) < 2 or (topic is not None and subject in topic.name):
        return ""
    return "算。" if any(subject in u.text for u in units) else ""


def unknown_asked(text: str, answer: str) -> List[str]:
    """The exact dates or places a message asks for that the answer to it does not hold."""
    answer = SOURCE_NOTE.sub("", answer)
    unknown = [name for name, asked in EXACT_NAMES if asked.search(text) and not re.search(EXACT_EVIDENCE[name], answer)]
    later = sorted({int(year) for year in re.findall(r"(?<!\d)(20\d\d)\s*年(?![^，。？?]{0,3}(?:毕业|届|出生|生的))", text)} - {int(y) for y in re.findall(r"20\d\d", answer)})
    later = [year for year in later if year > kb().notice.reference_year]
    if later:  # “见习补贴政策2023年还延续吗”: the sources end with the campaign's year
        unknown.append(f"{later[0]}年及以后的安排")
    return unknown


def unknown_line(unknown: Sequence[str]) -> str:
    return f"\n具体{'和'.join(unknown)}目前没有可核实的信息（未核实），请以官方公告为准，或拨打12333咨询。" if unknown else ""


def say_unit(
    knowledge: KnowledgeBase, dispatcher: CollectingDispatcher, tracker: Tracker, unit: Unit,
    heading: Optional[str] = None, buttons: Sequence[Button] = (), unknown: Sequence[str] = (), lead: str = "",
) -> List[EventType]:
    """One answer unit said with its sources (and buttons), and recorded as the answer given; what
    the graduate asked that it does not hold (a date, a place) said once to be unknown."""
    text = render.units_answer(knowledge, [unit], heading or _unit_heading(knowledge, unit))
    text = (lead or yes_first(latest_text(tracker), topic_of(knowledge, unit), [unit])) + in_district_named(knowledge, latest_text(tracker), text)
    text = city_wide_note(knowledge, latest_text(tracker), text) + text
    text += unknown_line(unknown)
    dispatcher.utter_message(text=text, buttons=list(buttons) or None)
    return answered(tracker, unit_ref(knowledge, unit), buttons=list(buttons))


LOCAL_OFFICE = "所在区人社局"


def in_district_named(knowledge: KnowledgeBase, message: str, text: str) -> str:
    """“石景山的，困难家庭帮扶找谁”: the district's own bureau where the answer says 所在区人社局."""
    districts = knowledge.district_index.find(message)
    if len(districts) != 1 or LOCAL_OFFICE not in text:
        return text
    district = districts[0]
    office = f"{district}人社局" if district.endswith("区") else f"{district}（所在区人社部门）"
    return text.replace(LOCAL_OFFICE, office, 1)


def city_wide_note(knowledge: KnowledgeBase, message: str, text: str) -> str:
    """“那朝阳的呢” answered by a unit about the whole city: said so first."""
    districts = knowledge.district_index.find(message)
    if len(districts) != 1 or districts[0] in text:
        return ""
    return f"（通知没有单独写{districts[0]}的安排，下面是全市的。）\n"


def facet_units(knowledge: KnowledgeBase, topic: Topic, facets: Sequence[str], text: str) -> List[Unit]:
    """The units of `topic` for the fields asked; a field the entry does not have gives its summary.
    A measure has clauses, not fields: the clause that best matches the question."""
    ref = topic_ref(topic)
    if isinstance(topic, schema.Measure):
        if "phone" in facets:  # “电话呢” after a measure: it has no number of its own, the hotline answers
            return [unit for unit in [knowledge.units.get("route:hotline_12333")] if unit]
        hits = knowledge.units.search(text, limit=1, allowed=lambda unit: unit.topic == ref and unit.facet == "point")
        return [hits[0].unit] if hits else [u for u in [knowledge.units.get(f"{ref}#what")] if u]
    units: List[Unit] = []
    for facet in facets:
        wanted = {"phone": "where"}.get(facet, facet)
        if wanted == "amount" and knowledge.units.get(f"{ref}#amount") is None and isinstance(topic, schema.Policy):
            # “贷款能贷多少” of an entry with no amount at all: say it is not known, then what is
            units += [no_amount(topic), *[u for u in [knowledge.units.get(f"{ref}#benefit") or knowledge.units.get(f"{ref}#what")] if u]]
            continue
        unit = knowledge.units.get(f"{ref}#{wanted}") or knowledge.units.get(f"{ref}#{FALLBACK_FACET.get(wanted, '')}")
        if unit is None:
            continue
        how = knowledge.units.get(f"{ref}#how")
        if facet == "where" and how is not None and NO_APPLICATION.search(how.text):
            units.append(how)  # “要去哪申请” of a subsidy paid without an application: that first
        units.append(unit)
        if facet == "amount" and unit.missing:  # the amount is not known: what is known is
            units.append(knowledge.units.get(f"{ref}#benefit") or unit)
        if facet == "phone":
            units.append(knowledge.units.get("route:hotline_12333") or unit)
    units = list(dict.fromkeys(units))
    if not units:
        fallback = knowledge.units.get(f"{ref}#what")
        units = [fallback] if fallback else []
    return units[:2]


def no_amount(policy: schema.Policy) -> Unit:
    ref = f"policy:{policy.id}"
    return Unit(
        id=f"{ref}#amount", topic=ref, facet="amount", title=f"{policy.name}{FACET_QUESTIONS['amount']}",
        question=f"{policy.name}{FACET_QUESTIONS['amount']}", text=f"{policy.name}的具体金额或额度，北京的标准未核实",
        sources=tuple(policy.sources), missing=True,
    )


def topic_of(knowledge: KnowledgeBase, unit: Unit) -> Optional[Topic]:
    kind, _, key = unit.topic.partition(":")
    if kind == "policy":
        return knowledge.policies.get(key)
    if kind == "measure" and key in knowledge.measures:
        return knowledge.topic(knowledge.measures[key].name)
    return None


FALLBACK_FACET = {"amount": "what", "recipient": "who", "materials": "how"}
FIELD_NAMES = {"url": "网址", "when": "时间", "until": "截止时间", "where": "办理地点", "phone": "电话", "amount": "金额或名额", "materials": "所需材料", "how": "办理方式"}


def _topic_name(knowledge: KnowledgeBase, ref: str) -> str:
    key = ref.partition(":")[2] or ref
    if key in knowledge.policies:
        return knowledge.policies[key].name
    if key in knowledge.measures:
        return knowledge.measures[key].name
    return key


def _unit_heading(knowledge: KnowledgeBase, unit: Unit) -> str:
    kind, _, key = unit.topic.partition(":")
    if kind in ("policy", "measure"):
        return _topic_name(knowledge, key)
    return unit.title


COUNT_ASKED = re.compile(r"几个|几次|多少个|多少次|几份")


def counts_in_play(tracker: Tracker, text: str) -> bool:
    """A short question of how many (“能给几个工作机会”) right after the help for a situation or an
    entry: asked of what was just said."""
    ref = str(tracker.get_slot("answer_ref") or "")
    return ref.startswith(("situation:", "policy:", "measure:")) and bool(COUNT_ASKED.search(text)) \
        and len(content_words(text)) <= SHORT


class KnowledgeAction(Action, metaclass=ABCMeta):
    """An action that answers a knowledge question; `understand` may answer it better first.
    (Abstract: rasa-sdk registers only concrete actions.)"""

    @abstractmethod
    def name(self) -> str:
        ...

    # words that only this feature's questions use: a message with them is always this action's;
    # an action that sets them is in doubt about messages without them (the NLU may have erred)
    keeps: Optional["re.Pattern[str]"] = None

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        text = latest_text(tracker)
        speller = kb().units.speller
        read = speller.from_pinyin(text) if speller is not None and not tracker.get_slot("choice") else None
        if read:  # “kuogang buzhu duoshao qian”: typed in pinyin, answered as the Chinese it spells
            return await self.in_pinyin(dispatcher, tracker, domain, read)
        if tracker.get_slot("answer_ref") == "registration:declined":
            from actions.registration.action import ActionRegistration, declined_just_now

            if declined_just_now(tracker, text):  # “好吧，同意” right after declining the registration
                return await ActionRegistration().agreed_after_all(dispatcher, tracker)
        if self.keeps is not None and (self.keeps.search(text) or (
            current_request(tracker).values("notice_kind") and decisive_unit(kb(), text) is None  # not “哪些单位可以设见习岗位”
            and kb().units.asked_exactly(text) is None  # (a way of asking written down for a unit, word for word)
            and not counts_in_play(tracker, text)  # not “能给几个工作机会” after the help for a hardship family
        )) and (not QUESTION.search(text) or asked_detail(kb(), kb().spelled(text)) is None):  # not “招聘会现在还搞线下的吗”: a detail entry's
            return await self.answer(dispatcher, tracker, domain)
        plan = understand(kb(), tracker, self.name(), doubtful=self.keeps is not None)
        if plan is not None:
            return [*await execute(plan, dispatcher, tracker, domain), *self.after_other_answer()]
        return await self.answer(dispatcher, tracker, domain)

    async def in_pinyin(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any], read: str) -> List[EventType]:
        typed = tracker.latest_message
        tracker.latest_message = {**(typed or {}), "text": read, "entities": [], "intent": {"name": "nlu_fallback", "confidence": 0.0}}
        plan = understand(kb(), tracker, "action_clarify")
        if plan is None:
            tracker.latest_message = typed
            return await self.answer(dispatcher, tracker, domain)
        dispatcher.utter_message(text=f"（按拼音理解为：{read}）")
        return [*await execute(plan, dispatcher, tracker, domain), *self.after_other_answer()]

    @abstractmethod
    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        """The action's own answer for its feature."""

    def after_other_answer(self) -> List[EventType]:
        """Events this action's rule expects even when another answer was given (the FAQ's slot)."""
        return []
