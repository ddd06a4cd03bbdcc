"""The knowledge base: the notice, the policy list, help routes, the institution directory, FAQ."""
from policy_kb.kb import KnowledgeBase, Topic
from policy_kb.loader import DEFAULT_DATA_DIR, KBError, load_kb

__all__ = ["DEFAULT_DATA_DIR", "KBError", "KnowledgeBase", "Topic", "load_kb"]
