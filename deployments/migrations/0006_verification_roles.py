"""Give the role groups their permissions on verification campaigns and proposed moves.

Auditors run campaigns and verify; technicians verify in their regions; logistics officers
confirm or reject the moves that verifications propose; everyone reads.
"""

from django.db import migrations

READ = ["view_verificationcampaign", "view_verification", "view_moveproposal"]
VERIFY = ["add_verification", "add_moveproposal"]
RUN_CAMPAIGNS = ["add_verificationcampaign", "change_verificationcampaign"]
DECIDE = ["decide_moveproposal"]

# role → codenames of deployments permissions
ROLE_PERMISSIONS = {
    "administrator": READ + VERIFY + RUN_CAMPAIGNS + DECIDE,
    "logistics_officer": READ + DECIDE,
    "auditor": READ + VERIFY + RUN_CAMPAIGNS,
    "technician": READ + VERIFY,
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
            *Permission.objects.filter(
                content_type__app_label="deployments", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("deployments", "0005_verification_campaigns"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
