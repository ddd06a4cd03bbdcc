"""Questions in English (international graduates of Beijing's universities): answered from the
same answer units, in English where the knowledge base keeps an English text beside the Chinese."""
from __future__ import annotations

import re
from typing import List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import answered, latest_text, text_button
from policy_kb import KnowledgeBase
from policy_kb.eligibility import Facts, decide
from policy_kb.units import Unit, asked_facets

MIN_SCORE = 0.12  # below: a match on words like “Beijing” or “today” alone (“what's the weather in Beijing today”)
FIELD_ONLY = 3  # words of a follow-up that asks a field and nothing else (“Until when?”, “How much then?”)
SPECIFIC = 0.25  # an English match this sure is about something of its own, not a general “what help is there”
SITUATION_SPECIFIC = 0.2  # a situation matched this surely (“My family lives on dibao. What help …”) is the help asked for
CHINESE_SURE = 0.3  # a Chinese term inside an English question (“Do I still need a 报到证?”) found this surely answers
CHINESE = re.compile(r"[\u4e00-\u9fff]{2,}")
WHAT_CAN_YOU_DO = re.compile(r"\bwhat (?:can|could|do) you (?:do|offer)\b|\bhow (?:can|could) you help\b|\bwhat help\b", re.IGNORECASE)
GREETING = re.compile(r"^\W*(hi|hello|hey|good (morning|afternoon|evening))\b[\w\s,!.?']{0,30}$", re.IGNORECASE)
THANKS = re.compile(r"^\W*(thanks|thank you|thx|bye|goodbye)\b", re.IGNORECASE)
ASKS_AFTER_THANKS = re.compile(r"\?|\b(?:what|where|when|how|who|which|can|could|is|are|do|does)\b", re.IGNORECASE)
INTRO = (
    "I'm the Beijing employment-service assistant for graduates who left school without a job. "
    "In English I can tell you about the 2022 campaign, traineeships, the subsidies, where to get help "
    "and where to find jobs. Registration and the office directory are in Chinese; for anything else call 12333."
)
# the notice's promise (五（八）) to a graduate who asks what the service does for them
PROMISE = ("If you want to work, your district office registers you by real name (求职登记) and gives you at least "
           "1 career-guidance session, 3 job recommendations and 1 training or traineeship opportunity.\nSource: 通知 五（八）")
REFUSAL = "Sorry, I can't help with that. " + INTRO
# writing for the asker (“Can you write my cover letter?”) is no employment service of the bureau's
NOT_OURS = re.compile(r"\b(?:write|draft|edit|polish|improve|fix|proofread|rewrite)\b.{0,30}\b(?:cv|resume|résumé|cover letter|essay|"
                      r"homework|thesis|paper|assignment|application letter)s?\b", re.IGNORECASE)
NOT_OURS_REFUSAL = ("Sorry, I can't write or edit CVs, letters or essays. The district employment service offers career guidance "
                    "(职业指导) if you register as a job seeker. " + INTRO)
SUGGESTIONS = [("Traineeships", "What is the traineeship programme?"), ("Who is served", "Who does the campaign serve?"),
               ("Get help", "Where can I get help?")]
REPORTED = " (as reported in the press; the official documents prevail)"
# the campaign's own time asked (not a policy's deadline: “When does the traineeship subsidy end?”)
CAMPAIGN_WHEN = re.compile(r"^\W*(?:when|how long)\b(?!.*\b(?:subsid|traineeship|loan|training|allowance)).*\bcampaign\b", re.IGNORECASE)
# a district office's address, phone or hours: the directory holds sample entries only
OFFICE_CONTACT = re.compile(r"\b(?:address|phone|telephone|number|contact|opening hours|office hours|open)\b|\bwhere is\b", re.IGNORECASE)
OFFICE = re.compile(r"\b(?:cent(?:re|er)|office|bureau)\b", re.IGNORECASE)
UNVERIFIED_CONTACT = ("The addresses, phone numbers and opening hours of the district offices are not verified yet: "
                      "my directory holds sample entries only. Call the 12333 hotline (24 hours; press 1 then 0 for a person) "
                      "or ask your district human resources and social security bureau (区人社局).")


def answer_in_english(knowledge: KnowledgeBase, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    text = latest_text(tracker)
    buttons = [text_button(title, question) for title, question in SUGGESTIONS]
    thanked = THANKS.search(text)
    if thanked and not ASKS_AFTER_THANKS.search(text[thanked.end():]):
        dispatcher.utter_message(text="You're welcome. Good luck with your job search!")
        return answered(tracker, "english:thanks")
    if thanked:  # “Thanks, what's the platform website?”: the question after the thanks
        text = text[thanked.end():].lstrip(" ,.!;:-")
    if GREETING.match(text):
        dispatcher.utter_message(text=f"Hello! {INTRO}", buttons=buttons)
        return answered(tracker, "english:greet", buttons=buttons)
    if NOT_OURS.search(text):
        dispatcher.utter_message(text=NOT_OURS_REFUSAL, buttons=buttons)
        return answered(tracker, "english:out_of_scope", buttons=buttons)
    specific = knowledge.units.search_english(text, limit=1)
    situation = bool(specific) and specific[0].unit.id.startswith("situation:") and specific[0].score >= SITUATION_SPECIFIC
    if WHAT_CAN_YOU_DO.search(text) and not (specific and specific[0].score >= SPECIFIC) and not situation:
        # “I still don't have a job. What can you do for me?” (not “I'm from a low-income family … what help is there?”)
        dispatcher.utter_message(text=f"{INTRO}\n{PROMISE}", buttons=buttons)
        return answered(tracker, "english:help", buttons=buttons)
    period = knowledge.units.get("faq:period")
    if period is not None and CAMPAIGN_WHEN.search(text):  # “When does Beijing's 2022 campaign … run?”
        dispatcher.utter_message(text=english_text(knowledge, period))
        return answered(tracker, "english:faq:period")
    if OFFICE_CONTACT.search(text) and OFFICE.search(text):  # “What's the phone number of the Haidian … centre?”
        hotline = knowledge.units.get("route:hotline_12333")
        source = f"\nSource: {knowledge.cite(list(hotline.sources))}" if hotline is not None else ""
        dispatcher.utter_message(text=f"{UNVERIFIED_CONTACT}{source}")
        return answered(tracker, "english:office_contact")
    previous = knowledge.units.get(str(tracker.get_slot("answer_ref") or "").partition(":")[2])
    if previous is not None and asked_facets(text) and len(text.split()) <= 6:
        follow_up = [u for u in fields_asked(knowledge, previous, text) if u is not previous]
        if follow_up:  # “Who can apply?” after an answer about traineeships
            dispatcher.utter_message(text="\n".join(english_text(knowledge, unit) for unit in follow_up))
            return answered(tracker, f"english:{follow_up[0].id}")
        chinese_only = [u for f in asked_facets(text) if (u := knowledge.units.get(f"{previous.topic}#{f}")) is not None and u is not previous]
        if chinese_only and len(text.split()) <= FIELD_ONLY:  # (not “Where can I find jobs online?”, a question of its own)  # “Until when?” of a field kept in Chinese only: that field, said so
            unit = chinese_only[0]
            dispatcher.utter_message(text=f"(This answer is only available in Chinese.)\n{unit.text}\n来源：{knowledge.cite(list(unit.sources))}")
            return answered(tracker, f"english:{unit.id}")
    chinese = " ".join(CHINESE.findall(text))
    named = knowledge.units.search(chinese, limit=1) if chinese else []
    if named and named[0].score >= CHINESE_SURE:  # the Chinese term names the unit; said in English where it can be
        unit = fields_asked(knowledge, named[0].unit, text)[0]  # “Who can join a traineeship (就业见习)?”: the field asked
        note = "" if unit.en else "(This answer is only available in Chinese.)\n"
        dispatcher.utter_message(text=english_text(knowledge, unit) if unit.en else f"{note}{unit.text}\n来源：{knowledge.cite(list(unit.sources))}")
        return answered(tracker, f"english:{unit.id}")
    hits = knowledge.units.search_english(text, limit=2)
    if not hits or hits[0].score < MIN_SCORE:
        dispatcher.utter_message(text=REFUSAL, buttons=buttons)
        return answered(tracker, "english:out_of_scope", buttons=buttons)
    units = fields_asked(knowledge, entry_with_field_asked(knowledge, text) or hits[0].unit, text)
    verdict = yes_or_no(knowledge, units[0], text)
    dispatcher.utter_message(text=verdict + "\n".join(english_text(knowledge, unit) for unit in units))
    return answered(tracker, f"english:{units[0].id}")


# “Can I join a traineeship if I graduated 18 months ago?”: a yes/no question about the asker
ASKS_IF_I = re.compile(r"\b(?:can|could|may|am|do|will|would|should)\s+i\b|\bam i (?:eligible|qualified)\b|\bdo i qualify\b", re.IGNORECASE)
WH_QUESTION = re.compile(r"^\W*(?:what|where|when|how|which|who|why)\b|\b(?:what|where|when|how|which|who|why)\s+(?:can|could|do|should)\s+i\b", re.IGNORECASE)
GRADUATED_IN = re.compile(r"\b(?:graduated|graduating|graduate|class of)\D{0,12}?((?:19|20)\d{2})\b|\b((?:19|20)\d{2}) graduate\b", re.IGNORECASE)
GRADUATED_AGO = re.compile(r"\bgraduated\s+(\d{1,2}|one|two|three|four|five|a)\s+(month|year)s?\s+ago\b", re.IGNORECASE)
GRADUATED_RELATIVE = re.compile(r"\bgraduated\s+(this|last)\s+year\b", re.IGNORECASE)
AGE = re.compile(r"\b(?:i'?m|i am|aged?)\s+(\d{2})\b(?!\s*(?:months?|years? ago))|\b(\d{2})[- ]years?[- ]old\b", re.IGNORECASE)
WORD_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def asker_facts(text: str, reference_year: int) -> Facts:
    """The asker's age and graduation year as an English question gives them, counted from the
    campaign's year like the Chinese “毕业一年多”."""
    year = None
    if (found := GRADUATED_IN.search(text)):
        year = int(found.group(1) or found.group(2))
    elif (ago := GRADUATED_AGO.search(text)):
        amount = int(ago.group(1)) if ago.group(1).isdigit() else WORD_NUMBERS[ago.group(1).lower()]
        year = reference_year - (amount // 12 if ago.group(2).lower() == "month" else amount)
    elif (relative := GRADUATED_RELATIVE.search(text)):
        year = reference_year - (1 if relative.group(1).lower() == "last" else 0)
    age = AGE.search(text)
    return Facts(age=int(age.group(1) or age.group(2)) if age else None, grad_year=year)


def yes_or_no(knowledge: KnowledgeBase, unit: Unit, text: str) -> str:
    """“Yes. ” or “No. ” before the answer when the asker asks whether they qualify, the entry has
    rules and what they said decides them; nothing otherwise."""
    kind, _, key = unit.topic.partition(":")
    policy = knowledge.policies.get(key) if kind == "policy" else None
    if policy is None or policy.eligibility is None or not ASKS_IF_I.search(text) or WH_QUESTION.search(text):
        return ""
    decision = decide(policy.eligibility, asker_facts(text, knowledge.notice.reference_year), knowledge.notice.reference_year)
    return {"eligible": "Yes, by what you say you qualify. ", "not_eligible": "By what you say, no. "}.get(decision.outcome, "")


FIELD_RUNNER_UP = 0.6  # a runner-up this close whose entry has the field asked answers instead of the first


def entry_with_field_asked(knowledge: KnowledgeBase, text: str) -> Unit | None:
    """“I graduated in 2021 … Can I still join a traineeship?”: the first close hit whose entry has the
    field asked (who may join), rather than a situation that has none."""
    facets = asked_facets(text)
    if not facets:
        return None
    hits = knowledge.units.search_english(text, limit=4)
    for hit in hits:
        if hit.score < FIELD_RUNNER_UP * hits[0].score:
            break
        has_field = any((field := knowledge.units.get(f"{hit.unit.topic}#{facet}")) is not None and field.en for facet in facets)
        if has_field and (hit is hits[0] or _names_entry(knowledge, hit.unit, text)):
            return hit.unit
    return None


def _names_entry(knowledge: KnowledgeBase, unit: Unit, text: str) -> bool:
    """Whether the question names the unit's entry by one of its English keywords (“traineeship”)."""
    summary = knowledge.units.get(f"{unit.topic}#what") or unit
    keywords = summary.en_search[len(summary.en or ""):].split(" ") if summary.en else []
    words = set(re.findall(r"[a-z]+", text.lower()))
    return any(word in words for word in keywords if len(word) > 4 and word.lower() not in STOP_KEYWORDS)


STOP_KEYWORDS = frozenset("what where which graduate graduates beijing subsidy programme yuan".split())


def fields_asked(knowledge: KnowledgeBase, unit: Unit, text: str) -> List[Unit]:
    """“How much is it and who gets it?”: those fields of the entry found, where it has them in English."""
    asked = [knowledge.units.get(f"{unit.topic}#{facet}") for facet in asked_facets(text)]
    found = [other for other in asked if other is not None and other.en]
    if found and unit.en and unit not in found:
        # “… who gets the remaining traineeship subsidy?”: the unit found says what the fields cued do not
        summary = knowledge.units.get(f"{unit.topic}#what") or unit
        names = _words(summary.en_search[len(summary.en or ""):]) | _words(unit.title)  # “traineeship” names the entry
        words = _words(text) - names
        said, cued = words & _words(unit.en), [words & _words(other.en or "") for other in found]
        if said - set().union(*cued) and all(len(said) > len(other) for other in cued):
            return [unit]
    return list(dict.fromkeys(found))[:2] or [unit]


STOP = frozenset("the and for with that this what who how can get does did are was were will have has from your you our their they them into about when where which there than then also only just still".split())


def _words(text: str) -> set:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3 and w not in STOP}


def english_text(knowledge: KnowledgeBase, unit: Unit) -> str:
    caveat = REPORTED if knowledge.reported(list(unit.sources)) and "report" not in (unit.en or "").lower() else ""
    return f"{unit.en}{caveat}\nSource: {knowledge.cite(list(unit.sources))}"
