"""Evaluate video → music retrieval on held-out clips: clip to clip (the cross-modal model alone), then
video to full tracks by global vectors and by alignment re-ranking, side by side, with offset errors."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recommender import evaluation
from recommender.models import crossmodal as cm
from recommender.training.crossmodal import evaluate, format_table, load_corpus


class Command(BaseCommand):
    help = "Recall@1/5/10, median rank and offset error of video → music retrieval, beside random embeddings."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--videos", type=Path, required=True)
        parser.add_argument("--model", type=Path, default=None, help="default: CROSSMODAL_MODEL_PATH")
        parser.add_argument("--json", dest="json_path", type=Path, help="also save the figures here")
        parser.add_argument("--clips-only", action="store_true", help="only the clip-to-clip table (fast)")

    def handle(self, *args, videos: Path, model: Path | None, json_path: Path | None = None, clips_only=False,
               **options) -> None:  # fmt: skip
        path = model or settings.CROSSMODAL_MODEL_PATH
        if not Path(path).exists():
            raise CommandError(f"no cross-modal model at {path}: run train_crossmodal")
        net = cm.load(path)
        clips = load_corpus(videos, log=self.stderr.write)
        if len(clips) < 2:
            raise CommandError(f"need at least two usable clips in {videos}")
        results = {"clips": evaluate(net, clips)}
        self.stdout.write("Clip to clip (the video's own soundtrack among all clips' soundtracks):")
        self.stdout.write(format_table(results["clips"]))
        if not clips_only:
            entries, queries = evaluation.load_set(videos, net, log=self.stderr.write)
            w = settings.STRUCTURE_WEIGHT
            variants = {
                "alignment": ("rigid", w), "alignment (dtw)": ("dtw", w), "alignment content only": ("rigid", 0.0),
                "alignment structure only": ("rigid", 1.0),
            }  # fmt: skip
            results["tracks"] = evaluation.evaluate_modes(entries, queries, variants=variants)
            self.stdout.write(f"\nVideo to full tracks ({len(entries)} tracks; structure weight {w}):")
            self.stdout.write(evaluation.format_table(results["tracks"]))
        if json_path:
            json_path.write_text(json.dumps(results, indent=2))
