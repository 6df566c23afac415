"""The documents say what the code does: the README's commands are the ones CI runs, its
article table is the build's, every command is documented, and the version is one."""

from __future__ import annotations

import json
import re

import yaml
from conftest import REPO, invoke

from chechnya_purges import __version__
from chechnya_purges.cli import cli
from chechnya_purges.summary import MARKERS

README = (REPO / "README.md").read_text(encoding="utf-8")


def _console_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```console\n(.*?)```", text, flags=re.S)]


def test_readme_article_table_is_the_builds() -> None:
    start, end = MARKERS
    block = README.split(start)[1].split(end)[0]
    result = invoke(REPO, "summary")
    assert result.exit_code == 0, result.output
    assert block.strip() == result.stdout.strip()


def test_ci_runs_the_readme_commands_verbatim() -> None:
    install, test = _console_blocks(README)[:2]
    ci = (REPO / ".ci/run").read_text(encoding="utf-8").splitlines()
    assert install in ci
    assert any(line.startswith(test) for line in ci)


def test_every_command_is_documented_with_an_example() -> None:
    for name, command in cli.commands.items():
        assert f"`chechnya-purges {name}" in README, name
        assert "Example:" in (command.help or ""), name


def test_one_version_everywhere() -> None:
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    document = json.loads((REPO / "build/chechnya-purges.json").read_text(encoding="utf-8"))
    assert citation["version"] == descriptor["version"] == document["version"] == __version__
    assert f"version {__version__}" in README
    assert f"## {__version__}" in (REPO / "CHANGELOG.md").read_text(encoding="utf-8")


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
