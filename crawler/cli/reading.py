"""The commands that read the archive and never change it: serve, term, history, export, verify, status.
"""

from __future__ import annotations

import os
import sys
from contextlib import closing
from pathlib import Path

import click

from crawler.declarations import ids
from crawler.archive import open_read_only
from crawler.declarations.catalog import CatalogError, load_catalog
from crawler.common.exits import EXIT_CANNOT_RUN
from crawler.common.plural import count
from crawler.cli.options import current_db_option, existing_db_option, make_folder_of, policies_option, refuse_busy, refuse_ids, variant_ids


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--base-url", metavar="URL", help="The public address the archive is published at "
              "(https://archive.example.org/): permalinks and citations use it, not the address this server listens on.")
@current_db_option
@click.option("--policies", default="policies", hidden=True)
def serve(host, port, base_url, db, policies):
    """Publish the archive with Datasette, read-only, with search.

    The archive must exist: crawl, import or backfill make it.

    \b
    Example:
        policyarchive serve --port 8001
        policyarchive serve --host 0.0.0.0 --base-url https://archive.example.org/
    """
    from crawler.web.publish import serve_command

    refuse_busy(host, port, "is another policyarchive serve running? choose another --port")
    click.echo(f"serving {db} at http://{host}:{port}/", err=True)
    os.execv(sys.executable, serve_command(db, host, port, base_url))


def _nonblank(ctx, param, value: str) -> str:
    """A TERM with something to match: an empty one would match every word of every version."""
    if not value.strip():
        raise click.BadParameter("is empty: give a watched term (biometric, ...) or a phrase")
    return value


@click.command()
@click.argument("term", callback=_nonblank)
@click.option("--document", "document_id", metavar="ID", help="Only this document's variants, e.g. tiktok/privacy-policy.")
@current_db_option
@click.option("--policies", default="policies", hidden=True)
def term(term, document_id, db, policies):
    """Whether each variant's current text carries TERM, and in what window it appeared or went.

    TERM is a watched term (biometric, precise-location, children, sale-or-sharing, retention,
    ai-training: matched in English, German, French and Spanish) or any phrase.

    \b
    Example:
        policyarchive term biometric --document tiktok/privacy-policy
        policyarchive term "voiceprint"
    """
    from crawler.archive.history import term_presence

    archive = open_read_only(db)
    if document_id:
        document_id = document_id.rstrip("/")
        why = ids.wrong_kind(document_id, "document", variant_ids(archive), db)
        if why:
            click.echo(why, err=True)
            sys.exit(EXIT_CANNOT_RUN)
    rows = term_presence(archive, term, document_id)
    if not any(r.versions for r in rows):
        click.echo("no versions in the archive" + (f" for {document_id}" if document_id else ""), err=True)
        sys.exit(EXIT_CANNOT_RUN)
    width = max(len(r.variant_id) for r in rows)
    click.echo(f"{'variant':<{width}}  {'now':<7}  {'appeared by':<19}  {'appeared after':<19}  {'removed by':<19}  matches")
    for r in rows:
        appeared_by, appeared_after = (r.appeared.after, r.appeared.before) if r.appeared else (None, None)
        removed_by = r.removed.after if r.removed else None
        click.echo(f"{r.variant_id:<{width}}  {r.status:<7}  {_second(appeared_by):<19}  {_second(appeared_after):<19}  "
                   f"{_second(removed_by):<19}  {', '.join(r.matches)}".rstrip())
    click.echo("appeared by / after: the first capture with it and the last one before without it, so it came in "
               "between the two; unknown: never captured", err=True)


def _second(when: str | None) -> str:
    """An archive time to the second, or '-'."""
    return when[:19] if when else "-"


@click.command()
@click.argument("variant_id")
@current_db_option
@click.option("--policies", default="policies", hidden=True)
def history(variant_id, db, policies):
    """A variant's versions (numbered v1, v2... by first seen) and changes, each dated by its window, with
    back-and-forth runs folded into one line.

    \b
    Example:
        policyarchive history tiktok/privacy-policy/eea-en
    """
    from crawler.archive.history import alternations

    archive = open_read_only(db)
    variant_id = variant_id.rstrip("/")
    why = ids.wrong_kind(variant_id, "variant", variant_ids(archive), db)
    if why:
        click.echo(why, err=True)
        sys.exit(EXIT_CANNOT_RUN)
    versions = list(archive.query("select id, first_seen, last_seen, words from versions where variant_id = ? order by first_seen, id",
                                  [variant_id]))
    if not versions:
        click.echo(f"no versions of {variant_id} in {db}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    number = {v["id"]: n for n, v in enumerate(versions, 1)}
    click.echo(f"{variant_id}: {count(len(versions), 'version')}")
    for v in versions:
        click.echo(f"  v{number[v['id']]} (archive version {v['id']}): first seen {v['first_seen'][:19]}, "
                   f"last seen {v['last_seen'][:19]}, {count(v['words'], 'word')}")
    for c in archive.query("""select from_version_id, to_version_id, last_before, first_after, days from changes
            join change_windows on change_id = changes.id where changes.variant_id = ? and superseded_by is null and visible
            order by detected_at""", [variant_id]):
        gap = f" (no capture for {c['days']:.0f} days before it)" if c["days"] and c["days"] > 7 else ""
        click.echo(f"  v{number[c['from_version_id']]} -> v{number[c['to_version_id']]}: between "
                   f"{(c['last_before'] or '?')[:19]} and {c['first_after'][:19]}{gap}")
    for a in alternations(archive, variant_id):
        older, newer = (number[v] for v in a.versions)
        click.echo(f"  alternating between v{older} and v{newer}: {count(a.changes, 'change')} "
                   f"from {a.first[:10]} to {a.last[:10]} (one pattern, e.g. a region-dependent banner)")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--only", multiple=True, metavar="ID", help="A service, document or variant id; repeatable. Default: everything.")
@click.option("--sign-key", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="KEY.pem",
              help="Sign the WACZ with this ECDSA P-256 private key (PEM), per the WACZ signing specification.")
@current_db_option
@click.option("--policies", default="policies", hidden=True)
def export(path, only, sign_key, db, policies):
    """Write captures as WARC (PATH ending .warc or .warc.gz) or as a WACZ package (.wacz).

    Per capture: the response as received, the request, and a metadata record with
    region, language, egress, renderer, time, SHA-256 of the bytes and the Wayback
    memento if any. 'policyarchive verify --export PATH' checks it against the archive.
    A WACZ signed with --sign-key carries the signature and public key in its
    datapackage-digest.json; no timestamp authority is asked, so its date is the signer's clock.

    \b
    Example:
        policyarchive export tiktok-us.warc.gz --only tiktok/privacy-policy/us-en
        policyarchive export tiktok.wacz --only tiktok
        policyarchive export tiktok.wacz --only tiktok --sign-key operator.pem
    """
    from crawler.evidence.export import export as run_export
    from crawler.evidence.signing import SigningError, load_private_key

    if not path.name.endswith((".warc", ".warc.gz", ".wacz")):
        click.echo(f"{path}: name it .warc, .warc.gz or .wacz", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    if sign_key and path.suffix != ".wacz":
        raise click.BadParameter("only a WACZ package is signed: name the export .wacz", param_hint="--sign-key")
    try:
        if sign_key:
            load_private_key(sign_key)
    except SigningError as exc:
        raise click.BadParameter(str(exc), param_hint="--sign-key") from None
    archive = open_read_only(db)
    with closing(archive.conn):
        unknown = ids.not_found(only, variant_ids(archive), db)
    if unknown:
        refuse_ids(unknown, f"nothing was exported; {path} was not written")
    make_folder_of(path)
    done = run_export(db, path, tuple(only), sign_key)
    signed = f", signed with {sign_key.name}" if sign_key else ""
    click.echo(f"{done.path}: {count(done.captures, 'capture')}, {done.with_bytes} with their bytes{signed}")


def _head_form(ctx, param, head: str | None) -> str | None:
    """``--head`` checked for its form before the archive is read: a typo is a usage error, not tampering."""
    from crawler.evidence.verify import HeadError, head_form

    if head is None:
        return None
    try:
        head_form(head)
    except HeadError as exc:
        raise click.BadParameter(str(exc)) from None
    return head


@click.command()
@click.option("--export", "exported", type=click.Path(exists=True, dir_okay=False), help="Also check this WARC or WACZ export against the archive.")
@click.option("--head", metavar="SHA256", callback=_head_form,
              help="A chain head noted earlier, whole or its first 8 or more characters: fail unless the chain still holds it.")
@click.option("--public-key", type=click.Path(exists=True, dir_okay=False), metavar="KEY.pem",
              help="Require the --export WACZ to be signed by this key (PEM public key, or the private key).")
@existing_db_option
@click.option("--policies", default="policies", hidden=True)
def verify(exported, head, public_key, db, policies):
    """Re-hash every stored body, check the chain of custody, and optionally an export.

    Prints each problem (which body, capture, manifest or export record, and how it
    differs) and exits 1 if there is any; otherwise prints what was checked and the
    chain's head hash, worth noting somewhere outside the archive. A WACZ export's
    files are checked against its package list, and its signature when it is signed.

    \b
    Example:
        policyarchive verify
        policyarchive verify --export tiktok.wacz --head 3f9a61c08d2e4b57
        policyarchive verify --export tiktok.wacz --public-key operator.pub.pem
    """
    from crawler.evidence.signing import SigningError, load_public_key
    from crawler.evidence.verify import HeadError, verify as run_verify

    if public_key and not (exported and exported.endswith(".wacz")):
        raise click.BadParameter("a signature is checked on a WACZ: give --export FILE.wacz", param_hint="--public-key")
    try:
        key = load_public_key(public_key) if public_key else None
    except SigningError as exc:
        raise click.BadParameter(str(exc), param_hint="--public-key") from None
    try:
        report = run_verify(db, exported, head, key)
    except HeadError as exc:
        raise click.BadParameter(str(exc), param_hint="--head") from None
    if report.noted:
        click.echo(f"--head {head} is manifest {report.noted['id']} (run {report.noted['run_id']}) {report.noted['sha256']}")
    for problem in report.problems:
        click.echo(f"FAILED: {problem}", err=True)
    checked = report.summary()
    if report.problems:
        click.echo(f"verify: {count(len(report.problems), 'problem')}; checked {checked or 'nothing'}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    where = f"manifest {report.head['id']} (run {report.head['run_id']}) {report.head['sha256']}" if report.head else "no runs yet"
    click.echo(f"verified: {checked}; chain head {where}")


@click.command()
@click.option("--stale-after", default="48h", show_default=True, metavar="DURATION",
              help="A variant without a successful capture for longer is stale: 90m, 48h, 2d, 1w.")
@click.option("--runs", "limit", default=5, show_default=True, type=click.IntRange(min=1), help="How many recent runs to show.")
@policies_option
@current_db_option
def status(stale_after, limit, policies, db):
    """What ran, what failed and why, and which variants have gone stale.

    Stale: no successful capture (new, changed or unchanged) for longer than
    --stale-after, or none ever. Only variants declared in --policies are
    considered, when the declarations validate.

    \b
    Example:
        policyarchive status
        policyarchive status --stale-after 3d --runs 10
    """
    from crawler.archive.status import parse_duration, report

    try:
        hours = parse_duration(stale_after)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--stale-after") from None
    try:
        declared = [v.id for v in load_catalog(policies).variants]
    except CatalogError:
        click.echo(f"the declarations in {policies} do not validate (policyarchive validate): every variant in the archive is considered", err=True)
        declared = None
    archive = open_read_only(db)
    for line in report(archive, db, hours, limit, declared):
        click.echo(line)
    _report_alerts(archive)


def _report_alerts(archive) -> None:
    """Alerts that could not be delivered: failed for good, or waiting to be tried again."""
    from crawler.archive.outbox import FAILED, stuck

    alerts = stuck(archive)
    if alerts:
        click.echo(f"\nalerts not delivered: {len(alerts)}")
    for a in alerts:
        state = "failed for good" if a["status"] == FAILED else "will be tried again"
        click.echo(f"  alert {a['id']} to {a['subscription']}: {state} after {count(a['attempts'], 'attempt')}: {a['last_error']}")
