"""Train the cross-modal music–video model on a folder of music videos (wraps the plain CLI)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from recommender.training import crossmodal


class Command(BaseCommand):
    help = "Train the cross-modal model on music videos (any folder of video files with audio)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--videos", type=Path, required=True)
        parser.add_argument("--eval", type=Path, help="held-out music videos to evaluate on")
        parser.add_argument("--out", type=Path, default=None, help="default: CROSSMODAL_MODEL_PATH")
        parser.add_argument("--steps", type=int, default=crossmodal.CrossTrainConfig.steps)
        parser.add_argument("--loss", choices=["triplet", "infonce"], default="triplet")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--bins", type=int, default=crossmodal.DEFAULT_BINS, help="ordered time bins in pooling")

    def handle(self, *args, videos: Path, eval: Path | None, out: Path | None, steps: int, loss: str, seed: int,
               bins: int, **options) -> None:  # fmt: skip
        argv = ["--videos", str(videos), "--out", str(out or settings.CROSSMODAL_MODEL_PATH), "--steps", str(steps),
                "--loss", loss, "--seed", str(seed), "--audio-init", str(settings.AUDIO_MODEL_PATH),
                "--bins", str(bins)]  # fmt: skip
        if eval:
            argv += ["--eval", str(eval)]
        crossmodal.main(argv)
