"""Copies of the package, snapshots and file names from anywhere: verify, load(), diff and
summary report what is wrong in one clear line and never a traceback; a copy holds only what
its descriptor lists, every path stays inside it, and sizes are compared before anything is
decompressed; a file name cannot split or forge a line of the reports CI reads."""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURE, REPO, invoke, tree

import chechnya_purges as cp
from chechnya_purges.compat import FIRST

TOP = f"chechnya-purges-{FIRST}/"


@pytest.fixture
def released(built: Path) -> Path:
    """A built dataset with a licence, released: dist/ holds its archive."""
    shutil.copyfile(REPO / "LICENSE-DATA", built / "LICENSE-DATA")
    (built / "CHANGELOG.md").write_text("# Changelog\n\n## Unreleased\n\n- First.\n")
    assert invoke(built, "build").exit_code == 0
    result = invoke(built, "release")
    assert result.exit_code == 0, result.output
    return built


def archive_of(root: Path) -> Path:
    return root / "dist" / f"chechnya-purges-{FIRST}.zip"


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, content in files.items():
            out.writestr(name, content)
    return path


def verify_lines(target: Path) -> tuple[int, list[str]]:
    result = invoke(target.parent, "verify", str(target))
    assert "Traceback" not in result.output
    return result.exit_code, [line for line in result.stdout.splitlines() if "hint:" not in line]


def descriptor_with(root: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = root / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    change(descriptor)
    path.write_text(json.dumps(descriptor), encoding="utf-8")


def facts(content: bytes) -> dict[str, Any]:
    return {"bytes": len(content), "hash": "sha256:" + hashlib.sha256(content).hexdigest()}


# --- verify: one descriptor at the root, nothing unlisted, nothing outside -----------------


def test_a_decoy_descriptor_and_an_extra_file_in_the_archive_are_reported(
    released: Path, tmp_path: Path
) -> None:
    files = members(archive_of(released))
    files[TOP + "build/datapackage.json"] = files[TOP + "datapackage.json"]
    files[TOP + "build/notes.txt"] = b"not part of the release\n"
    files["elsewhere.txt"] = b"outside the package folder\n"
    status, lines = verify_lines(rezip(tmp_path / "copy.zip", files))
    assert status == 1
    assert lines == [
        "build/datapackage.json:1:1: error[package-file-extra] is a second descriptor; only "
        "the one at the root counts",
        "build/notes.txt:1:1: error[package-file-extra] is not listed in the descriptor",
        "elsewhere.txt:1:1: error[package-file-extra] lies outside the package's folder",
    ]


def test_an_altered_schema_and_licence_in_the_archive_are_reported(
    released: Path, tmp_path: Path
) -> None:
    files = members(archive_of(released))
    schema = files[TOP + "schema/actors.schema.json"]
    files[TOP + "schema/actors.schema.json"] = schema.replace(b'"id"', b'"ID"', 1)
    licence = files[TOP + "LICENSE-DATA"]
    files[TOP + "LICENSE-DATA"] = licence.replace(b"Attribution", b"NoDerivs!!!", 1)
    status, lines = verify_lines(rezip(tmp_path / "copy.zip", files))
    assert status == 1
    assert [line.split(" has sha256:")[0] for line in lines] == [
        "LICENSE-DATA:1:1: error[package-file-altered]",
        "schema/actors.schema.json:1:1: error[package-file-altered]",
    ]


def test_an_empty_resource_list_is_reported(built: Path) -> None:
    descriptor_with(built, lambda d: d.__setitem__("resources", []))
    before = tree(built)
    status, lines = verify_lines(built)
    assert status == 1
    assert lines == [
        "datapackage.json:1:1: error[package-invalid] the descriptor lists no resources"
    ]
    assert tree(built) == before


def test_a_resource_path_that_leaves_the_package_is_not_read(tmp_path: Path) -> None:
    secret = b"a,b\n1,2\n"
    (tmp_path / "secret.csv").write_bytes(secret)
    package = tmp_path / "package"
    package.mkdir()
    resource = {"name": "secret", "path": "../secret.csv", **facts(secret)}
    descriptor = {"name": "x", "version": "1.0.0", "resources": [resource]}
    (package / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    status, lines = verify_lines(package)
    assert status == 1
    assert lines == [
        "datapackage.json:1:1: error[package-invalid] resources[0].path '../secret.csv' is "
        "not a path inside the package"
    ]
    with pytest.raises(cp.VerificationError, match=r"'\.\./secret\.csv' is not a path inside"):
        cp.load(package)


def test_a_linked_file_in_a_package_folder_is_not_followed(built: Path) -> None:
    (built / "build/actors.csv").unlink()
    (built / "build/actors.csv").symlink_to("/etc/hostname")
    status, lines = verify_lines(built)
    assert status == 1
    assert lines == [
        "build/actors.csv:1:1: error[package-file-extra] is not a regular file (a link, a "
        "folder or a device)"
    ]


def _declare_size(path: Path, member: str, size: int) -> None:
    """Rewrite a member's uncompressed size in both zip headers, as a bomb would state it."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    local = data.find(b"PK\x03\x04")
    while local != -1:
        length = struct.unpack_from("<H", data, local + 26)[0]
        if data[local + 30 : local + 30 + length] == name:
            struct.pack_into("<I", data, local + 22, size)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + length] == name:
            struct.pack_into("<I", data, central + 24, size)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def test_a_member_that_declares_more_than_the_descriptor_is_refused_unread(
    released: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "bomb.zip"
    shutil.copyfile(archive_of(released), copy)
    _declare_size(copy, TOP + "build/figures.csv", 4_000_000_000)
    stated = json.loads(members(copy)[TOP + "datapackage.json"])
    size = next(r["bytes"] for r in stated["resources"] if r["path"] == "build/figures.csv")
    status, lines = verify_lines(copy)
    assert status == 1
    assert lines == [
        f"build/figures.csv:1:1: error[package-file-altered] is 4000000000 bytes; the "
        f"descriptor says {size} (truncated or altered)"
    ]


def test_bad_deflate_data_is_a_damaged_file_not_a_traceback(released: Path, tmp_path: Path) -> None:
    copy = tmp_path / "damaged.zip"
    data = bytearray(archive_of(released).read_bytes())
    with zipfile.ZipFile(archive_of(released)) as archive:
        info = archive.getinfo(TOP + "build/chechnya-purges.json")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 10 : start + 40] = b"\xff" * 30
    copy.write_bytes(bytes(data))
    status, lines = verify_lines(copy)
    assert status == 1
    assert len(lines) == 1
    assert lines[0].startswith(
        "build/chechnya-purges.json:1:1: error[package-file-altered] cannot be decompressed: "
    )
    with pytest.raises(cp.VerificationError, match="cannot be decompressed"):
        cp.load(copy)


# --- malformed descriptors: one diagnostic, and load() raises only VerificationError -------

MALFORMED: dict[str, tuple[bytes, str]] = {
    "not JSON": (b"{", "datapackage.json:1:2: not valid JSON: Expecting property name"),
    "a list": (b"[]", "datapackage.json is not a JSON object"),
    "not UTF-8": (b'{"name": "\xff"}', "datapackage.json is not UTF-8 text (byte 10)"),
    "deeply nested": (b"[" * 100_000 + b"]" * 100_000, "datapackage.json nests too deeply"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_descriptor_is_one_diagnostic(built: Path, name: str) -> None:
    content, message = MALFORMED[name]
    (built / "datapackage.json").write_bytes(content)
    before = tree(built)
    status, lines = verify_lines(built)
    assert status == 1
    assert len(lines) == 1
    assert lines[0].startswith(f"{built}:1:1: error[package-unreadable] {message}")
    with pytest.raises(cp.VerificationError) as raised:
        cp.load(built)
    assert str(raised.value).startswith(f"{built}: {message}")
    assert tree(built) == before


def test_a_resource_that_is_not_an_object_is_reported(built: Path) -> None:
    descriptor_with(built, lambda d: d["resources"].append(1))
    status, lines = verify_lines(built)
    assert status == 1
    last = len(json.loads((built / "datapackage.json").read_bytes())["resources"]) - 1
    assert lines == [
        f"datapackage.json:1:1: error[package-invalid] resources[{last}].path None is not a "
        "path inside the package"
    ]


def test_tables_the_library_cannot_read_raise_verification_error(built: Path) -> None:
    """Consistent hashes, but a column named like a Python keyword: refused, not crashed."""
    content = b"class\nx\n"
    descriptor_with(
        built,
        lambda d: d["resources"].append(
            {
                "name": "odd",
                "type": "table",
                "path": "build/odd.csv",
                **facts(content),
                "schema": {"fields": [{"name": "class", "type": "string"}]},
            }
        ),
    )
    (built / "build/odd.csv").write_bytes(content)
    with pytest.raises(cp.VerificationError, match="its tables cannot be read: TypeError"):
        cp.load(built)


def test_loading_a_missing_file_says_so_once(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(cp.VerificationError) as raised:
        cp.load("missing.zip")
    assert str(raised.value) == "missing.zip: no such file or folder"
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(cp.VerificationError) as raised:
        cp.load(folder)
    assert str(raised.value) == (
        f"{folder}: no datapackage.json in the folder (or it is not a regular file)"
    )


def test_verify_of_a_file_that_is_no_package(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    status, lines = verify_lines(tmp_path / "notes.txt")
    assert status == 1
    assert lines == [
        f"{tmp_path / 'notes.txt'}:1:1: error[package-unreadable] neither a package folder "
        "nor a release zip"
    ]


# --- diff, check and summary on broken snapshots and a missing build/ -----------------------


def test_build_on_a_malformed_snapshot_is_one_error_and_changes_nothing(released: Path) -> None:
    """The snapshot is read where build loads and writes, in a process apart: its error still
    reaches the terminal as the one diagnostic, and the outputs stay as they were."""
    snapshot = released / "releases" / f"{FIRST}.json"
    snapshot.write_text(json.dumps({"version": FIRST}), encoding="utf-8")
    before = tree(released)
    result = invoke(released, "build")
    assert result.exit_code == 1
    assert result.stdout == (
        f"releases/{FIRST}.json:1:1: error[package-unreadable] releases/{FIRST}.json: not a "
        "package snapshot: at /: 'tables' is a required property\n"
        "  hint: restore the snapshot the release made (git checkout releases/)\n"
    )
    assert result.stderr == "Found 1 error(s) in 1 file(s).\n"
    assert tree(released) == before


def test_diff_and_check_on_a_malformed_snapshot(released: Path) -> None:
    snapshot = released / "releases" / f"{FIRST}.json"
    snapshot.write_text(json.dumps({"version": FIRST}), encoding="utf-8")
    before = tree(released)
    result = invoke(released, "diff")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {snapshot}: not a package snapshot: at /: 'tables' is a required property\n"
    )
    checked = invoke(released, "check")
    assert checked.exit_code == 1
    assert checked.stdout.startswith(
        f"releases/{FIRST}.json:1:1: error[package-unreadable] releases/"
        f"{FIRST}.json: not a package snapshot: at /: 'tables' is a required property\n"
    )
    snapshot.write_text(json.dumps({"version": "one", "tables": {}, "records": {}}))
    result = invoke(released, "diff")
    assert result.exit_code == 1
    assert result.stdout.startswith(
        f"releases/{FIRST}.json:1:1: error[package-unreadable] releases/{FIRST}.json: "
        f"states version 'one', not {FIRST}\n"
    )
    snapshot.write_bytes(b"\xff")
    result = invoke(released, "diff")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {snapshot}: not a readable snapshot: ")
    assert {k: v for k, v in tree(released).items() if "releases/" not in k} == {
        k: v for k, v in before.items() if "releases/" not in k
    }


def one_document(stdout: str) -> list[dict[str, Any]]:
    """What a tool reading --format json takes in: one JSON document, a list of problems."""
    problems = json.loads(stdout)
    assert isinstance(problems, list)
    return problems


def snapshot_problem(message: str) -> dict[str, Any]:
    return {
        "path": f"releases/{FIRST}.json",
        "line": 1,
        "col": 1,
        "code": "package-unreadable",
        "message": f"releases/{FIRST}.json: {message}",
        "hint": "restore the snapshot the release made (git checkout releases/)",
        "severity": "error",
    }


UNSHAPED = "not a package snapshot: at /: 'tables' is a required property"
MISDATED = f"states version 'one', not {FIRST}"


@pytest.mark.parametrize("command", [["build"], ["build", "--no-frictionless"], ["check"]])
@pytest.mark.parametrize(
    ("content", "message"),
    [({"version": FIRST}, UNSHAPED), ({"version": "one", "tables": {}, "records": {}}, MISDATED)],
)
def test_json_on_an_unreadable_snapshot_is_one_document(
    released: Path, command: list[str], content: dict[str, Any], message: str
) -> None:
    """The data's problems (none here) and the snapshot's, in the one document a machine
    reads, not two documents or a text line among JSON."""
    snapshot = released / "releases" / f"{FIRST}.json"
    snapshot.write_text(json.dumps(content), encoding="utf-8")
    before = tree(released)
    result = invoke(released, *command, "--format", "json")
    assert result.exit_code == 1
    assert one_document(result.stdout) == [snapshot_problem(message)]
    assert result.stderr == "Found 1 error(s) in 1 file(s).\n"
    assert tree(released) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [({"version": FIRST}, UNSHAPED), ({"version": "one", "tables": {}, "records": {}}, MISDATED)],
)
def test_diff_json_on_an_unreadable_snapshot_is_one_document(
    released: Path, content: dict[str, Any], message: str
) -> None:
    snapshot = released / "releases" / f"{FIRST}.json"
    snapshot.write_text(json.dumps(content), encoding="utf-8")
    result = invoke(released, "diff", "--format", "json")
    assert result.exit_code == 1
    assert one_document(result.stdout) == [snapshot_problem(message)]


def test_build_github_on_an_unreadable_snapshot_is_annotations_only(released: Path) -> None:
    snapshot = released / "releases" / f"{FIRST}.json"
    snapshot.write_text(json.dumps({"version": FIRST}), encoding="utf-8")
    result = invoke(released, "build", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout == (
        f"::error file=releases/{FIRST}.json,line=1,col=1,title=package-unreadable::"
        f"releases/{FIRST}.json: not a package snapshot: at /: 'tables' is a required "
        "property (hint: restore the snapshot the release made (git checkout releases/))\n"
    )


@pytest.mark.parametrize("command", [["build"], ["build", "--no-frictionless"]])
def test_build_json_prints_one_document(built: Path, command: list[str]) -> None:
    """A clean build: one (empty) list of problems, not one per stage."""
    result = invoke(built, *command, "--format", "json")
    assert result.exit_code == 0, result.output
    assert one_document(result.stdout) == []


def test_diff_of_a_damaged_archive(released: Path, tmp_path: Path) -> None:
    files = members(archive_of(released))
    files[TOP + "build/actors.csv"] += b"x,y\n"
    copy = rezip(tmp_path / "copy.zip", files)
    result = invoke(released, "diff", str(archive_of(released)), str(copy))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: {copy} does not match its descriptor: build/actors.csv: is "
    )


def test_summary_without_build_is_one_error(mini: Path) -> None:
    result = invoke(mini, "summary")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no datapackage.json in the folder (or it is not a regular file); run "
        "`chechnya-purges build` first\n"
    )


def test_summary_never_reads_a_linked_table(built: Path, tmp_path: Path) -> None:
    """build/ can come from a pull request: a table linked to a file outside is refused."""
    outside = tmp_path / "outside.csv"
    outside.write_text("article_id,publisher_id\nLEAKED-FROM-OUTSIDE,x\n", encoding="utf-8")
    (built / "build/articles.csv").unlink()
    (built / "build/articles.csv").symlink_to(outside)
    result = invoke(built, "summary")
    assert result.exit_code == 1
    assert "LEAKED" not in result.output
    assert "build/articles.csv" in result.stderr


# --- reports: a file name cannot forge a line ----------------------------------------------

HOSTILE = "x\n::add-mask::hunter2%0A,y:z\r.yaml"


def test_a_hostile_file_name_stays_on_its_line_in_every_format(tmp_path: Path) -> None:
    root = tmp_path / "mini"
    shutil.copytree(FIXTURE, root)
    shutil.copyfile(root / "data/articles/001_freedonia.yaml", root / "data/articles" / HOSTILE)
    github = invoke(root, "validate", "--no-cache", "--format", "github")
    assert github.exit_code == 1
    assert github.stdout.splitlines() == [
        "::error file=data/articles/x%0A%3A%3Aadd-mask%3A%3Ahunter2%250A%2Cy%3Az%0D.yaml,"
        "line=1,col=1,title=invalid-format::article file name "
        "'x\\n::add-mask::hunter2%250A,y:z\\r.yaml' is not a safe article id (hint: use "
        "letters, digits, '-', '_' and '.', as the seed's file name does)"
    ]
    text = invoke(root, "validate", "--no-cache")
    assert text.exit_code == 1
    assert text.stdout.splitlines()[0] == (
        "data/articles/x\\n::add-mask::hunter2%0A,y:z\\r.yaml:1:1: error[invalid-format] "
        "article file name 'x\\n::add-mask::hunter2%0A,y:z\\r.yaml' is not a safe article id"
    )
    assert len(text.stdout.splitlines()) == 2  # the problem and its hint


def test_a_release_made_before_the_descriptor_listed_its_schemas_still_verifies(
    released: Path, tmp_path: Path
) -> None:
    """1.0.0 archives hold the schemas, citation and licence unlisted: a warning each, so
    that they still verify; any other unlisted file stays an error."""
    files = members(archive_of(released))
    descriptor = json.loads(files[TOP + "datapackage.json"])
    descriptor["resources"] = [r for r in descriptor["resources"] if r["path"].startswith("build")]
    files[TOP + "datapackage.json"] = json.dumps(descriptor).encode()
    # What 1.0.0 did not have at all: the claims schema, the codebook and other docs, Croissant.
    for later in ("schema/claims.schema.json", "croissant.json"):
        del files[TOP + later]
    for name in [n for n in files if n.startswith(TOP + "docs/")]:
        del files[name]
    copy = rezip(tmp_path / "older.zip", files)
    result = invoke(released, "verify", str(copy))
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stdout.splitlines() if "warning[" in line]
    assert warned == [
        f"{name}:1:1: warning[package-file-extra] is not listed in the descriptor, so it "
        "cannot be verified"
        for name in (
            "CITATION.cff",
            "LICENSE-DATA",
            "schema/actors.schema.json",
            "schema/article.schema.json",
            "schema/dataset.schema.json",
        )
    ]
    assert cp.load(copy).version == FIRST
