"""Give the role groups their permissions on monitoring.

Everyone sees the monitored devices and their poll history; administrators and logistics
officers attach assets to monitoring and change how they are polled; they and technicians may
"Poll now". SNMP credential profiles are kept by administrators; logistics officers see their
names, to choose one for a device (the secrets are never shown to anyone).
"""

from django.db import migrations

VIEW_ALL = ["view_monitoreddevice", "view_polloutcome"]
ROLE_PERMISSIONS = {
    "administrator": VIEW_ALL
    + [
        "add_monitoreddevice",
        "change_monitoreddevice",
        "poll_monitoreddevice",
        "view_snmpprofile",
        "add_snmpprofile",
        "change_snmpprofile",
    ],
    "logistics_officer": VIEW_ALL
    + [
        "add_monitoreddevice",
        "change_monitoreddevice",
        "poll_monitoreddevice",
        "view_snmpprofile",
    ],
    "auditor": VIEW_ALL,
    "technician": VIEW_ALL + ["poll_monitoreddevice"],
    "office_head": VIEW_ALL,
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


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group = Group.objects.filter(name=role).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label="monitoring", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_initial"),
        ("inventory", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
