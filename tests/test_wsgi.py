"""The production entry point: gunicorn serving inclusion.wsgi:app, as the README says."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import free_port, wait_until_listening

ROOT = Path(__file__).resolve().parent.parent


def _production_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "INCLUSION_ENV": "production",
            "SECRET_KEY": "production-secret-for-this-test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite'}"}


def _get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_gunicorn_serves_the_app_from_the_production_entry_point(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    upgrade = subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "flask", "--app", "inclusion", "db", "upgrade"], cwd=ROOT,
        env=env, capture_output=True, text=True, timeout=120, check=False)
    assert upgrade.returncode == 0, upgrade.stderr
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "--error-logfile", str(log),
         "inclusion.wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_until_listening(port, server, log=log)
        status, _, body = _get(port, "/healthz")
        assert status == 200 and json.loads(body)["database"] is True
        status, headers, _ = _get(port, "/")
        assert status == 302 and "/sign-in" in headers["Location"]
        # Production: HSTS and the security headers on every answer.
        assert "max-age" in headers["Strict-Transport-Security"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_entry_point_freezes_what_starting_made(tmp_path: Path) -> None:
    # Frozen objects are skipped by every full garbage collection (see
    # inclusion.freeze_startup_objects): what the app is built from should all be there.
    probe = ("import gc; import inclusion.wsgi; "
             "print(gc.get_freeze_count(), len(gc.get_objects()))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT,  # noqa: S603
                          env=_production_env(tmp_path), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    frozen, still_watched = (int(n) for n in done.stdout.split())
    assert frozen > 50_000 and still_watched < frozen / 10
