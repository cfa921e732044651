"""Video → soundtrack when the editor hears the real beats: queries cut on beats and downbeats from the score.

    .venv/bin/python bench/real_media_scored.py [--queries 60] [--cache /tmp/segue-real-media]

Sets A–D of ``bench/real_media.py`` place their cuts with librosa's analysis, which is independent of Segue's
but often wrong on this music: on the 56 scored pieces of ``bench/analysis_annotated.py`` it reads the right
tempo for 64 % of them (a 3:2 or 2:3 tempo for 20 %), so part of A–D's "cut on the beat" lands between the
music's beats, where no analysis can find it. Real editors cut on what they hear. Here the music is those
scored pieces (tracker modules and MIDI files of real game soundtracks, rendered by ``bench/score_grid.py``),
and the beats and downbeats an editor cuts and flashes on are the ones written in the score; sections, strong
onsets and loudness still come from librosa. Set S draws set A's habits, set T set D's (the unseen family).

Catalog: sets A–D's 212 tracks plus the scored pieces at least ``MIN_SECONDS`` long. Everything else (modes,
random floor, caching) is ``bench/real_media.py``'s; nothing here is a run-time dependency of Segue.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_media as rm

from recommender.synth.photo_video import MusicEvents, music_events

MIN_SECONDS = 45.0  # the longest excerpt is 40 s
FAMILIES = {"S": "A", "T": "D"}  # query set → habits family


def scored_tracks(cache: Path) -> dict[str, tuple[np.ndarray, dict]]:
    """Name → (audio at SR, annotation) of every scored piece whose file is installed and unchanged."""
    from analysis_annotated import load_annotations
    from score_grid import render

    folder = cache / "scored"
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for rec in load_annotations():
        path = Path(rec["file"])
        if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != rec["sha256"]:
            print(f"  skipped {path} (missing or another version: apt-get install -y {rec['package']})")
            continue
        name = f"score-{rec['package']}-{path.stem}"
        audio = folder / f"{name}.npy"
        if not audio.exists():
            np.save(audio, render(path)[0].astype(np.float32))
        y = np.load(audio)
        if len(y) / rm.SR >= MIN_SECONDS:
            out[name] = (y, rec)
    return out


def score_events(y: np.ndarray, rec: dict) -> MusicEvents:
    """librosa's events of ``y`` with the score's beats and downbeats, and sections snapped to those downbeats."""
    ev_ = music_events(y)
    beats, downbeats = np.asarray(rec["beats"], dtype=float), np.asarray(rec["downbeats"], dtype=float)
    sections = ev_.sections
    if len(downbeats) and len(sections):
        sections = np.unique(downbeats[np.argmin(np.abs(downbeats[None, :] - sections[:, None]), axis=1)])
    return replace(ev_, beats=beats, downbeats=downbeats, sections=sections)


def scored_audio_events(scored: dict, name: str) -> tuple[np.ndarray, MusicEvents]:
    """What a query of scored piece ``name`` is cut to: its audio and the score's events."""
    y, rec = scored[name]
    return y, score_events(y, rec)


def main() -> None:
    args, model, entries, _ = rm.bench_setup(__doc__.split("\n\n")[0], "S,T")
    scored = scored_tracks(args.cache)
    entries += [rm.catalog_entry(args.cache, name, lambda y=y: y, model) for name, (y, _) in sorted(scored.items())]
    print(f"catalog: {len(entries)} tracks, {len(scored)} of them scored pieces")
    for family in args.sets.split(","):
        videos = rm.build_queries(args.cache, family, args.queries, scored, seed=args.seed,
                                  load=partial(scored_audio_events, scored), habits=FAMILIES[family])  # fmt: skip
        rm.report_set(
            f"{family} (habits of {FAMILIES[family]}, cuts on the score's beats)", entries, videos, model, args
        )


if __name__ == "__main__":
    main()
