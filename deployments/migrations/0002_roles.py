"""Give the role groups their permissions on the distribution plan."""

from django.db import migrations

MODELS = ["distributionplanline", "historicaldistributionplanline"]
ROLE_ACTIONS = {
    "administrator": ["view", "add", "change"],
    "logistics_officer": ["view", "add", "change"],
    "auditor": ["view"],
    "technician": ["view"],
    "office_head": ["view"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, actions in ROLE_ACTIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [
            f"{a}_{m}" for a in actions for m in MODELS if a == "view" or "historical" not in m
        ]
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="deployments", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("deployments", "0001_distribution_plan"),
        ("inventory", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
