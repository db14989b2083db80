"""Search index layout for a million records: ``search_facet.published_at`` with covering
indexes, and on SQLite text ids that name their record (see ``search.backends``). An index of
the earlier layout is copied into the new one in SQL (no record is re-parsed)."""

from django.db import migrations


def upgrade_index(apps, schema_editor):
    from clearinghouse.search.backends import upgrade_layout

    upgrade_layout()


class Migration(migrations.Migration):
    dependencies = [("search", "0002_saved_search")]

    operations = [migrations.RunPython(upgrade_index, migrations.RunPython.noop)]
