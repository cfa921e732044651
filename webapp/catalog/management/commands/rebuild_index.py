from django.core.management.base import BaseCommand

from webapp.catalog.indexes import rebuild_indexes


class Command(BaseCommand):
    help = "Rebuild the FAISS track and section indexes from the database and swap them in atomically."

    def handle(self, *args, **options) -> None:
        tracks, sections = rebuild_indexes()
        self.stdout.write(f"indexed {tracks} tracks and {sections} sections")
