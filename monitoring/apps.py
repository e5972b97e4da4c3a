from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        from inventory.panels import asset_panel_register, office_panel_register
        from monitoring.panels import asset_monitoring_panel, office_monitoring_panel

        asset_panel_register(asset_monitoring_panel)
        from monitoring.panels import asset_repairs_panel  # Repairs (issue 6)

        asset_panel_register(asset_repairs_panel)
        office_panel_register(office_monitoring_panel)
        from monitoring.panels import (  # Service readiness (issue 8)
            asset_readiness_panel,
            office_readiness_panel,
        )

        asset_panel_register(asset_readiness_panel)
        office_panel_register(office_readiness_panel)
