"""`rasa run` with the speed-ups of nlu.server.rasa_patches (same model, same predictions)."""
from __future__ import annotations

import sys

from rasa.__main__ import main as rasa_main

from runtime.logs import take_over_rasa_logging
from nlu.server.rasa_patches import install


def main() -> None:
    install()
    take_over_rasa_logging()  # LOG_FORMAT, personal numbers masked (runtime/logs.py)
    sys.argv = ["rasa", "run", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
