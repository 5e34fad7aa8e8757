"""The production entry point: ``gunicorn -c server/gunicorn.conf.py server.wsgi:app``."""

from . import create_app, worker

app = create_app()
worker.start(app)  # each gunicorn worker process: the scheduled jobs (no cron line)
