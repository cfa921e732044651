"""Loudness curves analysed before 2026-11-24 have blocks of 22 STFT frames (22 × 512 / 22,050 Hz = 0.5108 s)
labelled as 0.5 s. Saying what they are puts them back in time with the music, with no re-analysis."""

from django.db import migrations

OLD_BLOCK = 22 * 512 / 22050  # seconds: round(0.5 s × 43.07 frames/s) frames of 512 samples at 22,050 Hz


def forwards(apps, schema_editor):
    Track = apps.get_model("catalog", "Track")
    Track.objects.filter(energy_hop=0.5, analysed_at__isnull=False).update(energy_hop=OLD_BLOCK)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0008_track_visible_index")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
