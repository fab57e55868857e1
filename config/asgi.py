"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The web process: requests get the database lock and statement timeouts (config/database.py).
os.environ.setdefault("COACHLINE_PROCESS", "web")
application = get_asgi_application()
