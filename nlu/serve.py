"""`rasa run` with the faster model loading of nlu.fast_load (same model, same predictions)."""
from __future__ import annotations

import sys

from rasa.__main__ import main as rasa_main

from nlu.fast_load import install


def main() -> None:
    install()
    sys.argv = ["rasa", "run", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
