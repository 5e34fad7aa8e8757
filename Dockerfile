FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
      libzbar0 fonts-noto-cjk fonts-noto-core libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY shared ./shared
COPY scanner_client ./scanner_client
RUN pip install --no-cache-dir . \
    && pybabel compile -f -d server/translations -D messages
ENV ADMIT_INSTANCE=/data
EXPOSE 8000
CMD ["python", "-m", "server.serve"]
