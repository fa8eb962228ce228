"""The quality and speed of reflection themes (insights/themes.py) on a labelled set.

The set (insights/tests/data/themes_labelled.jsonl) holds short first-person reflections of
leaders in bokmål and English, each labelled with the theme it was written about, or "noise"
for off-topic ones. Per language, all of them are one program week, each by its own writer:

- a shown theme *matches* a known theme when more than half of its members are labelled with
  it (its majority label, noise excluded);
- a known theme is *recovered* when at least one shown theme matches it; recovered is the
  share of the known themes recovered;
- a shown theme is *noise* when it matches no known theme; noise is the share of shown themes.
- purity is the share of all members of shown themes that carry their theme's majority label.

Speed: a program of 250 people over 8 weeks is 2,000 reflections, computed per week and per
group (8 weeks x (1 program + 25 groups of 10)); the texts are drawn from the labelled set.
"""

import json
import random
import time
from collections import Counter
from pathlib import Path

from pocketmentor.bench import Figure
from pocketmentor.insights import themes

LABELLED = Path(__file__).resolve().parent.parent / "insights/tests/data/themes_labelled.jsonl"
MATCH = 0.5  # more than this share of a shown theme's members carry the known theme


def labelled() -> list[dict]:
    with LABELLED.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def quality(language: str) -> dict:
    rows = [r for r in labelled() if r["lang"] == language]
    texts = [themes.Text(id=i, person=i, text=r["text"]) for i, r in enumerate(rows)]
    shown = themes.find(texts, language)
    known = {r["theme"] for r in rows} - {"noise"}
    recovered: set[str] = set()
    noise = 0
    pure = members = 0
    for theme in shown:
        labels = Counter(rows[i]["theme"] for i in theme.members)
        label, n = labels.most_common(1)[0]
        pure += n
        members += len(theme.members)
        if label != "noise" and n / len(theme.members) > MATCH:
            recovered.add(label)
        else:
            noise += 1
    return {
        "language": language,
        "reflections": len(rows),
        "known": len(known),
        "shown": len(shown),
        "recovered": len(recovered) / len(known),
        "noise": noise / len(shown) if shown else 0.0,
        "purity": pure / members if members else 0.0,
        "themes": [
            {
                "words": t.words,
                "people": t.people,
                "labels": dict(Counter(rows[i]["theme"] for i in t.members)),
            }
            for t in shown
        ],
    }


def timing(people: int = 250, weeks: int = 8, group_size: int = 10) -> float:
    """Seconds to compute every week of a program, for it and each of its groups."""
    rows = labelled()
    pick = random.Random(17)
    started = time.perf_counter()
    for _week in range(weeks):
        by_language: dict[str, list[themes.Text]] = {"nb": [], "en": []}
        for person in range(people):
            row = pick.choice(rows)
            by_language[row["lang"]].append(themes.Text(id=person, person=person, text=row["text"]))
        for language, texts in by_language.items():
            themes.find(texts, language)
            for start in range(0, people, group_size):
                group = [t for t in texts if start <= t.person < start + group_size]
                themes.find(group, language)
    return time.perf_counter() - started


def measure() -> list[Figure]:
    figures = []
    for language in ("nb", "en"):
        q = quality(language)
        figures += [
            Figure(f"themes.{language}.recovered", round(q["recovered"], 3), "share"),
            Figure(f"themes.{language}.noise", round(q["noise"], 3), "share"),
            Figure(f"themes.{language}.purity", round(q["purity"], 3), "share"),
            Figure(f"themes.{language}.shown", q["shown"], "themes"),
        ]
    figures.append(Figure("themes.program_250x8", round(timing(), 3), "s"))
    return figures
