"""Bring tracks analysed by an older analysis (``recommender.analysis.ANALYSIS_VERSION``) up to date, in place."""

import time

from django.core.management.base import BaseCommand, CommandError

from webapp.catalog import services
from webapp.core.models import JobState


class Command(BaseCommand):
    help = (
        "Re-analyse the READY tracks analysed by an older analysis (all READY tracks with --all) in one job; each "
        "stays searchable with its old analysis until its new one is stored."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--all", dest="everything", action="store_true", help="every READY track, not only the stale ones"
        )
        parser.add_argument("--dry-run", action="store_true", help="only count the tracks")
        parser.add_argument("--wait", action="store_true", help="follow the job's progress until it ends")

    def handle(self, *args, everything: bool, dry_run: bool, wait: bool, **options) -> None:
        count, job = services.reanalyse_catalog(everything=everything, dry_run=dry_run)
        what = "ready" if everything else "stale"
        self.stdout.write(f"{count} {what} track{'' if count == 1 else 's'} to re-analyse")
        if job is None:
            return
        self.stdout.write(f"queued job {job.pk} (under the system user): re-analyse them, then rebuild the indexes")
        if wait:
            self._follow(job)

    def _follow(self, job) -> None:
        shown = None
        while True:
            job.refresh_from_db()
            if job.message != shown:
                self.stdout.write(f"[{job.progress:3d}%] {job.message}")
                shown = job.message
            if job.state == JobState.FAILED:
                raise CommandError(f"job {job.pk} failed: {job.error}")
            if job.state == JobState.DONE:
                result = job.result or {}
                self.stdout.write(f"re-analysed {result.get('reanalysed', 0)} of {result.get('stale', 0)}")
                for failure in result.get("failed", []):
                    self.stderr.write(f"track {failure['track']}: {failure['error']}")
                return
            time.sleep(1.0)
