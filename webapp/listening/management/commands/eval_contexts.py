"""Evaluate situation inference and situational playlists on simulated listeners."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from recommender.context.simulation import evaluate, format_table


class Command(BaseCommand):
    help = ("Accuracy@1/@3 of situation inference and precision@10 of playlists against a popularity baseline, "
            "for warm users, cold users and cold tracks, on simulated listeners.")  # fmt: skip

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--users", type=int, default=80)
        parser.add_argument("--tracks", type=int, default=400)
        parser.add_argument("--sessions", type=int, default=30, help="sessions per warm user in the training log")
        parser.add_argument("--json", dest="json_path", type=Path)

    def handle(self, *args, seed: int, users: int, tracks: int, sessions: int, json_path=None, **options) -> None:
        results = evaluate(seed=seed, n_users=users, n_tracks=tracks, sessions=sessions)
        self.stdout.write(format_table(results))
        self.stdout.write(json.dumps(results["setup"]))
        if json_path:
            json_path.write_text(json.dumps(results, indent=2))
