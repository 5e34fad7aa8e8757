"""The WSGI app the production command (``python -m server.serve``) serves."""

from . import create_app, worker

app = create_app()
worker.start(app)  # each server worker process: the scheduled jobs (no cron line)
