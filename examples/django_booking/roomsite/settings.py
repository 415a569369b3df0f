"""Settings of the example site: no Django database (the booking binding
owns its own), one template directory, the booking database from the
environment."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-a-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "roomsite.urls"
INSTALLED_APPS = ["django.contrib.staticfiles"]
MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
DATABASES: dict[str, dict[str, str]] = {}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [BASE_DIR / "templates"]}]
USE_TZ = True
TIME_ZONE = "Europe/Berlin"
# The booking database: the server's SQLite file or PostgreSQL database.
BOOKING_DATABASE_URL = os.environ.get("BOOKING_DATABASE_URL", "sqlite:///rooms.db")
