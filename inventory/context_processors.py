"""Template context every page needs: the user's role, for the menu."""

from django.http import HttpRequest

from inventory.access import user_primary_role
from inventory.choices import Role


def navigation(request: HttpRequest) -> dict[str, object]:
    """Return the user's role and its label for the header."""
    role = user_primary_role(request.user) if hasattr(request, "user") else None
    return {"user_role": role, "user_role_label": Role(role).label if role else ""}
