from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from deployments.models import DistributionPlanLine


@admin.register(DistributionPlanLine)
class DistributionPlanLineAdmin(SimpleHistoryAdmin):
    list_display = ("handover_set", "office", "category", "planned_quantity")
    list_filter = ("handover_set", "category", "office__region")
    list_select_related = ("handover_set", "office", "category")
