"""Plans parsed per second over 1,000 generated page variants.

Every variant is generated with a known number of arcs and prompts, in one of the page
styles the parser reads (Notion's export form, overview table with ``Phase N (BPM a–b)``
headings, quoted prompts after a mark, unnumbered to-dos ending in an anchor name,
toggles), and the parse is checked against it, so the figure is for correct parses.

Reference, measured in the same run on the same pages: one ``str.splitlines`` plus one
regular-expression pass over every line (the least any line-based parser must do), and
``json.loads`` of the finished plans (reading the result back).

    .venv/bin/python benchmarks/bench_parse.py [--variants 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lofi_assets.core.ingest.plan_parser import parse_track_plan  # noqa: E402

WORDS = (
    "warm rhodes soft rain vinyl crackle tape hiss mellow bass brushed drums dusty piano "
    "lazy swing jazzy chords night city window lamp slow kick muted guitar airy pads "
    "sleepy groove distant thunder"
).split()
EMOJI = ["🌅", "💫", "🌤", "🌙", "🌧️", "☕", "📚", "🕯️"]


def phrase(rng: random.Random, n: int = 8) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def make_variant(rng: random.Random, i: int) -> tuple[str, int, int]:
    arcs = rng.randint(3, 6)
    per_arc = [rng.randint(2, 5) for _ in range(arcs)]
    style = i % 5
    out: list[str] = []
    if style == 0:  # Notion's export form
        out += [
            f"# Track {i}",
            "",
            f"Target duration: {rng.choice([60, 90, 120, 180])}",
            "Status: Planned",
            f"Hidden tags: {', '.join(rng.sample(WORDS, 8))}",
            "",
            "## Description",
            phrase(rng, 30),
            "",
        ]
    else:  # overview table
        out += [
            "## 1. TRACK OVERVIEW",
            "| Field | Value |",
            f"| Title | Mix {i} |",
            "| Duration | 3 hours |",
            "### Visible Hashtags",
            "#lofi #study",
            "### Hidden Tags (≤500 chars)",
            ",".join(WORDS[:12]),
            "## 5. MUSIC ARC STRUCTURE",
            "All prompts end with:",
            "— night rain",
        ]
    n = 0
    for a in range(arcs):
        lo = rng.randint(55, 80)
        if style in (0, 4):
            out.append(f"## {rng.choice(EMOJI)} Arc Name {a} (BPM {lo}–{lo + 8})")
        else:
            out.append(f"### Phase {a + 1} — Arc Name {a} (BPM {lo}–{lo + 8})")
        out.append(f"({phrase(rng, 5)})")
        if style == 4:
            out.append("- Prompts")
        for _ in range(per_arc[a]):
            n += 1
            text = phrase(rng)
            if style == 2:
                out.append(f'X {n}. "{text}"')
            elif style == 3:
                out.append(f"- [x] {text} anchor_{n}")
            elif style == 4:
                out.append(f"    - [ ]  {n}. {text} — night rain")
            else:
                out.append(f"- [{rng.choice(' x')}] {n}. {text} — night rain")
    out += ["## 6. POST-UPLOAD CHECKLIST", "- [ ] Thumbnail", "- [ ] Add chapter markers"]
    return "\n".join(out) + "\n", arcs, sum(per_arc)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--variants", type=int, default=1000)
    args.add_argument("--seed", type=int, default=7)
    opts = args.parse_args()

    rng = random.Random(opts.seed)
    pages = [make_variant(rng, i) for i in range(opts.variants)]
    lines_total = sum(text.count("\n") for text, _, _ in pages)

    started = time.perf_counter()
    plans = [parse_track_plan(text, key=f"v{i}", source="bench") for i, (text, _, _) in enumerate(pages)]
    parse_s = time.perf_counter() - started
    for plan, (_, arcs, prompts) in zip(plans, pages, strict=True):
        assert len(plan.arcs) == arcs and len(plan.prompts) == prompts, plan.key

    floor = re.compile(r"^\s*(?:#{1,6}\s|[-*]\s+\[[ xX]\]|\d+[.)]\s|\|)")
    started = time.perf_counter()
    for text, _, _ in pages:
        sum(1 for line in text.splitlines() if floor.match(line))
    floor_s = time.perf_counter() - started

    blobs = [plan.to_json() for plan in plans]
    started = time.perf_counter()
    for blob in blobs:
        json.loads(blob)
    json_s = time.perf_counter() - started

    n = len(pages)
    print(f"pages: {n} variants, {lines_total} lines, {sum(p for _, _, p in pages)} prompts (all parsed correctly)")
    print(f"parse_track_plan:      {n / parse_s:9.0f} plans/s   {parse_s * 1e3 / n:7.3f} ms/plan")
    print(f"reference, one regex pass over the lines: {n / floor_s:9.0f} pages/s   ratio {parse_s / floor_s:5.1f}x")
    print(f"reference, json.loads of the plans:       {n / json_s:9.0f} plans/s   ratio {parse_s / json_s:5.1f}x")


if __name__ == "__main__":
    main()
