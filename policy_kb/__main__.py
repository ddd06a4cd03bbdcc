"""Command line: `python -m policy_kb check` validates the data alone (for staff who edit it);
`python -m policy_kb export-nlu` writes the names the NLU trains on."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from policy_kb.loader import DEFAULT_DATA_DIR, KBError, load_kb
from policy_kb.nlu_export import ExportError, export


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m policy_kb", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help="knowledge-base folder")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="validate the knowledge base and print what it holds")
    exporter = commands.add_parser("export-nlu", help="write lookup tables, synonyms, FAQ labels, jieba dictionary")
    exporter.add_argument("--out", type=Path, default=Path("nlu/generated"))
    exporter.add_argument("--training-data", type=Path, default=Path("nlu/data"))
    args = parser.parse_args(argv)
    try:
        kb = load_kb(args.data)
        if args.command == "check":
            print(
                f"{args.data}: OK — {len(kb.policies)} policies, {len(kb.measures)} measures, "
                f"{len(kb.routes)} help routes, {len(kb.institutions)} institutions "
                f"({sum(i.sample for i in kb.institutions.values())} sample), {len(kb.faq)} FAQ entries"
            )
        else:
            for path in export(kb, args.out, args.training_data):
                print(f"wrote {path}")
    except (KBError, ExportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
