"""Jieba tokenizer that first folds traditional characters, full-width forms and case.

Graduates write 見習補貼 as often as 见习补贴; the tokens (and so every featurizer after them)
see the simplified form, while offsets still point into the original text, so extracted
entities keep what the graduate wrote.
"""
from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from policy_kb.text import normalize_chars


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class NormalizingJiebaTokenizer(JiebaTokenizer):
    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        import jieba

        original = message.get(attribute)
        normalized = normalize_chars(original)
        tokens = [Token(normalized[start:end], start) for (_, start, end) in jieba.tokenize(normalized)]
        return self._apply_token_pattern(tokens)
