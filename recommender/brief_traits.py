"""What a brief can ask of a track: the traits Segue measures, the words that name them, and how well a track fits.

A trait scores every track of a catalog in [0, 1] from its measured tempo (BPM), mean loudness (dB of the energy
curve), mode and key, and context-tag probabilities (``recommender/context/tags.py``). Words the analysis cannot
support (vocals, instruments) are known here only to be reported as such, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from recommender.analysis import KEY_NAMES
from recommender.context.tags import CONTEXT_TAGS


@dataclass
class CatalogTraits:
    """What Segue knows of ``n`` tracks, as arrays (a brief is scored on all of them at once)."""

    tempo: np.ndarray  # (n,) BPM
    loudness: np.ndarray  # (n,) mean energy, dB (≈ -40 quiet … -8 loud)
    minor: np.ndarray  # (n,) bool
    key: np.ndarray  # (n,) int pitch class of the tonic 0–11 (C = 0), -1 when unknown
    tags: np.ndarray  # (n, len(CONTEXT_TAGS)) probabilities, the listener's own labels on top
    texts: list[str]  # (n,) the words attached to each track (title, artist), lower case

    def __len__(self) -> int:
        return len(self.tempo)

    @cached_property
    def words(self) -> list[frozenset[str]]:
        """Each track's own words as a set (built once per catalog, for title matches)."""
        return [frozenset(text.replace("-", " ").split()) for text in self.texts]

    def take(self, rows: np.ndarray) -> CatalogTraits:
        """The tracks at ``rows`` ``(m,)`` of this catalog, in that order (word sets already built are reused)."""
        idx = np.asarray(rows, dtype=np.int64)
        picks = idx.tolist()
        part = CatalogTraits(self.tempo[idx], self.loudness[idx], self.minor[idx], self.key[idx], self.tags[idx],
                             [self.texts[i] for i in picks])  # fmt: skip
        if "words" in self.__dict__:  # the cached_property was computed
            part.__dict__["words"] = [self.words[i] for i in picks]
        return part

    @classmethod
    def from_rows(cls, tempo, loudness, mode, key, tags, texts) -> CatalogTraits:
        """From per-track values: mode "major"/"minor", key names ("C#"), tags ``(n, C)``; None → neutral."""
        key_index = {name: i for i, name in enumerate(KEY_NAMES)}
        return cls(
            tempo=np.array([100.0 if t is None else t for t in tempo], dtype=np.float64),
            loudness=np.array([-30.0 if v is None else v for v in loudness], dtype=np.float64),
            minor=np.array([m == "minor" for m in mode], dtype=bool),
            key=np.array([key_index.get(k, -1) for k in key], dtype=np.int64),
            tags=np.asarray(tags, dtype=np.float64).reshape(len(texts), len(CONTEXT_TAGS)),
            texts=[t.lower() for t in texts],
        )


def ramp(x: np.ndarray, a: float, b: float) -> np.ndarray:
    """0 at ``a``, 1 at ``b``, linear between (falling when ``a > b``), elementwise."""
    return np.clip((np.asarray(x, dtype=np.float64) - a) / (b - a), 0.0, 1.0)


@dataclass(frozen=True)
class Trait:
    name: str
    label: str  # what a match says: "tempo ≥ 120"
    words: tuple[str, ...]  # words and phrases of a brief that name it (lower case)
    fit: Callable[[CatalogTraits], np.ndarray]  # (n,) in [0, 1]
    value: Callable[[CatalogTraits, int], str]  # the track's own figure, for the explanation


def _bpm(c: CatalogTraits, i: int) -> str:
    return f"{c.tempo[i]:.0f} BPM"


def _db(c: CatalogTraits, i: int) -> str:
    return f"{c.loudness[i]:.0f} dB"


def _mode(c: CatalogTraits, i: int) -> str:
    key = KEY_NAMES[c.key[i]] if c.key[i] >= 0 else "?"
    return f"{key} {'minor' if c.minor[i] else 'major'}"


def _tag_trait(tag: str, words: tuple[str, ...]) -> Trait:
    j = CONTEXT_TAGS.index(tag)
    return Trait(tag, tag, (tag, *words), lambda c: c.tags[:, j], lambda c, i: f"{c.tags[i, j]:.2f}")


TRAITS: tuple[Trait, ...] = (
    Trait("slow", "tempo ≤ 90", ("slow", "slower", "slowly", "downtempo", "down-tempo", "laid-back", "laid back",
          "leisurely", "unhurried", "lazy", "ballad"), lambda c: ramp(c.tempo, 105, 80), _bpm),
    Trait("fast", "tempo ≥ 120", ("fast", "faster", "quick", "uptempo", "up-tempo", "rapid", "speedy", "brisk",
          "frantic", "racing", "high-tempo", "pacey", "driving", "upbeat", "energetic"),
          lambda c: ramp(c.tempo, 105, 125), _bpm),
    Trait("mid-tempo", "tempo 95–120", ("mid-tempo", "midtempo", "moderate", "medium tempo", "walking pace", "steady"),
          lambda c: ramp(c.tempo, 82, 95) * ramp(c.tempo, 135, 120), _bpm),
    Trait("quiet", "quiet (≤ -24 dB)", ("quiet", "soft", "softly", "gentle", "calm", "calming", "mellow", "peaceful",
          "tranquil", "serene", "subtle", "delicate", "hushed", "ambient", "soothing", "low-key", "understated",
          "intimate", "sparse"), lambda c: ramp(c.loudness, -14, -26), _db),
    Trait("loud", "loud (≥ -16 dB)", ("loud", "powerful", "intense", "heavy", "aggressive", "punchy", "big", "epic",
          "hard-hitting", "bombastic", "pumping", "energetic", "driving", "energy", "banging"),
          lambda c: ramp(c.loudness, -26, -14), _db),
    Trait("major", "major mode", ("major", "major key", "bright", "hopeful", "uplifting", "cheerful", "sunny",
          "positive", "optimistic", "triumphant", "joyful", "upbeat"), lambda c: (~c.minor).astype(float), _mode),
    Trait("minor", "minor mode", ("minor", "minor key", "dark", "melancholic", "melancholy", "moody", "somber",
          "sombre", "gloomy", "tense", "ominous", "brooding", "mysterious", "sinister", "bittersweet"),
          lambda c: c.minor.astype(float), _mode),
    _tag_trait("workout", ("gym", "exercise", "training", "fitness", "sport", "sports", "cardio", "lifting")),
    _tag_trait("running", ("run", "jog", "jogging", "sprint", "marathon", "runner")),
    _tag_trait("party", ("celebration", "club", "clubbing", "festive", "celebrate", "rave")),
    _tag_trait("dance", ("dancing", "danceable", "groove", "groovy", "dancefloor", "dance floor")),
    _tag_trait("relax", ("relaxing", "relaxed", "chill", "chilled", "chillout", "unwind", "lounge", "spa", "calm")),
    _tag_trait("sleep", ("sleeping", "bedtime", "lullaby", "nap", "asleep", "drowsy", "dreamy")),
    _tag_trait("focus", ("study", "studying", "concentration", "concentrate", "work", "working", "coding",
                         "reading", "productive", "productivity")),
    _tag_trait("commute", ("commuting", "road trip", "drive", "travel", "travelling", "journey", "train ride",
                           "on the road", "driving")),
    _tag_trait("morning", ("sunrise", "breakfast", "wake up", "dawn", "waking", "early")),
    _tag_trait("night", ("nighttime", "late night", "midnight", "evening", "nocturnal", "after dark")),
    _tag_trait("happy", ("joyful", "joy", "fun", "playful", "cheerful", "upbeat", "feel-good", "feel good",
                         "carefree", "hopeful")),
    _tag_trait("sad", ("sadness", "melancholy", "melancholic", "sorrow", "sorrowful", "heartbreak", "heartbroken",
                       "tearful", "grief", "mournful", "tragic", "crying", "cry", "depressing", "blue")),
)  # fmt: skip
TRAIT_BY_NAME = {t.name: t for t in TRAITS}

# Words a brief may use that the analysis cannot measure: reported as not understood, never matched to anything.
UNSUPPORTED = ("vocals", "vocal", "voice", "voices", "singing", "singer", "lyrics", "instrumental", "piano", "guitar",
               "guitars", "strings", "orchestra", "orchestral", "synth", "synths", "choir", "brass", "violin",
               "saxophone", "acoustic", "electric", "female", "male", "rap", "spoken")  # fmt: skip


def bpm_fit(c: CatalogTraits, target: float, *, width: float = 8.0) -> np.ndarray:
    """How close each tempo is to ``target`` BPM (a Gaussian of ``width`` BPM; half and double tempo count half)."""
    near = np.exp(-0.5 * ((c.tempo - target) / width) ** 2)
    octave = np.maximum(
        np.exp(-0.5 * ((c.tempo - 2 * target) / width) ** 2), np.exp(-0.5 * ((c.tempo - target / 2) / width) ** 2)
    )
    return np.maximum(near, 0.5 * octave)


def key_fit(c: CatalogTraits, tonic: int, minor: bool | None) -> np.ndarray:
    """1 for the key asked (mode too when given), 0.5 for its relative key or the other mode on the same tonic."""
    same_tonic = c.key == tonic
    if minor is None:
        return same_tonic.astype(float)
    exact = same_tonic & (c.minor == minor)
    relative = (c.key == (tonic + (3 if minor else -3)) % 12) & (c.minor != minor)
    return np.where(exact, 1.0, np.where(same_tonic | relative, 0.5, 0.0))


def word_fit(c: CatalogTraits, word: str) -> np.ndarray:
    """1 where the track's own words (title, artist) contain ``word`` as a word."""
    return np.fromiter((word in words for words in c.words), dtype=float, count=len(c.texts))
