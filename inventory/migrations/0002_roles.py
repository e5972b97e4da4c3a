"""Create the five role groups and give each the permissions of its role."""

from django.db import migrations

# Models a logistics officer maintains; everyone reads them.
MAINTAINED = [
    "asset",
    "office",
    "assetmodel",
    "manufacturer",
    "handoverset",
    "handoversetline",
    "fundingsource",
]
REFERENCE = ["region", "district", "category", "crservice", "servicerequirement", "userscope"]
ALL_MODELS = MAINTAINED + REFERENCE + ["historicalasset", "historicaloffice"]


def _codenames(actions, models):
    return [f"{action}_{model}" for action in actions for model in models]


ROLE_PERMISSIONS = {
    "administrator": _codenames(["view", "add", "change"], MAINTAINED + REFERENCE)
    + _codenames(["view"], ALL_MODELS),
    "logistics_officer": _codenames(["view", "add", "change"], MAINTAINED)
    + _codenames(["view"], ALL_MODELS),
    "auditor": _codenames(["view"], ALL_MODELS),
    "technician": _codenames(["view"], ALL_MODELS),
    "office_head": _codenames(["view"], ALL_MODELS),
}
ADMIN_AUTH = _codenames(["view", "add", "change"], ["user", "group"])


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = Permission.objects.filter(
            content_type__app_label="inventory", codename__in=set(codenames)
        )
        group.permissions.add(*perms)
        if role == "administrator":
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label="auth", codename__in=ADMIN_AUTH)
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
