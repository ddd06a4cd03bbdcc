"""Handoff to a person: a graduate's case in the staff console's queue, the conversation so far,
staff replies delivered on the graduate's channel, and the assistant quiet until the case closes."""
