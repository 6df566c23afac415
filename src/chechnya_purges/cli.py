"""The ``chechnya-purges`` command: a thin shell over the pipeline.

Every command finds the dataset root the same way, prints problems to stdout in the chosen
``--format`` and a one-line summary to stderr, and exits 0 when clean, 1 when the data has
problems, 2 on bad usage.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from .diagnostics import RENDERERS, Diagnostic, render

# The pipeline is imported inside the commands that run it: its models take a quarter of a
# second to build, which --help, --version and codes need not pay.
if TYPE_CHECKING:
    from .dataset import Dataset
    from .tables import Tabulated

__all__ = ["cli", "main"]

# The output choice of the commands that print problems.
_problem_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(RENDERERS)),
    default="text",
    show_default=True,
    help="How to print problems: text for people, json for tools, github for workflow annotations.",
)

# The output choice of the commands that report rather than validate.
_report_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for tools.",
)

# How many articles of the nested JSON build checks against its schema (check: all).
JSON_SAMPLE = 50


class _LocalPath(click.Path):
    """A path argument that no operating system can look up (it holds a NUL, say) is a
    usage error, not a traceback."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except ValueError as exc:
            self.fail(f"{value!r} is not a usable path: {exc}", param, ctx)


def _emit(problems: list[Diagnostic], fmt: str) -> int:
    """Print the problems; the exit status they call for."""
    errors = [p for p in problems if p.severity == "error"]
    if problems or fmt == "json":
        click.echo(render(problems, fmt), nl=False)
    if errors:
        files = len({p.path for p in errors})
        click.echo(f"Found {len(errors)} error(s) in {files} file(s).", err=True)
        return 1
    return 0


def _summary(dataset: Dataset[Tabulated]) -> str:
    figures = sum(a.counts["figures"] for a in dataset.articles)
    statements = sum(a.counts["statements"] for a in dataset.articles)
    return (
        f"{len(dataset.articles)} articles, {len(dataset.actors)} actors, {figures} figures, "
        f"{statements} statements"
    )


def _root(ctx: click.Context) -> Path:
    """The dataset root: --root, else the nearest folder above the working directory."""
    from .dataset import RootNotFound, find_root

    try:
        return find_root(ctx.obj or Path.cwd())
    except RootNotFound as exc:
        raise click.UsageError(f"{exc}; run inside the dataset or pass --root") from exc


def _command(function: Callable[..., int]) -> Callable[..., None]:
    """Shared options and the root lookup, so every command behaves alike."""

    @_problem_format
    @click.pass_context
    def wrapper(ctx: click.Context, /, fmt: str, **kwargs: Any) -> None:
        ctx.exit(function(_root(ctx), fmt, **kwargs))

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root",
    type=_LocalPath(exists=True, file_okay=False, path_type=Path),
    help="Dataset root (a folder holding data/actors.yaml). Default: the nearest such "
    "folder at or above the current one.",
)
@click.version_option(__version__, prog_name="chechnya-purges")
@click.pass_context
def cli(ctx: click.Context, root: Path | None) -> None:
    """Validate and build the chechnya-purges dataset."""
    ctx.obj = root


@cli.command()
@click.option(
    "--no-cache",
    is_flag=True,
    help="Check everything again, ignoring and keeping no cache (the cache lives in "
    "$XDG_CACHE_HOME or ~/.cache, never in the dataset).",
)
@_command
def validate(root: Path, fmt: str, no_cache: bool) -> int:
    """Check every record and report all problems, one per line.

    \b
    Example:
        $ chechnya-purges validate
        data/articles/001_x.yaml:14:7: error[quote-not-found] statements[2].quote: ...
    """
    from .dataset import validate as validate_dataset

    result = validate_dataset(root, use_cache=not no_cache)
    status = _emit(result.problems, fmt)
    if status == 0:
        click.echo(f"Valid: {result.articles} articles, {result.actors} actors.", err=True)
    return status


@cli.command()
@click.option(
    "--no-frictionless",
    is_flag=True,
    help="Skip the frictionless pass over the "
    "written package (for measuring the build itself; check always runs it).",
)
@_command
def build(root: Path, fmt: str, no_frictionless: bool) -> int:
    """Validate, then write build/, schema/ and datapackage.json.

    The outputs are written to a staging folder, checked with frictionless (every row) and
    jsonschema (the nested JSON; past 50 articles, an even sample of them — check validates
    all), and only then swapped in: a failed build leaves the previous outputs as they were.

    \b
    Example:
        $ chechnya-purges build
    """
    from .conform import conform
    from .dataset import load
    from .tables import tabulate
    from .write import render as render_files
    from .write import staging, swap_in

    dataset, problems = load(root, tabulate)
    if _emit(problems, fmt):
        click.echo("Nothing was written.", err=True)
        return 1
    files = render_files(dataset, __version__)
    built = _summary(dataset)
    del dataset  # its rows are in files now; conforming a large package needs the memory
    with staging(root, files) as folder:
        if _emit(conform(folder, frictionless=not no_frictionless, sample=JSON_SAMPLE), fmt):
            click.echo("Nothing was written.", err=True)
            return 1
        swap_in(root, folder)
    click.echo(f"Built {len(files)} files from {built}.", err=True)
    return 0


@cli.command()
@_command
def check(root: Path, fmt: str) -> int:
    """Validate, then fail if any committed output differs from what build would write.

    Also runs frictionless on the committed package and jsonschema on the committed JSON,
    and, when releases/ holds the last release's snapshot, fails if the changes since then
    need a higher version than __version__ or CHANGELOG.md has no entry for it.

    \b
    Example:
        $ chechnya-purges check
    """
    from .conform import conform, drift
    from .dataset import load
    from .tables import tabulate
    from .write import render as render_files

    dataset, problems = load(root, tabulate)
    if _emit(problems, fmt):
        return 1
    from .compat import release_problems

    files = render_files(dataset, __version__)
    problems = drift(root, files)
    if not problems:
        problems = conform(root)
    problems += release_problems(root, files, __version__)
    status = _emit(problems, fmt)
    if status == 0:
        click.echo(f"Up to date and conformant: {_summary(dataset)}.", err=True)
    return status


@cli.command()
@click.pass_context
def summary(ctx: click.Context) -> None:
    """Print the per-article table of README.md, computed from build/.

    \b
    Example:
        $ chechnya-purges summary
        | article | publisher | published | figures | statements | actors |
    """
    from .summary import article_table

    click.echo(article_table(_root(ctx)), nl=False)


@cli.command()
@click.argument("code", required=False)
def codes(code: str | None) -> None:
    """Explain an error code, or list them all as the Markdown table in CONTRIBUTING.md.

    \b
    Example:
        $ chechnya-purges codes quote-not-found
        quote-not-found: A quote is not in the seed, even forgiving whitespace, ...
    """
    from .diagnostics import CODES, codes_markdown

    if code is None:
        click.echo(codes_markdown(), nl=False)
        return
    if code not in CODES:
        from .parse import suggest

        hint = suggest(code, CODES) or "run `chechnya-purges codes` for the list"
        raise click.UsageError(f"no error code {code!r}; {hint}")
    click.echo(f"{code}: {CODES[code].title}\n  fix: {CODES[code].fix}")


@cli.command()
@click.argument("seed_file", type=_LocalPath(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def new(ctx: click.Context, seed_file: Path) -> None:
    """Start the record of a new article: data/articles/<seed name>.yaml.

    Copies SEED_FILE into seeds/ when it is not there yet, records its SHA-256, and reads the
    title, dateline and byline it can find. Never overwrites a record.

    \b
    Example:
        $ chechnya-purges new seeds/005_example.txt
        Wrote data/articles/005_example.yaml: fill it in, then run chechnya-purges validate.
    """
    from .contrib import ContribError, scaffold

    root = _root(ctx)
    try:
        record, copied = scaffold(root, seed_file)
    except ContribError as exc:
        raise click.ClickException(str(exc)) from exc
    if copied:
        click.echo(f"Copied {seed_file} to seeds/{seed_file.name}.", err=True)
    where = record.relative_to(root).as_posix()
    click.echo(f"Wrote {where}: fill it in, then run chechnya-purges validate.")


@cli.command()
@click.argument("article")
@click.argument("text")
@_report_format
@click.pass_context
def locate(ctx: click.Context, article: str, text: str, fmt: str) -> None:
    """Show where TEXT would anchor in ARTICLE's seed (an article id or file name).

    Exits 1 when the text is not found (the closest passage is shown) and lists every place,
    with the occurrence number to use, when it is found more than once.

    \b
    Example:
        $ chechnya-purges locate 000_3d094facfdf72bcd "more than 100 gay men"
        seeds/000_3d094facfdf72bcd.txt:11:56: occurrence 1, offsets [688, 709)
    """
    import json as json_module
    from dataclasses import asdict

    from .contrib import ContribError
    from .contrib import locate as locate_quote

    if not text.strip():
        raise click.BadParameter(
            "the text is empty: give a few words of the seed", ctx, param_hint="TEXT"
        )
    try:
        seed_path, found, closest = locate_quote(_root(ctx), article, text)
    except ContribError as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "json":
        click.echo(json_module.dumps([asdict(f) for f in found], ensure_ascii=False, indent=2))
    for place in found if fmt == "text" else []:
        note = f" (in an excluded region: {place.excluded})" if place.excluded else ""
        click.echo(
            f"{seed_path}:{place.line}:{place.col}: occurrence {place.occurrence}, "
            f"offsets [{place.start}, {place.end}){note}"
        )
        click.echo(f"  {place.context}")
        click.echo(f"  {' ' * (place.col - 1)}{'^' * max(len(place.text.splitlines()[0]), 1)}")
    if closest:
        click.echo(f"{seed_path}: not found; {closest}", err=True)
        ctx.exit(1)
    inside = [place for place in found if not place.excluded]
    if len(inside) > 1:
        message = f"Found {len(inside)} times in the article: a figure or statement needs "
        click.echo(message + "`occurrence: N`.", err=True)
    elif len(found) > 1 and inside:
        message = f"Anchors to occurrence {inside[0].occurrence}; the others lie in excluded "
        click.echo(message + "regions.", err=True)


@cli.command()
@click.argument("query", required=False)
@_report_format
@click.pass_context
def actors(ctx: click.Context, query: str | None, fmt: str) -> None:
    """Find registry entries by id, name or alias, so that existing actors are reused.

    Exits 1 when nothing matches.

    \b
    Example:
        $ chechnya-purges actors tillerson
        rex-tillerson  person  Rex Tillerson
    """
    import json as json_module

    from .contrib import ContribError, find_actors

    try:
        found = find_actors(_root(ctx), query)
    except ContribError as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "json":
        click.echo(
            json_module.dumps(
                [a.model_dump(mode="json") for a in found], ensure_ascii=False, indent=2
            )
        )
    else:
        for actor in found:
            aliases = f"  (also: {', '.join(actor.aliases)})" if actor.aliases else ""
            click.echo(f"{actor.id}  {actor.kind.value}  {actor.name}{aliases}")
    if not found:
        click.echo(f"No actor matches {query!r}: add one to data/actors.yaml.", err=True)
        ctx.exit(1)


def _current(root: Path) -> dict[str, bytes]:
    """The package build would write now, in memory; a usage error if the data is invalid."""
    from .dataset import load
    from .tables import tabulate
    from .write import render as render_files

    dataset, problems = load(root, tabulate)
    if any(p.severity == "error" for p in problems):
        raise click.ClickException("the data does not validate: run `chechnya-purges validate`")
    return render_files(dataset, __version__)


@cli.command()
@click.argument("old", required=False, type=click.Path(exists=True, path_type=Path))
@click.argument("new", required=False, type=click.Path(exists=True, path_type=Path))
@_report_format
@click.pass_context
def diff(ctx: click.Context, old: Path | None, new: Path | None, fmt: str) -> None:
    """Compare two versions of the package and classify each change as MAJOR, MINOR or PATCH.

    OLD and NEW are release snapshots (releases/X.Y.Z.json), package folders or release
    zips. Without them: the last release's snapshot against what build would write now.

    \b
    Example:
        $ chechnya-purges diff
        MINOR  figures  000_3d094facfdf72bcd:killed-3: record added
        Level: MINOR; 1.0.0 needs at least 1.1.0
    """
    import json as json_module

    from .compat import (
        SnapshotError,
        classify,
        latest_snapshot,
        load_snapshot,
        required_version,
        snapshot,
    )
    from .compat import diff as compare

    root = _root(ctx)
    try:
        if old is None:
            old = latest_snapshot(root)
            if old is None:
                raise click.UsageError("no release snapshot in releases/: name OLD")
        before = load_snapshot(old)
        after = load_snapshot(new) if new else snapshot(_current(root))
    except SnapshotError as exc:
        raise click.ClickException(str(exc)) from exc
    changes = compare(before, after)
    level = classify(changes)
    if fmt == "json":
        report = {
            "old": before["version"],
            "new": after["version"],
            "level": level.name,
            "changes": [c.as_dict() for c in sorted(changes, reverse=True)],
        }
        click.echo(json_module.dumps(report, ensure_ascii=False, indent=2))
        return
    for change in sorted(changes, key=lambda c: (-c.level, c.table, c.subject)):
        click.echo(f"{change.level.name:<5}  {change.table}  {change.subject}: {change.detail}")
    needed = required_version(before["version"], level)
    click.echo(
        f"Level: {level.name}; {before['version']} needs at least {needed}; "
        f"this is {after['version']}.",
        err=True,
    )


@cli.command()
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@_problem_format
@click.pass_context
def verify(ctx: click.Context, path: Path | None, fmt: str) -> None:
    """Check a copy of the package (a folder or a release zip) against its descriptor.

    Every listed file must be present with the size and SHA-256 the descriptor states.

    \b
    Example:
        $ chechnya-purges verify dist/chechnya-purges-1.0.0.zip
        Verified chechnya-purges 1.0.0: 9 files.
    """
    import json as json_module

    from .compat import read_package
    from .release import verify as verify_package

    target = path or _root(ctx)
    status = _emit(verify_package(target), fmt)
    if status == 0:
        descriptor = json_module.loads(read_package(target)["datapackage.json"])
        count = len(descriptor["resources"])
        click.echo(f"Verified chechnya-purges {descriptor['version']}: {count} files.", err=True)
    ctx.exit(status)


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Folder for the archive.",
)
@click.pass_context
def release(ctx: click.Context, out: Path) -> None:
    """Write the release archive and keep the release's snapshot in releases/.

    The archive, chechnya-purges-X.Y.Z.zip, holds datapackage.json, build/, schema/,
    CITATION.cff and LICENSE-DATA, and is byte-identical every time it is made from the same
    outputs. Refuses when check would fail.

    \b
    Example:
        $ chechnya-purges release
        dist/chechnya-purges-1.0.0.zip  sha256:…
    """
    from .compat import release_problems
    from .conform import drift
    from .release import ReleaseError, publish

    root = _root(ctx)
    files = _current(root)
    if _emit(drift(root, files) + release_problems(root, files, __version__), "text"):
        raise click.ClickException("not releasable: fix the problems above first")
    try:
        path, digest = publish(root, files, __version__, out)
    except ReleaseError as exc:
        raise click.ClickException(str(exc)) from exc
    shown = path.relative_to(root) if path.is_relative_to(root) else path
    click.echo(f"{shown}  sha256:{digest}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="chechnya-purges")
