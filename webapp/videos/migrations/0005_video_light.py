"""Each video's light curve (recommender.video_analysis.VideoAnalysis.light), which the alignment matches against the
music's level. Videos analysed before have none: the light term is skipped for them (analysing one again keeps it)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("videos", "0004_activity_hop_exact")]

    operations = [
        migrations.AddField(
            model_name="video",
            name="light",
            field=models.BinaryField(
                blank=True,
                editable=False,
                null=True,
                help_text="log brightness high-passed within shots, float16, one value per 25 ms (recommender.light): "
                "matched against the music's level",
            ),
        ),
    ]
