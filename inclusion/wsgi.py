"""What gunicorn serves in production: `gunicorn -w 2 -b 127.0.0.1:8000 inclusion.wsgi:app`.

Each worker builds the app from the environment (see the README's Configuration), then
freezes what starting made, so the garbage collector's full collections skip it.
"""

from __future__ import annotations

from inclusion import create_app, freeze_startup_objects

app = create_app()
freeze_startup_objects()
