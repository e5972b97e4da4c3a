"""Give the role groups their permissions on service readiness and supply forecasts.

Everyone reads readiness, its history and the forecasts (within their scope); administrators
and logistics officers may recompute readiness now rather than wait for the poller's round.
"""

from django.db import migrations

READ = ["view_readinessperiod", "view_readinessrun", "view_supplyforecast"]
RECOMPUTE = ["add_readinessrun"]

# role → codenames of monitoring permissions
ROLE_PERMISSIONS = {
    "administrator": READ + RECOMPUTE,
    "logistics_officer": READ + RECOMPUTE,
    "auditor": READ,
    "technician": READ,
    "office_head": READ,
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="monitoring", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0005_readiness_forecasts"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
