"""Run the benchmarks: ``python -m bench`` (all) or ``python -m bench ocr signing``."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = (
    "ocr",
    "odd",
    "quality",
    "orientation",
    "signing",
    "storage",
    "service",
    "load",
    "scale",
    "web",
)


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    for name in names:
        if name not in BENCHMARKS:
            print(
                f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr
            )
            return 2
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== bench {name}", flush=True)
        module.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
