"""Render a corpus of music-video clips whose editing follows their music (for cross-modal training)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommender.synth.music_video import make_corpus
from recommender.synth.photo_corpus import (
    MUSIC_SUFFIXES,
    PHOTO_SUFFIXES,
    find_files,
    make_photo_corpus,
    usable_music,
)


class Command(BaseCommand):
    help = (
        "Write N music-video clips (mp4 with audio) to DIR whose editing follows the music: generated songs and "
        "drawn pictures, or, with --photos and --music, real photographs edited to excerpts of real music."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--count", type=int, default=400)
        parser.add_argument("--first-seed", type=int, default=None, help="default: 30000 (50000 with --photos)")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--photos", type=Path, nargs="+", help="folders of photographs (jpg, png, webp)")
        parser.add_argument("--music", type=Path, nargs="+", help="folders of music files (ogg, opus, flac, wav)")

    def handle(self, *args, folder: Path, count: int, first_seed, workers: int, photos, music, **options) -> None:
        if bool(photos) != bool(music):
            raise CommandError("--photos and --music go together")
        if photos:
            missing = [str(f) for f in [*photos, *music] if not f.is_dir()]
            if missing:
                raise CommandError(f"not a folder: {', '.join(missing)}")
            tracks = usable_music(find_files(music, MUSIC_SUFFIXES))
            stills = find_files(photos, PHOTO_SUFFIXES)
            if not tracks or not stills:
                raise CommandError(f"found {len(tracks)} music files of 45 s or more and {len(stills)} photographs")
            self.stdout.write(f"{len(tracks)} music files, {len(stills)} photographs")
            seed = 50_000 if first_seed is None else first_seed
            paths = make_photo_corpus(folder, music=tracks, photos=stills, count=count, first_seed=seed,
                                      workers=workers)  # fmt: skip
        else:
            paths = make_corpus(folder, count=count, first_seed=30_000 if first_seed is None else first_seed,
                                workers=workers)  # fmt: skip
        self.stdout.write(self.style.SUCCESS(f"wrote {len(paths)} clips to {folder}"))
