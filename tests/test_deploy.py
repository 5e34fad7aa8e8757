"""The deployment files stay valid and run the same command the tests start."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ["gunicorn", "-c", "server/gunicorn.conf.py", "server.wsgi:app"]


def test_compose_runs_the_tested_command_with_postgres_and_mail() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["server"]["command"] == COMMAND
    assert services["db"]["image"].startswith("postgres")
    assert services["server"]["environment"]["DATABASE_URL"].startswith("postgresql")
    assert "mailpit" in services["mail"]["image"]
    assert "server.wsgi:app" in (ROOT / "tests/support/live.py").read_text()


def test_ci_calls_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci/run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()
