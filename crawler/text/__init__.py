"""Text: classify a capture (failures never become versions), extract it to Markdown, compare,
diff, and find watched terms. Pure functions over bytes and strings, run in worker processes."""
