"""Deterministic multi-section songs (drums, bass, chords, lead) for the demo catalog and for training.

Each song draws its tempo (60–180 BPM), key and mode, instrument timbres, a drum groove from the drum
prior, and a form such as intro/verse/chorus/verse/chorus/bridge/chorus/outro. Sections differ in
instrumentation, density, register and loudness, so structure is audible, but nothing is tied to a
single rule: every choice is drawn at random per song and per section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from recommender.drums.kit import synth_kit
from recommender.drums.patterns import mutate, sample_prior
from recommender.drums.render import render as render_drums

SR = 22050
FORMS = [
    ["intro", "verse", "chorus", "verse", "chorus", "outro"],
    ["intro", "verse", "chorus", "bridge", "chorus", "outro"],
    ["verse", "chorus", "verse", "chorus", "bridge", "chorus"],
    ["intro", "A", "B", "A", "B", "outro"],
    ["intro", "build", "drop", "break", "drop", "outro"],
    ["A", "A", "B", "A"],
]
MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]
PROGRESSIONS = [[0, 4, 5, 3], [0, 5, 3, 4], [0, 3, 4, 4], [5, 3, 0, 4], [0, 0, 3, 4], [0, 6, 5, 4], [1, 4, 0, 0]]
WAVES = ("sine", "triangle", "saw", "square", "fm", "pluck")
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
ADJECTIVES = ("Amber", "Broken", "Crystal", "Distant", "Electric", "Golden", "Hidden", "Midnight", "Neon", "Quiet",
              "Restless", "Silver", "Slow", "Velvet", "Wild", "Young")  # fmt: skip
NOUNS = ("Avenue", "Bloom", "Circuit", "Drift", "Echo", "Harbor", "Horizon", "Lights", "Motion", "Orbit", "Pulse",
         "Rain", "River", "Signal", "Summer", "Tide")  # fmt: skip


@dataclass
class SectionPlan:
    name: str
    bars: int
    energy: float  # 0..1
    drums: bool
    bass: bool
    chords: bool
    lead: bool


@dataclass
class Song:
    title: str
    artist: str
    tempo: float
    key: int  # tonic pitch class
    mode: str
    sections: list[SectionPlan]
    audio: np.ndarray = field(repr=False)
    boundaries: list[float]  # section start times, seconds
    sr: int = SR


def _midi_hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _tone(freq: float, seconds: float, wave: str, rng: np.random.Generator, sr: int = SR) -> np.ndarray:
    n = max(1, int(seconds * sr))
    t = np.arange(n) / sr
    phase = 2 * np.pi * freq * t
    if wave == "sine":
        x = np.sin(phase)
    elif wave == "triangle":
        x = 2 / np.pi * np.arcsin(np.sin(phase))
    elif wave == "saw":
        x = 2 * ((freq * t) % 1.0) - 1
    elif wave == "square":
        x = np.sign(np.sin(phase)) * 0.7
    elif wave == "fm":
        x = np.sin(phase + 2.0 * np.sin(phase * 2.0) * np.exp(-t * 3))
    else:  # pluck: decaying harmonics
        x = sum(np.sin(phase * h) * np.exp(-t * (3 + 4 * h)) / h for h in range(1, 6))
    attack = min(n, int(0.01 * sr))
    env = np.ones(n)
    env[:attack] = np.linspace(0, 1, attack)
    release = min(n, int(0.05 * sr))
    env[n - release :] *= np.linspace(1, 0, release)
    return (x * env).astype(np.float32)


def _add(buf: np.ndarray, start: int, x: np.ndarray, gain: float) -> None:
    end = min(buf.size, start + x.size)
    if end > start:
        buf[start:end] += gain * x[: end - start]


def _plan(rng: np.random.Generator) -> list[SectionPlan]:
    form = FORMS[rng.integers(len(FORMS))]
    base_bars = int(rng.choice([4, 8]))
    plans = []
    levels = {}
    for name in form:
        if name not in levels:
            high = name in ("chorus", "drop", "B")
            low = name in ("intro", "outro", "break", "bridge")
            levels[name] = float(np.clip(rng.normal(0.8 if high else 0.35 if low else 0.55, 0.12), 0.1, 1.0))
        e = levels[name]
        plans.append(SectionPlan(
            name=name, bars=base_bars if name not in ("intro", "outro") else int(rng.choice([2, 4])), energy=e,
            drums=e > 0.3 or rng.random() < 0.3, bass=e > 0.25 or rng.random() < 0.5, chords=rng.random() < 0.9,
            lead=e > 0.5 and rng.random() < 0.8,
        ))  # fmt: skip
    return plans


def make_song(seed: int, *, max_seconds: float = 150.0, sr: int = SR) -> Song:
    """Synthesise song number ``seed`` (same seed, same song)."""
    rng = np.random.default_rng(seed)
    tempo = float(np.round(rng.uniform(60, 180), 1))
    key = int(rng.integers(12))
    mode = "minor" if rng.random() < 0.45 else "major"
    scale = MINOR if mode == "minor" else MAJOR
    beat = 60.0 / tempo
    bar = 4 * beat
    plans = _plan(rng)
    while sum(p.bars for p in plans) * bar > max_seconds and any(p.bars > 2 for p in plans):
        for p in plans:
            p.bars = max(2, p.bars // 2)
    total = int(sum(p.bars for p in plans) * bar * sr) + sr
    audio = np.zeros(total, dtype=np.float32)
    kit = synth_kit(sr)
    groove = sample_prior(1, rng)[0]
    waves = {part: WAVES[rng.integers(len(WAVES))] for part in ("bass", "chords", "lead")}
    progression = PROGRESSIONS[rng.integers(len(PROGRESSIONS))]
    lead_density = rng.uniform(0.3, 0.9)
    boundaries = []
    t = 0.0
    section_grooves: dict[str, np.ndarray] = {}
    section_prog: dict[str, list[int]] = {}
    for plan in plans:
        boundaries.append(round(t, 3))
        if plan.name not in section_grooves:
            section_grooves[plan.name] = mutate(groove[None], rng, rate=0.06)[0]
            section_prog[plan.name] = (
                [int(d) for d in rng.permutation(progression)] if rng.random() < 0.5 else progression
            )
        g, prog = section_grooves[plan.name], section_prog[plan.name]
        gain = 0.25 + 0.75 * plan.energy
        register = 12 * int(plan.energy > 0.7)
        if plan.drums:
            loop = render_drums(g * min(1.0, 0.5 + plan.energy), kit, tempo=tempo)
            for b in range(plan.bars):
                _add(audio, int((t + b * bar) * sr), loop, 0.5 * gain)
        for b in range(plan.bars):
            degree = prog[b % len(prog)]
            root = 48 + key + scale[degree % 7]
            chord = [root + scale[(degree + k) % 7] - scale[degree % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]
            start = t + b * bar
            if plan.chords:
                for note in chord:
                    _add(
                        audio,
                        int(start * sr),
                        _tone(_midi_hz(note + register), bar * 0.95, waves["chords"], rng),
                        0.08 * gain,
                    )
            if plan.bass:
                pattern = [0, 2] if plan.energy < 0.5 else [0, 1, 2, 3]
                for k in pattern:
                    tone = _tone(_midi_hz(root - 12), beat * 0.9, waves["bass"], rng)
                    _add(audio, int((start + k * beat) * sr), tone, 0.22 * gain)
            if plan.lead:
                for k in range(8):
                    if rng.random() < lead_density:
                        note = 72 + key + scale[int(rng.integers(7))] + register // 2
                        _add(
                            audio,
                            int((start + k * beat / 2) * sr),
                            _tone(_midi_hz(note), beat / 2, waves["lead"], rng),
                            0.1 * gain,
                        )
        t += plan.bars * bar
    audio = audio[: int(t * sr)]
    audio *= 0.9 / max(1e-6, float(np.max(np.abs(audio))))
    title = f"{ADJECTIVES[seed % len(ADJECTIVES)]} {NOUNS[(seed // len(ADJECTIVES) + seed) % len(NOUNS)]} {seed}"
    return Song(title, "Segue demo", tempo, key, mode, plans, audio.astype(np.float32), boundaries, sr)
