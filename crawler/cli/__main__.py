"""``python -m crawler.cli``: the policyarchive command, as the scheduler and the demo start it."""

from crawler.cli import cli

cli()
