"""Render a corpus of music-video clips whose editing follows their music (for cross-modal training)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from recommender.synth.music_video import make_corpus


class Command(BaseCommand):
    help = "Write N generated music-video clips (mp4 with audio) to DIR; their editing follows the music."

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--count", type=int, default=400)
        parser.add_argument("--first-seed", type=int, default=30_000)
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, folder: Path, count: int, first_seed: int, workers: int, **options) -> None:
        paths = make_corpus(folder, count=count, first_seed=first_seed, workers=workers)
        self.stdout.write(self.style.SUCCESS(f"wrote {len(paths)} clips to {folder}"))
