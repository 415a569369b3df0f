#!/usr/bin/env python3
"""A tiny Django site that books rooms through the booking binding.

    pip install ./bindings/python django
    BOOKING_DATABASE_URL=sqlite:///rooms.db python examples/django_booking/manage.py runserver
"""
import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roomsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
