"""Every file of the repository may come from a stranger's pull request. Each hostile input
gives one diagnostic at the right file:line:col (or a usage error), never a traceback, never
text from outside the dataset, and leaves every file as it was."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
from click.testing import CliRunner
from conftest import ARTICLE, SEED, cached, edit, invoke, plant, position_of, tree
from hypothesis import given
from hypothesis import strategies as st

from chechnya_purges.cache import cache_file
from chechnya_purges.cli import cli
from chechnya_purges.dataset import _stem
from chechnya_purges.reader import (
    ARTICLE_BYTES,
    REGISTRY_BYTES,
    SEED_BYTES,
    load_yaml,
    unsafe_path,
)

ACTORS = "data/actors.yaml"
SECRET = "CI_TOKEN=hunter2-do-not-print"


def _reseal(root: Path) -> None:
    """Record the seed's new hash in the article, so only the change under test is wrong."""
    digest = hashlib.sha256((root / SEED).read_bytes()).hexdigest()
    old = "1c1bf684a73d138c18a39f615d7ca5cb7391751129a5a16180bfbc7f74da97b8"
    edit(root, ARTICLE, lambda t: t.replace(old, digest))


def _replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        def swap(text: str) -> str:
            assert old in text, f"fixture changed: {old!r}"
            return text.replace(old, new, 1)

        edit(root, relative, swap)

    return change


def _write(relative: str, content: bytes) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        (root / relative).write_bytes(content)

    return change


def _secret_outside(root: Path) -> Path:
    outside = root.parent / "outside.txt"
    outside.write_text(SECRET + "\n", encoding="utf-8")
    return outside


def _link_seed_outside(root: Path) -> None:
    (root / SEED).unlink()
    (root / SEED).symlink_to(_secret_outside(root))


def _link_article_outside(root: Path) -> None:
    outside = root.parent / "article.yaml"
    outside.write_bytes((root / ARTICLE).read_bytes())
    (root / ARTICLE).unlink()
    (root / ARTICLE).symlink_to(outside)


def _link_folder_outside(relative: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        target = root.parent / ("linked-" + relative.replace("/", "-"))
        (root / relative).rename(target)
        (root / relative).symlink_to(target, target_is_directory=True)

    return change


def _link_registry_outside(root: Path) -> None:
    outside = root.parent / "actors.yaml"
    outside.write_bytes((root / ACTORS).read_bytes())
    (root / ACTORS).unlink()
    (root / ACTORS).symlink_to(outside)


def _fifo(relative: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        (root / relative).unlink()
        os.mkfifo(root / relative)

    return change


def _folder(relative: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        if (root / relative).exists():
            (root / relative).unlink()
        (root / relative).mkdir()

    return change


def _bom_seed(root: Path) -> None:
    (root / SEED).write_bytes(b"\xef\xbb\xbf" + (root / SEED).read_bytes())
    _reseal(root)


def _combining_after_quote(root: Path) -> None:
    """An accent after the last letter the mention quotes: "Times" + U+0301 is "Timés"."""
    _replace(SEED, "Freedonian Times has", "Freedonian Times\u0301 has")(root)
    _reseal(root)


def _control_in_the_seed(root: Path) -> None:
    """A form feed where the typed quote has a space: it matches, but may not be published."""
    _replace(SEED, "Rights groups say at least", "Rights groups say\x0cat least")(root)
    _reseal(root)


def _many_occurrences(root: Path) -> None:
    edit(root, SEED, lambda t: t + "".join(f"Seen in Sylvania, day {n}.\n" for n in range(10)))
    _reseal(root)


@dataclass(frozen=True)
class Case:
    """One hostile input: how to make it, and the one problem it must give."""

    name: str
    make: Callable[[Path], None]
    code: str
    path: str
    # Text around the mistake in ``path`` (the error points just after its '|'), or the line
    # and column themselves where the file is not text; None: line 1, column 1.
    at: str | tuple[int, int] | None = None
    message: str | None = None  # text the message must contain
    severity: str = "error"


def _huge_digits(root: Path) -> None:
    _replace(ARTICLE, "value: 40", "value: " + "4" * 5000)(root)


def _deep_blocks(root: Path) -> None:
    edit(root, ARTICLE, lambda t: t + "deep:\n" + "".join("  " * i + "- x:\n" for i in range(300)))


def _cycle(root: Path) -> None:
    """The ministry belongs to the government, which belongs to the ministry."""
    _replace(
        ACTORS,
        "  aliases: [Freedonian Ministry of Foreign Affairs, the ministry]\n",
        "  aliases: [Freedonian Ministry of Foreign Affairs, the ministry]\n"
        "  affiliations:\n    - org: sylvania-government\n",
    )(root)
    _replace(
        ACTORS,
        "  country: SY\n",
        "  country: SY\n  affiliations:\n    - org: freedonia-ministry-of-foreign-affairs\n",
    )(root)


def _no_articles_folder(root: Path) -> None:
    (root / ARTICLE).unlink()
    (root / "data/articles").rmdir()


def _ambiguous_many_times(root: Path) -> None:
    _many_occurrences(root)
    _replace(ARTICLE, "quote: The Sylvanian government denied the reports.", "quote: in Sylvania")(
        root
    )


CASES = [
    # 1. no traceback, whatever the bytes
    Case(
        "raw control character",
        _replace(ARTICLE, "title: Freedonia", "title: Free\x01donia"),
        "yaml-syntax",
        ARTICLE,
        "title: Free|\x01",
        "U+0001 is not allowed",
    ),
    Case(
        "UTF-16BE article",
        _write(ARTICLE, "seed_sha256: 1c1b\nkind: news_article\n".encode("utf-16-be")),
        "yaml-syntax",
        ARTICLE,
        message="a NUL character",
    ),
    Case(
        "UTF-16BE registry with a non-ASCII name",
        lambda root: (root / ACTORS).write_bytes(
            (root / ACTORS).read_text(encoding="utf-8").encode("utf-16-be")
        ),
        "invalid-utf8",
        ACTORS,
        (3, 28),  # the second byte of "í" in UTF-16 ("Ana Díaz")
        "is not valid UTF-8",
    ),
    Case(
        "flow nesting 500 deep",
        _replace(ARTICLE, "authors: [Jane Roe]", "authors: " + "[" * 500 + "]" * 500),
        "yaml-syntax",
        ARTICLE,
        "authors: " + "[" * 63 + "|[",
        "nest more than 64 levels",
    ),
    Case(
        "block nesting 300 deep",
        _deep_blocks,
        "yaml-syntax",
        ARTICLE,
        # the file is 74 lines; the 65th level opens at the 33rd dash, indented 64 spaces
        (74 + 1 + 32, 65),
        "nest more than 64 levels",
    ),
    Case(
        "integer of 5,000 digits",
        _huge_digits,
        "number-too-large",
        ARTICLE,
        "value: |4444",
        "5,000 digits",
    ),
    Case(
        "line number of 5,000 digits",
        _replace(ARTICLE, "lines: 14-15", "lines: 14-" + "9" * 5000),
        "invalid-format",
        ARTICLE,
        "lines: |14-",
    ),
    Case(
        "year 0000 published",
        _replace(ARTICLE, "published: 2018-03-12", "published: 0000"),
        "invalid-date",
        ARTICLE,
        "published: |0000",
        "'0000' has no year",
    ),
    Case(
        "year 0000 in a period",
        _replace(ARTICLE, "start: 2018-01", "start: 0000-01"),
        "invalid-date",
        ARTICLE,
        "start: |0000-01",
    ),
    Case(
        "year 0000 said",
        _replace(ARTICLE, "said: 2018-03-12", "said: 0000-03-12"),
        "invalid-date",
        ARTICLE,
        "said: |0000-03-12",
    ),
    Case(
        "year 0000 in an affiliation",
        _replace(ACTORS, "start: 2017-06", "start: 0000-06"),
        "invalid-date",
        ACTORS,
        "start: |0000-06",
    ),
    Case(
        "folder named like an article",
        _folder("data/articles/002_x.yaml"),
        "unsafe-file",
        "data/articles/002_x.yaml",
        None,
        "is a directory",
    ),
    Case(
        "folder where the registry should be",
        _folder(ACTORS),
        "unsafe-file",
        ACTORS,
        None,
        "is a directory",
    ),
    Case(
        "folder where the seed should be",
        _folder(SEED),
        "unsafe-file",
        SEED,
        None,
        "is a directory",
    ),
    Case("FIFO as the seed", _fifo(SEED), "unsafe-file", SEED, None, "is a FIFO"),
    Case("FIFO as the article", _fifo(ARTICLE), "unsafe-file", ARTICLE, None, "is a FIFO"),
    Case("FIFO as the registry", _fifo(ACTORS), "unsafe-file", ACTORS, None, "is a FIFO"),
    Case(
        "key over libyaml's limit",
        _replace(ARTICLE, "\nkind: news_article", "\n" + "k" * 1100 + ": news_article"),
        "yaml-syntax",
        ARTICLE,
        "|" + "k" * 1100,
        "YAML allows keys of at most 1,024 characters",
    ),
    # 2. nothing outside the root is read
    Case(
        "seed linked to a secret outside",
        _link_seed_outside,
        "unsafe-file",
        SEED,
        None,
        "is a symbolic link",
    ),
    Case(
        "article linked from outside",
        _link_article_outside,
        "unsafe-file",
        ARTICLE,
        None,
        "is a symbolic link",
    ),
    Case(
        "registry linked from outside",
        _link_registry_outside,
        "unsafe-file",
        ACTORS,
        None,
        "is a symbolic link",
    ),
    Case(
        "articles folder linked from outside",
        _link_folder_outside("data/articles"),
        "unsafe-file",
        "data/articles",
        None,
        "is a symbolic link",
    ),
    Case(
        "seeds folder linked from outside",
        _link_folder_outside("seeds"),
        "unsafe-file",
        SEED,
        None,
        "reached through seeds, which is a symbolic link",
    ),
    Case(
        "article over its size bound",
        lambda root: edit(root, ARTICLE, lambda t: t + "#" * ARTICLE_BYTES + "\n"),
        "file-too-large",
        ARTICLE,
        None,
        f"limited to {ARTICLE_BYTES:,}",
    ),
    Case(
        "seed over its size bound",
        lambda root: edit(root, SEED, lambda t: t + "x" * SEED_BYTES),
        "file-too-large",
        SEED,
        None,
        f"limited to {SEED_BYTES:,}",
    ),
    Case(
        "registry over its size bound",
        lambda root: edit(root, ACTORS, lambda t: t + "#" * REGISTRY_BYTES + "\n"),
        "file-too-large",
        ACTORS,
        None,
        f"limited to {REGISTRY_BYTES:,}",
    ),
    # 5. nothing bad passes silently
    Case(
        "article written .yml",
        lambda root: (root / "data/articles/002_freedonia.yml").write_bytes(
            (root / ARTICLE).read_bytes()
        ),
        "stray-file",
        "data/articles/002_freedonia.yml",
    ),
    Case(
        "article written .YAML",
        lambda root: (root / "data/articles/002_freedonia.YAML").write_bytes(
            (root / ARTICLE).read_bytes()
        ),
        "stray-file",
        "data/articles/002_freedonia.YAML",
    ),
    Case(
        "article in a subfolder",
        lambda root: (root / "data/articles/2018").mkdir(),
        "stray-file",
        "data/articles/2018",
    ),
    Case(
        "no articles folder",
        _no_articles_folder,
        "missing-folder",
        "data/articles",
    ),
    Case(
        "escaped NUL in text",
        _replace(ARTICLE, "subject: men\n    place", 'subject: "me\\0n"\n    place'),
        "control-character",
        ARTICLE,
        'subject: |"me',
        "U+0000",
    ),
    Case(
        "escaped C1 control in text",
        _replace(ARTICLE, "subject: men\n    place", 'subject: "me\\x9bn"\n    place'),
        "control-character",
        ARTICLE,
        'subject: |"me',
        "U+009B",
    ),
    Case(
        "bidi override in text",
        _replace(ARTICLE, "subject: men\n    place", "subject: me\u202en\n    place"),
        "control-character",
        ARTICLE,
        "subject: |me",
        "U+202E",
    ),
    Case(
        "control character in the quoted passage of the seed",
        _control_in_the_seed,
        "control-character",
        ARTICLE,
        "quote: |Rights groups say at least",
        "U+000C (seed line 8:63)",
    ),
    Case(
        "formula after a space",
        _replace(ARTICLE, "subject: men\n    place", 'subject: " =1+1"\n    place'),
        "formula-text",
        ARTICLE,
        'subject: |" =1+1"',
        "after 1 blank or invisible character(s)",
    ),
    Case(
        "formula after a newline",
        _replace(ARTICLE, "subject: men\n    place", 'subject: "\\n=1+1"\n    place'),
        "formula-text",
        ARTICLE,
        'subject: |"\\n=1+1"',
    ),
    Case(
        "formula after a zero-width space",
        _replace(ARTICLE, "subject: men\n    place", "subject: \u200b=1+1\n    place"),
        "formula-text",
        ARTICLE,
        "subject: |\u200b",
    ),
    Case(
        "formula after a no-break space",
        _replace(ARTICLE, "subject: men\n    place", 'subject: "\\u00a0=1+1"\n    place'),
        "formula-text",
        ARTICLE,
        'subject: |"',
    ),
    Case(
        "full-width equals sign",
        _replace(ARTICLE, "subject: men\n    place", "subject: \uff1d1+1\n    place"),
        "formula-text",
        ARTICLE,
        "subject: |\uff1d",
        "'\uff1d'",
    ),
    Case(
        "leading minus",
        _replace(ARTICLE, "subject: men\n    place", 'subject: "-2+3"\n    place'),
        "formula-text",
        ARTICLE,
        'subject: |"-2+3"',
        "text starts with '-', which a spreadsheet would run as a formula",
    ),
    Case(
        "duplicate affiliation",
        _replace(
            ACTORS,
            "      start: 2017-06\n",
            "      start: 2017-06\n    - org: freedonia-ministry-of-foreign-affairs\n",
        ),
        "duplicate-affiliation",
        ACTORS,
        "start: 2017-06\n    - org: |freedonia-ministry",
    ),
    Case(
        "affiliated with itself",
        _replace(ACTORS, "    - org: freedonia-ministry-of-foreign-affairs", "    - org: ana-diaz"),
        "invalid-affiliation",
        ACTORS,
        "- org: |ana-diaz",
        "affiliated with itself",
    ),
    Case(
        "affiliated with a person",
        _replace(
            ACTORS,
            "  country: SY\n",
            "  country: SY\n  affiliations:\n    - org: ana-diaz\n",
        ),
        "invalid-affiliation",
        ACTORS,
        "- org: |ana-diaz",
        "is a person",
    ),
    Case(
        "membership cycle",
        _cycle,
        "invalid-affiliation",
        ACTORS,
        "affiliations:\n    - org: |sylvania-government",
        "go round in a circle among freedonia-ministry-of-foreign-affairs, sylvania-government",
    ),
    Case(
        "seed with a byte-order mark",
        _bom_seed,
        "seed-bom",
        SEED,
        None,
        "byte-order mark",
    ),
    Case(
        "quote ending inside a grapheme",
        _combining_after_quote,
        "quote-not-found",
        ARTICLE,
        "freedonian-times: |Freedonian Times",
    ),
    Case(
        "integer past 2^53",
        _replace(ARTICLE, "value: 40", "value: 9007199254740993"),
        "number-too-large",
        ARTICLE,
        "value: |9007199254740993",
    ),
    Case(
        "seed with no article",
        lambda root: (root / "seeds/002_unannotated.txt").write_text("Text.\n", "utf-8"),
        "seed-unused",
        "seeds/002_unannotated.txt",
        severity="warning",
    ),
    # 6. messages that help
    Case(
        "invalid date names the value",
        _replace(ARTICLE, "published: 2018-03-12", "published: 2018-02-30"),
        "invalid-date",
        ARTICLE,
        "published: |2018-02-30",
        "published: '2018-02-30' is not a day of the calendar",
    ),
    Case(
        "formula names the character",
        _replace(ARTICLE, "subject: men\n    place", "subject: =1+1\n    place"),
        "formula-text",
        ARTICLE,
        "subject: |=1+1",
        "subject: text starts with '=', which a spreadsheet would run as a formula",
    ),
    Case(
        "empty registry",
        _write(ACTORS, b""),
        "missing-field",
        ACTORS,
        None,
        "the actor registry holds no actors",
    ),
    Case(
        "malformed registry",
        _write(ACTORS, b"- id: [\n"),
        "yaml-syntax",
        ACTORS,
        "- id: [\n|",
    ),
    Case(
        "registry that is not a list",
        _write(ACTORS, b"ana-diaz: Ana\n"),
        "wrong-type",
        ACTORS,
        None,
        "must be a list of actors",
    ),
    Case(
        "invalid actor is not also unknown",
        _replace(ACTORS, "  kind: government\n  country: FD", "  kind: govt\n  country: FD"),
        "unknown-choice",
        ACTORS,
        "kind: |govt",
    ),
    Case(
        "tag on a value",
        _replace(ARTICLE, "value: 40", "value: !!int 40"),
        "yaml-tag",
        ARTICLE,
        "value: |!!int",
    ),
    Case(
        "tag on a key",
        _replace(ARTICLE, "\ntitle:", "\n!!str title:"),
        "yaml-tag",
        ARTICLE,
        "\n|!!str title",
    ),
    Case(
        "quote-ambiguous lists a few places",
        _ambiguous_many_times,
        "quote-ambiguous",
        ARTICLE,
        "quote: |in Sylvania",
        "occurrence 5 at seed line 18:6; and 7 more",
    ),
    Case(
        "a long wrong value is shortened in the message",
        _replace(ARTICLE, "value: 40", 'value: "' + "4" * 5000 + '"'),
        "wrong-type",
        ARTICLE,
        'value: |"4444',
        "(5,002 characters)",
    ),
    Case(
        "quote of invisible characters only",
        _replace(
            ARTICLE,
            "quote: The Sylvanian government denied the reports.",
            'quote: "\\u200b "',
        ),
        "missing-field",
        ARTICLE,
        'quote: |"\\u200b "',
        "text is blank",
    ),
]


@dataclass(frozen=True)
class _Ran:
    returncode: int
    stdout: str
    stderr: str


def _run(root: Path, *args: str, isolated: bool = False) -> _Ran:
    """The real command line. ``isolated``: in its own process with a time limit, for
    inputs (FIFOs) that would block a reader forever, which must fail a test, not hang it."""
    if not isolated:
        result = CliRunner().invoke(cli, ["--root", str(root), *args])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
        return _Ran(result.exit_code, result.stdout, result.stderr)
    done = subprocess.run(
        [sys.executable, "-m", "chechnya_purges", "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return _Ran(done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_one_problem_at_the_mistake_and_nothing_changed(mini: Path, case: Case) -> None:
    case.make(mini)
    isolated = "FIFO" in case.name
    where = mini / case.path
    if case.at is None:
        line, col = 1, 1
    elif isinstance(case.at, tuple):
        line, col = case.at
    else:
        line, col = position_of(where.read_text(encoding="utf-8"), case.at)
    before = tree(mini)

    result = _run(mini, "validate", "--format", "json", isolated=isolated)
    assert "Traceback" not in result.stderr, result.stderr
    assert SECRET not in result.stdout + result.stderr
    problems = json.loads(result.stdout)
    assert [(p["severity"], p["code"], p["path"], p["line"], p["col"]) for p in problems] == [
        (case.severity, case.code, case.path, line, col)
    ], result.stdout
    if case.message:
        assert case.message in problems[0]["message"], problems[0]
    assert result.returncode == (1 if case.severity == "error" else 0), result.stderr

    text = _run(mini, "validate", "--no-cache", isolated=isolated)
    first = f"{case.path}:{line}:{col}: {case.severity}[{case.code}] "
    assert text.stdout.startswith(first), text.stdout
    assert len([x for x in text.stdout.splitlines() if not x.startswith("  hint:")]) == 1

    if case.severity == "error":
        build = _run(mini, "build", isolated=isolated)
        assert build.returncode == 1, build.stdout + build.stderr
        assert "Traceback" not in build.stderr
        assert "Nothing was written." in build.stderr
    assert tree(mini) == before


def test_a_linked_seed_never_reaches_a_hint_or_locate(mini: Path) -> None:
    """A seed linked to a file of secrets: no quote hint and no locate shows its text."""
    _link_seed_outside(mini)
    for args in (
        ("validate",),
        ("locate", "001_freedonia", "CI_TOKEN"),
        ("locate", "001_freedonia", "nowhere to be seen"),
    ):
        result = _run(mini, *args)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "hunter2" not in result.stdout + result.stderr
        assert "is a symbolic link" in result.stdout + result.stderr


def test_new_never_scaffolds_from_a_linked_seed(mini: Path) -> None:
    """`new` on a seed of seeds/ that links outside: no record, no text of the target."""
    (mini / "seeds/002_linked.txt").symlink_to(_secret_outside(mini))
    before = tree(mini)
    result = _run(mini, "new", str(mini / "seeds/002_linked.txt"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "is a symbolic link" in result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    assert tree(mini) == before


def test_a_device_is_never_opened(mini: Path) -> None:
    (mini / SEED).unlink()
    try:
        os.mknod(mini / SEED, stat.S_IFCHR | 0o644, os.makedev(1, 5))  # /dev/zero
    except (PermissionError, OSError):
        pytest.skip("this system does not let tests create device files")
    result = _run(mini, "validate", "--format", "json", isolated=True)
    problems = json.loads(result.stdout)
    assert [(p["code"], p["path"]) for p in problems] == [("unsafe-file", SEED)]
    assert "is a device" in problems[0]["message"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file whatever its mode")
def test_an_unreadable_article_is_one_error(mini: Path) -> None:
    (mini / ARTICLE).chmod(0)
    try:
        result = _run(mini, "validate", "--format", "json")
    finally:
        (mini / ARTICLE).chmod(0o644)
    problems = json.loads(result.stdout)
    assert [(p["code"], p["path"]) for p in problems] == [("file-unreadable", ARTICLE)]


def test_locate_refuses_empty_text_as_a_usage_error(mini: Path) -> None:
    for text in ("", "   "):
        result = invoke(mini, "locate", "001_freedonia", text)
        assert result.exit_code == 2, result.output
        assert "the text is empty" in result.stderr


def test_an_empty_registry_gives_no_unknown_actor_follow_ons(mini: Path) -> None:
    """Every article reference would otherwise be reported as an unknown actor."""
    (mini / ACTORS).write_bytes(b"- id: [\n")
    result = invoke(mini, "validate", "--format", "json")
    assert [p["code"] for p in json.loads(result.stdout)] == ["yaml-syntax"]


# 3. no cache can lie


def _validate_codes(root: Path, *args: str) -> list[tuple[str, str, int]]:
    result = invoke(root, "validate", "--format", "json", *args)
    return [(p["code"], p["path"], p["line"]) for p in json.loads(result.stdout)]


def test_validate_keeps_its_cache_outside_the_dataset(mini: Path, user_cache: Path) -> None:
    before = tree(mini)
    assert _validate_codes(mini) == []
    assert tree(mini) == before
    assert not (mini / ".cache").exists()
    assert cache_file(mini).is_relative_to(user_cache)
    assert cache_file(mini).is_file()


class _Planted:
    """A pickle that, when loaded, leaves a file behind: proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_planted_in_the_repository_is_never_loaded(mini: Path, tmp_path: Path) -> None:
    marker = tmp_path / "code-ran"
    folder = mini / ".cache" / "chechnya-purges"
    folder.mkdir(parents=True)
    (folder / "validate.pickle").write_bytes(pickle.dumps(_Planted(marker)))
    (mini / ".cache" / "chechnya-purges" / "validate.json").write_bytes(
        pickle.dumps(_Planted(marker))
    )
    assert _validate_codes(mini) == []
    assert not marker.exists()


def _break_article(root: Path) -> None:
    edit(root, ARTICLE, lambda t: t.replace("act: condemn", "act: condem"))


def test_a_byte_flipped_cache_gives_the_answer_of_no_cache(mini: Path) -> None:
    _break_article(mini)
    expected = _validate_codes(mini, "--no-cache")
    assert expected and _validate_codes(mini) == expected
    path = cache_file(mini)
    original = path.read_bytes()
    for at in range(0, len(original), max(1, len(original) // 160)):
        flipped = bytearray(original)
        flipped[at] ^= 0x20
        path.write_bytes(bytes(flipped))
        assert _validate_codes(mini) == expected, f"flipped byte {at}"
    for broken in (b"", original[: len(original) // 2], b"\x80\x04K\x01.", b"{}\n{}"):
        path.write_bytes(broken)
        assert _validate_codes(mini) == expected


def test_a_forged_result_that_is_not_sealed_is_ignored(mini: Path) -> None:
    """A cache whose rows were changed without their digests: the lie is not served."""
    _break_article(mini)
    expected = _validate_codes(mini, "--no-cache")
    assert _validate_codes(mini) == expected
    final = cached(mini, "state")["final"]
    plant(mini, "state", "final", {**final, "problems": []}, sealed=False)
    assert _validate_codes(mini) == expected
    for name, row in cached(mini, "article").items():
        plant(mini, "article", name, [*row[:4], [], *row[5:]], sealed=False)
    edit(mini, ARTICLE, lambda t: t + "\n")  # the article's row is read again
    assert _validate_codes(mini) == expected


def test_a_sealed_cache_of_the_wrong_shape_is_checked_again(mini: Path) -> None:
    _break_article(mini)
    expected = _validate_codes(mini, "--no-cache")
    assert _validate_codes(mini) == expected
    rows = cached(mini, "article")
    for name in rows:
        plant(mini, "article", name, [[["x", "one", 1, "no-such-code", 1, None, "error"]], [7]])
    plant(mini, "state", "registry", {**cached(mini, "state")["registry"], "entries": "nonsense"})
    plant(mini, "state", "final", {"state": "nonsense"})
    assert _validate_codes(mini) == expected
    for name in ("final", "aggregate", "inputs"):
        plant(mini, "state", name, [1, 2])
    assert _validate_codes(mini) == expected


def test_build_and_check_use_no_cache(mini: Path) -> None:
    """Even the user's own cache, sealed, claiming a broken article is clean, does not
    change what build and check (what CI runs) decide."""
    assert invoke(mini, "build").exit_code == 0
    _break_article(mini)
    assert _validate_codes(mini)
    final = cached(mini, "state")["final"]
    plant(mini, "state", "final", {**final, "problems": []})
    assert _validate_codes(mini) == []  # the user's own cache is believed by validate
    before = tree(mini)
    for command in ("build", "check"):
        result = invoke(mini, command)
        assert result.exit_code == 1, result.output
        assert "error[unknown-choice]" in result.stdout
    assert tree(mini) == before


def test_a_linked_folder_never_reuses_a_result_of_the_real_one(mini: Path) -> None:
    """The same seed bytes reached through a link and then directly are two keys."""
    assert _validate_codes(mini) == []
    _link_folder_outside("seeds")(mini)
    assert [c for c, _, _ in _validate_codes(mini)] == ["unsafe-file"]
    (mini / "seeds").unlink()
    (mini.parent / "linked-seeds").rename(mini / "seeds")
    assert _validate_codes(mini) == []


@pytest.mark.parametrize("args", [(), ("--no-cache",), ("--format", "github")])
def test_an_article_file_name_that_is_not_utf8_is_one_stray_file(
    mini: Path, args: tuple[str, ...]
) -> None:
    os.close(os.open(os.fsencode(mini / "data/articles") + b"/\xff.yaml", os.O_CREAT | os.O_WRONLY))
    before = tree(mini)
    result = invoke(mini, "validate", *args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "data/articles/\\xff.yaml" in result.stdout
    assert "stray-file" in result.stdout
    assert tree(mini) == before


def test_an_edit_that_keeps_size_and_modification_time_is_checked_again(mini: Path) -> None:
    """`touch -r` can put a file's modification time back; its change time moves all the same."""
    assert _validate_codes(mini) == []
    path = mini / ARTICLE
    status = path.stat()
    edit(mini, ARTICLE, lambda t: t.replace("act: condemn", "act: condenn", 1))
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert path.stat().st_size == status.st_size
    assert _validate_codes(mini) == _validate_codes(mini, "--no-cache") != []


def test_a_line_break_in_valid_text_cannot_forge_a_report_line(mini: Path) -> None:
    """Text may hold a line break; no command's output may then start a line with it."""
    edit(
        mini,
        "data/actors.yaml",
        lambda t: t.replace(
            "name: The Freedonian Times",
            'name: "The Freedonian Times\\n::error file=x::pwn | x"',
            1,
        ),
    )
    assert invoke(mini, "build").exit_code == 0
    snapshot = mini / "releases" / "1.0.0.json"
    snapshot.parent.mkdir()
    hostile = {
        "version": "1.0.0",
        "tables": {},
        "records": {"actors": {"gone\n::error file=x::pwn": "0"}},
    }
    snapshot.write_text(json.dumps(hostile), encoding="utf-8")
    outputs = [
        invoke(mini, *args).output
        for args in (("summary",), ("actors", "freedonian"), ("diff", str(snapshot), str(mini)))
    ]
    outputs.append((mini / "docs/articles.md").read_text(encoding="utf-8"))
    for output in outputs:
        assert not [line for line in output.splitlines() if line.startswith("::")], output
    assert "Freedonian Times ::error file=x::pwn \\| x" in outputs[0]


def test_new_never_writes_through_a_linked_articles_folder(mini: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(mini / "data/articles", elsewhere)
    (mini / "data/articles").symlink_to(elsewhere)
    seed = tmp_path / "002_new.txt"
    seed.write_text("A new article about Freedonia.\n", encoding="utf-8")
    before = tree(elsewhere)
    result = invoke(mini, "new", str(seed))
    assert result.exit_code == 1, result.output
    assert "data/articles is a symbolic link or not a folder" in result.output
    assert tree(elsewhere) == before


def test_a_text_longer_than_the_csv_default_field_builds_and_checks(mini: Path) -> None:
    """Python's csv module refuses a field over 128 KiB unless told: a long, valid title
    must not make build or check read their own tables back into a traceback."""
    edit(mini, ARTICLE, lambda t: t.replace("title: ", "title: " + "T" * 140_000 + " ", 1))
    assert invoke(mini, "validate").exit_code == 0
    built = invoke(mini, "build")
    assert built.exit_code == 0, built.output
    assert len((mini / "build" / "articles.csv").read_text(encoding="utf-8")) > 140_000
    assert invoke(mini, "check").exit_code == 0
    assert invoke(mini, "summary").exit_code == 0


@pytest.mark.parametrize("what", ["file", "folder"])
def test_check_never_reads_a_committed_output_through_a_link(
    built: Path, tmp_path: Path, what: str
) -> None:
    """A pull request can commit build/claims.csv (or build/ itself) as a link to anything:
    check says what it is, at the file (or once, at the folder), and reads nothing through
    it."""
    outside = tmp_path / "outside"
    if what == "file":
        outside.write_text("secret,line\n", encoding="utf-8")
        (built / "build" / "claims.csv").unlink()
        (built / "build" / "claims.csv").symlink_to(outside)
        expected = "build/claims.csv is a symbolic link"
    else:
        shutil.move(built / "build", outside)  # the very files build wrote, but elsewhere
        (built / "build").symlink_to(outside)
        expected = "build is a symbolic link"
    before = tree(built)
    result = invoke(built, "check", "--format", "json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    found = [
        p for p in problems if p["path"] == ("build/claims.csv" if what == "file" else "build")
    ]
    assert [p["code"] for p in found] == ["drift"]
    assert found[0]["message"].startswith(expected), found[0]["message"]
    assert "secret" not in result.output
    assert tree(built) == before


def test_a_registry_with_a_line_separator_is_numbered_one_way(mini: Path) -> None:
    """libyaml counts U+2028 as a line break: every position in the registry, however it is
    found, counts lines as libyaml does."""
    edit(
        mini, "data/actors.yaml", lambda t: t.replace("name: Ana Díaz", 'name: "Ana\u2028Díaz"', 1)
    )
    text = edit(
        mini, "data/actors.yaml", lambda t: t + "- id: zz-unused\n  name: Zed\n  kind: ngo\n"
    )
    doc, _ = load_yaml(text, "data/actors.yaml", quick=False)
    doc.position(())
    index = len(doc.data) - 1
    result = invoke(mini, "validate", "--format", "json")
    (unused,) = [p for p in json.loads(result.stdout) if p["code"] == "actor-unused"]
    assert (unused["line"], unused["col"]) == tuple(doc.position((index, "id")))


# Paths into a tree of real folders and files, folders and files reached through links, a
# file where a folder is expected, a FIFO and missing entries.
_PATHS = ["a/x", "a/d/y", "b/x", "b/d/y", "a/l", "a/f", "a/x/z", "a/d", "c/x", "a/b/x", "e/y"]


@given(st.permutations(_PATHS * 2))
def test_a_folder_found_real_once_in_a_run_is_judged_as_if_looked_at_again(
    order: list[str],
) -> None:
    """validate looks at each folder on the way to its files once per run (``checked``):
    every path, in any order, is still judged as a path looked at step by step alone."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "a" / "d").mkdir(parents=True)
        (root / "a" / "x").write_text("x")
        (root / "a" / "d" / "y").write_text("y")
        (root / "b").symlink_to("a")
        (root / "a" / "l").symlink_to("x")
        (root / "a" / "b").symlink_to("d")
        (root / "e").symlink_to(root / "a" / "d")
        os.mkfifo(root / "a" / "f")
        checked: set[str] = set()
        for relative in order:
            alone = unsafe_path(root, relative)
            assert unsafe_path(root, relative, checked=checked) == alone, relative
        assert checked == {f"{root}/a", f"{root}/a/d"}


@given(
    st.sampled_from([".yaml", "..yaml", "a.yaml", "a.b.yaml", "a.", ".a", "a", "yaml"])
    | st.text(st.characters(blacklist_characters="/\x00", codec="utf-8"), min_size=1).filter(
        lambda name: name not in (".", "..")
    )
)
def test_an_article_file_is_named_by_the_stem_its_path_would_have(name: str) -> None:
    """Workers are handed article names, not paths: the id a name gives (and the
    invalid-format error of an unsafe one) is the one ``Path.stem`` gives, whatever the
    dots (a name that is all suffix, ``.yaml``, keeps it)."""
    assert _stem(name) == PurePosixPath(name).stem
