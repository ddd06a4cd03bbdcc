"""Custom actions: every answer is composed here from the knowledge base at answer time."""
