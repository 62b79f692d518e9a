from django.db import migrations

from safeguard.core import db_guards


def install(apps, schema_editor):
    db_guards.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    db_guards.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_chain_head_and_mfa_verified_tokens")]

    operations = [migrations.RunPython(install, uninstall)]
