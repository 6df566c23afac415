"""The ``chechnya-purges`` command: a thin shell over the pipeline.

Every command finds the dataset root the same way, prints problems to stdout in the chosen
``--format`` and a one-line summary to stderr, and exits 0 when clean, 1 when the data has
problems, 2 on bad usage.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .diagnostics import RENDERERS, Diagnostic, folded, one_line, render

# The pipeline is imported inside the commands that run it: its models take a quarter of a
# second to build, which --help, --version and codes need not pay.
if TYPE_CHECKING:
    from .compat import Pending
    from .dataset import Dataset
    from .outputs import Outputs
    from .tables import Filed, Spool

    _Staged = tuple[list[Diagnostic], tuple[Outputs, Pending, str] | None, list[Diagnostic]]

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


class _Report:
    """The problems of a command that finds them in stages (build: the data's, then the
    package's). Text is printed as each stage ends, so that a person sees the data's
    problems before the long frictionless pass; json and github are printed once, as the
    command ends, so that a tool reads one document holding every problem."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.held: list[Diagnostic] = []
        self.failed = False

    def add(self, problems: list[Diagnostic]) -> bool:
        """Whether any of these problems is an error."""
        failed = any(p.severity == "error" for p in problems)
        self.failed |= failed
        if self.fmt == "text":
            _emit(problems, self.fmt)
        else:
            self.held += problems
        return failed

    def end(self) -> int:
        """The exit status the problems call for, the held ones printed."""
        if self.fmt != "text":
            _emit(self.held, self.fmt)
        return int(self.failed)


def _summary(dataset: Dataset[Filed]) -> str:
    figures = sum(a.count("figures") for a in dataset.articles)
    statements = sum(a.count("statements") for a in dataset.articles)
    return (
        f"{len(dataset.articles)} articles, {len(dataset.actors)} actors, {figures} figures, "
        f"{statements} statements"
    )


def _root(ctx: click.Context) -> Path:
    """The dataset root: --root, else the nearest folder above the working directory.

    A swap of the outputs that a killed build left half done is finished first, so that no
    command ever reads a mixed set.
    """
    from .dataset import RootNotFound, find_root

    try:
        root = find_root(ctx.obj or Path.cwd())
    except RootNotFound as exc:
        raise click.UsageError(f"{exc}; run inside the dataset or pass --root") from exc
    _recover(root)
    return root


def _recover(root: Path) -> None:
    """Finish the swap of a killed build, if one was left, before reading the outputs."""
    from ._swap import recover

    try:
        recover(root)
    except OSError as exc:
        raise click.ClickException(
            f"an interrupted build left its outputs half replaced, and finishing the swap "
            f"failed: {exc.strerror or exc}; make {root} writable and run the command again"
        ) from exc


def _root_or_installed(ctx: click.Context) -> Path:
    """The dataset root, or, outside any checkout and without --root, the package installed
    with the tool: a reader who pip-installed it can still see and verify its data."""
    from .dataset import RootNotFound, find_root

    try:
        root = find_root(ctx.obj or Path.cwd())
    except RootNotFound:
        if ctx.obj is not None:  # --root names a folder that is no dataset: say so
            return _root(ctx)
    else:
        _recover(root)
        return root
    from .api import datapackage_path, package_version

    try:
        installed = datapackage_path().parent
    except FileNotFoundError:
        return _root(ctx)
    click.echo(
        f"No dataset here: using the package installed with chechnya-purges "
        f"{package_version()} ({installed}).",
        err=True,
    )
    return installed


class _Unversioned(Exception):
    """The last release's snapshot cannot be read, so no version can be given; with the
    problems the data had (none of them an error), so that all are reported together."""

    def __init__(self, problem: Diagnostic, data: list[Diagnostic] | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problems = [*(data or []), problem]


def _versioned(
    root: Path, dataset: Dataset[Filed], spool: Spool, files: Outputs
) -> tuple[Outputs, Pending]:
    """Every output as build writes it, stating the version the changes since the last
    release call for (README, "Versions"), and that comparison."""
    from .compat import DEV, FIRST, SNAPSHOTS, SnapshotError, latest_snapshot, pending
    from .write import render as render_files
    from .write import stamp

    last = None
    try:
        last = latest_snapshot(root)
        provisional = last.stem if last is not None else FIRST + DEV
        render_files(dataset, spool, provisional, files)
        state = pending(root, files)
    except SnapshotError as exc:
        raise _Unversioned(_unreadable(root, last or root / SNAPSHOTS, exc)) from exc
    if state.version != provisional:
        stamp(dataset, files, state.version)
    return files, state


def _unreadable(root: Path, path: Path, exc: Exception) -> Diagnostic:
    """A snapshot or package that cannot be read, as one diagnostic on it (named as in the
    dataset when it lies inside)."""
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    message = str(exc).replace(str(path), shown)
    hint = "restore the snapshot the release made (git checkout releases/)"
    return Diagnostic(shown, 1, 1, "package-unreadable", message, hint)


def _report_pending(state: Pending) -> None:
    """Say where the data stands against the last release (stderr: a report, not a problem)."""
    if state.released is None:
        click.echo(
            f"Not released yet: the outputs carry {state.version}; "
            f"`chechnya-purges release` makes them {state.next}.",
            err=True,
        )
    elif state.version == state.released:
        click.echo(f"Release {state.released}, unchanged since.", err=True)
    else:
        click.echo(
            f"Pending since release {state.released}: {state.level.name} "
            f"({len(state.changes)} change(s), listed by `chechnya-purges diff`); the outputs "
            f"carry {state.version}, and `chechnya-purges release` will make them {state.next}.",
            err=True,
        )


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """--version, read when asked: the version lives in the package's own descriptor."""
    if not value or ctx.resilient_parsing:
        return
    from .api import package_version

    click.echo(f"chechnya-purges, version {package_version()}")
    ctx.exit()


def _command(function: Callable[..., int]) -> Callable[..., None]:
    """Shared options and the root lookup, so every command behaves alike."""

    @_problem_format
    @click.pass_context
    def wrapper(ctx: click.Context, /, fmt: str, **kwargs: Any) -> None:
        from ._workers import WorkLost

        root = _root(ctx)
        try:
            status = function(root, fmt, **kwargs)
        except WorkLost as exc:  # a process doing part of the work, killed there
            raise click.ClickException(
                f"{exc} before its work was done (killed, or out of memory); nothing was "
                "written\n  hint: run the command again; if it is killed again, close other "
                "programs to give it more memory"
            ) from exc
        ctx.exit(status)

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
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and exit.",
)
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
    """Validate, then write build/, schema/, datapackage.json, CITATION.cff and docs/.

    The outputs are written to a staging folder, checked with frictionless (every row) and
    jsonschema (the nested JSON; past 50 articles, an even sample of them — check validates
    all), and only then swapped in, all at once: a failed, killed or interrupted build leaves
    the previous outputs as they were or the new ones complete. A second build of the same
    folder waits for the first to end.

    \b
    Example:
        $ chechnya-purges build
    """
    from ._swap import locked, prepare

    with locked(root, _waiting):
        try:
            prepare(root)
        except OSError as exc:
            return _refused(root, exc, fmt)
        return _build(root, fmt, no_frictionless)


def _waiting() -> None:
    click.echo("Another build of this dataset is running: waiting for it to end.", err=True)


def _refused(root: Path, exc: OSError, fmt: str) -> int:
    _emit([_unwritable(root, exc)], fmt)
    click.echo("Nothing was written.", err=True)
    return 1


def _unwritable(root: Path, exc: OSError) -> Diagnostic:
    """A disk that refuses (full, read-only) as one diagnostic, on the output it refused
    (named as in the dataset, not by the staging folder it was being written to)."""
    from ._swap import STAGING_PREFIX

    name = exc.filename if isinstance(exc.filename, str) else str(root)
    try:
        parts = Path(name).resolve().relative_to(root.resolve()).parts
    except ValueError:
        parts = (name,)
    if parts and parts[0].startswith(STAGING_PREFIX):
        parts = parts[1:]
    return Diagnostic(
        "/".join(parts) or ".",
        1,
        1,
        "output-unwritable",
        f"cannot write the outputs: {exc.strerror or type(exc).__name__}",
        "free disk space or make the dataset folder writable, then build again; "
        "the previous outputs are as they were",
    )


def _build(root: Path, fmt: str, no_frictionless: bool) -> int:
    from ._swap import staging, swap_in
    from ._workers import apart
    from .conform import conform

    report = _Report(fmt)
    try:
        with staging(root) as folder:
            # Loading, tabulating and writing leave this process's memory in pieces that
            # the system does not take back; they run apart, so that the frictionless
            # workers, forked from here afterwards, start from a small process.
            problems, written, unversioned = apart(_stage, root, folder)
            if report.add(problems):
                return _unbuilt(report)
            if written is None:
                report.add(unversioned)
                return report.end()
            files, state, built = written
            found = conform(
                folder, frictionless=not no_frictionless, sample=JSON_SAMPLE, scratch=folder
            )
            if report.add(found):
                return _unbuilt(report)
            swap_in(root, folder)
    except OSError as exc:
        report.add([_unwritable(root, exc)])
        return _unbuilt(report)
    report.end()
    click.echo(f"Built {len(files)} files from {built}: version {state.version}.", err=True)
    return 0


def _unbuilt(report: _Report) -> int:
    report.end()
    click.echo("Nothing was written.", err=True)
    return 1


def _stage(root: Path, folder: Path) -> _Staged:
    """The package written to the staging folder: the data's problems, then (when none is
    an error) the files written, the version they carry and what they hold, or why no
    version can be given."""
    from .dataset import load
    from .outputs import Outputs
    from .tables import Spool, tabulate

    # Each article's rows go to disk as they arrive, and every file is written from there a
    # piece at a time: memory stays flat however many articles there are.
    spool = Spool(folder)
    try:
        dataset, problems = load(root, tabulate, spool.add)
        spool.flush()
        if any(p.severity == "error" for p in problems):
            return problems, None, []
        try:
            files, state = _versioned(root, dataset, spool, Outputs(folder))
        except _Unversioned as exc:
            return problems, None, [exc.problem]
    finally:
        spool.close()
    return problems, (files, state, _summary(dataset)), []


# The signals that ask a process to end, besides Ctrl-C: `timeout` and a cancelled CI job
# send SIGTERM, a closed terminal SIGHUP.
_ENDING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class _InsideDataset(Exception):
    """The system's temporary folder is inside the dataset."""

    def __init__(self, problem: Diagnostic) -> None:
        super().__init__(problem.message)
        self.problem = problem


@contextmanager
def _scratch(root: Path) -> Iterator[Path]:
    """A folder of the system's temporary folder (TMPDIR) for check's own copy of the
    package, removed however check ends.

    A temporary folder inside the dataset is refused before anything is made in it: what
    check writes there would be read back as the dataset's own files (an extra output
    under build/, a folder among the articles).
    """
    import multiprocessing
    import shutil
    import tempfile

    from ._workers import held

    ending = (signal.SIGINT, *_ENDING)
    temporary = Path(tempfile.gettempdir()).resolve()
    if temporary.is_relative_to(root.resolve()):
        raise _InsideDataset(
            Diagnostic(
                temporary.relative_to(root.resolve()).as_posix() or ".",
                1,
                1,
                "output-unwritable",
                f"the temporary folder ({temporary}) is inside the dataset, where what check "
                "writes would be taken for the dataset's own files",
                "name a temporary folder outside the dataset in TMPDIR",
            )
        )
    # Ctrl-C (SIGTERM, SIGHUP) is held while the folder is made and while it is removed, and
    # raised after either: an interrupted check leaves nothing behind. Only a check killed
    # outright (SIGKILL, out of memory) can leave a chechnya-purges-check-* folder, which
    # nothing reads and anyone may delete.
    folder = None
    owner = os.getpid()

    def ended(number: int, _: object) -> None:
        """SIGTERM or SIGHUP: the folder removed, then the end the signal asks for, here
        and now. Not an exception on its way up: the workers may be dying of the same
        signal, and ending a pool whose workers died can wait forever."""
        if os.getpid() == owner:  # not a process forked from this one before it reset it
            for child in multiprocessing.active_children():
                child.kill()  # those that could still write in the folder
                child.join()
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        signal.signal(number, signal.SIG_DFL)
        signal.raise_signal(number)

    try:
        previous = {number: signal.signal(number, ended) for number in _ENDING}
    except ValueError:  # not the main thread, the one that handles signals
        previous = {}
    try:
        with held(*ending):
            folder = Path(tempfile.mkdtemp(prefix="chechnya-purges-check-", dir=temporary))
        yield folder
    finally:
        if folder is not None:
            with held(*ending):
                shutil.rmtree(folder, ignore_errors=True)
        for number, handler in previous.items():
            signal.signal(number, handler)


def _scratch_unwritable(exc: OSError) -> Diagnostic:
    """A temporary folder that refuses check's copy of the package (full, read-only, gone)
    as one diagnostic on that folder, printed in the format asked for like any other: a
    tool reading --format json gets a document, not an empty output."""
    import tempfile

    return Diagnostic(
        tempfile.tempdir or os.environ.get("TMPDIR") or ".",
        1,
        1,
        "output-unwritable",
        f"cannot write check's copy of the package in the temporary folder: "
        f"{exc.strerror or one_line(str(exc))}",
        "free space in the temporary folder, or name another in TMPDIR; the dataset is unchanged",
    )


@cli.command()
@_command
def check(root: Path, fmt: str) -> int:
    """Validate, then fail if any committed output differs from what build would write.

    Also runs frictionless on the committed package and jsonschema on the committed JSON,
    reports the changes pending since the last release (releases/) and the version they
    give the outputs, and fails when CHANGELOG.md has no line about them under
    '## Unreleased'.

    \b
    Example:
        $ chechnya-purges check
    """
    from ._workers import apart
    from .compat import release_problems
    from .conform import conform, drift

    try:
        with _scratch(root) as scratch:
            # Written as build writes it, a piece at a time and in a process apart, then
            # compared a block at a time: check's memory stays flat whatever the corpus.
            problems, written, unversioned = apart(_stage, root, scratch)
            if written is None:
                return _emit(problems + unversioned, fmt)
            files, state, built = written
            # One report, the data's warnings first: --format json prints one document.
            found = drift(root, files)
            if not found:
                found = conform(root, scratch=scratch)
    except _InsideDataset as exc:
        return _emit([exc.problem], fmt)
    except OSError as exc:  # the system's temporary folder, full or unusable
        return _emit([_scratch_unwritable(exc)], fmt)
    found += release_problems(root, state)
    status = _emit(problems + found, fmt)
    if status == 0:
        click.echo(f"Up to date and conformant: {built}.", err=True)
    _report_pending(state)
    return status


@cli.command()
@click.pass_context
def summary(ctx: click.Context) -> None:
    """Print the per-article table of README.md, computed from build/.

    Outside a dataset (and without --root): the tables of the installed package.

    \b
    Example:
        $ chechnya-purges summary
        | article | publisher | published | figures | statements | actors |
    """
    from .summary import SummaryError, article_table

    try:
        click.echo(article_table(_root_or_installed(ctx)), nl=False)
    except SummaryError as exc:
        raise click.ClickException(f"{exc}; run `chechnya-purges build` first") from exc


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
        raise click.ClickException(one_line(str(exc))) from exc
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
        raise click.ClickException(one_line(str(exc))) from exc
    if fmt == "json":
        click.echo(json_module.dumps([asdict(f) for f in found], ensure_ascii=False, indent=2))
    for place in found if fmt == "text" else []:
        note = f" (in an excluded region: {place.excluded})" if place.excluded else ""
        click.echo(
            f"{seed_path}:{place.line}:{place.col}: occurrence {place.occurrence}, "
            f"offsets [{place.start}, {place.end}){note}"
        )
        click.echo(f"  {one_line(place.context)}")
        click.echo(f"  {' ' * (place.col - 1)}{'^' * max(len(place.text.splitlines()[0]), 1)}")
    if closest:
        click.echo(f"{seed_path}: not found; {one_line(closest)}", err=True)
        ctx.exit(1)
    inside = [place for place in found if not place.excluded]
    if len(inside) > 1:
        message = f"Found {len(inside)} times in the article: a figure or statement needs "
        click.echo(message + "`occurrence: N`.", err=True)
    elif len(found) > 1 and inside:
        message = f"Anchors to occurrence {inside[0].occurrence}; the others lie in excluded "
        click.echo(message + "regions.", err=True)


@cli.command()
@click.argument("article", required=False)
@click.option(
    "--strict", is_flag=True, help="Exit 1 when anything is left neither covered nor explained."
)
@_report_format
@click.pass_context
def coverage(ctx: click.Context, article: str | None, strict: bool, fmt: str) -> None:
    """List the numbers and quotations of ARTICLE (default: every article) that no figure or
    statement covers, outside excluded regions, with a summary per article.

    A review aid: a number that is not a figure (a date, a district) or a quotation that is
    not a statement (a term in quotation marks) is fine; record it under the article's
    `reviewed` with the reason, and it counts as explained. Exits 1 when the article does
    not validate (and, with --strict, when anything is left).

    \b
    Example:
        $ chechnya-purges coverage 003
        seeds/003_324f4242ea97888e.txt:2:189: number not in any figure: 'one hundred'
          …and detention of over one hundred gay men in Chechnya, Human Rights…
        003_324f4242ea97888e: numbers 2 (2 in figures, 0 explained, 0 left); ...
    """
    import json as json_module

    from .coverage import CoverageError
    from .coverage import coverage as measure

    try:
        found = measure(_root(ctx), article)
    except CoverageError as exc:
        click.echo(f"Error: {exc}", err=True)
        ctx.exit(1)
    if fmt == "json":
        click.echo(json_module.dumps([a.as_dict() for a in found], ensure_ascii=False, indent=2))
    left = 0
    for item in found:
        for gap in item.gaps:
            what = {
                "number": "number not in any figure",
                "quotation": "quotation not in any statement",
                "reviewed": "reviewed entry with nothing to explain",
            }[gap.kind]
            if fmt == "text":
                click.echo(f"{item.seed_path}:{gap.line}:{gap.col}: {what}: {gap.text!r}")
                click.echo(f"  {one_line(gap.context)}")
        left += len(item.gaps)
        if fmt == "text":
            numbers_left = item.numbers - item.numbers_in_figures - item.numbers_explained
            passages_left = item.passages - item.passages_in_statements - item.passages_explained
            click.echo(
                f"{item.article_id}: numbers {item.numbers} ({item.numbers_in_figures} in "
                f"figures, {item.numbers_explained} explained, {numbers_left} left); quoted "
                f"passages {item.passages} ({item.passages_in_statements} in statements, "
                f"{item.passages_explained} explained, {passages_left} left); "
                f"{item.share_in_statements:.0%} of quoted text in statements"
            )
    click.echo(
        f"{left} item(s) neither covered nor explained in {len(found)} article(s).", err=True
    )
    if strict and left:
        ctx.exit(1)


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
        raise click.ClickException(one_line(str(exc))) from exc
    if fmt == "json":
        click.echo(
            json_module.dumps(
                [a.model_dump(mode="json") for a in found], ensure_ascii=False, indent=2
            )
        )
    else:
        for actor in found:
            aliases = f"  (also: {folded(', '.join(actor.aliases))})" if actor.aliases else ""
            click.echo(f"{actor.id}  {actor.kind.value}  {folded(actor.name)}{aliases}")
    if not found:
        click.echo(f"No actor matches {query!r}: add one to data/actors.yaml.", err=True)
        ctx.exit(1)


@cli.command()
@click.argument("claim", required=False)
@_report_format
@click.pass_context
def lineage(ctx: click.Context, claim: str | None, fmt: str) -> None:
    """Print a claim's lineage from build/: its records in the order of their articles'
    publication, each with its date, article, attribution, value and quote, and what changed
    against the first appearance. Without CLAIM, list the claims.

    Exits 1 when there is no such claim.

    \b
    Example:
        $ chechnya-purges lineage novaya-gazeta-detained-over-100
        novaya-gazeta-detained-over-100 (figure claim): Men detained in Chechnya ...
    """
    import json as json_module

    from .lineage import LineageError, as_json, claim_list, list_text, text
    from .lineage import lineage as find_lineage

    root = _root(ctx)
    try:
        found = find_lineage(root, claim) if claim is not None else claim_list(root)
    except LineageError as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "json":
        click.echo(json_module.dumps(as_json(found), ensure_ascii=False, indent=2))
    elif isinstance(found, list):
        click.echo(list_text(found), nl=False)
    else:
        click.echo(text(found), nl=False)


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the site (default: site/ under the dataset root). Replaced on every "
    "run; refused when it holds anything but an earlier site.",
)
@_problem_format
@click.pass_context
def site(ctx: click.Context, out: Path | None, fmt: str) -> None:
    """Write the evidence browser: static pages showing every value on its article's words.

    Reads the built package (run build first) and the seed texts; the pages open from
    file:// with no server and no network. They embed the full seed texts: the site is for
    people holding this repository, never for publishing.

    \b
    Example:
        $ chechnya-purges site --out site/
        Wrote 79 pages to site: open site/index.html in a browser.
    """
    from .site import SiteError
    from .site import build as build_site

    root = _root(ctx)
    target = out if out is not None else root / "site"
    try:
        written, problems = build_site(root, target)
    except SiteError as exc:
        raise click.UsageError(str(exc)) from exc
    if _emit(problems, fmt) or written is None:
        click.echo("Nothing was written.", err=True)
        ctx.exit(1)
        return
    click.echo(
        f"Wrote {written.pages} pages to {target}: open {target / 'index.html'} in a browser.",
        err=True,
    )


def _in_memory(root: Path) -> tuple[Dataset[Filed], Outputs, Pending | None, list[Diagnostic]]:
    """The package build would write now, in memory (to compare rather than to write it),
    or the problems that keep it from being written."""
    from .dataset import load
    from .outputs import Outputs
    from .tables import Spool, tabulate

    spool = Spool()
    try:
        dataset, problems = load(root, tabulate, spool.add)
        spool.flush()
        if any(p.severity == "error" for p in problems):
            return dataset, Outputs(), None, problems
        try:
            return (dataset, *_versioned(root, dataset, spool, Outputs()), problems)
        except _Unversioned as exc:
            raise _Unversioned(exc.problem, problems) from exc
    finally:
        spool.close()


def _current(root: Path, fmt: str) -> tuple[Dataset[Filed], Outputs, Pending]:
    """The package build would write now, in memory; a usage error if the data is invalid,
    the problems (in ``fmt``) if the last release cannot be read."""
    try:
        dataset, files, state, _ = _in_memory(root)
    except _Unversioned as exc:
        _emit(exc.problems, fmt)
        raise click.exceptions.Exit(1) from exc
    if state is None:
        raise click.ClickException("the data does not validate: run `chechnya-purges validate`")
    return dataset, files, state


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
        Level: MINOR; 1.0.0 needs at least 1.1.0; this is 1.1.0-dev.
    """
    import json as json_module

    from .compat import (
        DEV,
        SNAPSHOTS,
        SnapshotError,
        classify,
        latest_snapshot,
        load_snapshot,
        required_version,
        snapshot,
    )
    from .compat import diff as compare

    root = _root(ctx)
    reading = root / SNAPSHOTS  # what is being read, should it fail
    try:
        if old is None:
            old = latest_snapshot(root)
            if old is None:
                raise click.UsageError("no release snapshot in releases/: name OLD")
        reading = old
        before = load_snapshot(old)
        reading = new or root
        after = (
            load_snapshot(new, like=before)
            if new
            else snapshot(_current(root, fmt)[1], like=before)
        )
        changes = compare(before, after)
        level = classify(changes)
        # An unreleased build (X.Y.Z-dev) is compared as the release it would become.
        needed = required_version(str(before["version"]).removesuffix(DEV), level)
    except SnapshotError as exc:
        if fmt == "json":  # a tool reading stdout gets a document: the problem, as check's
            ctx.exit(_emit([_unreadable(root, reading, exc)], fmt))
        raise click.ClickException(str(exc)) from exc
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
        shown = f"{change.table}  {change.subject}: {change.detail}"
        click.echo(f"{change.level.name:<5}  {one_line(shown)}")
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

    The copy must have one descriptor, at its root, listing every file it holds (a release
    zip holds nothing else), each inside the package and present with the size and SHA-256
    the descriptor states. Sizes are compared before anything is decompressed.
    Without PATH: the dataset's own outputs, or outside a dataset the installed package.

    \b
    Example:
        $ chechnya-purges verify dist/chechnya-purges-1.0.0.zip
        Verified chechnya-purges 1.0.0: 8 files.
    """
    from ._package import open_copy
    from .release import verify as verify_package

    target = path or _root_or_installed(ctx)
    if path is not None and path.is_dir():
        _recover(path)
    status = _emit(verify_package(target), fmt)
    if status == 0:
        descriptor = open_copy(target).descriptor
        count = len(descriptor["resources"])
        version = one_line(str(descriptor["version"]))
        click.echo(f"Verified chechnya-purges {version}: {count} files.", err=True)
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
    """Release the pending changes under the next version.

    The version is the last release (releases/) raised as far as the changes since then
    require (see diff); a first release is 1.0.0. Moves CHANGELOG.md's '## Unreleased'
    entries under a heading for it, rewrites the outputs with it, keeps its snapshot in
    releases/ and writes the archive chechnya-purges-X.Y.Z.zip (datapackage.json, build/,
    schema/, CITATION.cff, croissant.json, docs/codebook.md,
    LICENSE-DATA), byte-identical every time it is made from the same
    outputs. With nothing changed since the last release, makes that release's archive again.
    Refuses, writing nothing, when check would fail. Then commit and tag vX.Y.Z. The archive and the
    snapshot are each written to a temporary name and renamed: an interrupted release leaves
    no partial file.

    \b
    Example:
        $ chechnya-purges release
        Released 1.1.0 (MINOR since 1.0.0): commit the changes and tag v1.1.0.
        dist/chechnya-purges-1.1.0.zip  sha256:…
    """
    from ._swap import locked, staging, swap_in, write_atomically
    from .compat import SnapshotError, changelog_for_release, read_changelog, release_problems
    from .conform import conform, drift
    from .release import ReleaseError, guard, publish, refuse_links
    from .write import stamp

    root = _root(ctx)
    dataset, files, state = _current(root, "text")

    if _emit(drift(root, files) + release_problems(root, state), "text"):
        raise click.ClickException("not releasable: fix the problems above first")
    fresh = state.version != state.released
    version = state.next if fresh else state.version
    changelog = root / "CHANGELOG.md"
    try:
        if fresh:
            stamp(dataset, files, version)
            text, unreadable = read_changelog(root)
            if _emit(unreadable, "text"):
                raise click.ClickException("not releasable: fix the problem above first")
            entries = changelog_for_release(text, version)
        guard(root, files, version)
        refuse_links(root, out)
    except (SnapshotError, ReleaseError) as exc:
        raise click.ClickException(str(exc)) from exc
    del dataset
    try:
        if fresh:
            with locked(root, _waiting), staging(root, files) as folder:
                if _emit(conform(folder, scratch=folder), "text"):
                    raise click.ClickException("nothing was written")
                swap_in(root, folder)
            write_atomically(changelog, entries.encode("utf-8"))
            since = f"{state.level.name} since {state.released}" if state.released else "the first"
            click.echo(f"Released {version} ({since}): commit the changes and tag v{version}.")
        path, digest = publish(root, files, version, out)
    except OSError as exc:
        raise click.ClickException(
            f"cannot write the release to {out}: {exc.strerror or exc}; no partial file was left"
        ) from exc
    shown = path.relative_to(root) if path.is_relative_to(root) else path
    click.echo(f"{shown}  sha256:{digest}")


@cli.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--metadata",
    "metadata_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write Datasette's metadata. Default: beside OUT, named OUT.metadata.json "
    "without OUT's extension.",
)
@click.option(
    "--package",
    type=click.Path(exists=True, path_type=Path),
    help="A package folder or release zip to read. Default: the dataset's own build.",
)
@_problem_format
@click.pass_context
def sqlite(
    ctx: click.Context, out: Path, metadata_path: Path | None, package: Path | None, fmt: str
) -> None:
    """Write the built package to a SQLite database, with Datasette metadata beside it.

    Reads the built tables (verified against datapackage.json), not the records: run build
    first. Every table gets declared types, NULL for empty cells, its primary and foreign
    keys and CHECK constraints; quotes get FTS5 indexes; views give names beside ids.

    \b
    Example:
        $ chechnya-purges sqlite chechnya-purges.db
        Wrote chechnya-purges.db (…) and chechnya-purges.metadata.json.
        Browse it: datasette chechnya-purges.db --metadata chechnya-purges.metadata.json
    """
    import json as json_module

    from ._swap import write_atomically
    from .compat import SnapshotError, read_package
    from .release import verify as verify_package
    from .sqlite import DatabaseError, database_name, metadata, write_database

    source = package or _root(ctx)
    meta = metadata_path or out.with_name(f"{out.stem}.metadata.json")
    for target in (out, meta):
        if not target.parent.is_dir():
            raise click.UsageError(f"no folder {target.parent} to write {target.name} in")
    # Overwrite only what this command writes: a mistyped OUT must not replace a document,
    # and a link, FIFO or device (a repository can commit one) is never written through.
    for target in (out, meta):
        if os.path.lexists(target) and (target.is_symlink() or not target.is_file()):
            raise click.UsageError(
                f"{target} exists and is not a regular file (a link, folder, FIFO or device): "
                "not replacing it"
            )
    if out.is_file() and not _is_sqlite(out):
        raise click.UsageError(f"{out} exists and is not a SQLite database: not replacing it")
    if meta.is_file() and not _is_json(meta):
        raise click.UsageError(f"{meta} exists and is not JSON: not replacing it")
    if _emit(verify_package(source), fmt):
        advice = "" if package else ": run `chechnya-purges build` first"
        click.echo(f"Nothing was written{advice}.", err=True)
        ctx.exit(1)
    try:
        files = read_package(source)
        descriptor = json_module.loads(files["datapackage.json"])
        # Made before the database, so that a descriptor of another shape writes neither.
        made = metadata(descriptor, database_name(out))
    except SnapshotError as exc:
        raise click.ClickException(f"{exc}; nothing was written") from exc
    except (KeyError, TypeError, IndexError, ValueError, AttributeError) as exc:
        raise click.ClickException(
            f"the descriptor does not have the shape build writes ({type(exc).__name__}: "
            f"{one_line(str(exc))}); nothing was written"
        ) from exc
    try:
        counts = write_database(files, out)
    except DatabaseError as exc:
        raise click.ClickException(f"{one_line(str(exc))}; nothing was written") from exc
    text = json_module.dumps(made, ensure_ascii=False, indent=2)
    write_atomically(meta, (text + "\n").encode("utf-8"))
    rows = ", ".join(f"{n} {name}" for name, n in counts.items())
    click.echo(f"Wrote {out} ({rows}) and {meta}.")
    click.echo(f"Browse it: datasette {out} --metadata {meta}")


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(16) == b"SQLite format 3\0"


def _is_json(path: Path) -> bool:
    import json as json_module

    try:
        json_module.loads(path.read_bytes())
    except ValueError:
        return False
    return True


def main() -> None:
    """Console-script entry point."""
    sys.unraisablehook = _interrupting_later(sys.unraisablehook)
    cli(prog_name="chechnya-purges")


def _interrupting_later(
    hook: Callable[[sys.UnraisableHookArgs], object],
) -> Callable[[sys.UnraisableHookArgs], object]:
    """Ctrl-C that arrives while Python frees an object cannot be raised there: Python
    prints it with a traceback and carries on, and the command would run to its end as if
    no one had pressed it. Raised again instead, a moment later, where it stops the
    command (should it fall in another object being freed, it comes back here and is
    raised again a moment later still); everything else goes to the hook as before."""
    import _thread
    import threading

    def handle(unraisable: sys.UnraisableHookArgs) -> object:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            # Later, not now: this hook has to return first, or it would be raised in here.
            later = threading.Timer(0.05, _thread.interrupt_main)
            later.daemon = True
            later.start()
            return None
        return hook(unraisable)

    return handle
