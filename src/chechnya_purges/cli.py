"""The ``chechnya-purges`` command: a thin shell over the pipeline.

Every command finds the dataset root the same way, prints problems to stdout in the chosen
``--format`` and a one-line summary to stderr, and exits 0 when clean, 1 when the data has
problems, 2 on bad usage.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .dataset import Dataset, RootNotFound, find_root, load
from .diagnostics import RENDERERS, Diagnostic, render

__all__ = ["cli", "main"]


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


def _summary(dataset: Dataset) -> str:
    figures = sum(len(a.record.figures) for a in dataset.articles)
    statements = sum(len(a.record.statements) for a in dataset.articles)
    return (
        f"{len(dataset.articles)} articles, {len(dataset.actors)} actors, {figures} figures, "
        f"{statements} statements"
    )


def _root(ctx: click.Context) -> Path:
    """The dataset root: --root, else the nearest folder above the working directory."""
    try:
        return find_root(ctx.obj or Path.cwd())
    except RootNotFound as exc:
        raise click.UsageError(f"{exc}; run inside the dataset or pass --root") from exc


def _command(function: Callable[..., int]) -> Callable[..., None]:
    """Shared options and the root lookup, so every command behaves alike."""

    @click.option(
        "--format",
        "fmt",
        type=click.Choice(sorted(RENDERERS)),
        default="text",
        show_default=True,
        help="How to print problems: text for people, json for tools, "
        "github for workflow annotations.",
    )
    @click.pass_context
    def wrapper(ctx: click.Context, /, fmt: str, **kwargs: Any) -> None:
        ctx.exit(function(_root(ctx), fmt, **kwargs))

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Dataset root (a folder holding data/actors.yaml). Default: the nearest such "
    "folder at or above the current one.",
)
@click.version_option(__version__, prog_name="chechnya-purges")
@click.pass_context
def cli(ctx: click.Context, root: Path | None) -> None:
    """Validate and build the chechnya-purges dataset."""
    ctx.obj = root


@cli.command()
@_command
def validate(root: Path, fmt: str) -> int:
    """Check every record and report all problems, one per line.

    \b
    Example:
        $ chechnya-purges validate
        data/articles/001_x.yaml:14:7: error[quote-not-found] statements[2].quote: ...
    """
    dataset, problems = load(root)
    status = _emit(problems, fmt)
    if status == 0:
        click.echo(f"Valid: {_summary(dataset)}.", err=True)
    return status


@cli.command()
@_command
def build(root: Path, fmt: str) -> int:
    """Validate, then write build/, schema/ and datapackage.json.

    The outputs are written to a staging folder, checked with frictionless and jsonschema,
    and only then swapped in: a failed build leaves the previous outputs as they were.

    \b
    Example:
        $ chechnya-purges build
    """
    from .conform import conform
    from .write import render as render_files
    from .write import staging, swap_in

    dataset, problems = load(root)
    if _emit(problems, fmt):
        click.echo("Nothing was written.", err=True)
        return 1
    files = render_files(dataset, __version__)
    with staging(root, files) as folder:
        if _emit(conform(folder), fmt):
            click.echo("Nothing was written.", err=True)
            return 1
        swap_in(root, folder)
    click.echo(f"Built {len(files)} files from {_summary(dataset)}.", err=True)
    return 0


@cli.command()
@_command
def check(root: Path, fmt: str) -> int:
    """Validate, then fail if any committed output differs from what build would write.

    Also runs frictionless on the committed package and jsonschema on the committed JSON.

    \b
    Example:
        $ chechnya-purges check
    """
    from .conform import conform, drift
    from .write import render as render_files

    dataset, problems = load(root)
    if _emit(problems, fmt):
        return 1
    problems = drift(root, render_files(dataset, __version__))
    if not problems:
        problems = conform(root)
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


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="chechnya-purges")
