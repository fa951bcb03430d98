"""``policyarchive``: validate declarations, crawl, import, serve, alert, and run the demo.

Every command is a thin layer over a Python function that tests call too, and every command takes
``--db`` and ``--policies`` after its name. The commands live by what they do to the archive:
``archiving`` (they write it), ``reading`` (they never change it), ``alerts``, ``catalog``, ``demo``;
``options`` holds what they share.
"""

import click

from crawler.cli.alerts import alerts
from crawler.cli.archiving import backfill, crawl, import_, import_ota, schedule, screenshots, validate, worker
from crawler.cli.catalog import catalog
from crawler.cli.demo import demo
from crawler.cli.options import Commands
from crawler.cli.reading import export, history, serve, status, term, verify


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policyarchive")
def cli():
    """Follow policy documents across regions and languages, and archive every version.

    \b
    Example:
        policyarchive validate
        policyarchive crawl --only tiktok
        policyarchive serve
    """


for command in (validate, crawl, worker, import_, import_ota, backfill, screenshots, schedule, serve, term, history, export, verify,
                status, demo, catalog, alerts):
    cli.add_command(command)
