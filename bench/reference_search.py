"""Reference search on real music: do 10-s excerpts, degraded, find their own track and place?

    nice -n 10 .venv/bin/python bench/reference_search.py [--tracks 40] [--per-track 3] [--max-seconds 240]

The catalog is every Ogg file of the Debian packages planetblupi-music-ogg and warzone2100-music (real mixed music
no one here made; `apt-get install -y` them). Each excerpt is 10 s from a random start, re-encoded as MP3 (libsndfile,
in memory), gain-changed by ±3 dB and given white noise at 30 dB SNR. Two searches, measured side by side:

- ``passages`` (recommender/passages.py): 2-s chroma + MFCC passages, FAISS, offset voting — what
  ``POST /api/search/sections/`` uses;
- ``sections`` (baseline): the excerpt's audio-encoder vector against every section vector of the catalog
  (what the section FAISS index holds), the nearest section's track.

Prints recall@1 and @5 (the excerpt's own track), the share of top-1 hits whose start is within 2 s of the true one,
and the time of one search for a 30-s reference, analysis included (median of 5), for both.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import soundfile as sf

from recommender.analysis import analyze, spectra
from recommender.index import build
from recommender.media import ANALYSIS_SR, load_audio
from recommender.models import audio_encoder as enc
from recommender.passages import block_features, passage_ids, passage_vectors, query_passages, vote
from recommender.spectral import power_spectrogram

PACKAGES = ("planetblupi-music-ogg", "warzone2100-music")
SR = ANALYSIS_SR


def real_tracks(limit: int) -> list[Path]:
    files = []
    for package in PACKAGES:
        out = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True).stdout.split()
        files += sorted(Path(f) for f in out if f.lower().endswith((".ogg", ".opus")) and Path(f).is_file())
    if not files:
        sys.exit(f"no music: apt-get install -y {' '.join(PACKAGES)}")
    return files[:limit]


def degrade(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """MP3 round trip (in memory), ±3 dB, white noise at 30 dB SNR."""
    buf = io.BytesIO()
    sf.write(buf, y, SR, format="MP3")
    buf.seek(0)
    z, _ = sf.read(buf, dtype="float32")
    z = z[: len(y)] * 10 ** (rng.choice([-3.0, 3.0]) / 20)
    noise = rng.standard_normal(len(z)).astype(np.float32)
    noise *= np.sqrt(np.mean(z**2) / 10 ** (30 / 10) / np.mean(noise**2))
    return z + noise


def passage_search(index, y: np.ndarray, k: int = 20):
    power = power_spectrogram(y)
    vecs, times = query_passages(power, SR)
    scores, ids = index.search(vecs, k)
    return vote(ids, scores, times, top=10)


def section_search(model, sec_vecs: np.ndarray, sec_track: np.ndarray, sec_start: np.ndarray, y: np.ndarray):
    mel = enc.log_mel(y)
    vec, _ = enc.embed_track(model, mel, [])
    order = np.argsort(-(sec_vecs @ vec))
    seen, out = set(), []
    for i in order:
        if sec_track[i] not in seen:
            seen.add(sec_track[i])
            out.append((int(sec_track[i]), float(sec_start[i])))
        if len(out) == 10:
            break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracks", type=int, default=40)
    parser.add_argument("--per-track", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=240.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-sections", action="store_true", help="skip the section-embedding baseline")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    model = None if args.no_sections else enc.load(Path("recommender/checkpoints/audio_encoder.pt"))

    audio, all_vecs, all_ids, sec_vecs, sec_track, sec_start = [], [], [], [], [], []
    t0 = time.perf_counter()
    for tid, path in enumerate(real_tracks(args.tracks)):
        y = load_audio(path, sr=SR)[: int(args.max_seconds * SR)]
        audio.append(y)
        spec = spectra(y, SR)
        v = passage_vectors(block_features(spec.power, SR))
        all_vecs.append(v)
        all_ids.append(passage_ids(tid, len(v)))
        if model is not None:
            sections = analyze(y, SR, spec=spec).sections
            _, sv = enc.embed_track(model, enc.log_mel(y, power=spec.power), [(s.start, s.end) for s in sections])
            sec_vecs.append(sv)
            sec_track += [tid] * len(sections)
            sec_start += [s.start for s in sections]
    index = build(np.concatenate(all_vecs), np.concatenate(all_ids), "Flat")
    minutes = sum(len(y) for y in audio) / SR / 60
    print(f"catalog: {len(audio)} real tracks, {minutes:.0f} min, {index.ntotal} passages "
          f"(indexed in {time.perf_counter() - t0:.0f} s)")  # fmt: skip
    sec_vecs = np.concatenate(sec_vecs) if sec_vecs else None
    sec_track, sec_start = np.array(sec_track), np.array(sec_start)

    hits = {"passages": [0, 0, 0], "sections": [0, 0, 0]}
    n = 0
    for tid, y in enumerate(audio):
        for _ in range(args.per_track):
            if len(y) < 12 * SR:
                continue
            start = float(rng.uniform(0, len(y) / SR - 10.5))
            q = degrade(y[int(start * SR) : int(start * SR) + 10 * SR], rng)
            n += 1
            found = [(m.track_id, m.start) for m in passage_search(index, q)]
            results = {"passages": found}
            if sec_vecs is not None:
                results["sections"] = section_search(model, sec_vecs, sec_track, sec_start, q)
            for name, res in results.items():
                ids = [t for t, _ in res]
                hits[name][0] += bool(ids) and ids[0] == tid
                hits[name][1] += tid in ids[:5]
                hits[name][2] += bool(ids) and ids[0] == tid and abs(res[0][1] - start) <= 2.0
    for name, (r1, r5, placed) in hits.items():
        if (name == "sections" and sec_vecs is None) or n == 0:
            continue
        print(f"{name:9s} recall@1 {r1 / n:.3f}  recall@5 {r5 / n:.3f}  top-1 start within 2 s {placed / n:.3f}  "
              f"({n} excerpts of 10 s: MP3, ±3 dB, 30 dB SNR noise)")  # fmt: skip

    ref = degrade(audio[0][: 30 * SR], rng)
    for name in ("passages", "sections"):
        if name == "sections" and sec_vecs is None:
            continue
        times, cpu = [], []
        for _ in range(5):
            t, c = time.perf_counter(), time.process_time()
            if name == "passages":
                passage_search(index, ref)
            else:
                section_search(model, sec_vecs, sec_track, sec_start, ref)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        print(f"{name:9s} 30-s reference, analysis + search: median {np.median(times) * 1000:.0f} ms "
              f"({np.median(cpu) * 1000:.0f} ms CPU)")  # fmt: skip
    print(f"load average during the run (this machine's 2 cores are shared): {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
