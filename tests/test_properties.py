"""Properties that must hold for every input, tried on inputs hypothesis makes up: any bytes
and any YAML-ish text give diagnostics, never a traceback; the two YAML readers agree on
every text the quick one accepts; validate's cache never changes an answer.

The number of examples is kept small for the suite (tests/conftest.py);
``HYPOTHESIS_PROFILE=thorough`` runs a hundred times more."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import ARTICLE, FIXTURE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_reader import _agrees

from chechnya_purges.cli import cli
from chechnya_purges.diagnostics import CODES, Diagnostic
from chechnya_purges.reader import decode_text, load_yaml

ACTORS = "data/actors.yaml"
# A diagnostic line as the text format prints it.
_LINE = re.compile(r"^[^\n]+:[1-9][0-9]*:[1-9][0-9]*: (error|warning)\[[a-z0-9-]+\] ")

# Pieces of YAML syntax, good and bad, that hostile or careless files are made of.
_FRAGMENTS = [
    "\n",
    "  ",
    "    ",
    "- ",
    "-",
    ": ",
    ":",
    "id",
    "quote",
    "key: value\n",
    "- id: x\n",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "'",
    '"',
    "\\",
    "\\0",
    "\\u202e",
    " #",
    "# note\n",
    "&a ",
    "*a",
    "!!str ",
    "!x ",
    "|\n",
    ">-\n",
    "---\n",
    "...\n",
    "? ",
    "%YAML 1.1\n",
    "0",
    "22",
    "001",
    "-7",
    "0000-00",
    "9007199254740993",
    "4" * 40,
    "~",
    "null",
    "NO",
    "\t",
    "\r\n",
    "\x00",
    "\x01",
    "\x85",
    "\u2028",
    "\ufeff",
    "\u200b",
    "=",
    "\uff1d",
    "é",
    "e\u0301",
    "Díaz",
]

_yamlish = st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=4)), max_size=50).map(
    "".join
)

_documents = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**60), max_value=2**60),
        st.text(max_size=12),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4),
    ),
    max_leaves=20,
)


def _well_formed(problems: list[Diagnostic], text: str) -> None:
    for problem in problems:
        assert problem.code in CODES
        assert problem.line >= 1 and problem.col >= 1, problem
        # libyaml counts lines as YAML does: CR, NEL, LS and PS break lines too
        breaks = sum(text.count(c) for c in "\n\r\x85\u2028\u2029")
        assert problem.line <= breaks + 2, problem


@given(st.binary(max_size=2000))
def test_any_bytes_give_diagnostics_not_a_traceback(raw: bytes) -> None:
    text, problems = decode_text(raw, "x.yaml")
    if text is None:
        assert [p.code for p in problems] == ["invalid-utf8"]
        return
    for quick in (True, False):
        _, found = load_yaml(text, "x.yaml", quick=quick)
        _well_formed(found, text)


@given(_yamlish)
def test_any_yamlish_text_gives_diagnostics_and_the_readers_agree(text: str) -> None:
    for quick in (True, False):
        _, found = load_yaml(text, "x.yaml", quick=quick)
        _well_formed(found, text)
    _agrees(text)  # fails if the quick reader accepts a text differently from libyaml


@given(_documents, st.booleans())
def test_the_readers_agree_on_any_dumped_document(document: object, flow: bool) -> None:
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    _, found = load_yaml(text, "x.yaml", quick=False)
    _well_formed(found, text)
    _agrees(text)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("property") / "mini"
    shutil.copytree(FIXTURE, root)
    return root


def _validate(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--root", str(root), "validate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, result.stdout


def _check_cli(root: Path) -> None:
    """validate reports, in every format, and its cache changes nothing."""
    status, text = _validate(root, "--no-cache")
    for line in text.splitlines():
        assert line.startswith("  hint: ") or _LINE.match(line), line
    cold = _validate(root, "--format", "json")
    warm = _validate(root, "--format", "json")
    assert cold == warm == _validate(root, "--format", "json", "--no-cache")
    assert status == cold[0]
    for problem in json.loads(cold[1]):
        assert problem["line"] >= 1 and problem["col"] >= 1


_cli_settings = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@_cli_settings
@given(raw=st.binary(max_size=1500))
def test_validate_survives_any_bytes_as_an_article(dataset: Path, raw: bytes) -> None:
    (dataset / ARTICLE).write_bytes(raw)
    _check_cli(dataset)


@_cli_settings
@given(
    target=st.sampled_from([ARTICLE, ACTORS]),
    edits=st.lists(st.tuples(st.floats(0, 1), _yamlish), min_size=1, max_size=3),
)
def test_validate_survives_yamlish_edits_of_real_files(
    dataset: Path, target: str, edits: list[tuple[float, str]]
) -> None:
    """The fixture's own files with YAML-ish text spliced in: mostly valid YAML, so the
    parser, the models and the checks all get their turn."""
    for relative in (ARTICLE, ACTORS):
        shutil.copyfile(FIXTURE / relative, dataset / relative)
    text = (FIXTURE / target).read_text(encoding="utf-8")
    for where, fragment in edits:
        at = int(where * len(text))
        text = text[:at] + fragment + text[at:]
    (dataset / target).write_text(text, encoding="utf-8")
    _check_cli(dataset)


@_cli_settings
@given(
    shape=st.sampled_from(
        [
            ("locate", "001_freedonia", "{}"),
            ("locate", "{}", "Sylvania"),
            ("actors", "{}"),
            ("codes", "{}"),
            ("new", "{}"),
            ("--root", "{}", "validate"),
        ]
    ),
    value=st.text(max_size=30),
)
def test_any_argument_gives_a_report_or_a_usage_error(
    dataset: Path, shape: tuple[str, ...], value: str
) -> None:
    for relative in (ARTICLE, ACTORS):
        shutil.copyfile(FIXTURE / relative, dataset / relative)
    args = [part.replace("{}", value) for part in shape]
    if args[0] != "--root":
        args = ["--root", str(dataset), *args]
    home = os.getcwd()
    with tempfile.TemporaryDirectory() as elsewhere:  # a relative path names nothing real
        os.chdir(elsewhere)
        try:
            result = CliRunner().invoke(cli, args)
        finally:
            os.chdir(home)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code in (0, 1, 2), result.output
