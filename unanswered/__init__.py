"""The questions the assistant could not answer (low confidence, out of scope), kept for staff
who improve the knowledge base: masked, encrypted, grouped by text, marked done when handled."""
