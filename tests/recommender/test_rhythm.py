"""Visual rhythm at the full frame rate: exact cut frames and flashes on the beat."""

import numpy as np

from recommender.mux import write_video
from recommender.rhythm import accents, refine_cuts
from recommender.shots import detect_shots
from recommender.video import decode_frames
from recommender.video_analysis import analyze_video
from tests.media import shot_frames, write_shot_video

FPS = 25.0


def flashing_frames(beats: np.ndarray, *, seconds: float, fps: float = FPS, gain: float = 0.45, seed: int = 0):
    """A panning scene whose brightness jumps on every beat and decays within 0.1 s (cut-free)."""
    frames = shot_frames(seconds, cut_every=1000.0, fps=fps, seed=seed).astype(np.float32) * 0.6
    t = np.arange(len(frames)) / fps
    for b in beats:
        after = (t >= b) & (t < b + 0.3)
        frames[after] *= (1 + gain * np.exp(-(t[after] - b) / 0.05))[:, None, None, None]
    return np.clip(frames, 0, 255).astype(np.uint8)


def test_a_flash_on_every_beat_is_found_at_its_frame(tmp_path):
    beats = np.arange(0.52, 9.5, 60 / 128)  # 128 BPM, off the frame grid
    path = write_video(tmp_path / "flash.mp4", flashing_frames(beats, seconds=10.0), FPS)
    signals = decode_frames(path).signals
    times, strengths = accents(signals)
    first_frames = np.ceil(beats * FPS - 1e-6) / FPS  # a flash shows on the first frame after its beat
    assert len(times) == len(beats), (times, beats)
    assert np.abs(times - first_frames).max() <= 1.0 / FPS + 1e-6, np.c_[times, first_frames]
    assert strengths.min() > 0.2


def test_no_accents_in_a_steady_pan(tmp_path):
    path = write_video(tmp_path / "pan.mp4", flashing_frames(np.zeros(0), seconds=6.0), FPS)
    times, _ = accents(decode_frames(path).signals)
    assert len(times) == 0, times


def test_cuts_are_placed_on_their_exact_frame(tmp_path):
    cut_every = 1.72  # not a multiple of the sampling step, so the coarse detector is off by up to 1/8 s
    path = write_shot_video(tmp_path / "cuts.mp4", seconds=9.0, cut_every=cut_every, fps=FPS, seed=5)
    frames = decode_frames(path)
    coarse = detect_shots(frames.images, frames.times, duration=frames.duration).boundaries
    exact = refine_cuts(frames.signals, coarse)
    t = np.arange(int(9.0 * FPS)) / FPS
    truth = t[1:][np.diff(t // cut_every) > 0]  # the frames where the generator starts a new shot
    assert len(exact) == len(truth)
    assert np.abs(exact - truth).max() <= 1e-3, np.c_[exact, truth]
    assert np.abs(coarse - truth).max() > 0.02  # what the refinement is for


def test_video_analysis_keeps_exact_cuts_and_accents(tmp_path):
    beats = np.arange(0.5, 5.5, 0.5)
    path = write_video(tmp_path / "flash.mp4", flashing_frames(beats, seconds=6.0), FPS)
    result = analyze_video(path)
    assert result.frame_rate == np.float64(FPS) or abs(result.frame_rate - FPS) < 0.01
    assert len(result.cut_times) == 0 and len(result.shots) == 1
    assert len(result.accent_times) == len(beats)


def dissolving_frames(starts: list[int], *, frames: int, length: int, fps: float = FPS) -> np.ndarray:
    """Panning shots joined by cross-dissolves of ``length`` frames, the k-th starting at frame ``starts[k]``."""
    shots = [shot_frames(frames / fps, cut_every=1000.0, fps=fps, seed=10 + k) for k in range(len(starts) + 1)]
    out = shots[0].copy()
    for k, s in enumerate(starts):
        nxt = shots[k + 1].astype(np.float32)
        for i in range(s, frames):
            a = min(1.0, (i - s + 1) / (length + 1))  # frame s is the first the new shot shows in
            out[i] = np.clip((1 - a) * out[i].astype(np.float32) + a * nxt[i], 0, 255).astype(np.uint8)
    return out


def test_a_dissolve_is_placed_where_it_starts(tmp_path):
    starts = [47, 118, 171]  # frames: 1.88 s, 4.72 s, 6.84 s
    path = write_video(tmp_path / "dissolves.mp4", dissolving_frames(starts, frames=225, length=12), FPS)
    frames = decode_frames(path)
    coarse = detect_shots(frames.images, frames.times, duration=frames.duration).boundaries
    found = refine_cuts(frames.signals, coarse)
    truth = np.array(starts) / FPS
    assert len(found) == len(truth), (found, truth)
    assert np.abs(found - truth).max() <= 1.0 / FPS + 1e-6, np.c_[found, truth]
    strongest_step = refine_cuts(frames.signals, coarse, gradual=False)  # what the transition start is for
    assert len(strongest_step) < len(truth) or np.abs(strongest_step - truth).max() > 2.0 / FPS
