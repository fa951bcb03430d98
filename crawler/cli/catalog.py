"""``policyarchive catalog``: catalogs of declarations made from elsewhere (Open Terms Archive's).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from crawler.common.exits import EXIT_CANNOT_RUN
from crawler.common.plural import count
from crawler.cli.options import valid_catalog


@click.group()
def catalog():
    """Catalogs of declarations made from elsewhere: Open Terms Archive's."""


def _ota_collection(folder: Path) -> dict:
    """The collection's metadata.yml (beside its declarations folder, or in it), or {}."""
    import yaml

    for candidate in (folder / "metadata.yml", folder.parent / "metadata.yml"):
        if candidate.is_file():
            return yaml.safe_load(candidate.read_text(encoding="utf-8")) or {}
    return {}


def _one_of(given: str | None, values: list, what: str, option: str) -> str:
    """``given``, or the collection's only ``what``; else exit 1 asking for ``option``."""
    if given:
        return given
    if len(values or []) == 1:
        return values[0]
    click.echo(f"the collection names {what} {', '.join(map(str, values or [])) or 'none'}: choose one with {option}", err=True)
    sys.exit(EXIT_CANNOT_RUN)


@catalog.command("from-ota")
@click.argument("declarations", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default="policies", show_default=True,
              help="Folder to write one declaration per service into; existing files are left alone.")
@click.option("--region", help="The region of the collection's documents (OTA pins it per collection), e.g. EEA, US.")
@click.option("--language", help="Their language, e.g. en. Default: the collection's, when it has one.")
@click.option("--collection", help="The collection's name, for the ota: field. Default: its metadata.yml id.")
def catalog_from_ota(declarations, out, region, language, collection):
    """Convert Open Terms Archive declarations (<Service>.json and .history.json) into policies/*.yml.

    Each variant gets the collection's region and language and names its source
    (ota: COLLECTION/SERVICE/TERMS TYPE); each file credits OTA and its licence, and
    lists in its header what could not be converted. The result is validated.

    \b
    Example:
        policyarchive catalog from-ota ../contrib-declarations/declarations --out policies/ --region EEA --language en
    """
    from crawler.declarations.ota import convert, declaration_paths, render

    meta = _ota_collection(declarations)
    region = _one_of(region, meta.get("jurisdictions"), "jurisdictions", "--region")
    language = _one_of(language, meta.get("languages"), "languages", "--language")
    collection = collection or meta.get("id") or declarations.resolve().parent.name
    out.mkdir(parents=True, exist_ok=True)
    written, kept, lost = [], 0, 0
    for path in declaration_paths(declarations):
        converted = convert(path, region, language, collection)
        for loss in converted.losses:
            click.echo(f"{path.name}: {loss}", err=True)
        lost += len(converted.losses)
        target = out / converted.file_name
        if converted.declaration is None:
            continue
        if target.exists() or target in written:
            click.echo(f"{path.name}: {target} exists; left alone, {converted.service} not written", err=True)
            kept += 1
            continue
        target.write_text(render(converted, collection), encoding="utf-8")
        written.append(target)
    converted_catalog = valid_catalog(*written, outcome="the converted declarations do not validate") if written else None
    click.echo(f"{count(len(written), 'declaration')} written to {out}"
               + (f" ({count(len(converted_catalog.documents), 'document')}, validated)" if converted_catalog else "")
               + f"; {count(lost, 'thing')} not converted, listed above and in each file's header"
               + (f"; {count(kept, 'existing file')} left alone" if kept else ""))
