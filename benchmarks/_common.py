"""Shared set-up for the device benchmarks: an app on the given database, migrated."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def make_app(database_url: str, **config: Any) -> Any:
    from flask_migrate import upgrade

    from inclusion import create_app

    settings = {"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": "benchmark-only", "RATELIMIT_ENABLED": False,
                "WTF_CSRF_ENABLED": False}
    settings.update(config)
    app = create_app(settings)
    with app.app_context():
        upgrade()
    return app


def default_url() -> str:
    return os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/inclusion_h4")
