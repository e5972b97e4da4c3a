from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeploymentsConfig(AppConfig):
    name = "deployments"
    verbose_name = _("Deployments")

    def ready(self) -> None:
        from deployments.panels import (
            asset_deliveries_panel,
            asset_verifications_panel,
            office_acts_panel,
            plan_office_panel,
        )
        from deployments.resources import register_import_kinds
        from inventory.panels import asset_panel_register, office_panel_register

        register_import_kinds()
        asset_panel_register(asset_deliveries_panel)
        asset_panel_register(asset_verifications_panel)
        office_panel_register(plan_office_panel)
        office_panel_register(office_acts_panel)
