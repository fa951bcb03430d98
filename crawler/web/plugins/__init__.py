"""Datasette plugins, one small module each, registered by entry point (``pyproject.toml``)."""
