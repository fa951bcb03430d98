"""``policyarchive``: validate declarations, crawl, import, serve, and run the demo.

Every command is a thin layer over a Python function that tests call too, and every command takes
``--db`` and ``--policies`` after its name.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from crawler.catalog import CatalogError, load_catalog

# Exit codes, for cron and schedulers.
EXIT_OK, EXIT_CANNOT_RUN, EXIT_SOME_FAILED = 0, 1, 3


def db_option(f):
    return click.option("--db", "db", default="archive.db", show_default=True, type=click.Path(dir_okay=False),
                        help="The archive (SQLite); made if missing.")(f)


def policies_option(f):
    return click.option("--policies", "policies", default="policies", show_default=True, type=click.Path(),
                        help="Folder (or file) of declarations, *.yml.")(f)


def _catalog(policies: str):
    """The validated catalog, or every error printed and exit 1: nothing runs on a broken catalog."""
    try:
        return load_catalog(policies)
    except CatalogError as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        click.echo(f"{len(exc.errors)} error(s); nothing was run.", err=True)
        sys.exit(EXIT_CANNOT_RUN)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policyarchive")
def cli():
    """Follow policy documents across regions and languages, and archive every version.

    \b
    Example:
        policyarchive validate
        policyarchive crawl --only tiktok
        policyarchive serve
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@policies_option
@db_option
def validate(paths, policies, db):
    """Check declarations; print each error as file:line: field: message.

    \b
    Example:
        policyarchive validate
        policyarchive validate policies/tiktok.yml
    """
    try:
        catalog = load_catalog(*(paths or (policies,)))
    except CatalogError as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        sys.exit(EXIT_CANNOT_RUN)
    click.echo(f"ok: {len(catalog.services)} services, {len(catalog.documents)} documents, {len(catalog.variants)} variants")


@cli.command()
@click.option("--only", multiple=True, metavar="ID", help="A service, document or variant id; repeatable.")
@click.option("--verbose", is_flag=True, help="Scrapy's own log and stats too.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="A Scrapy setting, e.g. -s DOWNLOAD_TIMEOUT=10.")
@click.option("--trigger", default="cli", hidden=True)
@policies_option
@db_option
def crawl(only, verbose, overrides, trigger, policies, db):
    """Capture every declared variant (or --only some) into the archive.

    Exit status: 0 all captured, 3 some captures failed (recorded as such),
    1 could not run (bad declarations or options).

    \b
    Example:
        policyarchive crawl
        policyarchive crawl --only tiktok/privacy-policy/us-en
        POLICYARCHIVE_PROXY_EEA=http://user:pass@proxy:3128 policyarchive crawl --only tiktok
    """
    from crawler.crawl import run_crawl

    catalog = _catalog(policies)
    try:
        variants = catalog.select(only)
    except CatalogError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_CANNOT_RUN)
    settings = dict(item.split("=", 1) for item in overrides)
    click.echo(f"crawling {len(variants)} variants into {db}", err=True)
    result = run_crawl(db, policies, tuple(only), trigger=trigger, verbose=verbose, **settings)
    summary = ", ".join(f"{n} {k}" for k, n in result.counts.items() if n) or "nothing captured"
    click.echo(f"run {result.run_id}: {summary}")
    sys.exit(EXIT_SOME_FAILED if result.failed else EXIT_OK)


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--variant", "variant_id", required=True, help="The variant the captures are of.")
@policies_option
@db_option
def import_(paths, variant_id, policies, db):
    """Import saved captures: WARC files, or HTML/Markdown files named by capture time.

    File names begin with an ISO 8601 time, ':' written as '-': 2021-06-02T10-00-00+00-00.html.
    Markdown files are taken as already-extracted text.

    \b
    Example:
        policyarchive import "../shared/realdata/dkg-tosback-snapshots/TikTok/Privacy Policy" \\
            --variant tiktok/privacy-policy/us-en
    """
    from crawler.importer import UnreadableFile, import_paths

    catalog = _catalog(policies)
    try:
        catalog.variant(variant_id)
    except KeyError:
        click.echo(f"no variant {variant_id!r} in {policies}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    try:
        counts = import_paths(db, catalog, variant_id, list(paths))
    except UnreadableFile as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_CANNOT_RUN)
    click.echo(", ".join(f"{n} {k}" for k, n in counts.items() if n) or "nothing imported")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@db_option
@click.option("--policies", default="policies", hidden=True)
def serve(host, port, db, policies):
    """Publish the archive with Datasette, read-only, with search.

    \b
    Example:
        policyarchive serve --port 8001
    """
    from crawler.archive import Archive
    from crawler.publish import serve_command

    Archive(db).close()
    click.echo(f"serving {db} at http://{host}:{port}/", err=True)
    os.execv(sys.executable, serve_command(db, host, port))


@cli.command()
@click.option("--port", default=8765, show_default=True, type=int, help="Port of the demo site (its declarations name 8765).")
@click.option("--serve/--no-serve", default=True, help="Serve the archive with Datasette at the end.")
@click.option("--serve-port", default=8001, show_default=True, type=int)
@click.option("--db", default="demo.db", show_default=True, type=click.Path(dir_okay=False))
@click.option("--policies", default=None, hidden=True)
def demo(port, serve, serve_port, db, policies):
    """Crawl the bundled demo site, change it, crawl again, and serve the result.

    Works offline: the demo site runs on 127.0.0.1. Edition 2 of the site adds a
    biometric clause to the US policy only.

    \b
    Example:
        policyarchive demo
        policyarchive demo --no-serve --db /tmp/demo.db
    """
    from crawler.demo import POLICIES, DemoSite

    policies = policies or str(POLICIES)
    _catalog(policies)
    with DemoSite(port=port) as site:
        for edition in (1, 2):
            site.edition = edition
            click.echo(f"demo: site edition {edition} at {site.url}; crawling", err=True)
            code = subprocess.call([sys.executable, "-m", "crawler.cli", "crawl", "--db", db, "--policies", policies, "--trigger", "demo"])
            if code not in (EXIT_OK, EXIT_SOME_FAILED):
                sys.exit(code)
    click.echo("demo: edition 2 added a clause to the US policy; see 'changes' in the archive", err=True)
    if serve:
        serve_cmd = [sys.executable, "-m", "crawler.cli", "serve", "--db", db, "--port", str(serve_port)]
        os.execv(sys.executable, serve_cmd)


def _read_only(db: str):
    """The archive opened read-only, or exit 1 if there is none: reading never creates or migrates it."""
    import sqlite3

    import sqlite_utils

    if not Path(db).exists():
        click.echo(f"no archive at {db}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    return sqlite_utils.Database(sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True))


@cli.command()
@click.argument("term")
@click.option("--document", "document_id", metavar="ID", help="Only this document's variants, e.g. tiktok/privacy-policy.")
@db_option
@click.option("--policies", default="policies", hidden=True)
def term(term, document_id, db, policies):
    """Whether each variant's current text carries TERM, since when, and when it was last absent.

    TERM is a watched term (biometric, precise-location, children, sale-or-sharing, retention,
    ai-training: matched in English, German, French and Spanish) or any phrase.

    \b
    Example:
        policyarchive term biometric --document tiktok/privacy-policy
        policyarchive term "voiceprint"
    """
    from crawler.history import term_presence

    rows = term_presence(_read_only(db), term, document_id)
    if not rows:
        click.echo("no versions in the archive" + (f" for {document_id}" if document_id else ""), err=True)
        sys.exit(EXIT_CANNOT_RUN)
    width = max(len(r.variant_id) for r in rows)
    click.echo(f"{'variant':<{width}}  now  {'first seen with it':<20}  {'last seen without it':<20}  matches")
    for r in rows:
        click.echo(f"{r.variant_id:<{width}}  {'yes' if r.current else 'no ':<3}  {(r.first_seen or '-')[:19]:<20}  "
                   f"{(r.last_absent or '-')[:19]:<20}  {', '.join(r.matches)}")


@cli.command()
@click.argument("variant_id")
@db_option
@click.option("--policies", default="policies", hidden=True)
def history(variant_id, db, policies):
    """A variant's versions and changes, with back-and-forth runs folded into one line.

    \b
    Example:
        policyarchive history tiktok/privacy-policy/eea-en
    """
    from crawler.history import alternations

    archive = _read_only(db)
    versions = list(archive.query("select id, first_seen, last_seen, words from versions where variant_id = ? order by first_seen", [variant_id]))
    if not versions:
        click.echo(f"no versions of {variant_id} in {db}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    click.echo(f"{variant_id}: {len(versions)} versions")
    for v in versions:
        click.echo(f"  version {v['id']}: first seen {v['first_seen'][:19]}, last seen {v['last_seen'][:19]}, {v['words']} words")
    for a in alternations(archive, variant_id):
        click.echo(f"  alternating between versions {a.versions[0]} and {a.versions[1]}: {a.changes} changes "
                   f"from {a.first[:10]} to {a.last[:10]} (one pattern, e.g. a region-dependent banner)")


if __name__ == "__main__":
    cli()
