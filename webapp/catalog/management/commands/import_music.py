"""Import a folder of music (recursive) into the catalog; files already there (same content) are skipped."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from recommender.media import MediaError
from webapp.catalog import services


class Command(BaseCommand):
    help = "Import audio files (wav, flac, ogg, mp3, m4a/aac, or the audio of videos) from DIR, recursively."

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--owner", help="import as this user's private tracks (default: the shared catalog)")

    def handle(self, *args, folder: Path, owner: str | None, **options) -> None:
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        user = None
        if owner:
            user = get_user_model().objects.filter(username=owner).first()
            if user is None:
                raise CommandError(f"no user named {owner!r}")
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in services.AUDIO_SUFFIXES)
        added = skipped = failed = 0
        for n, path in enumerate(files, 1):
            bar = "#" * int(30 * n / len(files))
            self.stdout.write(f"\r[{bar:<30}] {n}/{len(files)} {path.name[:40]:<40}", ending="")
            self.stdout.flush()
            try:
                with path.open("rb") as fh:
                    services.add_track(File(fh, name=path.name), path.name, owner=user, shared=user is None,
                                       local_path=path)  # fmt: skip
                added += 1
            except services.Duplicate:
                skipped += 1
            except MediaError as exc:
                failed += 1
                self.stderr.write(f"\n  failed: {exc}")
                try:  # keep it as a failed track with its reason, so the catalog shows what went wrong
                    with path.open("rb") as fh:
                        services.add_failed_track(File(fh, name=path.name), path.name, str(exc), owner=user,
                                                  shared=user is None)  # fmt: skip
                except services.Duplicate:
                    pass
            except OSError as exc:
                failed += 1
                self.stderr.write(f"\n  failed: {path.name}: {exc}")
        self.stdout.write(f"\nimported {added}, already there {skipped}, failed {failed}; analysis runs on the workers")
