"""Pages for people (trang web): reception, back office, citizens and leaders.

Server-rendered (Jinja2 + htmx), Vietnamese first, served by the same FastAPI app as the API.
``web`` sits beside ``api`` on the same layer: it calls ``pipeline`` and ``workers``, never the
engines and never ``api``.
"""

from __future__ import annotations
