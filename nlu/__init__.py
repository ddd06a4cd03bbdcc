"""Rasa training data (domain/, data/, generated/), the custom NLU and dialogue components
(tokenizer, selector, task_policy) and, under server/, the Rasa server's plug-ins."""
