"""Activity curves analysed before 2026-11-24 were stored with the median step of the sampled frames' times as
their hop: 0.24 s for a 25-fps video, whose frames lie at 0, 0.28, 0.52, 0.76, 1.0 s. The frames were taken at
every quarter second, so 0.25 s is their true mean step; storing it puts the curve back in time with the video."""

from django.db import migrations

SAMPLE_STEP = 0.25  # seconds: recommender.video samples 4 frames per second


def forwards(apps, schema_editor):
    Video = apps.get_model("videos", "Video")
    Video.objects.exclude(activity_hop=SAMPLE_STEP).update(activity_hop=SAMPLE_STEP)


class Migration(migrations.Migration):
    dependencies = [("videos", "0003_preview_fit")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
