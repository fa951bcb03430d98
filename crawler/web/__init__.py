"""The web: Datasette publishing the archive read-only (settings, metadata, plugins, templates)."""
