"""Silent music videos edited from photographs to excerpts of music, as editors cut them.

The real-media benchmark's queries (``bench/real_media.py``, real photographs and real music), the training
videos of the alignment weights (``scripts/fit_alignment.py``) and the tests' photo clips. Every video draws
its own editing habits: what it cuts on (downbeats, every other bar, beats, section changes, strong onsets,
or nothing musical), how often it strays off the grid, whether
it flashes or punches in on onsets, whether brightness follows loudness, how the camera moves inside a shot.
Where the music is, is found by an analysis that is *not* Segue's own (librosa's defaults: its beat
tracker, low-band energy for the bar phase, agglomerative segmentation), so the benchmark does not reward
Segue for agreeing with itself.

Set "A" is the habits family used while developing; set "B" draws habits nobody tuned on: dissolves instead
of cuts, 24 fps, cutting a frame or two early, long shots, handheld shake, fades to black, another codec.
Set "C" was written after B had been looked at, and is kept unseen in its turn: cuts placed late or jittered
by a frame or two, dips to black and white flashes as transitions, zoom pulses on beats, 23.976, 50 and
59.94 fps, heavy compression.
Set "D" was written after C had been looked at (session 6), and is kept unseen in its turn: cross-dissolves
centred on the edit point (an editing program's default) and whip pans as transitions, vertical and letterboxed
frames, film grain, flashes on downbeats only, cuts every fourth bar, 60 fps.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

SR = 22050


@dataclass
class MusicEvents:
    """Where the music is, by an analysis independent of Segue's (seconds, in the full track)."""

    beats: np.ndarray
    downbeats: np.ndarray
    sections: np.ndarray
    onsets: np.ndarray  # strong onsets only
    loud_times: np.ndarray
    loudness: np.ndarray  # z-scored RMS (dB)


def music_events(y: np.ndarray, sr: int = SR) -> MusicEvents:
    import librosa

    hop = 512
    env = librosa.onset.onset_strength(y=y, sr=sr, hop_length=hop)
    _, beats = librosa.beat.beat_track(onset_envelope=env, sr=sr, hop_length=hop)
    beat_t = librosa.frames_to_time(beats, sr=sr, hop_length=hop)
    low = librosa.feature.rms(y=librosa.effects.preemphasis(y, coef=-0.95), hop_length=hop)[0]  # low-pass tilt
    if len(beats) >= 8:
        phase = int(np.argmax([low[np.clip(beats[p::4], 0, len(low) - 1)].mean() for p in range(4)]))
        down_t = beat_t[phase::4]
    else:
        down_t = beat_t
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=hop * 4)
    mfcc = librosa.feature.mfcc(y=y, sr=sr, hop_length=hop * 4, n_mfcc=13)
    feats = np.vstack([librosa.util.normalize(chroma, axis=0), librosa.util.normalize(mfcc, axis=0)])
    k = max(2, int(len(y) / sr / 25))
    bounds = librosa.segment.agglomerative(feats, k)
    sec_t = librosa.frames_to_time(bounds, sr=sr, hop_length=hop * 4)[1:]
    if len(down_t):
        sec_t = np.unique(down_t[np.argmin(np.abs(down_t[None, :] - sec_t[:, None]), axis=1)])
    onset_f = librosa.onset.onset_detect(onset_envelope=env, sr=sr, hop_length=hop)
    strong = onset_f[env[onset_f] >= np.quantile(env[onset_f], 0.6)] if len(onset_f) else onset_f
    rms = librosa.feature.rms(y=y, hop_length=hop)[0]
    db = 20 * np.log10(rms + 1e-5)
    return MusicEvents(beat_t, down_t, sec_t, librosa.frames_to_time(strong, sr=sr, hop_length=hop),
                       librosa.frames_to_time(np.arange(len(db)), sr=sr, hop_length=hop),
                       (db - db.mean()) / (db.std() + 1e-9))  # fmt: skip


@dataclass
class Habits:
    grid: str  # downbeat, bar2, beat2, section, onset, free
    on_grid: float  # chance that a grid event is cut on
    off_grid_rate: float  # extra cuts per second at random times
    min_shot: float  # seconds
    early_frames: int  # editors who cut a frame or two before the beat
    flash: str  # none, onset, beat
    flash_gain: float
    punch: bool  # zoom punch on downbeats
    follow: float  # brightness follows loudness, 0..1
    camera: float  # camera move speed
    shake: float  # handheld shake, pixels
    dissolve: float  # seconds of cross-dissolve at each cut (0: hard cut)
    fade: bool  # fade in from / out to black
    fps: float
    codec: str
    jitter: int = 0  # each cut moved by up to this many frames either way (a hand on the keyboard)
    transition: str = "cut"  # cut, dip (to black, centred on the cut), white (two bright frames after it)
    pulse: float = 0.0  # zoom pulse on every beat
    crf: int = 23
    xfade: float = 0.0  # seconds of a cross-dissolve centred on the edit point (transition "xfade")
    whip: int = 0  # frames either side of a cut blurred by a whip pan (transition "whip")
    letterbox: float = 0.0  # share of the height covered by black bars
    grain: float = 0.0  # film grain, pixel levels
    size: tuple[int, int] = (480, 270)


def draw_habits(rng: np.random.Generator, family: str) -> Habits:
    if family == "A":
        return Habits(
            grid=str(rng.choice(["downbeat", "bar2", "beat2", "section", "onset", "downbeat", "free"])),
            on_grid=float(rng.uniform(0.4, 1.0)), off_grid_rate=float(rng.choice([0.0, rng.uniform(0.02, 0.15)])),
            min_shot=float(rng.uniform(0.4, 1.5)), early_frames=0, flash=str(rng.choice(["none", "onset", "beat"])),
            flash_gain=float(rng.uniform(0.1, 0.4)), punch=bool(rng.random() < 0.3),
            follow=float(rng.choice([0.0, rng.uniform(0.2, 1.0)])), camera=float(rng.uniform(0.0, 1.0)), shake=0.0,
            dissolve=0.0, fade=False, fps=float(rng.choice([25.0, 30.0])), codec="libx264",
        )  # fmt: skip
    if family == "C":
        return Habits(
            grid=str(rng.choice(["downbeat", "beat", "bar2", "section", "onset", "free"])),
            on_grid=float(rng.uniform(0.3, 1.0)), off_grid_rate=float(rng.uniform(0.0, 0.25)),
            min_shot=float(rng.uniform(0.3, 2.5)), early_frames=int(rng.integers(-2, 3)),
            flash=str(rng.choice(["none", "onset", "beat", "none"])), flash_gain=float(rng.uniform(0.05, 0.3)),
            punch=bool(rng.random() < 0.2), follow=float(rng.choice([0.0, rng.uniform(0.1, 0.8)])),
            camera=float(rng.uniform(0.0, 2.0)), shake=float(rng.choice([0.0, rng.uniform(0.5, 4.0)])), dissolve=0.0,
            fade=bool(rng.random() < 0.3), fps=float(rng.choice([23.976, 25.0, 50.0, 59.94])),
            codec=str(rng.choice(["libx264", "libx264", "mpeg4"])), jitter=int(rng.integers(0, 3)),
            transition=str(rng.choice(["cut", "cut", "dip", "white"])), pulse=float(rng.choice([0.0, 0.0, 0.04])),
            crf=int(rng.choice([23, 30, 35])),
        )  # fmt: skip
    if family == "D":
        transition = str(rng.choice(["cut", "cut", "xfade", "whip"]))
        return Habits(
            grid=str(rng.choice(["downbeat", "beat", "bar2", "bar4", "section", "onset", "free", "downbeat"])),
            on_grid=float(rng.uniform(0.5, 1.0)), off_grid_rate=float(rng.choice([0.0, rng.uniform(0.02, 0.2)])),
            min_shot=float(rng.uniform(0.25, 2.0)), early_frames=int(rng.integers(-1, 2)),
            flash=str(rng.choice(["none", "onset", "downbeat", "beat"])), flash_gain=float(rng.uniform(0.05, 0.35)),
            punch=bool(rng.random() < 0.25), follow=float(rng.choice([0.0, rng.uniform(0.2, 1.0)])),
            camera=float(rng.uniform(0.0, 1.5)), shake=float(rng.choice([0.0, rng.uniform(0.5, 3.0)])), dissolve=0.0,
            fade=bool(rng.random() < 0.2), fps=float(rng.choice([24.0, 29.97, 30.0, 60.0])),
            codec=str(rng.choice(["libx264", "libx264", "mpeg4"])), jitter=int(rng.integers(0, 2)),
            transition=transition, crf=int(rng.choice([18, 23, 28])),
            xfade=float(rng.uniform(0.2, 0.6)) if transition == "xfade" else 0.0,
            whip=int(rng.integers(2, 5)) if transition == "whip" else 0,
            letterbox=float(rng.choice([0.0, 0.0, 0.25])), grain=float(rng.choice([0.0, 0.0, rng.uniform(3, 10)])),
            size=[(480, 270), (270, 480), (640, 360)][int(rng.integers(3))],
        )  # fmt: skip
    return Habits(
        grid=str(rng.choice(["downbeat", "bar2", "section", "beat2", "free"])), on_grid=float(rng.uniform(0.3, 0.9)),
        off_grid_rate=float(rng.uniform(0.0, 0.2)), min_shot=float(rng.uniform(1.0, 3.0)),
        early_frames=int(rng.integers(0, 3)), flash=str(rng.choice(["none", "none", "onset"])),
        flash_gain=float(rng.uniform(0.05, 0.2)), punch=False, follow=float(rng.uniform(0.0, 0.6)),
        camera=float(rng.uniform(0.3, 1.5)), shake=float(rng.uniform(0.0, 3.0)),
        dissolve=float(rng.choice([0.0, rng.uniform(0.15, 0.6)])), fade=bool(rng.random() < 0.5),
        fps=float(rng.choice([24.0, 25.0, 29.97])), codec=str(rng.choice(["libx264", "mpeg4", "libvpx"])),
    )  # fmt: skip


def cut_times(ev: MusicEvents, h: Habits, rng: np.random.Generator, start: float, seconds: float) -> list[float]:
    """Cut times in the video (seconds from its start)."""
    grid = {
        "downbeat": ev.downbeats, "bar2": ev.downbeats[:: 2], "bar4": ev.downbeats[:: 4], "beat2": ev.beats[:: 2],
        "onset": ev.onsets,
        "beat": ev.beats,
        "section": np.concatenate([ev.sections, ev.downbeats[:: 4]]), "free": np.zeros(0),
    }[h.grid]  # fmt: skip
    grid = np.asarray(grid) - start
    chosen = [t for t in grid if 0 < t < seconds and rng.random() < h.on_grid]
    chosen += [t for t in ev.sections - start if 0 < t < seconds and rng.random() < 0.8]
    n_free = rng.poisson(h.off_grid_rate * seconds + (0.35 * seconds if h.grid == "free" else 0.0))
    chosen += rng.uniform(0, seconds, n_free).tolist()
    out: list[float] = []
    for t in sorted(chosen):
        t = t - (h.early_frames + (int(rng.integers(-h.jitter, h.jitter + 1)) if h.jitter else 0)) / h.fps
        if t - (out[-1] if out else 0.0) >= h.min_shot and seconds - t >= 0.3:
            out.append(float(t))
    return out


def _decay(times: np.ndarray, t: float, tau: float) -> float:
    i = np.searchsorted(times, t + 1e-9) - 1
    return float(np.exp(-(t - times[i]) / tau)) if i >= 0 else 0.0


def render_video(
    path: Path, photos: list[np.ndarray], ev: MusicEvents, h: Habits, rng: np.random.Generator, *, start: float,
    seconds: float, size: tuple[int, int] = (480, 270),
) -> list[float]:  # fmt: skip
    """Write the silent video to ``path``; returns its cut times."""
    import av
    import cv2

    cuts = cut_times(ev, h, rng, start, seconds)
    edges = [0.0, *cuts, seconds]
    shots = []
    for _ in range(len(edges) - 1):
        img = photos[int(rng.integers(len(photos)))]
        z0, z1 = rng.uniform(1.0, 1.1), rng.uniform(1.0, 1.1) + h.camera * rng.uniform(-0.1, 0.25)
        p0, p1 = rng.uniform(-0.5, 0.5, 2), rng.uniform(-0.5, 0.5, 2) * h.camera
        shots.append((img, z0, max(1.0, z1), p0, p1))
    w, hgt = size
    onsets = {"onset": ev.onsets, "downbeat": ev.downbeats}.get(h.flash, ev.beats)
    n = int(round(seconds * h.fps))
    walk = np.cumsum(rng.standard_normal((n, 2)), axis=0) * h.shake * 0.3
    with av.open(str(path), "w") as out:
        stream = out.add_stream(h.codec, rate=_rate(h.fps))
        stream.width, stream.height, stream.pix_fmt = w, hgt, "yuv420p"
        if h.codec == "libx264":
            stream.options = {"preset": "veryfast", "crf": str(h.crf)}
        else:
            stream.bit_rate = 2_000_000
        for f in range(n):
            t = f / h.fps
            k = int(np.searchsorted(edges, t, side="right") - 1)
            frame = _shot_frame(shots[k], edges, k, t, size, walk[f], h, ev, start)
            if h.dissolve > 0 and k > 0 and t - edges[k] < h.dissolve:
                a = (t - edges[k]) / h.dissolve
                prev = _shot_frame(shots[k - 1], edges, k - 1, t, size, walk[f], h, ev, start)
                frame = cv2.addWeighted(frame, a, prev, 1 - a, 0)
            frame = _centred_transition(frame, shots, edges, k, t, size, walk[f], h, ev, start)
            gain = 1.0 + h.follow * 0.2 * float(np.interp(start + t, ev.loud_times, ev.loudness))
            if h.flash != "none":
                gain += h.flash_gain * _decay(onsets - start, t, 0.08)
            if h.fade:
                gain *= min(1.0, t / 0.8, (seconds - t) / 0.8)
            gain *= _transition_gain(h, edges, t)
            if h.transition == "white" and k > 0 and 0 <= t - edges[k] < 2 / h.fps:
                frame = (255 - (255 - frame.astype(np.float32)) * 0.3).astype(np.uint8)
            frame = frame.astype(np.float32) * max(0.0, gain)
            if h.grain:
                frame += rng.normal(0.0, h.grain, frame.shape).astype(np.float32)
            if h.letterbox:
                bar = int(round(hgt * h.letterbox / 2))
                frame[:bar], frame[hgt - bar :] = 0.0, 0.0
            frame = np.clip(frame, 0, 255).astype(np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode())
    return cuts


def _centred_transition(frame, shots, edges, k, t, size, shake, h: Habits, ev: MusicEvents, start: float):
    """A cross-dissolve centred on the nearest edit point, or a whip pan's smear across it."""
    import cv2

    if h.transition not in ("xfade", "whip") or len(edges) < 3:
        return frame
    m = int(np.argmin([abs(t - e) for e in edges[1:-1]])) + 1  # the nearest cut: shots m - 1 → m
    half = h.xfade / 2 if h.transition == "xfade" else h.whip / h.fps
    if abs(t - edges[m]) >= half:
        return frame
    other = m - 1 if k == m else m
    if other < 0 or other >= len(shots):
        return frame
    second = _shot_frame(shots[other], edges, other, t, size, shake, h, ev, start)
    a = (t - (edges[m] - half)) / (2 * half)  # 0 → 1 across the edit: shot m's share
    incoming, outgoing = (frame, second) if k == m else (second, frame)
    if h.transition == "xfade":
        return cv2.addWeighted(incoming, a, outgoing, 1 - a, 0)
    closeness = 1.0 - abs(t - edges[m]) / half  # strongest on the cut
    width = size[0]
    shown = incoming if k == m else outgoing
    moved = np.roll(shown, int(round((1 - a if k == m else -a) * 0.3 * width * closeness)), axis=1)
    kernel = max(3, int(round(width * 0.15 * closeness)) | 1)
    return cv2.blur(moved, (kernel, 1))


def _transition_gain(h: Habits, edges: list[float], t: float) -> float:
    """A dip to black: brightness falls to 0 at each cut and back over ``2 × 0.12`` s."""
    if h.transition != "dip" or len(edges) < 3:
        return 1.0
    gap = min(abs(t - e) for e in edges[1:-1])
    return min(1.0, gap / 0.12)


def _rate(fps: float):
    from fractions import Fraction

    for nominal in (23.976, 29.97, 59.94):
        if abs(fps - nominal) < 0.01:
            return Fraction(int(round(nominal * 1001 / 1000)) * 1000, 1001)
    return Fraction(int(fps))


def _shot_frame(shot, edges, k, t, size, shake, h: Habits, ev: MusicEvents, start: float) -> np.ndarray:
    import cv2

    img, z0, z1, p0, p1 = shot
    u = (t - edges[k]) / max(1e-6, edges[k + 1] - edges[k])
    zoom = z0 + (z1 - z0) * u
    if h.punch:
        zoom += 0.08 * _decay(ev.downbeats - start, t, 0.12)
    if h.pulse:
        zoom += h.pulse * _decay(ev.beats - start, t, 0.1)
    pan = p0 + (p1 - p0) * u
    ih, iw = img.shape[:2]
    w, hgt = size
    scale = max(w / iw, hgt / ih) * zoom
    cx = iw / 2 + pan[0] * (iw - w / scale) / 2 + shake[0] / scale
    cy = ih / 2 + pan[1] * (ih - hgt / scale) / 2 + shake[1] / scale
    m = np.array([[scale, 0, w / 2 - scale * cx], [0, scale, hgt / 2 - scale * cy]], dtype=np.float32)
    return cv2.warpAffine(img, m, (w, hgt), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def load_photos(paths: list[Path], *, longest: int = 960) -> list[np.ndarray]:
    """Real photographs, downscaled once (RGB)."""
    import cv2

    out = []
    for p in paths:
        img = cv2.imread(str(p), cv2.IMREAD_COLOR)
        if img is None or min(img.shape[:2]) < 200:
            continue
        s = longest / max(img.shape[:2])
        if s < 1:
            img = cv2.resize(img, (int(img.shape[1] * s), int(img.shape[0] * s)), interpolation=cv2.INTER_AREA)
        out.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    return out


def make_query(
    path: Path, y: np.ndarray, ev: MusicEvents, photos: list[np.ndarray], family: str, rng: np.random.Generator,
    *, track: str,
) -> dict:  # fmt: skip
    """One query video with its sidecar (track, true start, habits, cuts)."""
    seconds = float(rng.uniform(20.0, 40.0))
    duration = len(y) / SR
    start = float(rng.uniform(0.0, max(0.0, duration - seconds - 0.5)))
    h = draw_habits(rng, family)
    path = path.with_suffix(".webm" if h.codec == "libvpx" else ".mp4")
    cuts = render_video(path, photos, ev, h, rng, start=start, seconds=seconds, size=tuple(h.size))
    meta = {"track": track, "start": round(start, 4), "seconds": round(seconds, 3), "cuts": cuts, "habits": asdict(h),
            "file": path.name}  # fmt: skip
    path.with_suffix(".json").write_text(json.dumps(meta))
    return meta


def with_dynamics(audio: np.ndarray, tempo: float, sr: int, *, seed: int, low: float = 0.35) -> np.ndarray:
    """``audio`` with a gain of its own on every bar (``low``..1), as players and mixes give real music.

    Generated songs loop their bars sample for sample, so an excerpt fits several offsets equally and the
    loudness a picture may follow says nothing; real music is never that regular.
    """
    bar = int(round(240.0 / tempo * sr))
    gains = np.random.default_rng(seed).uniform(low, 1.0, len(audio) // bar + 1)
    envelope = np.convolve(np.repeat(gains, bar)[: len(audio)], np.ones(64) / 64, mode="same")
    return (audio * envelope).astype(np.float32)
