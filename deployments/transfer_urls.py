"""URLs of transfer pages (merged into urls.py when the issue is done)."""

urlpatterns: list = []
