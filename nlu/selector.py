"""Rasa's ResponseSelector, run only for the messages that may need its answer.

The selector picks the FAQ entry (faq/…) or the small-talk reply (chitchat/…) for a message; Rasa
runs it on every message, a second TensorFlow model call that costs about an eighth of a turn.
Its pick is read only when the message is a FAQ or small-talk question (actions/faq.py, Rasa's
`utter_chitchat`), or when the assistant is unsure and offers its two best guesses, one of which
may be a FAQ entry (actions/fallback.py, which looks at intents of confidence 0.1 or more). So it
runs when the intent classifier, which comes before it in the pipeline, gives a retrieval intent
that confidence or more; a registration answer, a subscription command or a policy question gets
no `response_selector` in its parse result. What it predicts, when it runs, is unchanged.
"""
from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

MIN_CONFIDENCE = 0.1  # actions/fallback.py offers guesses from this confidence up


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SelectiveResponseSelector(ResponseSelector):
    def process(self, messages: List[Message]) -> List[Message]:
        needed = [message for message in messages if self.may_need(message)]
        if needed:
            super().process(needed)
        return messages

    def may_need(self, message: Message) -> bool:
        """Whether the intent classifier gives a retrieval intent (faq, chitchat) a chance."""
        retrieval = set(self.all_retrieval_intents)
        top = message.get(INTENT) or {}
        if top.get(INTENT_NAME_KEY) in retrieval:
            return True
        return any(item.get(INTENT_NAME_KEY) in retrieval and (item.get(PREDICTED_CONFIDENCE_KEY) or 0) >= MIN_CONFIDENCE
                   for item in message.get(INTENT_RANKING_KEY) or [])
