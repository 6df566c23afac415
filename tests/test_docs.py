"""The documents say what the code does: every `$ chechnya-purges` example in README.md and
CONTRIBUTING.md gives the output shown, the README's commands are the ones CI runs, every
command is documented, and the version is one and derived."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import REPO, copy_of_repository, invoke, shown_matches

import chechnya_purges as cp
from chechnya_purges.cli import cli
from chechnya_purges.compat import latest_snapshot, python_version

pytestmark = pytest.mark.repository

README = (REPO / "README.md").read_text(encoding="utf-8")
DOCUMENTS = ("README.md", "CONTRIBUTING.md")


def _console_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```console\n(.*?)```", text, flags=re.S)]


def examples(text: str) -> list[tuple[str, str]]:
    """Each ``$ chechnya-purges …`` line of a console block and the output shown under it."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for chunk in re.split(r"^(?=\$ )", block, flags=re.M):
            command, _, output = chunk.partition("\n")
            if command.startswith("$ chechnya-purges "):
                found.append((command.removeprefix("$ "), output))
    return found


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_documented_command_gives_the_output_shown(
    document: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run in order in a copy of the repository, from its root, as a reader would."""
    shown = examples((REPO / document).read_text(encoding="utf-8"))
    assert len(shown) >= 3, "the document lost its examples"
    root = copy_of_repository(tmp_path / "repository")
    monkeypatch.chdir(root)
    for command, expected in shown:
        result = CliRunner().invoke(cli, shlex.split(command)[1:], prog_name="chechnya-purges")
        assert result.exception is None or isinstance(result.exception, SystemExit), command
        assert shown_matches(expected, result.output), (command, result.output)


def test_the_example_matcher_fails_on_a_different_output() -> None:
    assert shown_matches("Valid: … articles.\n", "Valid: 5 articles.\n")
    assert shown_matches("a\n…\nz", "a\nb\nc\nz")
    assert not shown_matches("Valid: … articles.", "Found 1 error(s) in 1 file(s).")
    assert not shown_matches(
        "Verified chechnya-purges …: 8 files.", "Verified chechnya-purges 1: 9 files."
    )


def test_ci_runs_the_readme_commands_verbatim() -> None:
    install, test = _console_blocks(README)[:2]
    ci = (REPO / ".ci/run").read_text(encoding="utf-8").splitlines()
    assert install in ci
    assert any(line.startswith(test) for line in ci)


def test_every_command_is_documented_with_an_example() -> None:
    for name, command in cli.commands.items():
        assert f"`chechnya-purges {name}" in README, name
        assert "Example:" in (command.help or ""), name


def test_one_version_everywhere_derived_from_the_last_release() -> None:
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    document = json.loads((REPO / "build/chechnya-purges.json").read_text(encoding="utf-8"))
    version = descriptor["version"]
    assert citation["version"] == document["version"] == version
    assert cp.__version__ == python_version(version)
    assert invoke(REPO, "--version").output == f"chechnya-purges, version {cp.__version__}\n"
    last = latest_snapshot(REPO)
    assert last is not None
    # Either the last release itself, or a pre-release of a version above it.
    assert version == last.stem or version.endswith("-dev")
    assert f"## {last.stem}\n" in (REPO / "CHANGELOG.md").read_text(encoding="utf-8")


def test_the_readme_pins_only_released_versions() -> None:
    released = {p.stem for p in (REPO / "releases").glob("*.json")}
    pinned = re.findall(r"(?:chechnya-purges-|@v|==|--branch v)(\d+\.\d+\.\d+)\b", README)
    assert pinned
    assert set(pinned) <= released


def test_the_readme_says_what_ci_runs() -> None:
    ci = (REPO / ".ci/run").read_text(encoding="utf-8")
    section = README.split("## Two commands")[1].split("## ")[0]
    for step in ("chechnya-purges check", "benchmarks/run.py", "ruff check", "ruff format", "mypy"):
        assert step.split()[-1] in ci, step
        assert step in section, step


def test_citation_is_valid_citation_file_format() -> None:
    """Against the Citation File Format's own JSON Schema, version 1.2.0 (tests/data)."""
    import jsonschema

    schema = json.loads(
        (REPO / "tests/data/citation-file-format-1.2.0.schema.json").read_text(encoding="utf-8")
    )
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    assert [e.message for e in validator.iter_errors(citation)] == []
    citation["license"] = "CC-BY-4"
    assert list(validator.iter_errors(citation)) != []


def test_readme_shows_the_committed_benchmark_results() -> None:
    block = README.split("<!-- performance:start -->\n")[1].split("<!-- performance:end -->")[0]
    assert block == (REPO / "benchmarks/results.md").read_text(encoding="utf-8")
    assert "| 10,000 |" in block
