"""Each track's level in dB per onset frame (recommender.analysis.TrackAnalysis.loudness, ANALYSIS_VERSION 5), which
the alignment's light term reads. Rows analysed before have none: the term is skipped for them until
``manage.py reanalyse_catalog`` brings them up to date, no data migration needed."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("catalog", "0010_track_analysis_version")]

    operations = [
        migrations.AddField(
            model_name="track",
            name="frame_loudness",
            field=models.BinaryField(
                blank=True,
                editable=False,
                null=True,
                help_text="level in dB, float16, one value per onset_hop: what the picture's light is matched "
                "against (recommender.light)",
            ),
        ),
    ]
