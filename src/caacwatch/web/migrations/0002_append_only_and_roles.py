"""The audit log is append-only in the database too (a trigger per vendor), and the role groups exist."""

from django.db import migrations

TABLE = "caacwatch_web_auditentry"
MESSAGE = "caacwatch audit log is append-only"

SQLITE = [
    f"CREATE TRIGGER caacwatch_audit_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER caacwatch_audit_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS caacwatch_audit_no_update", "DROP TRIGGER IF EXISTS caacwatch_audit_no_delete"]

POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION caacwatch_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$",
    f"CREATE TRIGGER caacwatch_audit_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION caacwatch_audit_append_only()",
    f"CREATE TRIGGER caacwatch_audit_no_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION caacwatch_audit_append_only()",
]
POSTGRESQL_DROP = [
    f"DROP TRIGGER IF EXISTS caacwatch_audit_no_change ON {TABLE}",
    f"DROP TRIGGER IF EXISTS caacwatch_audit_no_truncate ON {TABLE}",
    "DROP FUNCTION IF EXISTS caacwatch_audit_append_only()",
]

ROLES = ("viewer", "analyst", "admin")


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.using(schema_editor.connection.alias).get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("caacwatch_web", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}),
        ),
        migrations.RunPython(create_groups, migrations.RunPython.noop),
    ]
