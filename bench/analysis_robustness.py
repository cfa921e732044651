"""Does the music analysis hold on real music? Agreement with itself under re-encoding, gain, tempo change and
excerpting, beside librosa's default beat tracker, in the same run.

    .venv/bin/python bench/analysis_robustness.py [--tracks 30] [--seconds 60]

Real tracks come from the Debian game-soundtrack packages (see bench/real_media.py). Nobody annotated them,
so the measure is consistency: a beat, downbeat or section boundary found in the original must be found
again, at the mapped time, when the same music is re-encoded as 96 kbit/s MP3, played 6 % faster, cut to
start 17.3 s later, or 6 dB quieter with noise at 30 dB SNR; and the tempo must follow (a tempo that jumps
to double or half is an octave error). F-measures use ±70 ms for beats and downbeats, ±1 s for sections.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.real_media import decode_head, real_tracks
from recommender.synth.photo_video import SR

STRETCH = 1.06
EXCERPT = 17.3


def f_measure(ref: np.ndarray, est: np.ndarray, tol: float) -> float:
    ref, est = np.asarray(ref, dtype=float), np.asarray(est, dtype=float)
    if len(ref) == 0 and len(est) == 0:
        return 1.0
    if len(ref) == 0 or len(est) == 0:
        return 0.0
    used = np.zeros(len(est), dtype=bool)
    hits = 0
    for r in ref:
        d = np.abs(est - r)
        d[used] = np.inf
        j = int(np.argmin(d))
        if d[j] <= tol:
            used[j] = True
            hits += 1
    p, r = hits / len(est), hits / len(ref)
    return 0.0 if hits == 0 else 2 * p * r / (p + r)


def mp3_roundtrip(y: np.ndarray, sr: int = SR) -> np.ndarray:
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp3") as out:
        s = out.add_stream("libmp3lame", rate=sr)
        s.bit_rate, s.layout = 96_000, "mono"
        frame_len = 1152
        for i in range(0, len(y), frame_len):
            chunk = y[i : i + frame_len].astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
            frame.sample_rate = sr
            for p in s.encode(frame):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)
    buf.seek(0)
    chunks = []
    with av.open(buf) as c:
        rs = av.AudioResampler(format="flt", layout="mono", rate=sr)
        for frame in c.decode(c.streams.audio[0]):
            for o in rs.resample(frame):
                chunks.append(o.to_ndarray().reshape(-1))
    z = np.concatenate(chunks)
    # The encoder's priming delay is not the analysis's fault: line the decoded audio up with the original.
    head = min(len(y), 5 * sr) - 4096
    lags = [float(np.dot(y[:head], z[lag : lag + head])) for lag in range(0, 4096, 8)]
    lag = 8 * int(np.argmax(lags))
    return np.pad(z[lag:], (0, max(0, len(y) - len(z) + lag)))[: len(y)]


def conditions(y: np.ndarray, rng: np.random.Generator):
    """(name, audio, map from original seconds to this audio's seconds, expected tempo ratio)."""
    import librosa

    quiet = 0.5 * y + rng.standard_normal(len(y)).astype(np.float32) * float(np.sqrt(np.mean((0.5 * y) ** 2))) / 31.6
    return [
        ("mp3 96k", mp3_roundtrip(y), lambda t: t, 1.0),
        ("-6 dB + noise", quiet.astype(np.float32), lambda t: t, 1.0),
        ("6 % faster", librosa.effects.time_stretch(y, rate=STRETCH), lambda t: t / STRETCH, STRETCH),
        ("excerpt", y[int(EXCERPT * SR) :], lambda t: t - EXCERPT, 1.0),
    ]


def segue(y: np.ndarray) -> dict:
    from recommender.analysis import analyze

    a = analyze(y, SR)
    return {"tempo": a.tempo, "beats": np.array(a.beats), "downbeats": np.array(a.downbeats),
            "sections": np.array([s.start for s in a.sections[1:]])}  # fmt: skip


def librosa_default(y: np.ndarray) -> dict:
    import librosa

    tempo, beats = librosa.beat.beat_track(y=y, sr=SR, units="time")
    return {"tempo": float(np.atleast_1d(tempo)[0]), "beats": beats}


def compare(ref: dict, est: dict, mapping, ratio: float, duration: float) -> dict:
    def window(times):
        mapped = mapping(np.asarray(times, dtype=float))
        return mapped[(mapped > 1.0) & (mapped < duration - 1.0)]

    def inside(times):
        t = np.asarray(times, dtype=float)
        return t[(t > 1.0) & (t < duration - 1.0)]

    r = est["tempo"] / (ref["tempo"] * ratio)
    out = {"tempo ok": float(abs(r - 1) <= 0.04), "octave error": float(min(abs(r - 2), abs(r - 0.5)) <= 0.08),
           "beat F": f_measure(window(ref["beats"]), inside(est["beats"]), 0.07)}  # fmt: skip
    if "downbeats" in ref:
        out["downbeat F"] = f_measure(window(ref["downbeats"]), inside(est["downbeats"]), 0.07)
        out["section F"] = f_measure(window(ref["sections"]), inside(est["sections"]), 1.0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/segue-real-media"))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    tracks = real_tracks(args.cache)
    rng = np.random.default_rng(0)
    chosen = [tracks[int(i)] for i in sorted(rng.choice(len(tracks), min(args.tracks, len(tracks)), replace=False))]
    methods = {"segue": segue, "librosa default": librosa_default}
    rows: dict[tuple[str, str], list[dict]] = {}
    t0 = time.perf_counter()
    for _name, path in chosen:
        y = decode_head(path, args.seconds)
        refs = {m: f(y) for m, f in methods.items()}
        for cond, yc, mapping, ratio in conditions(y, rng):
            for m, f in methods.items():
                rows.setdefault((m, cond), []).append(compare(refs[m], f(yc), mapping, ratio, len(yc) / SR))
    print(f"{len(chosen)} real tracks, first {args.seconds:.0f} s each ({time.perf_counter() - t0:.0f} s)\n")
    keys = ["tempo ok", "octave error", "beat F", "downbeat F", "section F"]
    print(f"{'analysis':<17}{'condition':<15}" + "".join(f"{k:>13}" for k in keys))
    for (m, cond), rs in rows.items():
        cells = [f"{np.mean([r[k] for r in rs]):>13.3f}" if k in rs[0] else f"{'—':>13}" for k in keys]
        print(f"{m:<17}{cond:<15}" + "".join(cells))


if __name__ == "__main__":
    main()
