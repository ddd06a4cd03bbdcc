"""Where to ask for help (求助途径), where the jobs are (招聘渠道), rights complaints, a person."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from actions.answer import KnowledgeAction
from actions.common import answered, button, latest_text
from actions.knowledge import kb


class ActionAnswerHelpRoutes(KnowledgeAction):
    """A named route (12333, the platform, the mini-program …) or the list of help routes."""

    def name(self) -> str:
        return "action_answer_help_routes"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        knowledge = kb()
        asked = latest_text(tracker)
        named = knowledge.route_index.find(asked)
        if named:
            dispatcher.utter_message(text=render.route_answer(knowledge, named[0]) + registration_hint(asked))
            return answered(tracker, f"route:{named[0].id}")
        text = render.routes_list(knowledge, "help", "找工作遇到困难，可以通过这些途径求助：") + registration_hint(asked)
        buttons = [button("查我所在区的服务机构", "ask_institution"), button("政策清单", "ask_policy")]
        if "登记" in asked:
            buttons.insert(0, button("在这里求职登记", "register"))
        dispatcher.utter_message(text=text, buttons=buttons)
        return answered(tracker, "routes:list", buttons=buttons)


def registration_hint(asked: str) -> str:
    """Asked how to register: this assistant takes registrations itself."""
    return "\n也可以直接在这里做求职登记：回复“求职登记”，几分钟填完。" if "登记" in asked else ""


class ActionAnswerJobChannels(KnowledgeAction):
    """Where the jobs are: public recruitment sites, the platform, job fairs of the campaign."""

    def name(self) -> str:
        return "action_answer_job_channels"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        knowledge = kb()
        named = [r for r in knowledge.route_index.find(latest_text(tracker)) if "jobs" in r.categories]
        if named:
            dispatcher.utter_message(text=render.route_answer(knowledge, named[0]))
            return answered(tracker, f"route:{named[0].id}")
        fairs = knowledge.measures["m7"]
        text = render.routes_list(knowledge, "jobs", "找岗位可以看这些招聘渠道：", extra=fairs)
        buttons = [button("招聘活动详情", "ask_policy", policy=fairs.name), button("就业见习岗位", "ask_policy", policy="就业见习")]
        dispatcher.utter_message(text=text, buttons=buttons)
        return answered(tracker, "channels:list", buttons=buttons)


class ActionAnswerRights(KnowledgeAction):
    """Fake recruitment, discrimination, broken contracts: the notice's rights measure and 12333."""

    def name(self) -> str:
        return "action_answer_rights"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        knowledge = kb()
        rights = knowledge.measures["m9"]
        hotline = knowledge.routes["hotline_12333"]
        text = (
            f"可以维权：拨打{hotline.phone}投诉举报，或向所在区人社局反映；留好招聘信息、聊天记录、合同、付款凭证。"
            f"通知要求：{rights.points[0]}{rights.points[2]}\n"
            f"{render.sources_line(knowledge, [*rights.sources, hotline.sources[0]])}"
        )
        dispatcher.utter_message(text=text)
        return answered(tracker, "rights")


def human_routes_text(knowledge: Any) -> str:
    """How to reach a person outside this chat: 12333 and the district's public employment service
    (the in-chat handoff is actions/handoff.py)."""
    hotline = knowledge.routes["hotline_12333"]
    district = knowledge.routes["district_service"]
    return (
        "需要工作人员帮忙的话：\n"
        f"1. 拨打{hotline.name}：{hotline.phone}（政策咨询、投诉举报）；\n"
        f"2. 找{district.name}：{district.summary}\n"
        f"{render.sources_line(knowledge, [*hotline.sources, *district.sources])}"
    )
