"""Dialogue policy for multi-turn tasks run by one custom action (registration, deletion).

While the slot `active_task` names an action, every message the graduate sends goes to that
action, whatever the NLU made of it: the action knows which question is pending and decides
whether the message answers it, asks something aside, corrects an earlier answer or cancels.
Outside a task this policy predicts nothing and the rules decide as before.

It outranks RulePolicy (priority 5 vs 4), so the FallbackClassifier's low-confidence rule does not
interrupt a task either: a name like “王芳” is often low-confidence for the NLU and is still an
answer. Rasa's own commands (/restart, /session_start) are left to the rules.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, USER_INTENT_BACK, USER_INTENT_RESTART, USER_INTENT_SESSION_START
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from policy_kb.text import is_english

TASK_SLOT = "active_task"
# a message in English, which the NLU (trained on Chinese) cannot classify: a knowledge action,
# which answers it in English from the knowledge base (actions/answer.py, actions/english.py)
ENGLISH_ACTION = "action_out_of_scope"
RASA_COMMANDS = {USER_INTENT_RESTART, USER_INTENT_BACK, USER_INTENT_SESSION_START}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class ActiveTaskPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": 5}

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_AND_RULE_DATA

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Optional[Any] = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource  # nothing to learn

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = ACTION_LISTEN_NAME if self._ran_last(tracker) else self._next_action(tracker, domain)
        if action is not None:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)

    @staticmethod
    def _next_action(tracker: DialogueStateTracker, domain: Domain) -> Optional[str]:
        task = tracker.get_slot(TASK_SLOT)
        if not isinstance(task, str) or task not in domain.action_names_or_texts:
            return ENGLISH_ACTION if _in_english(tracker) and ENGLISH_ACTION in domain.action_names_or_texts else None
        if tracker.latest_action_name == ACTION_LISTEN_NAME:
            intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
            return None if intent in RASA_COMMANDS else task
        return None

    def _ran_last(self, tracker: DialogueStateTracker) -> bool:
        return _ran_last(tracker, type(self).__name__)


def _in_english(tracker: DialogueStateTracker) -> bool:
    if tracker.latest_action_name != ACTION_LISTEN_NAME or tracker.latest_message is None:
        return False
    intent = (tracker.latest_message.intent or {}).get("name")
    return intent not in RASA_COMMANDS and is_english(tracker.latest_message.text or "")


def _ran_last(tracker: DialogueStateTracker, policy: str) -> bool:
    """Whether the latest action was one this policy predicted (the task may have just ended)."""
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecuted):
            return event.action_name != ACTION_LISTEN_NAME and event.policy == policy
    return False
