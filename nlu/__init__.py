"""Rasa training data (domain/, data/, generated/) and the one custom NLU component."""
