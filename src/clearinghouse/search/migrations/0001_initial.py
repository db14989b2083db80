import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def create_index_tables(apps, schema_editor):
    from clearinghouse.search.backends import LIVE, get_backend

    backend = get_backend()
    if not backend.table_exists("search_record"):
        backend.create(LIVE)


def drop_index_tables(apps, schema_editor):
    from clearinghouse.search.backends import LIVE, SHADOW, get_backend

    backend = get_backend()
    backend.drop(SHADOW)
    backend.drop(LIVE)


class Migration(migrations.Migration):
    initial = True

    dependencies = [("records", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="RecordVector",
            fields=[
                (
                    "record",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="records.record",
                    ),
                ),
                ("model", models.CharField(max_length=64)),
                ("vector", models.BinaryField()),
                (
                    "updated_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
            ],
        ),
        migrations.RunPython(create_index_tables, drop_index_tables),
    ]
