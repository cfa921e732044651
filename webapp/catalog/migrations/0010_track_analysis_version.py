"""Which analysis a track carries (recommender.analysis.ANALYSIS_VERSION). Rows analysed before get 0, i.e. stale:
``manage.py reanalyse_catalog`` brings them up to date in place, no data migration needed."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("catalog", "0009_energy_hop_of_old_analyses")]

    operations = [
        migrations.AddField(
            model_name="track",
            name="analysis_version",
            field=models.PositiveIntegerField(
                default=0, help_text="recommender.analysis.ANALYSIS_VERSION of the stored analysis (0: before versions)"
            ),
        ),
    ]
