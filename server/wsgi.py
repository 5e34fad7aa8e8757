"""The production entry point: ``gunicorn -c server/gunicorn.conf.py server.wsgi:app``."""

from . import create_app

app = create_app()
