"""Ingestion of a 3-minute track (analysis + embeddings) against decode-only time of the same file.

    .venv/bin/python bench/catalog_ingest.py [FILE ...] [--repeat 3]

Without FILE it encodes a generated 3-minute song to MP3 and to Ogg Vorbis. Each stage is timed in the
same run as decoding the same file (median of --repeat runs, after one warm-up run), and printed as a ratio.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.analysis import analyze, spectra
from recommender.media import ANALYSIS_SR, load_audio
from recommender.models import audio_encoder as enc
from recommender.models.registry import audio_encoder

CHECKPOINT = Path(__file__).resolve().parent.parent / "recommender" / "checkpoints" / "audio_encoder.pt"


def generated_files(folder: Path) -> list[Path]:
    import soundfile as sf

    from recommender.synth.music import make_song
    from tests.media import write_av

    audio = np.concatenate([make_song(s, max_seconds=95).audio for s in (1, 2, 3)])[: 180 * ANALYSIS_SR]
    ogg = folder / "song-3min.ogg"
    with sf.SoundFile(ogg, "w", samplerate=ANALYSIS_SR, channels=1, format="OGG", subtype="VORBIS") as out:
        for i in range(0, len(audio), 8192):
            out.write(audio[i : i + 8192])
    return [write_av(folder / "song-3min.mp3", audio, ANALYSIS_SR, codec="mp3"), ogg]


def stages(path: Path) -> dict[str, float]:
    model = audio_encoder(str(CHECKPOINT))
    t = {}
    t0 = time.perf_counter()
    y = load_audio(path, sr=ANALYSIS_SR)
    t["decode"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    spec = spectra(y, ANALYSIS_SR)
    result = analyze(y, ANALYSIS_SR, spec=spec)
    t["analysis"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    mel = enc.log_mel(y, ANALYSIS_SR, power=spec.power)
    enc.embed_track(model, mel, [(s.start, s.end) for s in result.sections])
    t["embeddings"] = time.perf_counter() - t0
    t["total"] = sum(t.values())
    t["seconds_of_audio"] = len(y) / ANALYSIS_SR
    return t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        files = args.files or generated_files(Path(tmp))
        stages(files[0])  # warm-up: imports, numba compilation, model load
        print(
            f"{'file':<28}{'audio s':>8}{'decode':>9}{'analysis':>10}{'embed':>8}{'total':>8}"
            f"{'(analysis+embed)/decode':>26}"
        )
        for path in files:
            runs = [stages(path) for _ in range(args.repeat)]
            med = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
            work = med["analysis"] + med["embeddings"]
            print(f"{path.name[:27]:<28}{med['seconds_of_audio']:>8.0f}{med['decode']:>9.3f}{med['analysis']:>10.3f}"
                  f"{med['embeddings']:>8.3f}{med['total']:>8.3f}{work / med['decode']:>26.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
