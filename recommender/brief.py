"""A supervisor's free-text brief → a ranking of catalog tracks by the traits Segue knows, and why.

"upbeat, hopeful, road trip, no vocals" is cut into clauses (commas, "and", "but", "with"); a clause with "no",
"not", "without", "avoid"… is negated. In each clause, numbers ("120 bpm") and keys ("in A minor") are read
first, then the words of the trait lexicon (``brief_traits.TRAITS``), then the sentence encoder (``text.py``)
maps what is left by meaning ("something to cry to" → sad) when it is close enough to a trait's description.
Remaining words are looked up in the tracks' own words (titles, artists). Words the analysis cannot measure
("vocals", "piano") are reported as not understood.

A track's score is the weighted mean of its fit to each matched trait, 1 − fit for a negated one, in [0, 1].
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from recommender.analysis import KEY_NAMES
from recommender.brief_traits import (
    TRAIT_BY_NAME,
    TRAITS,
    UNSUPPORTED,
    CatalogTraits,
    bpm_fit,
    key_fit,
    word_fit,
)
from recommender.text import Encoder, embed_query, embed_texts

MAX_BRIEF_CHARS = 500
MEANING_THRESHOLD = 0.55  # cosine between a clause's leftover words and a lexicon phrase for a match by meaning

_SPLIT = re.compile(r"[,;.!?/+|\n]+|\b(?:and|but|with|plus|yet|or)\b")
_NEGATION = re.compile(r"\b(?:no|not|non|without|avoid|avoiding|never|nothing|nor|don'?t|isn'?t|less|zero)\b|\bnon-")
_BPM = re.compile(r"(\d{2,3}(?:\.\d+)?)\s*(?:bpm|beats per minute|beats a minute)")
_KEY = re.compile(r"\b(?:key of |in )?([a-g])\s*(#|♯|sharp|b|♭|flat)?\s*(major|minor|maj|min)\b|\bkey of ([a-g])\b")
_STOP_WORDS = (
    "a an the for of to in on at by some something anything music track tracks song songs vibe vibes feel feeling "
    "that this is it its like very really bit little kind sort sound sounds sounding mood scene please want need we "
    "i our my me us background maybe more most quite mostly also too something's piece pieces tune tunes be can "
    "could should would will which who what when where while about over under from as so just only than then"
)
_STOP = frozenset(re.findall(r"\S+", _STOP_WORDS))


@dataclass
class Match:
    """One thing the brief asked for."""

    words: str  # the brief's words, e.g. "not sad"
    trait: str  # a trait name (brief_traits.TRAITS), or "bpm:120", "key:9:minor", "word:sunset"
    label: str  # "tempo ≥ 120"
    weight: float = 1.0  # 1 for the lexicon, numbers and keys; the cosine for a match by meaning
    negated: bool = False
    via: str = "word"  # "word", "number", "key", "meaning", "title"


@dataclass
class Brief:
    text: str
    matches: list[Match] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # words understood as nothing Segue measures


@dataclass
class Ranking:
    scores: np.ndarray  # (n,) in [0, 1]
    fits: np.ndarray  # (n, len(matches)): each track's fit to each match (before negation)
    brief: Brief


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _SPLIT.split(text.lower()) if c and c.strip()]


@lru_cache(maxsize=1)
def _lexicon() -> list[tuple[re.Pattern, str, tuple[str, ...]]]:
    """(pattern, phrase, trait names) for every phrase of the lexicon, longest phrases first."""
    phrases: dict[str, list[str]] = {}
    for trait in TRAITS:
        for word in trait.words:
            phrases.setdefault(word, []).append(trait.name)
    ordered = sorted(phrases, key=len, reverse=True)
    return [(re.compile(rf"(?<![\w-]){re.escape(p)}(?![\w-])"), p, tuple(phrases[p])) for p in ordered]


def _key_match(m: re.Match, words: str, negated: bool) -> Match:
    letter = (m.group(1) or m.group(4)).upper()
    accidental, mode = m.group(2), m.group(3)
    tonic = KEY_NAMES.index(letter)
    if accidental in ("#", "♯", "sharp"):
        tonic = (tonic + 1) % 12
    elif accidental in ("b", "♭", "flat"):
        tonic = (tonic - 1) % 12
    minor = None if mode is None else mode.startswith("min")
    name = KEY_NAMES[tonic] + ("" if minor is None else (" minor" if minor else " major"))
    return Match(words, f"key:{tonic}:{'' if minor is None else int(minor)}", f"key {name}", 1.0, negated, "key")


def parse_brief(text: str, *, encoder: Encoder | None = None, use_meaning: bool = True) -> Brief:
    """What a brief asks for. ``use_meaning=False`` keeps to the lexicon (no sentence encoder is loaded)."""
    if len(text) > MAX_BRIEF_CHARS:
        raise ValueError(f"a brief has at most {MAX_BRIEF_CHARS} characters (this one has {len(text)})")
    brief = Brief(text)
    leftovers: list[tuple[str, str, bool]] = []  # (clause, its words not yet understood, negated)
    for clause in _clauses(text):
        negated = bool(_NEGATION.search(clause))
        rest = _NEGATION.sub(" ", clause)
        for m in _BPM.finditer(rest):
            bpm = float(m.group(1))
            brief.matches.append(Match(clause, f"bpm:{bpm:g}", f"tempo ≈ {bpm:g}", 1.0, negated, "number"))
        rest = _BPM.sub(" ", rest)
        for m in _KEY.finditer(rest):
            brief.matches.append(_key_match(m, clause, negated))
        rest = _KEY.sub(" ", rest)
        for pattern, _, names in _lexicon():
            if pattern.search(rest):
                for name in names:
                    brief.matches.append(Match(clause, name, TRAIT_BY_NAME[name].label, 1.0, negated, "word"))
                rest = pattern.sub(" ", rest)
        words = [w for w in re.findall(r"[\w'-]+", rest) if w not in _STOP and not w.isdigit()]
        brief.ignored += [w for w in words if w in UNSUPPORTED]
        words = [w for w in words if w not in UNSUPPORTED]
        if words:
            leftovers.append((clause, " ".join(words), negated))
    if use_meaning and leftovers:
        brief.matches += _by_meaning(leftovers, encoder)
    for clause, words, negated in leftovers:
        for w in words.split():
            brief.matches.append(Match(clause, f"word:{w}", f'title or artist "{w}"', 1.0, negated, "title"))
    return brief


@lru_cache(maxsize=4)
def _phrase_vectors(encoder: Encoder | None) -> tuple[np.ndarray, np.ndarray]:
    """Every lexicon phrase's vector ``(p, DIM)`` and the index of its trait in TRAITS ``(p,)``."""
    pairs = [(j, w) for j, t in enumerate(TRAITS) for w in t.words]
    return embed_texts([w for _, w in pairs], encoder=encoder, threads=1), np.array([j for j, _ in pairs])


def _by_meaning(leftovers: list[tuple[str, str, bool]], encoder: Encoder | None) -> list[Match]:
    """The trait nearest in meaning to each clause's leftover words (its closest lexicon phrase), if close enough."""
    phrases, owner = _phrase_vectors(encoder)
    clauses = embed_query([words for _, words, _ in leftovers], encoder=encoder)
    out = []
    for (clause, _, negated), sims in zip(leftovers, clauses @ phrases.T, strict=True):
        best = int(np.argmax(sims))
        if sims[best] >= MEANING_THRESHOLD:
            t = TRAITS[owner[best]]
            out.append(Match(clause, t.name, t.label, round(float(sims[best]), 3), negated, "meaning"))
    return out


def match_fit(match: Match, catalog: CatalogTraits) -> np.ndarray:
    """``(n,)`` how well each track fits one match, in [0, 1], before negation."""
    kind, _, arg = match.trait.partition(":")
    if kind == "bpm":
        return bpm_fit(catalog, float(arg))
    if kind == "key":
        tonic, _, minor = arg.partition(":")
        return key_fit(catalog, int(tonic), None if minor == "" else bool(int(minor)))
    if kind == "word":
        return word_fit(catalog, arg)
    return TRAIT_BY_NAME[match.trait].fit(catalog)


def rank(brief: Brief, catalog: CatalogTraits) -> Ranking:
    """Score every track of ``catalog`` against ``brief``. A title word no track carries is dropped (ignored)."""
    kept, fits = [], []
    for m in brief.matches:
        f = match_fit(m, catalog)
        if m.via == "title" and not f.any():
            continue
        kept.append(m)
        fits.append(f)
    dropped = [m.trait.partition(":")[2] for m in brief.matches if m.via == "title" and m not in kept]
    brief = Brief(brief.text, kept, brief.ignored + dropped)
    n = len(catalog)
    if not kept:
        return Ranking(np.zeros(n), np.zeros((n, 0)), brief)
    fit = np.stack(fits, axis=1)
    weights = np.array([m.weight for m in kept])
    signed = np.where([m.negated for m in kept], 1.0 - fit, fit)
    return Ranking(signed @ weights / weights.sum(), fit, brief)


def explain(ranking: Ranking, i: int, catalog: CatalogTraits) -> list[dict]:
    """Why track ``i`` scored as it did: per group of the brief's words, the traits they meant and its figures.

    E.g. ``[{"words": "upbeat", "negated": False, "traits": [{"trait": "fast", "label": "tempo ≥ 120",
    "value": "128 BPM", "fit": 1.0}, …]}]``.
    """
    groups: dict[str, dict] = {}
    for j, m in enumerate(ranking.brief.matches):
        g = groups.setdefault(m.words, {"words": m.words, "negated": m.negated, "traits": []})
        g["traits"].append({"trait": m.trait, "label": m.label, "value": _value(m, catalog, i),
                            "fit": round(float(ranking.fits[i, j]), 3), "via": m.via})  # fmt: skip
    return list(groups.values())


def summary(groups: list[dict]) -> str:
    """One line: ``upbeat → tempo ≥ 120 (128 BPM), happy (0.80); not sad → sad (0.12)``."""
    return "; ".join(
        f"{g['words']} → " + ", ".join(f"{t['label']} ({t['value']})" for t in g["traits"]) for g in groups
    )


def _value(m: Match, c: CatalogTraits, i: int) -> str:
    kind = m.trait.partition(":")[0]
    if kind == "bpm":
        return f"{c.tempo[i]:.0f} BPM"
    if kind == "key":
        return f"{KEY_NAMES[c.key[i]] if c.key[i] >= 0 else '?'} {'minor' if c.minor[i] else 'major'}"
    if kind == "word":
        return "in its title" if m.trait[5:] in c.words[i] else "not in its title"
    return TRAIT_BY_NAME[m.trait].value(c, i)


def blend_with_brief(scores: np.ndarray, brief_scores: np.ndarray, text_weight: float = 0.5) -> np.ndarray:
    """Another ranking (e.g. a video's soundtrack scores, any scale) steered by a brief: ``(n,)`` in [0, 1].

    The other scores are min–max scaled over the candidates, so ``text_weight`` (0 = ignore the brief, 1 = only the
    brief) means the same whatever their scale; ``brief_scores`` are ``rank(...).scores`` for the same candidates.
    """
    if not 0.0 <= text_weight <= 1.0:
        raise ValueError(f"text_weight must be within [0, 1], not {text_weight}")
    s = np.asarray(scores, dtype=np.float64)
    span = float(s.max() - s.min()) if len(s) else 0.0
    scaled = np.full_like(s, 0.5) if span < 1e-12 else (s - s.min()) / span
    return (1.0 - text_weight) * scaled + text_weight * np.asarray(brief_scores, dtype=np.float64)
