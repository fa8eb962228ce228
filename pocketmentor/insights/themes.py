"""Recurring themes in what participants write, computed on this server (no text leaves it).

Each text becomes a set of terms: its words lower-cased, lemmatised by simplemma in the
program's language (bokmål or English, the other one as a fallback), without stop words, and
for a bokmål compound also the known word it starts with ("konflikthåndtering" also counts as
"konflikt", "tilbakemeldingssamtale" as "tilbakemelding"). Themes are then found greedily: the
term the most people used (and not more than half of them: "team" says nothing) seeds a theme
of every unassigned text with it; the terms that occur mostly inside the theme become its
words, and an unassigned text with two of them, or one and the seed's neighbours, joins too.
The theme's texts are then taken out and the next seed is chosen, until no term is left that
at least `min_people` people used. Plain Python over sets: 250 texts take milliseconds.

A theme is (label words, member ids, people). The measure of this against a labelled set is
in `pocketmentor/bench/themes.py`; the choice of this over key-phrase extraction or
clustering libraries is explained in docs/insights.md.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import simplemma

MIN_PEOPLE = 3  # a theme needs at least this many writers
MAX_THEMES = 10
LABEL_WORDS = 3
SEED_SHARE = 0.5  # a term more than this share of the writers used is too general to seed
GENERAL_FROM = 10  # ... when more than this many used it (in a small group, it is the theme)
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)

STOP_EN = """
    a about above after again against all almost also always am an and any are around as
    at be because been before being below between both but by can could did do does doing
    done don down during each either else even ever every few for from further get gets
    got had has have having he her here hers herself him himself his how i if in into is
    it its itself just least less let like lot made make makes many may me might more most
    much must my myself need never no nor not nothing now of off often on once one only or
    other others our ours ourselves out over own really rather same see seem she should so
    some something still such than that the their theirs them themselves then there these
    they thing things think this those though through to too under until up upon us very
    want was way we week well went were what when where whether which while who whom whose
    why will with within without would yet you your yours today team people work employee
    colleague start begin talk means first new instead day back actually able go going
    take took say said tell told felt feel feels realised realized noticed tried try
    trying learned learn keep kept good better bad lot wanted two three
"""
STOP_NB = """
    alle alltid andre at av bare begge ble bli blir blitt både da de dem den denne der
    deres det dette di din disse dit du eller en enn er et ett etter for fordi fra før ha
    hadde han hans har hennes henne her hva hvem hver hvilke hvis hvor hvordan hvorfor i
    ikke ingen inn innen jeg kan kom kunne man mange med meg mellom men mer mest min mine
    mitt mot mye må noe noen nok nå når og også om opp oss over på sa samme seg selv sin
    sine sitt skal skulle slik som så til uke uka uken under ut uten var ved vi vil ville
    vår våre være vært å få fikk gjør gjøre gjorde gikk går gå godt bra mer ta tok tar
    egen eget egne sammen hele helt nye ny nytt første to tre team teamet teamets selv
    hverandre ting denne folk arbeid jobb ansatt ansatte medarbeider kollega begynne
    snakke bety dag dager lærte prøvde prøver innså merket merker føler følte synes tror
    vet kanskje igjen enda ennå litt veldig stadig fortsatt blant mitt min mine sin
"""
STOP = {"en": set(STOP_EN.split()), "nb": set(STOP_NB.split())}


@dataclass
class Text:
    id: int
    person: int
    text: str


@dataclass
class Theme:
    words: list[str]  # as shown
    terms: list[str] = field(default_factory=list)  # as matched
    members: list[int] = field(default_factory=list)  # text ids, the most typical first
    people: int = 0


def _languages(language: str) -> tuple[str, str]:
    return ("nb", "en") if language != "en" else ("en", "nb")


def terms_of(
    texts: Sequence[Text], language: str, shown: dict[str, str] | None = None
) -> dict[int, set[str]]:
    """Each text's terms (lemmas without stop words, and the heads of bokmål compounds);
    `shown` gets the word each term is shown as."""
    shown = {} if shown is None else shown
    langs = _languages(language)
    stop = STOP["en"] | STOP["nb"]
    lemma_cache: dict[str, str] = {}
    raw: dict[int, list[str]] = {}
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    for t in texts:
        words = []
        for token in WORD.findall(t.text.lower()):
            lemma = lemma_cache.get(token)
            if lemma is None:
                lemma = lemma_cache[token] = simplemma.lemmatize(token, lang=langs).lower()
            if len(lemma) > 2 and lemma not in stop and token not in stop:
                key = _key(lemma) if language == "en" else lemma
                surfaces[key][lemma] += 1
                words.append(key)
        raw[t.id] = words
    seen = Counter(w for words in raw.values() for w in set(words))
    known = {w for w in seen if len(w) >= 5}
    heads: dict[str, str | None] = {}
    result = {}
    for tid, words in raw.items():
        terms = set(words)
        for w in words:
            if w not in heads:  # a compound used once stands for the word it starts with
                heads[w] = _head(w, known) if seen[w] == 1 else None
            if heads[w]:
                terms.add(heads[w])  # type: ignore[arg-type]
        result[tid] = terms
    shown.update({key: lemmas.most_common(1)[0][0] for key, lemmas in surfaces.items()})
    return result


def _key(lemma: str) -> str:
    """English nouns in -ing are the verb's lemma ("meeting" and "meet" are one term)."""
    if lemma.endswith("ing") and len(lemma) > 6 and lemma.isascii():
        return lemma[:-3]
    return lemma


def _head(word: str, known: set[str]) -> str | None:
    """The longest known word a compound starts with (a linking s allowed), if any."""
    best = None
    for cut in range(len(word) - 3, 4, -1):
        prefix = word[:cut]
        if prefix in known:
            best = prefix
            break
        if prefix.endswith("s") and prefix[:-1] in known:
            best = prefix[:-1]
            break
    return best


def find(texts: Sequence[Text], language: str, *, min_people: int = MIN_PEOPLE) -> list[Theme]:
    """The recurring themes of `texts`, the largest first."""
    shown: dict[str, str] = {}
    terms = terms_of(texts, language, shown)
    person = {t.id: t.person for t in texts}
    writers = len(set(person.values()))
    if writers < min_people:
        return []
    by_term: dict[str, set[int]] = defaultdict(set)
    for tid, ts in terms.items():
        for term in ts:
            by_term[term].add(tid)

    def people(ids: Iterable[int]) -> int:
        return len({person[i] for i in ids})

    free = set(terms)
    themes: list[Theme] = []
    while free and len(themes) < MAX_THEMES:
        seed, size = "", 0
        for term, ids in by_term.items():
            n = people(ids & free)
            better = n > size or (n == size and n and term < seed)
            if better and people(ids) <= max(SEED_SHARE * writers, GENERAL_FROM):
                seed, size = term, n
        if size < min_people:
            break
        members = by_term[seed] & free  # a new set: it grows below
        # The theme's words: terms that occur mostly inside it, at least twice
        inside = Counter(term for tid in members for term in terms[tid] if term != seed)
        words = [
            term for term, n in inside.most_common() if n >= 2 and n / len(by_term[term]) >= 0.5
        ]
        # Texts outside with one of the theme's words join it, when that word is typical
        strong = {w for w in words if inside[w] / len(by_term[w]) >= 0.6}
        members |= {tid for tid in free - members if terms[tid] & strong}
        free -= members
        label = [seed, *words[: LABEL_WORDS - 1]]
        ranked = sorted(members, key=lambda i: (-len(terms[i] & set(label)), i))
        words_shown = [shown.get(w, w) for w in label]
        themes.append(Theme(words=words_shown, terms=label, members=ranked, people=people(members)))
    return sorted(themes, key=lambda th: (-th.people, th.words))


def people_with(found: Sequence[Theme], texts: Sequence[Text], language: str) -> list[int]:
    """For each theme, how many writers of `texts` used its words (a text counts once, for
    the first theme it carries the words of)."""
    terms = terms_of(texts, language)
    writers: list[set[int]] = [set() for _ in found]
    for t in texts:
        for n, theme in enumerate(found):
            if terms[t.id] & set(theme.terms):
                writers[n].add(t.person)
                break
    return [len(w) for w in writers]
