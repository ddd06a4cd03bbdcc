"""Jieba tokenizer that first folds traditional characters, full-width forms and case, and
corrects homophone typos of the knowledge base's terms.

Graduates write 見習補貼 as often as 见习补贴, and 间习不贴 for it with a pinyin keyboard; the
tokens (and so every featurizer after them) see 见习补贴, while offsets still point into the
original text, so extracted entities keep what the graduate wrote.
"""
from __future__ import annotations

import glob
from typing import List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from policy_kb.spelling import CORE_TERMS, Speller
from policy_kb.text import normalize_chars


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class NormalizingJiebaTokenizer(JiebaTokenizer):
    speller: Optional[Speller] = None  # from the user dictionary (the knowledge base's names)

    @staticmethod
    def _load_custom_dictionary(path: Text) -> None:
        JiebaTokenizer._load_custom_dictionary(path)
        terms: List[str] = list(CORE_TERMS)
        for name in glob.glob(f"{path}/*"):
            with open(name, encoding="utf-8") as lines:
                terms += [line.split()[0] for line in lines if line.strip()]
        NormalizingJiebaTokenizer.speller = Speller(terms)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        import jieba

        original = message.get(attribute)
        normalized = normalize_chars(original)
        if self.speller is not None:
            normalized = self.speller.correct(normalized)
        tokens = [Token(normalized[start:end], start) for (_, start, end) in jieba.tokenize(normalized)]
        return self._apply_token_pattern(tokens)
