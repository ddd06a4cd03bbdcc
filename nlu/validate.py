"""`rasa data validate --fail-on-warnings` over nlu/, minus one false positive of Rasa 3.6.

Rasa 3.6 merges the retrieval intents it finds in the NLU data (faq, chitchat) into the domain and
then reports them as "duplicated intents ... across multiple domain files", although the domain
must list them for rules to use them. That message alone is filtered, the way Rasa filters its own
expected warnings; every other warning still fails validation.
"""
from __future__ import annotations

import sys

from rasa.__main__ import main as rasa_main
from rasa.utils.common import EXPECTED_WARNINGS

RETRIEVAL_INTENT_MERGE = "The following duplicated intents have been found across multiple domain files: chitchat, faq$"


def main() -> None:
    EXPECTED_WARNINGS.append((UserWarning, RETRIEVAL_INTENT_MERGE))
    sys.argv = [
        "rasa", "data", "validate", "--domain", "nlu/domain", "--data", "nlu/data", "nlu/generated",
        "--config", "config.yml", "--fail-on-warnings", *sys.argv[1:],
    ]
    rasa_main()


if __name__ == "__main__":
    main()
