"""Train the cross-modal music–video model on a folder of music videos (wraps the plain CLI)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recommender.training import crossmodal


class Command(BaseCommand):
    help = "Train the cross-modal model on music videos (any folder of video files with audio)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--videos", type=Path, nargs="+", required=True, help="folders of music videos")
        parser.add_argument("--eval", type=Path, help="held-out music videos to evaluate on")
        parser.add_argument("--out", type=Path, default=None, help="default: CROSSMODAL_MODEL_PATH")
        parser.add_argument("--steps", type=int, default=crossmodal.CrossTrainConfig.steps)
        parser.add_argument("--loss", choices=["triplet", "infonce"], default="triplet")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--bins", type=int, default=crossmodal.DEFAULT_BINS, help="ordered time bins in pooling")
        parser.add_argument(
            "--init",
            nargs="?",
            const=str(settings.CROSSMODAL_MODEL_PATH),
            default=None,
            help="continue from a checkpoint (default: the current model) instead of from scratch",
        )
        parser.add_argument("--augment", action="store_true", help="change speed and colours of training windows")
        parser.add_argument("--no-reembed", action="store_true",
                            help="do not queue the job that re-embeds the catalog with the new model")  # fmt: skip

    def handle(self, *args, videos: list[Path], eval: Path | None, out: Path | None, steps: int, loss: str, seed: int,
               bins: int, init: str | None, augment: bool, no_reembed: bool, **options) -> None:  # fmt: skip
        target = Path(out or settings.CROSSMODAL_MODEL_PATH)
        argv = ["--videos", *map(str, videos), "--out", str(target), "--steps", str(steps), "--loss", loss,
                "--seed", str(seed), "--audio-init", str(settings.AUDIO_MODEL_PATH), "--bins", str(bins)]  # fmt: skip
        if augment:
            argv.append("--augment")
        if eval:
            argv += ["--eval", str(eval)]
        if init:
            if not Path(init).exists():
                raise CommandError(f"no checkpoint at {init} to continue from")
            argv += ["--init", str(init)]
        crossmodal.main(argv)
        if target.resolve() == Path(settings.CROSSMODAL_MODEL_PATH).resolve() and not no_reembed:
            from webapp.catalog.tasks import reembed_catalog
            from webapp.core.jobs import create_job, system_user

            job = create_job(system_user(), reembed_catalog)
            self.stdout.write(f"queued job {job.pk}: re-embed the catalog with the new model")
