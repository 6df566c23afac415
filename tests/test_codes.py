"""Every error code the tool can emit is exercised by a test that asserts it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import test_bad_inputs
import test_build
import test_claims
import test_contributing
import test_faults
import test_hostile_input
import test_release
import test_untrusted
from test_bad_inputs import CASES

from chechnya_purges.conform import conform
from chechnya_purges.diagnostics import CODES

# Codes outside the bad-input corpus, and the test that asserts each.
ELSEWHERE = {
    "actor-near-duplicate": test_contributing.test_a_close_new_actor_name_is_a_warning,
    "actor-unused": test_bad_inputs.test_an_actor_no_article_uses_is_a_warning_not_an_error,
    "drift": test_build.test_check_names_each_hand_edited_output,
    "invalid-utf8": test_bad_inputs.test_invalid_utf8_points_at_the_byte,
    "changelog-missing": test_release.test_check_wants_a_changelog_entry,
    "package-file-altered": test_release.test_verify_catches_one_altered_byte,
    "package-file-missing": test_release.test_verify_catches_a_truncated_and_a_missing_file,
    "package-version": test_release.test_verify_wants_a_version_and_a_readable_package,
    "package-unreadable": test_release.test_verify_wants_a_version_and_a_readable_package,
    "claim-unused": test_claims.test_a_claim_nothing_links_to_is_a_warning_not_an_error,
    "package-invalid": test_untrusted.test_an_empty_resource_list_is_reported,
    "package-file-extra": (
        test_untrusted.test_a_decoy_descriptor_and_an_extra_file_in_the_archive_are_reported
    ),
    "output-unwritable": (
        test_faults.test_a_full_disk_during_build_is_one_diagnostic_and_changes_nothing
    ),
    "file-unreadable": test_hostile_input.test_an_unreadable_article_is_one_error,
}
# The claims' codes of test_claims' bad-input corpus.
CLAIM_CASES = {case.code for case in test_claims.CASES}


def test_every_code_is_exercised() -> None:
    hostile = {case.code for case in test_hostile_input.CASES}
    covered = {case.code for case in CASES} | hostile | CLAIM_CASES | set(ELSEWHERE)
    covered |= {"nonconformant"}
    assert covered == set(CODES)


def _rehash(root: Path, relative: str) -> None:
    """Keep the descriptor's bytes and hash true, so only the content is at fault."""
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    content = (root / relative).read_bytes()
    for resource in descriptor["resources"]:
        if resource["path"] == relative:
            resource["bytes"] = len(content)
            resource["hash"] = "sha256:" + hashlib.sha256(content).hexdigest()
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")


def test_nonconformant_table_is_reported_by_frictionless(built: Path) -> None:
    path = built / "build/figures.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",more_than,", ",lots,"), "utf-8")
    _rehash(built, "build/figures.csv")
    problems = conform(built)
    assert [p.code for p in problems] == ["nonconformant"]
    assert problems[0].path == "build/figures.csv"
    assert "constraint-error" in problems[0].message


def test_nonconformant_json_is_reported_by_jsonschema(built: Path) -> None:
    path = built / "build/chechnya-purges.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["articles"][0]["published_earliest"] = "March 2018"
    path.write_text(json.dumps(document), encoding="utf-8")
    _rehash(built, "build/chechnya-purges.json")
    problems = conform(built)
    assert [(p.code, p.path) for p in problems] == [("nonconformant", "build/chechnya-purges.json")]
    assert "at /articles/0/published_earliest: 'March 2018' is not a 'date'" in problems[0].message


def test_nonconformant_article_line_is_found_in_the_one_record_per_line_file(
    built: Path,
) -> None:
    path = built / "build/chechnya-purges.json"
    lines = path.read_text(encoding="utf-8").split("\n")
    (index,) = [i for i, line in enumerate(lines) if line.startswith('{"article_id"')]
    lines[index] = lines[index].replace('"kind": "news_article"', '"kind": "newsletter"')
    path.write_text("\n".join(lines), encoding="utf-8")
    _rehash(built, "build/chechnya-purges.json")
    problems = conform(built)
    assert [(p.code, p.path) for p in problems] == [("nonconformant", "build/chechnya-purges.json")]
    assert problems[0].message.startswith("at /articles/0/kind: 'newsletter' is not one of")


def test_a_nonconformant_actor_is_found_in_either_layout(built: Path) -> None:
    """Actors and claims are checked one line at a time, as articles are: at the same path
    as the whole document's check gives, whether the file keeps build's one item per line
    or was laid out otherwise."""
    path = built / "build/chechnya-purges.json"
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    (index,) = [i for i, line in enumerate(lines) if line.startswith('"actors": [')]
    lines[index + 2] = lines[index + 2].replace('"kind": "', '"kind": "not-a-', 1)
    for layout in ("\n".join(lines), json.dumps(json.loads("\n".join(lines)), indent=1)):
        path.write_text(layout, encoding="utf-8")
        _rehash(built, "build/chechnya-purges.json")
        problems = conform(built)
        assert [(p.code, p.path) for p in problems] == [
            ("nonconformant", "build/chechnya-purges.json")
        ]
        assert problems[0].message.startswith("at /actors/1/kind: 'not-a-")
    document = json.loads(text)
    del document["claims"]
    path.write_text(json.dumps(document), encoding="utf-8")
    _rehash(built, "build/chechnya-purges.json")
    assert "'claims' is a required property" in conform(built)[0].message


def test_a_nested_json_out_of_builds_layout_is_judged_as_a_whole(built: Path) -> None:
    """A file that looks like build's one item per line but is not (a key added, two items
    on a line, a comma missing, text after the end) is judged as the whole document is:
    never passed for what a line at a time misses, never a traceback."""
    path = built / "build/chechnya-purges.json"
    lines = path.read_text(encoding="utf-8").split("\n")
    (index,) = [i for i, line in enumerate(lines) if line.startswith('"actors": [')]
    first, second = index + 1, index + 2
    edits = {
        "added key": [*lines[:2], '"extra": 1,', *lines[2:]],
        "two on a line": [*lines[:first], lines[first] + " " + lines[second], *lines[second + 1 :]],
        "comma missing": [*lines[:first], lines[first].rstrip(","), *lines[second:]],
        "text after": [*lines, "more"],
        "item wrong": [*lines[:first], '{"actor_id": "a"},', *lines[second:]],
    }
    expected = {
        "added key": "at /: Additional properties are not allowed ('extra' was unexpected)",
        "two on a line": None,
        "comma missing": "not valid JSON: Expecting ',' delimiter",
        "text after": "not valid JSON: Extra data",
        "item wrong": "at /actors/0: 'affiliations' is a required property",
    }
    for name, edited in edits.items():
        path.write_text("\n".join(edited), encoding="utf-8")
        _rehash(built, "build/chechnya-purges.json")
        messages = [p.message for p in conform(built) if p.path == "build/chechnya-purges.json"]
        if expected[name] is None:
            assert messages == [], name
        else:
            assert messages and messages[0].startswith(expected[name]), (name, messages)
