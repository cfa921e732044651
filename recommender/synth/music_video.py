"""Music-video clips whose editing follows their music, for self-supervised cross-modal training.

After "Is there a language of music-video clips?" (Prétet et al. 2021): editors cut on downbeats and
section changes, and picture energy follows the music. Every clip draws its own habits at random — how
often it cuts on downbeats, how strongly brightness and motion follow loudness, whether beats flash, how
colour relates to mode — so that no single rule gives the answer away; some clips barely follow at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from recommender.analysis import TrackAnalysis


@dataclass
class EditingStyle:
    downbeat_cut_p: float  # chance to cut on each downbeat
    section_cut_p: float  # chance to cut at each section change
    random_cut_rate: float  # cuts per second at random times
    energy_follow: float  # 0..1, how much brightness/motion follow loudness
    beat_flash: float  # brightness added on beats
    mode_colour: float  # 0..1, how reliably warm = major, cool = minor
    motion_scale: float


def random_style(rng: np.random.Generator) -> EditingStyle:
    return EditingStyle(
        downbeat_cut_p=float(rng.uniform(0.1, 0.8)), section_cut_p=float(rng.uniform(0.5, 1.0)),
        random_cut_rate=float(rng.uniform(0.0, 0.12)), energy_follow=float(rng.uniform(0.2, 1.0)),
        beat_flash=float(rng.choice([0.0, rng.uniform(0.05, 0.3)])), mode_colour=float(rng.uniform(0.4, 0.95)),
        motion_scale=float(rng.uniform(0.5, 1.5)),
    )  # fmt: skip


def cut_times(a: TrackAnalysis, style: EditingStyle, rng: np.random.Generator, start: float, end: float) -> list[float]:
    cuts = {start}
    for s in a.sections[1:]:
        if start < s.start < end and rng.random() < style.section_cut_p:
            cuts.add(s.start)
    for d in a.downbeats:
        if start < d < end and rng.random() < style.downbeat_cut_p:
            cuts.add(d)
    n_random = rng.poisson(style.random_cut_rate * (end - start))
    cuts.update(rng.uniform(start, end, n_random).tolist())
    out: list[float] = []
    for t in sorted(cuts):
        if not out or t - out[-1] >= 0.5:
            out.append(t)
    return out


def render(
    a: TrackAnalysis, rng: np.random.Generator, *, start: float = 0.0, seconds: float | None = None,
    fps: float = 12.0, size: tuple[int, int] = (128, 72), style: EditingStyle | None = None,
) -> np.ndarray:  # fmt: skip
    """RGB frames ``(n, h, w, 3)`` uint8 for ``[start, start + seconds)`` of the analysed track."""
    import cv2

    style = style or random_style(rng)
    end = min(a.duration, start + (seconds or a.duration))
    w, h = size
    times = np.arange(start, end, 1.0 / fps)
    energy = np.asarray(a.energy or [-30.0], dtype=float)
    lo, hi = np.percentile(energy, 5), np.percentile(energy, 95)
    energy_norm = np.clip((energy - lo) / max(1e-6, hi - lo), 0, 1)
    warm = a.mode == "major"
    if rng.random() > style.mode_colour:
        warm = not warm
    base_hue = rng.uniform(0, 50) if warm else rng.uniform(95, 135)  # OpenCV hue units (0..179)
    cuts = cut_times(a, style, rng, start, end)
    beats = np.asarray(a.beats)
    tempo_speed = a.tempo / 120.0
    frames = np.zeros((len(times), h, w, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    shot = -1
    for i, t in enumerate(times):
        k = int(np.searchsorted(cuts, t, side="right")) - 1
        if k != shot:  # a new shot: new layout and colours
            shot = k
            hue = (base_hue + rng.normal(0, 12)) % 180
            shapes = [
                (rng.uniform(0, w), rng.uniform(0, h), rng.uniform(4, 18), rng.normal(0, 1, 2),
                 (hue + rng.normal(0, 20)) % 180, int(rng.integers(2)))
                for _ in range(int(rng.integers(1, 7)))
            ]  # fmt: skip
            grad = rng.uniform(-0.3, 0.3)
            shot_start = t
        e = energy_norm[min(len(energy_norm) - 1, int(t / a.energy_hop))]
        level = (1 - style.energy_follow) * 0.55 + style.energy_follow * (0.25 + 0.65 * e)
        if style.beat_flash and len(beats) and np.min(np.abs(beats - t)) < 0.06:
            level += style.beat_flash
        sat = 120 + 100 * (0.6 if warm else 0.4) + rng.normal(0, 5)
        hsv = np.zeros((h, w, 3), dtype=np.float32)
        hsv[..., 0] = hue
        hsv[..., 1] = np.clip(sat, 0, 255)
        hsv[..., 2] = np.clip(255 * level * (1 + grad * (yy / h - 0.5)), 0, 255)
        img = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)
        speed = style.motion_scale * tempo_speed * ((1 - style.energy_follow) * 0.5 + style.energy_follow * e) * 6
        for x0, y0, r, v, shue, kind in shapes:
            dt = t - shot_start
            x = int((x0 + v[0] * speed * dt * fps / 4) % w)
            y = int((y0 + v[1] * speed * dt * fps / 4) % h)
            colour = cv2.cvtColor(np.uint8([[[shue, 200, min(255, 90 + 165 * level)]]]), cv2.COLOR_HSV2RGB)[0, 0]
            colour = tuple(int(c) for c in colour)
            if kind == 0:
                cv2.circle(img, (x, y), int(r), colour, -1)
            else:
                cv2.rectangle(img, (x, y), (x + int(2 * r), y + int(r)), colour, -1)
        noise = rng.normal(0, 4 + 6 * e * style.energy_follow, img.shape)
        frames[i] = np.clip(img + noise, 0, 255).astype(np.uint8)
    return frames


def make_clip(seed: int, out_dir, *, seconds: float = 16.0, fps: float = 12.0) -> str:
    """Synthesise song ``seed``, cut a clip at a random offset, render its video and write ``clip-<seed>.mp4``."""
    from pathlib import Path

    from recommender.analysis import analyze
    from recommender.mux import write_video
    from recommender.synth.music import make_song

    rng = np.random.default_rng(seed)
    song = make_song(seed)
    a = analyze(song.audio, song.sr)
    start = float(rng.uniform(0, max(0.0, a.duration - seconds)))
    frames = render(a, rng, start=start, seconds=seconds, fps=fps)
    audio = song.audio[int(start * song.sr) : int(start * song.sr) + int(len(frames) / fps * song.sr)]
    path = Path(out_dir) / f"clip-{seed}.mp4"
    write_video(path, frames, fps, audio=audio, sr=song.sr)
    # Where the clip comes from, so that evaluation can check predicted offsets against the full song.
    path.with_suffix(".json").write_text(json.dumps({"song_seed": seed, "start": round(start, 3), "seconds": seconds}))
    return str(path)


def make_corpus(out_dir, *, count: int, first_seed: int = 30_000, workers: int = 2) -> list[str]:
    """``count`` clips from songs ``first_seed…``, written in parallel processes."""
    from concurrent.futures import ProcessPoolExecutor
    from pathlib import Path

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    seeds = range(first_seed, first_seed + count)
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(make_clip, seeds, [out_dir] * count))
