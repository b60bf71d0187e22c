"""API routes of the compliance app, mounted under /api/v1/."""

urlpatterns: list = []
