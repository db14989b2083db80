"""SQLite: FTS5 prefix indexes for the query stems (``search.backends.FTS_PREFIXES``). An
index without them is copied into a new FTS5 table in SQL (no record is re-parsed); on a large
index this takes a while (about 15 minutes for a million records, 6 million documents, on a
2-CPU machine). PostgreSQL: nothing to do."""

from django.db import migrations


def upgrade_index(apps, schema_editor):
    from clearinghouse.search.backends import upgrade_layout

    upgrade_layout()


class Migration(migrations.Migration):
    dependencies = [("search", "0004_feedback_pending_alert_mode")]

    operations = [migrations.RunPython(upgrade_index, migrations.RunPython.noop)]
