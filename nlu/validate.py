"""`rasa data validate` over nlu/ where every warning fails, minus one false positive of Rasa 3.6.

Rasa's `--fail-on-warnings` does not fail on every warning it prints (an unused response, for one),
so each UserWarning shown is counted here and any fails the check — except for the responses
actions send themselves (SENT_BY_ACTIONS), which Rasa reports as unused.

Rasa 3.6 merges the retrieval intents it finds in the NLU data (faq, chitchat) into the domain and
then reports them as "duplicated intents ... across multiple domain files", although the domain
must list them for rules to use them. That message alone is filtered, the way Rasa filters its own
expected warnings.
"""
from __future__ import annotations

import sys
import warnings
from typing import Any, List

from rasa.__main__ import main as rasa_main
from rasa.utils.common import EXPECTED_WARNINGS

RETRIEVAL_INTENT_MERGE = "The following duplicated intents have been found across multiple domain files: chitchat, faq$"
# responses an action sends itself (actions/social.py answers a greeting with utter_greet unless it
# is a follow-up in disguise; actions/fallback.py's action_help sends the menu, utter_help, unless the
# message asks something else): no rule names them, which Rasa reports as unused
SENT_BY_ACTIONS = ("utter_greet", "utter_goodbye", "utter_thank", "utter_iamabot", "utter_help")


def main() -> None:
    EXPECTED_WARNINGS.append((UserWarning, RETRIEVAL_INTENT_MERGE))
    for response in SENT_BY_ACTIONS:
        EXPECTED_WARNINGS.append((UserWarning, f"The utterance '{response}' is not used in any story or rule."))
    shown: List[str] = []
    show = warnings.showwarning

    def record(message: Any, category: type, *args: Any, **kwargs: Any) -> None:
        if issubclass(category, UserWarning):
            shown.append(str(message))
        show(message, category, *args, **kwargs)

    warnings.showwarning = record
    sys.argv = [
        "rasa", "data", "validate", "--domain", "nlu/domain", "--data", "nlu/data", "nlu/generated",
        "--config", "config.yml", "--fail-on-warnings", *sys.argv[1:],
    ]
    try:
        rasa_main()
        code: Any = 0
    except SystemExit as exit_:
        code = exit_.code
    if shown:
        print(f"validation failed: {len(shown)} warning(s), first: {shown[0]}", file=sys.stderr)
        code = code or 1
    sys.exit(code)


if __name__ == "__main__":
    main()
