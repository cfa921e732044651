"""Training music videos edited from real photographs to excerpts of real music, sound included.

The cross-modal model first learned from generated songs and drawn shapes, and its clip vector stayed at chance on
real footage (issue 13, part 4). These clips are closer to it: real photographs with camera moves inside shots,
real mixed music, and an editor's habits drawn per clip (:mod:`recommender.synth.photo_video`, habits family "A"
by default, so the benchmark's other families stay unseen). The picture is rendered silent, then the excerpt it was
cut to is muxed in as its soundtrack: a music video the trainer (:mod:`recommender.training.crossmodal`) reads
like any other. Keep the music and photographs apart from a benchmark's (other Debian packages, your own folders).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from recommender.synth.photo_video import SR, load_photos, make_query, music_events

MUSIC_SUFFIXES = {".ogg", ".opus", ".flac", ".wav", ".mp3"}
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
WINDOW = 75.0  # seconds of a track analysed for one clip (a clip lasts 20–40 s; the whole track is not needed)
MIN_TRACK = 45.0  # seconds: shorter files (jingles, effects) are not music to edit to
PHOTOS_PER_CLIP = 12


def find_files(folders: list[Path], suffixes: set[str]) -> list[Path]:
    """Every file under ``folders`` with one of ``suffixes``, sorted (so a seed picks the same files)."""
    return sorted({p for f in folders for p in Path(f).rglob("*") if p.is_file() and p.suffix.lower() in suffixes})


def usable_music(paths: list[Path], *, min_seconds: float = MIN_TRACK) -> list[Path]:
    """The files that are audio and last at least ``min_seconds`` (read from their headers, not decoded)."""
    from recommender.media import MediaError, probe

    keep = []
    for p in paths:
        try:
            if probe(p).duration >= min_seconds:
                keep.append(p)
        except MediaError:  # not audio, or not readable: not music to edit to
            continue
    return keep


def make_photo_clip(seed: int, out_dir: str | Path, music: list[str], photos: list[str], family: str = "A") -> str:
    """One clip ``photo-{seed}.mp4`` (picture and sound) and its sidecar; returns the file name."""
    from recommender.media import load_audio
    from recommender.mux import mux_soundtrack

    out_dir = Path(out_dir)
    target = out_dir / f"photo-{seed}.mp4"
    if target.exists() and target.with_suffix(".json").exists():
        return target.name
    rng = np.random.default_rng(seed)
    track = Path(music[int(rng.integers(len(music)))])
    y = load_audio(track, sr=SR)
    first = float(rng.uniform(0.0, max(0.0, len(y) / SR - WINDOW)))
    y = y[int(first * SR) : int((first + WINDOW) * SR)]
    picked = [Path(photos[int(i)]) for i in rng.choice(len(photos), min(PHOTOS_PER_CLIP, len(photos)), replace=False)]
    with tempfile.TemporaryDirectory() as tmp:
        meta = make_query(Path(tmp) / "silent.mp4", y, music_events(y), load_photos(picked), family, rng,
                          track=track.name)  # fmt: skip
        start, seconds = float(meta["start"]), float(meta["seconds"])
        excerpt = y[int(start * SR) : int((start + seconds) * SR)]
        mux_soundtrack(Path(tmp) / meta["file"], target, excerpt, SR)
    meta.update(file=target.name, source=str(track), source_start=round(first + start, 4), seed=seed)
    target.with_suffix(".json").write_text(json.dumps(meta))
    return target.name


def make_photo_corpus(
    out_dir: str | Path, *, music: list[Path], photos: list[Path], count: int, first_seed: int = 50_000,
    workers: int = 2, family: str = "A",
) -> list[str]:  # fmt: skip
    """``count`` clips of ``music`` (audio files) edited from ``photos``, written in parallel processes."""
    from concurrent.futures import ProcessPoolExecutor

    if not music or not photos:
        raise ValueError("a photo corpus needs at least one music file and one photograph")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    seeds = list(range(first_seed, first_seed + count))
    args = ([out_dir] * count, [[str(p) for p in music]] * count, [[str(p) for p in photos]] * count, [family] * count)
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(make_photo_clip, seeds, *args))
