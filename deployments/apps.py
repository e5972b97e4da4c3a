from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeploymentsConfig(AppConfig):
    name = "deployments"
    verbose_name = _("Deployments")

    def ready(self) -> None:
        from deployments.resources import register_import_kinds

        register_import_kinds()

        from deployments.panels import asset_deliveries_panel
        from inventory.panels import asset_panel_register

        asset_panel_register(asset_deliveries_panel)

        from deployments.panels import plan_office_panel
        from inventory.panels import office_panel_register

        office_panel_register(plan_office_panel)
