"""What every command shares: the --db and --policies options, the catalog loaded or its errors
printed, the run lock, ids that name nothing, a port already taken.
"""

from __future__ import annotations

import socket
import sqlite3
import sys
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path

import click

from crawler.declarations import ids
from crawler.archive import open_read_only
from crawler.declarations.catalog import CatalogError, load_catalog
from crawler.common.exits import EXIT_BUSY, EXIT_CANNOT_RUN
from crawler.common.plural import count


def db_option(f):
    """``--db`` of a command that writes (crawl, import, backfill, schedule): a missing archive is
    made, and its folder too, as ``--log`` makes the log's."""
    return click.option("--db", "db", default="archive.db", show_default=True, type=click.Path(dir_okay=False),
                        help="The archive (SQLite); made if missing, its folder too.")(f)


def _existing_archive(ctx, param, db: str) -> str:
    """``db`` if it is an archive; else exit 1 saying so. Reading or serving a mistyped path must
    not make an empty archive there, nor fail on it with a traceback."""
    ctx.meta["db"] = db  # for a message naming it, should the file turn out damaged
    if not Path(db).is_file():
        click.echo(f"no archive at {db}: crawl, import or backfill make one", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    try:
        with closing(open_read_only(db).conn) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        click.echo(f"{db} is not an archive: {exc}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    if "captures" not in tables:
        click.echo(f"{db} is not an archive: it has no captures table", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    return db


def existing_db_option(f):
    """``--db`` of a command that reads or publishes the archive: it must exist."""
    return click.option("--db", "db", default="archive.db", show_default=True, type=click.Path(dir_okay=False),
                        callback=_existing_archive, help="The archive (SQLite); it must exist.")(f)


def _current_archive(ctx, param, db: str) -> str:
    """``db`` if it is an archive of the current schema; else exit 1 saying what brings it there.
    Reading commands never migrate: a migration writes, and only a command that holds the run lock
    may write."""
    from crawler.archive.schema import pending

    _existing_archive(ctx, param, db)
    with closing(open_read_only(db).conn) as conn:
        missing = pending(conn)
    if missing:
        click.echo(f"{db} was made by an earlier policyarchive (migrations {', '.join(map(str, missing))} not applied): "
                   f"a crawl, import or backfill brings it up to date; reading commands never change the archive", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    return db


def current_db_option(f):
    """``--db`` of a command that reads the archive with what the current schema holds."""
    return click.option("--db", "db", default="archive.db", show_default=True, type=click.Path(dir_okay=False),
                        callback=_current_archive, help="The archive (SQLite); it must exist.")(f)


def make_folder_of(path: str | Path) -> None:
    """Make the folder ``path`` goes in, or exit 1 saying why it cannot be made."""
    folder = Path(path).resolve().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        click.echo(f"cannot make the folder {folder} for {path}: {exc.strerror}", err=True)
        sys.exit(EXIT_CANNOT_RUN)


def policies_option(f):
    return click.option("--policies", "policies", default="policies", show_default=True, type=click.Path(),
                        help="Folder (or file) of declarations, *.yml.")(f)


def catalog_with_variant(policies: str, variant_id: str, one_page: str | None = None):
    """The validated catalog, which must declare ``variant_id``; else exit 1 saying what it names.
    ``one_page`` names a command that holds one body per capture (import, backfill): it refuses a
    multi-page document, whose captures are each several pages."""
    catalog = valid_catalog(policies)
    why = ids.wrong_kind(variant_id, "variant", (v.id for v in catalog.variants), policies)
    if not why and one_page and catalog.variant(variant_id).multipage:
        why = (f"{variant_id} is a document of {len(catalog.variant(variant_id).pages)} pages (pages:): {one_page} "
               f"brings one body per capture and cannot make its captures; crawl it instead\nnothing was imported.")
    if why:
        click.echo(why, err=True)
        sys.exit(EXIT_CANNOT_RUN)
    return catalog


@contextmanager
def locked(db: str):
    """Hold the archive's lock (one run at a time over one archive), or exit 75 saying who holds it.
    The lock is on the archive file, made here if missing, so the archive's folder is made first."""
    from crawler.archive.lock import ArchiveBusy, archive_lock

    make_folder_of(db)
    held = ExitStack()
    try:
        held.enter_context(archive_lock(db))
    except ArchiveBusy as exc:
        click.echo(f"refused: {exc}", err=True)
        sys.exit(EXIT_BUSY)
    except OSError as exc:
        click.echo(f"{db}: cannot be written ({exc.strerror}): nothing was started", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    with held:
        yield


def refuse_ids(messages: list[str], outcome: str):
    """Print why each id names nothing, and what was not done, and exit 1: a mistyped id never runs
    as an empty selection."""
    for message in messages:
        click.echo(message, err=True)
    click.echo(f"{outcome}.", err=True)
    sys.exit(EXIT_CANNOT_RUN)


def valid_catalog(*paths: str, outcome: str = "nothing was run"):
    """The validated catalog, or every error (file:line: field: message) printed, then how many and
    what was not done, and exit 1: nothing runs on a broken catalog."""
    try:
        return load_catalog(*paths)
    except CatalogError as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        click.echo(f"{count(len(exc.errors), 'error')}; {outcome}.", err=True)
        sys.exit(EXIT_CANNOT_RUN)


class Commands(click.Group):
    """The commands, each of which names a damaged archive file (a page SQLite cannot read) in one
    line, exit 1, rather than ending in a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except sqlite3.DatabaseError as exc:
            click.echo(f"{ctx.meta.get('db', 'the archive')}: cannot be read ({exc}): the archive file is damaged; "
                       "policyarchive verify names what", err=True)
            sys.exit(EXIT_CANNOT_RUN)


def _port_in_use(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (in use, most often), or None if it can: asked before
    a server starts, so that a busy port is one line, not a traceback after minutes of crawling."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: a port in TIME_WAIT is free
        try:
            probe.bind((host, port))
        except OSError as exc:
            return f"{host}:{port} cannot be listened on: {exc.strerror}"
    return None


def refuse_busy(host: str, port: int, hint: str) -> None:
    """Exit 1 if ``host:port`` cannot be listened on, with ``hint`` on what to do."""
    why = _port_in_use(host, port)
    if why:
        click.echo(f"{why} ({hint})", err=True)
        sys.exit(EXIT_CANNOT_RUN)


def variant_ids(archive) -> list[str]:
    """The ids of the variants the archive knows, for telling a mistyped id from one with no captures."""
    return [row[0] for row in archive.execute("SELECT id FROM variants")]
