"""Django admin: users with their role scope, and the reference data of the register.

Assets and offices are changed through the register's own pages (which go through the
services and ask for a reason); here they are read only.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from inventory.models import (
    Asset,
    AssetModel,
    Category,
    CRService,
    District,
    FundingSource,
    HandoverSet,
    HandoverSetLine,
    Manufacturer,
    Office,
    Region,
    ServiceRequirement,
    UserScope,
)

User = get_user_model()


class UserScopeInline(admin.StackedInline):
    model = UserScope
    can_delete = False
    filter_horizontal = ("regions",)
    autocomplete_fields = ("office",)
    verbose_name_plural = _("scope: regions for technicians, one office for office heads")


admin.site.unregister(User)


@admin.register(User)
class ScopedUserAdmin(UserAdmin):
    inlines = [UserScopeInline]
    list_display = ("username", "first_name", "last_name", "is_active", "role_names")
    list_filter = ("groups", "is_active", "is_staff")

    @admin.display(description=_("roles"))
    def role_names(self, obj):
        return ", ".join(group.name for group in obj.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_ru", "name_tg", "sort_order")


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "region", "kind")
    list_filter = ("region", "kind")
    search_fields = ("code", "name_en", "name_ru", "name_tg")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "tag_prefix", "name_en", "is_monitored", "last_tag_number")


@admin.register(Manufacturer)
class ManufacturerAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(AssetModel)
class AssetModelAdmin(admin.ModelAdmin):
    list_display = ("name", "manufacturer", "category", "part_number")
    list_filter = ("category", "manufacturer")
    search_fields = ("name", "part_number", "manufacturer__name")


@admin.register(FundingSource)
class FundingSourceAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en")


class HandoverSetLineInline(admin.TabularInline):
    model = HandoverSetLine
    extra = 0


@admin.register(HandoverSet)
class HandoverSetAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "handover_date", "declared_value")
    inlines = [HandoverSetLineInline]
    filter_horizontal = ("funding_sources",)


@admin.register(CRService)
class CRServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "sort_order")


@admin.register(ServiceRequirement)
class ServiceRequirementAdmin(admin.ModelAdmin):
    list_display = ("service", "zone", "category", "min_count")
    list_filter = ("service", "zone")


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Office)
class OfficeAdmin(ReadOnlyAdmin):
    list_display = ("code", "name_en", "kind", "region", "district")
    list_filter = ("region", "kind")
    search_fields = ("code", "name_en", "name_ru", "name_tg")
    list_select_related = ("region", "district")


@admin.register(Asset)
class AssetAdmin(ReadOnlyAdmin):
    list_display = ("tag", "serial", "asset_model", "status", "office")
    list_filter = ("status", "asset_model__category", "handover_set")
    search_fields = ("tag", "serial")
    list_select_related = ("asset_model__manufacturer", "office")
