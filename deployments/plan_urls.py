"""URLs of plan pages (merged into urls.py when the issue is done)."""

urlpatterns: list = []
