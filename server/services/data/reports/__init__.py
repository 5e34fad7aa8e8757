"""The post-event report: figures (``data``), charts (``charts``), HTML/PDF (``render``),
and the job that renders the PDF off the request (``jobs``)."""
