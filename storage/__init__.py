"""sohoa storage: everything kept, and nothing lost.

- :mod:`storage.objects` — S3 buckets (versioning + object lock), verified streaming transfers.
- :mod:`storage.keys` — object keys by the archive naming rule.
- :mod:`storage.embedded` — a SeaweedFS ``weed mini`` S3 server on loopback (embedded mode).
- :mod:`storage.db` — engines, sessions, Alembic migrations (PostgreSQL and SQLite).
- :mod:`storage.models` / :mod:`storage.records` — SQL records and repository functions.
- :mod:`storage.audit` — the hash-chained audit log.
- :mod:`storage.indicators` — 766 Index digitization counters.
- :mod:`storage.codes` — dossier codes, access secrets, accent folding.

It knows nothing of OCR, signing, HTTP or Celery.
"""
