"""Highlights on generated songs with known forms: does the highlight land on the loudest repeated section?

    nice -n 10 .venv/bin/python bench/highlights.py [--songs 40] [--first-seed 0]

For each song of ``make_song`` whose form repeats a section, the truth is the repeated section with the highest
planned energy (the chorus, the drop, B). A highlight *starts right* when it starts within 2 s of one of that
section's occurrences, and *overlaps* when it covers at least half of an occurrence (or an occurrence covers half
of it). Measured side by side in the same run: the highlight (``recommender/highlights.py``: repetition + loudness,
then the start moved to the downbeat within 6 s where the music changes most), the same without that last step
(``radius=0``, the previous highlight), loudness alone (``repetition_weight=0``), and a 15-s span from the middle.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.analysis import analyze, spectra
from recommender.highlights import highlight
from recommender.passages import block_features
from recommender.synth.music import make_song


def starts_right(span, truth) -> bool:
    return any(abs(span[0] - s) <= 2.0 for s, _ in truth)


def overlaps(span, truth) -> bool:
    a, b = span
    return any(max(0.0, min(b, e) - max(a, s)) >= 0.5 * min(e - s, b - a) for s, e in truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--songs", type=int, default=40)
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args()
    methods = {"highlight": [], "without entry": [], "loudness only": [], "middle 15 s": []}
    for seed in range(args.first_seed, args.first_seed + args.songs):
        song = make_song(seed)
        names = [p.name for p in song.sections]
        repeated = [n for n in names if names.count(n) > 1]
        if not repeated:
            continue
        level = {p.name: p.energy for p in song.sections}
        best = max(repeated, key=level.get)
        ends = [*song.boundaries[1:], len(song.audio) / song.sr]
        truth = [(s, e) for s, e, n in zip(song.boundaries, ends, names, strict=True) if n == best]
        spec = spectra(song.audio, song.sr)
        a = analyze(song.audio, song.sr, spec=spec)
        blocks = block_features(spec.power, song.sr)
        kw = {"section_starts": [s.start for s in a.sections], "downbeats": a.downbeats}
        spans = {
            "highlight": highlight(blocks, a.energy, a.duration, **kw),
            "without entry": highlight(blocks, a.energy, a.duration, radius=0.0, **kw),
            "loudness only": highlight(blocks, a.energy, a.duration, repetition_weight=0.0, **kw),
            "middle 15 s": (a.duration / 2 - 7.5, a.duration / 2 + 7.5),
        }
        for name, span in spans.items():
            methods[name].append((starts_right(span, truth), overlaps(span, truth)))
    n = len(methods["highlight"])
    print(f"{n} generated songs with a repeated section (seeds {args.first_seed}–{args.first_seed + args.songs - 1})")
    for name, rows in methods.items():
        r = np.array(rows, dtype=float)
        print(f"{name:14s} starts within 2 s of the loudest repeated section {r[:, 0].mean():.3f}   "
              f"overlaps it {r[:, 1].mean():.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
