"""Seed the shared catalog with deterministic synthesised songs, ingested through the normal pipeline."""

import io

import soundfile as sf
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.management.base import BaseCommand

from recommender.synth.music import make_song
from webapp.catalog import services
from webapp.catalog.models import Track

DEMO_ARTIST = "Segue demo"


class Command(BaseCommand):
    help = "Synthesise N demo songs (drums, bass, chords, lead; 60–180 BPM; multi-section) into the shared catalog."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--count", type=int, default=100)
        parser.add_argument("--warm", action="store_true", help="then compile the alignment kernels")

    def handle(self, *args, count: int, warm: bool = False, **options) -> None:
        self._seed(count)
        if warm:
            from recommender.kernels import warm_up

            self.stdout.write(f"alignment kernels ready ({warm_up():.1f} s)")

    def _seed(self, count: int) -> None:
        have = set(Track.objects.filter(shared=True, artist=DEMO_ARTIST).values_list("original_name", flat=True))
        todo = [i for i in range(count) if f"segue-demo-{i:03d}.ogg" not in have]
        if not todo:
            self.stdout.write(f"demo catalog: {count} songs already seeded")
            return
        self.stdout.write(f"demo catalog: synthesising {len(todo)} songs (analysis continues on the worker)")
        for n, i in enumerate(todo, 1):
            song = make_song(i)
            buf = io.BytesIO()
            # Block-wise: libsndfile's Vorbis encoder can crash when handed a long buffer in one call.
            with sf.SoundFile(buf, "w", samplerate=song.sr, channels=1, format="OGG", subtype="VORBIS") as out:
                for start in range(0, len(song.audio), 8192):
                    out.write(song.audio[start : start + 8192])
            name = f"segue-demo-{i:03d}.ogg"
            upload = InMemoryUploadedFile(buf, "file", name, "audio/ogg", buf.getbuffer().nbytes, None)
            try:
                track = services.add_track(upload, name, owner=None, shared=True)
            except services.Duplicate:
                continue
            Track.objects.filter(pk=track.pk).update(title=song.title, artist=DEMO_ARTIST)
            self.stdout.write(f"\r  {n}/{len(todo)} {song.title:<40}", ending="")
            self.stdout.flush()
        self.stdout.write("")
