"""Command line: `python -m jaxtape run SCRIPT [ARGS...]`."""
from __future__ import annotations

import sys

import jaxtape
from jaxtape._src.api import runner

USAGE = "usage: python -m jaxtape run SCRIPT [ARGS...]"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2 or argv[0] != "run":
        print(USAGE, file=sys.stderr)
        return 2
    runner.run(argv[1], argv[2:], jaxtape)
    return 0


if __name__ == "__main__":
    sys.exit(main())
