"""Evaluate the cross-modal model: for each held-out silent video, the rank of its own audio."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recommender.models import crossmodal as cm
from recommender.training.crossmodal import evaluate, format_table, load_corpus


class Command(BaseCommand):
    help = "Recall@1/5/10 and median rank of video → music retrieval on held-out clips, beside random embeddings."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--videos", type=Path, required=True)
        parser.add_argument("--model", type=Path, default=None, help="default: CROSSMODAL_MODEL_PATH")
        parser.add_argument("--json", dest="json_path", type=Path, help="also save the figures here")

    def handle(self, *args, videos: Path, model: Path | None, json_path: Path | None = None, **options) -> None:
        path = model or settings.CROSSMODAL_MODEL_PATH
        if not Path(path).exists():
            raise CommandError(f"no cross-modal model at {path}: run train_crossmodal")
        clips = load_corpus(videos, log=self.stderr.write)
        if len(clips) < 2:
            raise CommandError(f"need at least two usable clips in {videos}")
        results = evaluate(cm.load(path), clips)
        self.stdout.write(format_table(results))
        if json_path:
            json_path.write_text(json.dumps(results, indent=2))
