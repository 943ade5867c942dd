"""What each dashboard page makes a browser download first: the JavaScript its HTML loads, in
KB gzip (the quality bar: under 200 KB for the catalog). Run after `make web`."""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "web" / "out"


def first_load_kb(page: Path) -> tuple[int, float]:
    scripts = sorted(set(re.findall(r'src="(/_next/[^"]+\.js)"', page.read_text())))
    total = sum(len(gzip.compress((OUT / src.lstrip("/")).read_bytes(), 9)) for src in scripts)
    return len(scripts), total / 1024


def main() -> int:
    if not (OUT / "index.html").is_file():
        print("build the dashboard first: make web", file=sys.stderr)
        return 1
    print(f"{'page':<24} {'scripts':>7} {'KB gzip':>8}")
    for page in sorted(OUT.rglob("index.html")):
        count, kb = first_load_kb(page)
        print(f"/{str(page.parent.relative_to(OUT)).replace('.', '')!s:<23} {count:>7} {kb:>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
