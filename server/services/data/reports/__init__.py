"""The post-event report: figures (``data``), charts (``charts``), HTML/PDF (``render``);
the job that renders the PDF off the request is ``server.jobs.reports``."""
