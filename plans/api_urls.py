"""API routes of the plans app, mounted under /api/v1/."""

urlpatterns: list = []
