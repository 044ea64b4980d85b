"""The studio's routes: pages (HTML) and the API (JSON, server-sent events)."""
