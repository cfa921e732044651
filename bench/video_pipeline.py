"""Video → soundtrack end to end: a 60-s 1280×720 H.264 clip against a 10,000-track catalog.

    .venv/bin/python bench/video_pipeline.py [--seconds 60] [--tracks 10000] [--candidates 500]

Prints the time of each stage (probe; decode + sample + downscale; shots; frame features; cross-modal
embedding; FAISS candidate search over track and section vectors; alignment of the candidates) beside
decoding the same clip with PyAV and doing nothing else, measured in the same run (target: end to end
≤ 3 × decode-only), and the alignment re-rank of ``--candidates`` tracks alone (target ≤ 100 ms).
Catalog vectors and segment sequences are generated (random unit vectors, downbeats at a random tempo,
sections every 8 bars) for size; the clip is ffmpeg's ``testsrc2`` pattern when ffmpeg is installed,
otherwise frames drawn here, encoded with libx264.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.alignment import Weights, align, load_weights, music_sequence, video_sequence
from recommender.index import VectorIndex
from recommender.light import light_curve
from recommender.models.crossmodal import embed_video_spans, load
from recommender.rhythm import accents, refine_cuts
from recommender.segments import music_segments
from recommender.shots import detect_shots
from recommender.video import decode_frames, frame_features, probe_video
from recommender.video_analysis import activity_curve

ONSET_HOP = 512 / 22050

CHECKPOINT = Path(__file__).resolve().parent.parent / "recommender" / "checkpoints" / "crossmodal.pt"


def make_clip(path: Path, seconds: float) -> None:
    if shutil.which("ffmpeg"):
        # testsrc2 with a hard cut every 4 s (hue shifts), like an edited clip
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc2=size=1280x720:rate=25:duration={seconds}", "-vf",
                        "hue=h=90*floor(t/4)", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                        str(path)], check=True)  # fmt: skip
        return
    from recommender.mux import write_video

    n = int(seconds * 25)
    frames = np.zeros((n, 720, 1280, 3), dtype=np.uint8)
    for i in range(n):
        frames[i, :, :, i // 100 % 3] = (np.arange(1280)[None, :] + 8 * i) % 256
    write_video(path, frames, 25, codec="libx264", bitrate=4_000_000)


def decode_only(path: Path) -> int:
    import av

    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        return sum(1 for _ in c.decode(stream))


def catalog(n: int, dim: int, rng: np.random.Generator):
    vecs = rng.standard_normal((n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs


def music(rng: np.random.Generator, dim: int):
    duration = float(rng.uniform(120, 300))
    bar = 240 / rng.uniform(70, 170)
    downbeats = np.arange(rng.uniform(0, bar), duration, bar)
    sections = downbeats[::8][1:]
    spans = music_segments(duration, downbeats, sections)
    vecs = catalog(len(spans), dim, rng)
    energy = np.cumsum(rng.normal(0, 1, int(duration * 2))) - 20
    beats = np.arange(downbeats[0] % (bar / 4), duration, bar / 4)
    onsets = rng.random(int(duration / ONSET_HOP)) ** 4  # peaky, like a real onset envelope
    loudness = -30 + 10 * onsets + np.repeat(energy, int(round(0.5 / ONSET_HOP)))[: len(onsets)] * 0.1
    return music_sequence(duration, spans, vecs, downbeats=downbeats, section_starts=sections, energy=energy,
                          beats=beats, onset_envelope=onsets, onset_hop=ONSET_HOP, loudness=loudness)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    model = load(CHECKPOINT)
    dim = model.config.dim
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clip = tmp / "clip.mp4"
        make_clip(clip, args.seconds)
        index_t = VectorIndex(tmp / "t.faiss", dim=dim, factory="Flat")
        index_t.rebuild(np.arange(args.tracks), catalog(args.tracks, dim, rng))
        n_sections = args.tracks * 10
        index_s = VectorIndex(tmp / "s.faiss", dim=dim, factory="IVF1024,SQ8")
        index_s.rebuild(np.arange(n_sections), catalog(n_sections, dim, rng))
        seqs = [music(rng, dim) for _ in range(args.candidates)]
        weights, coarse = Weights.blend(1.0, load_weights()), Weights.blend(1.0)
        align(video_sequence(4.0, [(0.0, 4.0)], catalog(1, dim, rng)), seqs[:2], weights=weights)  # compile

        decode_times, stage_rows = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            decode_only(clip)
            decode_times.append(time.perf_counter() - t0)
            stages = {}
            t = time.perf_counter()
            probe_video(clip)
            stages["probe"] = time.perf_counter() - t
            t = time.perf_counter()
            frames = decode_frames(clip)
            stages["decode + sample"] = time.perf_counter() - t
            t = time.perf_counter()
            shots = detect_shots(frames.images, frames.times, duration=frames.duration)
            stages["shots"] = time.perf_counter() - t
            t = time.perf_counter()
            cuts = refine_cuts(frames.signals, shots.boundaries)
            accent_times, accent_strengths = accents(frames.signals, cuts)
            stages["visual rhythm"] = time.perf_counter() - t
            t = time.perf_counter()
            feats = frame_features(frames.images)
            activity = activity_curve(frames.signals, cuts, times=frames.times)
            light = light_curve(frames.signals.times, frames.signals.brightness, cuts, duration=frames.duration)
            stages["frame features"] = time.perf_counter() - t
            t = time.perf_counter()
            clip_vec, shot_vecs = embed_video_spans(model, feats, shots.spans)
            stages["embedding"] = time.perf_counter() - t
            t = time.perf_counter()
            index_t.search(clip_vec[None], args.candidates)
            index_s.search(shot_vecs, 50)
            stages["candidate search"] = time.perf_counter() - t
            t = time.perf_counter()
            edges = [0.0, *cuts.tolist(), frames.duration]
            video = video_sequence(frames.duration, list(zip(edges[:-1], edges[1:], strict=True)), shot_vecs,
                                   activity=activity, activity_times=frames.times, accent_times=accent_times,
                                   accent_strengths=accent_strengths, frame_rate=frames.signals.fps,
                                   light=light)  # fmt: skip
            align(video, seqs, weights=weights, paths=10)
            stages["alignment"] = time.perf_counter() - t
            stage_rows.append(stages)
        decode = float(np.median(decode_times))
        total = float(np.median([sum(s.values()) for s in stage_rows]))
        print(
            f"clip: {args.seconds:.0f} s 1280x720 H.264, {len(frames.images)} sampled frames, {len(shots.spans)} shots"
        )
        print(f"catalog: {args.tracks} tracks, {n_sections} sections; {args.candidates} candidates aligned")
        for name in stage_rows[0]:
            print(f"  {name:<18}{np.median([s[name] for s in stage_rows]) * 1000:>9.1f} ms")
        print(f"end to end        {total * 1000:>9.1f} ms")
        print(f"decode only       {decode * 1000:>9.1f} ms   (PyAV, every frame, nothing else)")
        print(f"ratio             {total / decode:>9.2f} ×   (target ≤ 3)")
        no_light = Weights.blend(1.0, replace(load_weights(), light=0.0))
        passes = (("coarse grid only (before)", coarse), ("25-ms events, no light", no_light),
                  ("25-ms events and light", weights))  # fmt: skip
        for name, w in passes:
            times, cpu = [], []
            for _ in range(10):
                t, c = time.perf_counter(), time.process_time()
                align(video, seqs, weights=w, paths=10)
                times.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
            print(f"alignment re-rank of {args.candidates}, {name}: median {np.median(times) * 1000:.1f} ms, "
                  f"p95 {np.percentile(times, 95) * 1000:.1f} ms (target ≤ 100 ms); CPU time, all threads: "
                  f"median {np.median(cpu) * 1000:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
