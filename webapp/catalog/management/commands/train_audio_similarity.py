"""Train the audio-similarity encoder on the catalog itself (two excerpts of a track = a positive pair)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recommender.media import MediaError, load_audio
from recommender.models import audio_encoder as enc
from recommender.training.audio_triplets import TrainConfig, excerpt_retrieval, train
from webapp.catalog.models import Track


class Command(BaseCommand):
    help = "Train the triplet audio encoder on the catalog's tracks and save it (then re-embed with --reembed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--steps", type=int, default=600)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", type=Path, default=None, help="default: AUDIO_MODEL_PATH")
        parser.add_argument("--reembed", action="store_true", help="queue the embedding of every track afterwards")

    def handle(self, *args, steps: int, seed: int, out: Path | None, reembed: bool, **options) -> None:
        tracks = list(Track.objects.exclude(state="failed"))
        mels = []
        for i, track in enumerate(tracks, 1):
            try:
                mels.append(enc.log_mel(load_audio(track.file.path, sr=enc.SR, max_seconds=settings.MAX_TRACK_SECONDS)))
            except (MediaError, OSError) as exc:
                self.stderr.write(f"skipped {track}: {exc}")
            self.stdout.write(f"\rdecoding {i}/{len(tracks)}", ending="")
        self.stdout.write("")
        if len(mels) < 4:
            raise CommandError("need at least 4 decodable tracks to train")
        held = mels[-max(2, len(mels) // 5) :]
        model, _ = train(mels[: -len(held)], TrainConfig(steps=steps, seed=seed),
                         progress=lambda f, m: self.stdout.write(f"\r[{f:4.0%}] {m}", ending=""))  # fmt: skip
        scores = excerpt_retrieval(model, held)
        self.stdout.write(f"\nheld-out excerpt retrieval ({len(held)} tracks): {scores}")
        target = out or settings.AUDIO_MODEL_PATH
        enc.save(
            model, target, meta={"steps": steps, "seed": seed, "tracks": len(mels) - len(held), "held_out": scores}
        )
        self.stdout.write(self.style.SUCCESS(f"saved {target}"))
        if reembed:
            from webapp.catalog.services import analyse

            for track in tracks:
                analyse(track)
            self.stdout.write(f"queued {len(tracks)} tracks for analysis and embedding")
