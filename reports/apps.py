from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """What people take away: reconciliation and operations reports, on screen and in Excel.

    ``reports`` reads every other app and no app imports it.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("Reports")
