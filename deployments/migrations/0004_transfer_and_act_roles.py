"""Give the role groups their permissions on transfers and handover acts."""

from django.db import migrations

# role → codenames of deployments permissions
ROLE_PERMISSIONS = {
    "administrator": [
        "view_transfer",
        "add_transfer",
        "change_transfer",
        "receive_transfer",
        "view_handoveract",
        "add_handoveract",
        "change_handoveract",
        "sign_handoveract",
    ],
    "logistics_officer": [
        "view_transfer",
        "add_transfer",
        "change_transfer",
        "receive_transfer",
        "view_handoveract",
        "add_handoveract",
        "change_handoveract",
        "sign_handoveract",
    ],
    "auditor": ["view_transfer", "view_handoveract"],
    "technician": ["view_transfer", "receive_transfer", "view_handoveract"],
    "office_head": ["view_transfer", "receive_transfer", "view_handoveract", "sign_handoveract"],
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
            *Permission.objects.filter(
                content_type__app_label="deployments", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("deployments", "0003_transfers_and_acts"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
