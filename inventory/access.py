"""Who may see what: roles (Django groups) and the region or office scope of each user.

Every view filters its rows through ``scope_offices`` / ``scope_assets``, so a page outside a
user's scope answers 404 and never shows data. What a user may change is a Django permission
given to the role's group (see the ``roles`` migration).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from inventory.choices import Role

# Roles that see the whole country.
NATIONAL_ROLES = frozenset({Role.ADMINISTRATOR, Role.LOGISTICS_OFFICER, Role.AUDITOR})


def user_roles(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    """Return the names of the role groups the user belongs to (cached on the user)."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_cr_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._cr_roles = cached
    return cached


def user_primary_role(user: AbstractBaseUser | AnonymousUser) -> str | None:
    """Return the user's most powerful role, for display."""
    roles = user_roles(user)
    for role in Role.values:
        if role in roles:
            return role
    return None


def sees_whole_country(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Return whether the user reads every office and asset."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(user_roles(user) & NATIONAL_ROLES)


def _scope(user) -> tuple[list[int], int | None]:
    """Return (region ids, office id) of the user's scope, cached on the user."""
    cached = getattr(user, "_cr_scope", None)
    if cached is None:
        from inventory.models import UserScope

        scope = (
            UserScope.objects.filter(user=user).prefetch_related("regions").first()
            if user.is_authenticated
            else None
        )
        if scope is None:
            cached = ([], None)
        else:
            cached = ([region.pk for region in scope.regions.all()], scope.office_id)
        user._cr_scope = cached
    return cached


def _scoped(user, queryset: QuerySet, *, region_filter: str, office_filter: str) -> QuerySet:
    """Return the rows of ``queryset`` in the user's scope, reached by the two lookups given."""
    if sees_whole_country(user):
        return queryset
    roles = user_roles(user)
    region_ids, office_id = _scope(user)
    if Role.TECHNICIAN in roles and region_ids:
        return queryset.filter(**{f"{region_filter}__in": region_ids})
    if Role.OFFICE_HEAD in roles and office_id:
        return queryset.filter(**{office_filter: office_id})
    return queryset.none()


def scope_offices(user, queryset: QuerySet) -> QuerySet:
    """Return the offices of ``queryset`` the user may see."""
    return _scoped(user, queryset, region_filter="region_id", office_filter="pk")


def scope_assets(user, queryset: QuerySet) -> QuerySet:
    """Return the assets of ``queryset`` the user may see."""
    return _scoped(user, queryset, region_filter="office__region_id", office_filter="office_id")


def scope_regions(user, queryset: QuerySet) -> QuerySet:
    """Return the regions of ``queryset`` the user may see."""
    return _scoped(user, queryset, region_filter="pk", office_filter="offices")
