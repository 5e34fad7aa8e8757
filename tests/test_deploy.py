"""The deployment files stay valid and run the same services and commands that the
topology test starts as real processes (tests/e2e/test_topology.py)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.support.topology import (
    APP_COMMAND,
    MIGRATE_COMMAND,
    NGINX_CONF,
    SERVICES,
    WORKER_COMMAND,
    nginx_conf_for,
)

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict[str, dict[str, dict[str, object]]]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def test_compose_declares_the_tested_topology() -> None:
    services = _compose()["services"]
    always = {name for name, s in services.items() if not s.get("profiles")}
    assert always == SERVICES
    for app in ("app1", "app2"):
        assert services[app]["command"] == APP_COMMAND
        assert "volumes" not in services[app]  # stateless: nothing on local disk to share
        assert services[app]["restart"] == "unless-stopped"
    assert services["worker"]["command"] == WORKER_COMMAND
    assert services["migrate"]["command"] == MIGRATE_COMMAND
    assert services["db"]["image"].startswith("postgres")  # type: ignore[union-attr]
    assert services["redis"]["image"].startswith("redis")  # type: ignore[union-attr]
    assert "mailpit" in services["mail"]["image"]  # type: ignore[operator]
    assert services["nginx"]["volumes"] == ["./deploy/nginx.conf:/etc/nginx/nginx.conf:ro"]
    assert set(services["nginx"]["depends_on"]) == {"app1", "app2"}  # type: ignore[arg-type]
    for name in ("app1", "app2", "worker", "migrate"):
        env = services[name]["environment"]
        assert isinstance(env, dict)
        assert env["DATABASE_URL"].startswith("postgresql")
        assert env["REDIS_URL"].startswith("redis://redis:")
        # No usable default secret: compose refuses to start without real ones.
        assert env["SECRET_KEY"] == "${SECRET_KEY:?set SECRET_KEY}"
        assert env["KEY_ENCRYPTION_KEY"] == "${KEY_ENCRYPTION_KEY:?set KEY_ENCRYPTION_KEY}"
    assert "change-me" not in (ROOT / "docker-compose.yml").read_text()


def test_the_image_runs_the_production_command() -> None:
    cmd = next(line for line in (ROOT / "Dockerfile").read_text().splitlines()
               if line.startswith("CMD "))
    assert yaml.safe_load(cmd.removeprefix("CMD ")) == APP_COMMAND


def test_the_topology_test_runs_these_commands() -> None:
    text = (ROOT / "tests/support/live.py").read_text()
    assert '[sys.executable, "-m", "server.serve"]' in text
    topology = (ROOT / "tests/support/topology.py").read_text()
    assert "*WORKER_COMMAND" in topology and "NGINX_CONF.read_text()" in topology
    conf = NGINX_CONF.read_text()
    assert "server app1:8000" in conf and "server app2:8000" in conf
    rewritten = nginx_conf_for(["127.0.0.1:1", "127.0.0.1:2"], "127.0.0.1:3", Path("/tmp/x"))
    assert "app1" not in rewritten and "server 127.0.0.1:2 " in rewritten


def test_ci_calls_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci/run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()
