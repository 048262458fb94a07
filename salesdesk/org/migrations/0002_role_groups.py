"""Create one group per role. Their permissions are (re)applied after every migrate by
``salesdesk.org.roles.sync_role_permissions``, so apps added later grant theirs too."""

from django.db import migrations

ROLES = ["admin", "clerk", "salesperson", "sales_manager", "general_manager", "finance", "hr", "warehouse", "planner"]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
