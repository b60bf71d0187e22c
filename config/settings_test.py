"""The small test override: fast hashing, plain http, eager nothing (tests choose)."""

import os

# Before the settings read it: production settings refuse to start without a key.
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-key-" + "k" * 40)

from .settings import *  # noqa: E402,F403
from .settings import env  # noqa: E402

SECURE = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "1000/min"}}  # noqa: F405

# The replica alias mirrors the test database, so a test can check which reads it takes;
# routing to it is off unless a test turns SETTLE_READ_REPLICA on.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
SETTLE_READ_REPLICA = False
