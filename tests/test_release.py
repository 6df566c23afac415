"""Releases: changes classified by the version rules, check refusing a version that does not
rise enough, verification of copies, a reproducible archive, and the Python API."""

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
from conftest import ARTICLE, REPO, edit, invoke

import chechnya_purges as cp
from chechnya_purges import __version__
from chechnya_purges.api import VerificationError
from chechnya_purges.compat import Level, enough, required_version

NEW_FIGURE = """  - id: held-300
    category: detained
    value: 300
    qualifier: exact
    unit: people
    subject: people held
    quote: the 300 people held
"""


@pytest.fixture
def released(built: Path) -> Path:
    """The fixture dataset with a CHANGELOG and a release of the current version."""
    (built / "CHANGELOG.md").write_text(f"# Changelog\n\n## {__version__}\n\n- First.\n")
    result = invoke(built, "release")
    assert result.exit_code == 0, result.output
    assert (built / f"releases/{__version__}.json").is_file()
    return built


def _baseline(root: Path) -> Path:
    return root / "releases" / f"{__version__}.json"


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
def test_each_change_is_classified_and_check_wants_the_bump(released: Path, name: str) -> None:
    make, level = CHANGES[name]
    assert invoke(released, "check").exit_code == 0
    make(released)
    assert invoke(released, "build").exit_code == 0

    report = json.loads(invoke(released, "diff", "--format", "json").stdout)
    assert report["level"] == level.name, report
    assert {c["level"] for c in report["changes"]} <= {lv.name for lv in Level if lv <= level}

    # Released as the same version: too small a rise for any change.
    refused = invoke(released, "check")
    assert refused.exit_code == 1
    needed = required_version(__version__, level)
    assert f"error[version-bump] version {__version__} after release {__version__}" in (
        refused.stdout
    )
    assert f"which needs at least {needed}" in refused.stdout

    # Had the last release been one step of this level below the current version, it passes.
    major, minor, patch = (int(x) for x in __version__.split("."))
    below = {
        Level.MAJOR: f"{major - 1}.9.9",
        Level.MINOR: f"{major}.{minor - 1}.9" if minor else f"{major - 1}.99.0",
        Level.PATCH: f"{major}.{minor}.{patch - 1}" if patch else f"{major - 1}.99.99",
    }[level]
    assert enough(below, __version__, level)
    _edit_baseline(released, lambda d: d.__setitem__("version", below))
    accepted = invoke(released, "check")
    assert accepted.exit_code == 0, accepted.output


@pytest.mark.parametrize(
    ("old", "new", "level", "ok"),
    [
        ("1.0.0", "1.0.0", Level.NONE, True),
        ("1.0.0", "1.0.1", Level.PATCH, True),
        ("1.0.0", "1.0.0", Level.PATCH, False),
        ("1.0.0", "1.1.0", Level.MINOR, True),
        ("1.0.0", "1.0.9", Level.MINOR, False),
        ("1.0.0", "2.0.0", Level.MAJOR, True),
        ("1.2.3", "1.9.0", Level.MAJOR, False),
        ("1.2.3", "1.2.2", Level.NONE, False),
    ],
)
def test_the_version_rule(old: str, new: str, level: Level, ok: bool) -> None:
    assert enough(old, new, level) is ok


def test_check_wants_a_changelog_entry(released: Path) -> None:
    (released / "CHANGELOG.md").write_text("# Changelog\n\n## 0.0.1\n", encoding="utf-8")
    result = invoke(released, "check")
    assert result.exit_code == 1
    assert f"CHANGELOG.md:1:1: error[changelog-missing] no entry for version {__version__}" in (
        result.stdout
    )


def test_release_archive_is_byte_identical_and_verifies(released: Path) -> None:
    archive = released / "dist" / f"chechnya-purges-{__version__}.zip"
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
        assert f"chechnya-purges-{__version__}/datapackage.json" in z.namelist()


def test_release_refuses_a_changed_release_of_the_same_version(released: Path) -> None:
    _edit_baseline(released, lambda d: d["records"]["figures"].clear())
    before = _baseline(released).read_bytes()
    result = invoke(released, "release")
    assert result.exit_code == 1
    assert _baseline(released).read_bytes() == before


def _zip_with(root: Path, change: Callable[[dict[str, bytes]], None], out: Path) -> Path:
    from chechnya_purges.compat import read_package
    from chechnya_purges.release import archive

    files = read_package(root)
    change(files)
    out.write_bytes(archive(files, __version__))
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


def test_load_gives_typed_rows_of_the_shipped_version() -> None:
    ds = cp.load()
    assert ds.version == __version__
    assert cp.datapackage_path() == REPO / "datapackage.json"
    figure = next(f for f in ds.figures if f.figure_id.endswith(":canada-refuge-22"))
    assert (figure.value, figure.low, figure.high) == (22, 22, 22)
    assert figure.period_end.isoformat() == "2017-09-03"
    assert figure.place == "Canada"
    assert {a.actor_id for a in ds.actors} >= {"rex-tillerson", "russia-presidency"}
    with pytest.raises(AttributeError, match="no table 'people'"):
        ds.people  # noqa: B018


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
    assert version == __version__
    assert int(count) == len(cp.load().figures)
    assert descriptor.startswith(str(site))

    packaged = site / "chechnya_purges" / "_package"
    for generated in ("docs/codebook.md", "croissant.json"):
        assert (packaged / generated).read_bytes() == (REPO / generated).read_bytes()
    data = bytearray((packaged / "build/actors.csv").read_bytes())
    data[10] ^= 0x01
    (packaged / "build/actors.csv").write_bytes(bytes(data))
    broken = load_elsewhere()
    assert broken.returncode == 1
    assert "VerificationError" in broken.stderr


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
