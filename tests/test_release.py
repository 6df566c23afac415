"""Releases: changes classified by the version rules, the version the outputs carry derived
from them, release assigning it, verification of copies, a reproducible archive, and the
Python API."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTICLE, REPO, edit, invoke, tree

import chechnya_purges as cp
from chechnya_purges.api import VerificationError
from chechnya_purges.compat import FIRST, Level, python_version, required_version

NEW_FIGURE = """  - id: held-300
    category: detained
    value: 300
    qualifier: exact
    unit: people
    subject: people held
    quote: the 300 people held
"""


def _version(root: Path) -> str:
    """The version the committed outputs state, in all three files that state it."""
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    document = json.loads((root / "build/chechnya-purges.json").read_text(encoding="utf-8"))
    citation = (root / "CITATION.cff").read_text(encoding="utf-8")
    assert document["version"] == descriptor["version"]
    assert f'version: "{descriptor["version"]}"' in citation
    return str(descriptor["version"])


def _note(root: Path, line: str) -> None:
    path = root / "CHANGELOG.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "## Unreleased\n", f"## Unreleased\n\n{line}\n", 1
        ),
        encoding="utf-8",
    )


@pytest.fixture
def released(built: Path) -> Path:
    """The fixture dataset after its first release."""
    assert _version(built) == f"{FIRST}-dev"
    (built / "CHANGELOG.md").write_text("# Changelog\n\n## Unreleased\n\n- First.\n")
    result = invoke(built, "release")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Released {FIRST} (the first)")
    assert (built / f"releases/{FIRST}.json").is_file()
    assert _version(built) == FIRST
    assert (built / "CHANGELOG.md").read_text(encoding="utf-8") == (
        f"# Changelog\n\n## Unreleased\n\n## {FIRST}\n\n- First.\n"
    )
    return built


def _baseline(root: Path) -> Path:
    return root / "releases" / f"{FIRST}.json"


def _edit_baseline(root: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = _baseline(root)
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def _drop_figure(root: Path) -> None:
    edit(
        root,
        ARTICLE,
        lambda t: t.replace(t[t.index("  - id: died-2") : t.index("statements:")], ""),
    )
    edit(root, ARTICLE, lambda t: t.replace("  rights-groups: Rights groups\n", ""))


def _add_figure(root: Path) -> None:
    # An invented figure that anchors outside the excluded comments would need new seed text;
    # instead exclude fewer lines, so that line 15 becomes article text with a number in it.
    edit(root, ARTICLE, lambda t: t.replace("lines: 14-15", 'lines: "14"'))
    edit(root, ARTICLE, lambda t: t.replace("statements:\n", NEW_FIGURE + "statements:\n", 1))


# Each kind of change: how to make it, and the level DESIGN's rules give it. Schema changes
# are made by editing the baseline as the previous release would have had it.
CHANGES: dict[str, tuple[Callable[[Path], None], Level]] = {
    "drop a column": (
        lambda r: _edit_baseline(
            r,
            lambda d: d["tables"]["figures"]["fields"].__setitem__(
                "source_url", {"type": "string", "description": "", "constraints": {}}
            ),
        ),
        Level.MAJOR,
    ),
    "add a column": (
        lambda r: _edit_baseline(r, lambda d: d["tables"]["figures"]["fields"].pop("note")),
        Level.MINOR,
    ),
    "remove an enum value": (
        lambda r: _edit_baseline(
            r,
            lambda d: d["tables"]["figures"]["fields"]["qualifier"]["constraints"]["enum"].append(
                "roughly"
            ),
        ),
        Level.MAJOR,
    ),
    "add an enum value": (
        lambda r: _edit_baseline(
            r,
            lambda d: d["tables"]["statements"]["fields"]["act"]["constraints"]["enum"].remove(
                "threaten"
            ),
        ),
        Level.MINOR,
    ),
    "remove a record": (_drop_figure, Level.MAJOR),
    "add a record": (_add_figure, Level.MINOR),
    "fix a value": (
        lambda r: edit(
            r,
            ARTICLE,
            lambda t: t.replace("subject: men\n    place", "subject: detained men\n    place"),
        ),
        Level.PATCH,
    ),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_each_change_gives_the_pending_version_and_release_assigns_it(
    released: Path, name: str
) -> None:
    make, level = CHANGES[name]
    clean = invoke(released, "check")
    assert clean.exit_code == 0, clean.output
    assert f"Release {FIRST}, unchanged since." in clean.stderr
    make(released)
    assert invoke(released, "build").exit_code == 0

    report = json.loads(invoke(released, "diff", "--format", "json").stdout)
    assert report["level"] == level.name, report
    assert {c["level"] for c in report["changes"]} <= {lv.name for lv in Level if lv <= level}

    # The outputs never claim the release for other bytes: they carry the next version, -dev.
    needed = required_version(FIRST, level)
    assert _version(released) == f"{needed}-dev"
    # check reports the level, and wants a line about it under ## Unreleased.
    wanting = invoke(released, "check")
    assert wanting.exit_code == 1
    assert "\nCHANGELOG.md:1:1: error[changelog-missing] the changes" in "\n" + wanting.stdout
    assert f"Pending since release {FIRST}: {level.name}" in wanting.stderr
    before = {p: p.read_bytes() for p in released.rglob("*") if p.is_file()}
    assert invoke(released, "release").exit_code == 1
    assert {p: p.read_bytes() for p in released.rglob("*") if p.is_file()} == before

    _note(released, f"- {name}.")
    accepted = invoke(released, "check")
    assert accepted.exit_code == 0, accepted.output
    assert (
        f"the outputs carry {needed}-dev, and `chechnya-purges release` will make them "
        f"{needed}." in accepted.stderr
    )

    made = invoke(released, "release")
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith(f"Released {needed} ({level.name} since {FIRST})")
    assert _version(released) == needed
    assert (released / f"releases/{needed}.json").is_file()
    assert (released / f"dist/chechnya-purges-{needed}.zip").is_file()
    changelog = (released / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith(f"# Changelog\n\n## Unreleased\n\n## {needed}\n\n- {name}.\n")
    after = invoke(released, "check")
    assert after.exit_code == 0, after.output
    assert f"Release {needed}, unchanged since." in after.stderr


def test_a_byte_changed_outside_records_is_a_patch(released: Path) -> None:
    """A package property the snapshot's tables do not hold still changes the version."""
    snapshot = json.loads(_baseline(released).read_text(encoding="utf-8"))
    snapshot["content"] = "0" * 64
    _baseline(released).write_text(json.dumps(snapshot), encoding="utf-8")
    assert invoke(released, "build").exit_code == 0
    assert _version(released) == required_version(FIRST, Level.PATCH) + "-dev"
    report = json.loads(invoke(released, "diff", "--format", "json").stdout)
    assert [c["table"] for c in report["changes"]] == ["package"]


@pytest.mark.parametrize(
    ("old", "level", "new"),
    [
        ("1.0.0", Level.NONE, "1.0.0"),
        ("1.0.0", Level.PATCH, "1.0.1"),
        ("1.2.3", Level.MINOR, "1.3.0"),
        ("1.2.3", Level.MAJOR, "2.0.0"),
    ],
)
def test_the_version_rule(old: str, level: Level, new: str) -> None:
    assert required_version(old, level) == new


@pytest.mark.parametrize(
    ("semver", "pep440"),
    [("1.1.0-dev", "1.1.0.dev0"), ("1.1.0", "1.1.0"), ("2.0.0-dev", "2.0.0.dev0")],
)
def test_the_python_package_version_is_the_pep440_form(semver: str, pep440: str) -> None:
    assert python_version(semver) == pep440


def test_check_wants_a_changelog_entry(released: Path) -> None:
    (released / "CHANGELOG.md").write_text("# Changelog\n\n## 0.0.1\n", encoding="utf-8")
    result = invoke(released, "check")
    assert result.exit_code == 1
    assert (
        f"CHANGELOG.md:1:1: error[changelog-missing] no entry for the released version {FIRST}"
        in result.stdout
    )


def test_an_unreadable_release_snapshot_is_one_error_not_a_traceback(released: Path) -> None:
    _baseline(released).write_text("{not json", encoding="utf-8")
    result = invoke(released, "build")
    assert result.exit_code == 1
    assert f"releases/{FIRST}.json: not a readable snapshot" in result.stdout
    (released / "releases/9.9.9.json").write_text(_baseline(released).read_text())
    renamed = invoke(released, "check")
    assert renamed.exit_code == 1
    assert "releases/9.9.9.json" in renamed.stdout
    outside = released.parent / "elsewhere.json"
    outside.write_text("{}", encoding="utf-8")
    (released / "releases/9.9.9.json").unlink()
    (released / "releases/9.9.9.json").symlink_to(outside)
    linked = invoke(released, "build")
    assert linked.exit_code == 1
    assert "releases/9.9.9.json: not a regular file" in linked.stdout


def test_release_archive_is_byte_identical_and_verifies(released: Path) -> None:
    archive = released / "dist" / f"chechnya-purges-{FIRST}.zip"
    first = archive.read_bytes()
    shutil.rmtree(released / "build")
    assert invoke(released, "build").exit_code == 0
    again = invoke(released, "release")
    assert again.exit_code == 0
    assert archive.read_bytes() == first
    assert again.stdout.strip().endswith(
        f"sha256:{__import__('hashlib').sha256(first).hexdigest()}"
    )
    verified = invoke(released, "verify", str(archive))
    assert verified.exit_code == 0, verified.output
    with zipfile.ZipFile(archive) as z:
        assert f"chechnya-purges-{FIRST}/datapackage.json" in z.namelist()


def test_release_refuses_a_changed_release_of_the_same_version(released: Path) -> None:
    """A snapshot that records other content for the version it would make again."""
    _edit_baseline(released, lambda d: d.pop("content"))
    before = _baseline(released).read_bytes()
    shutil.rmtree(released / "dist")
    result = invoke(released, "release")
    assert result.exit_code == 1
    assert f"releases/{FIRST}.json records a different {FIRST}" in result.stderr
    assert _baseline(released).read_bytes() == before
    assert not (released / "dist").exists()


def _zip_with(root: Path, change: Callable[[dict[str, bytes]], None], out: Path) -> Path:
    from chechnya_purges.compat import read_package
    from chechnya_purges.release import archive

    files = read_package(root)
    change(files)
    out.write_bytes(archive(files, FIRST))
    return out


def test_verify_catches_one_altered_byte(built: Path, tmp_path: Path) -> None:
    def flip(files: dict[str, bytes]) -> None:
        data = bytearray(files["build/figures.csv"])
        data[-2] ^= 0x01
        files["build/figures.csv"] = bytes(data)

    altered = _zip_with(built, flip, tmp_path / "altered.zip")
    result = invoke(built, "verify", str(altered))
    assert result.exit_code == 1
    assert result.stdout.startswith(
        "build/figures.csv:1:1: error[package-file-altered] has sha256:"
    )
    with pytest.raises(VerificationError, match=r"build/figures\.csv"):
        cp.load(altered)


def test_verify_catches_a_truncated_and_a_missing_file(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    path = copy / "build/statements.csv"
    path.write_bytes(path.read_bytes()[:100])
    (copy / "build/mentions.csv").unlink()
    result = invoke(copy, "verify", str(copy), "--format", "json")
    problems = {(p["path"], p["code"]) for p in json.loads(result.stdout)}
    assert problems == {
        ("build/statements.csv", "package-file-altered"),
        ("build/mentions.csv", "package-file-missing"),
    }
    assert "truncated or altered" in result.stdout


def test_verify_wants_a_version_and_a_readable_package(built: Path, tmp_path: Path) -> None:
    def unversioned(files: dict[str, bytes]) -> None:
        descriptor = json.loads(files["datapackage.json"])
        descriptor.pop("version")
        files["datapackage.json"] = json.dumps(descriptor).encode()

    result = invoke(built, "verify", str(_zip_with(built, unversioned, tmp_path / "v.zip")))
    assert "error[package-version]" in result.stdout
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    assert "error[package-unreadable]" in invoke(built, "verify", str(junk)).stdout


@pytest.mark.repository
def test_load_gives_typed_rows_of_the_shipped_version() -> None:
    ds = cp.load()
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    assert ds.version == descriptor["version"]
    assert cp.__version__ == python_version(ds.version)
    assert cp.datapackage_path() == REPO / "datapackage.json"
    figure = next(f for f in ds.figures if f.figure_id.endswith(":canada-refuge-22"))
    assert (figure.value, figure.low, figure.high) == (22, 22, 22)
    assert figure.period_end.isoformat() == "2017-09-03"
    assert figure.place == "Canada"
    assert {a.actor_id for a in ds.actors} >= {"rex-tillerson", "russia-presidency"}
    with pytest.raises(AttributeError, match="no table 'people'"):
        ds.people  # noqa: B018


@pytest.mark.repository
def test_the_wheel_ships_the_package_and_loads_outside_the_repository(tmp_path: Path) -> None:
    """A wheel built from the tracked files, installed elsewhere, loads and verifies."""
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    clean = tmp_path / "checkout"
    for name in filter(None, tracked):
        (clean / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / name, clean / name)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(clean)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    script = (
        "import chechnya_purges as cp\n"
        "ds = cp.load()\n"
        "print(ds.version, len(ds.figures), cp.datapackage_path())\n"
    )
    away = tmp_path / "elsewhere"
    away.mkdir()

    def load_elsewhere() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script],
            cwd=away,
            capture_output=True,
            text=True,
            env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
            check=False,
        )

    result = load_elsewhere()
    assert result.returncode == 0, result.stderr
    version, count, descriptor = result.stdout.split()
    assert version == cp.load().version
    assert int(count) == len(cp.load().figures)
    assert descriptor.startswith(str(site))

    # The command line, from a folder that is no dataset: the installed package's own data.
    def run_elsewhere(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "chechnya_purges", *args],
            cwd=away,
            capture_output=True,
            text=True,
            env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
            check=False,
        )

    summary = run_elsewhere("summary")
    assert summary.returncode == 0, summary.stderr
    assert summary.stdout == invoke(REPO, "summary").stdout
    assert "No dataset here: using the package installed with chechnya-purges" in summary.stderr
    verified = run_elsewhere("verify")
    assert verified.returncode == 0, verified.stderr
    tables = len(json.loads((REPO / "datapackage.json").read_bytes())["resources"])
    assert f"Verified chechnya-purges {version}: {tables} files." in verified.stderr

    packaged = site / "chechnya_purges" / "_package"
    for generated in ("docs/codebook.md", "croissant.json"):
        assert (packaged / generated).read_bytes() == (REPO / generated).read_bytes()
    data = bytearray((packaged / "build/actors.csv").read_bytes())
    data[10] ^= 0x01
    (packaged / "build/actors.csv").write_bytes(bytes(data))
    broken = load_elsewhere()
    assert broken.returncode == 1
    assert "VerificationError" in broken.stderr
    altered = run_elsewhere("verify")
    assert altered.returncode == 1
    assert altered.stdout.startswith("build/actors.csv:1:1: error[package-file-altered]")


def test_diff_reads_a_snapshot_a_descriptor_and_a_folder_alike(released: Path) -> None:
    _drop_figure(released)
    assert invoke(released, "build").exit_code == 0
    baseline = str(_baseline(released))
    for new in (str(released / "datapackage.json"), str(released)):
        report = json.loads(invoke(released, "diff", baseline, new, "--format", "json").stdout)
        assert report["level"] == "MAJOR", new
        assert {
            "level": "MAJOR",
            "table": "figures",
            "subject": "001_freedonia:died-2",
            "detail": "record removed",
        } in report["changes"]


def test_summary_with_a_root_that_is_no_dataset_is_a_usage_error(tmp_path: Path) -> None:
    """Only the search from the working directory falls back to the installed package."""
    result = invoke(tmp_path, "summary")
    assert result.exit_code == 2
    assert f"no data/actors.yaml in {tmp_path.resolve()}" in result.stderr


@pytest.mark.parametrize("kind", ["not utf-8", "link outside"])
def test_a_hostile_changelog_is_one_error_for_check_and_release(
    released: Path, tmp_path: Path, kind: str
) -> None:
    changelog = released / "CHANGELOG.md"
    changelog.unlink()
    if kind == "not utf-8":
        changelog.write_bytes(b"# Changelog\n\n\xff\xfe\n")
        code = "invalid-utf8"
    else:
        outside = tmp_path / "secret.md"
        outside.write_text("## Unreleased\n\n- SECRET-LINE\n", encoding="utf-8")
        changelog.symlink_to(outside)
        code = "unsafe-file"
    before = tree(released)
    for command in ("check", "release"):
        result = invoke(released, command)
        assert result.exit_code == 1, result.output
        assert "CHANGELOG.md:" in result.output and f"error[{code}]" in result.output
        assert "SECRET-LINE" not in result.output
        assert "Traceback" not in result.output
    assert tree(released) == before


@pytest.mark.parametrize("folder", ["releases", "dist"])
def test_release_never_writes_through_a_linked_folder(
    built: Path, tmp_path: Path, folder: str
) -> None:
    """A pull request can commit releases/ or dist/ as a link to a folder elsewhere."""
    (built / "CHANGELOG.md").write_text("# Changelog\n\n## Unreleased\n\n- First.\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / f".chechnya-purges-{FIRST}.zip.1.tmp").write_text("keep", encoding="utf-8")
    shutil.rmtree(built / folder, ignore_errors=True)
    (built / folder).symlink_to(elsewhere)
    outside_before = tree(elsewhere)
    result = invoke(built, "release")
    assert result.exit_code == 1, result.output
    assert "is a symbolic link or not a folder" in result.output
    assert "Traceback" not in result.output
    assert tree(elsewhere) == outside_before
