"""Claims: one count or speech event followed across articles. Each rule of the claims has a
bad input that gives one error at its file:line:col and leaves the outputs as they were; the
built tables carry the claims with real foreign keys; the lineage names every change
against the first appearance."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import frictionless
import pytest
from conftest import ARTICLE, FIXTURE, edit, invoke, position_of, tree
from test_bad_inputs import Case

CLAIMS = "data/claims.yaml"
SECOND = "data/articles/002_sylvania.yaml"
OVERLAY = FIXTURE.parent / "claims"
# The first article's records and the claims they report.
LINKS = {
    "quote: the detention of more than 40 men in Sylvania\n": "sylvania-detained",
    "quote: Rights groups say at least two men died in custody\n": "sylvania-died-in-custody",
    "quote: The Freedonian Ministry of Foreign Affairs on Monday condemned the detention\n": (
        "freedonia-condemns-detentions"
    ),
}


def _link_first_article(text: str) -> str:
    for quote, claim in LINKS.items():
        assert text.count(quote) == 1, quote
        text = text.replace(quote, f"{quote}    claim: {claim}\n")
    return text


@pytest.fixture
def claimed(mini: Path) -> Path:
    """The fixture dataset with a second, later article and three claims that link both."""
    shutil.copytree(OVERLAY, mini, dirs_exist_ok=True)
    edit(mini, ARTICLE, _link_first_article)
    return mini


@pytest.fixture
def claimed_built(claimed: Path) -> Path:
    result = invoke(claimed, "build")
    assert result.exit_code == 0, result.output
    return claimed


CASES = [
    Case(
        "unknown claim",
        SECOND,
        "claim: sylvania-detained",
        "claim: sylvania-detaind",
        "unknown-claim",
        "claim: |sylvania-detaind",
        "did you mean 'sylvania-detained'?",
    ),
    Case(
        "figure linked to a statement claim",
        SECOND,
        "claim: sylvania-detained",
        "claim: freedonia-condemns-detentions",
        "claim-kind",
        "claim: |freedonia-condemns-detentions\n  - id: died-2",
        "kind: figure",
    ),
    Case(
        "statement linked to a figure claim",
        SECOND,
        "claim: freedonia-condemns-detentions",
        "claim: sylvania-detained",
        "claim-kind",
        "in March.\n    claim: |sylvania-detained",
        "kind: statement",
    ),
    Case(
        "a claim's figures count different things",
        SECOND,
        "category: detained",
        "category: released",
        "claim-mixed",
        "claim: |sylvania-detained",
        "correct its category",
    ),
    Case(
        "a claim's figures count in different units",
        SECOND,
        "unit: people\n    subject: men\n    place",
        "unit: organizations\n    subject: men\n    place",
        "claim-mixed",
        "claim: |sylvania-detained",
        "correct its unit",
    ),
    Case(
        "claim id not a slug",
        CLAIMS,
        "  origin: freedonia-ministry-of-foreign-affairs\n",
        "  origin: freedonia-ministry-of-foreign-affairs\n"
        "- id: Not a slug\n  kind: figure\n  summary: A count.\n",
        "invalid-format",
        "- id: |Not a slug",
    ),
    Case(
        "claim kind not in the vocabulary",
        CLAIMS,
        "kind: statement",
        "kind: speech",
        "unknown-choice",
        "kind: |speech",
    ),
    Case(
        "claim without a summary",
        CLAIMS,
        "  summary: Men who died in custody in Sylvania in early 2018, as rights groups "
        "counted them.\n",
        "",
        "missing-field",
        "- |id: sylvania-died-in-custody",
    ),
    Case(
        "claim with an unknown field",
        CLAIMS,
        "  origin: rights-groups\n",
        "  origin: rights-groups\n  source: rights-groups\n",
        "unknown-field",
        "|source: rights-groups",
    ),
    Case(
        "claim origin not in the registry",
        CLAIMS,
        "origin: rights-groups",
        "origin: rights-group",
        "unknown-actor",
        "origin: |rights-group",
        "did you mean 'rights-groups'?",
    ),
    Case(
        "two claims with one id",
        CLAIMS,
        "  origin: freedonia-ministry-of-foreign-affairs\n",
        "  origin: freedonia-ministry-of-foreign-affairs\n"
        "- id: sylvania-detained\n  kind: figure\n  summary: The same count again.\n",
        "duplicate-id",
        "- id: |sylvania-detained\n  kind: figure\n  summary: The same",
        "merge the two claims",
    ),
    Case(
        "claims file with a formula",
        CLAIMS,
        "summary: The Freedonian",
        "summary: =The Freedonian",
        "formula-text",
        "summary: |=The Freedonian",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_one_error_at_the_mistake_and_nothing_written(claimed_built: Path, case: Case) -> None:
    text = case.apply(claimed_built)
    line, col = position_of(text, case.at)
    before = tree(claimed_built)

    result = invoke(claimed_built, "validate", "--format", "json")
    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)
    assert [(p["code"], p["path"], p["line"], p["col"]) for p in problems] == [
        (case.code, case.file, line, col)
    ], result.stdout
    if case.hint:
        assert case.hint in (problems[0]["hint"] or ""), problems[0]
    first = invoke(claimed_built, "validate").stdout.splitlines()[0]
    assert first.startswith(f"{case.file}:{line}:{col}: error[{case.code}] "), first

    build = invoke(claimed_built, "build")
    assert build.exit_code == 1
    assert "Nothing was written." in build.stderr
    assert tree(claimed_built) == before


def test_a_claim_nothing_links_to_is_a_warning_not_an_error(claimed_built: Path) -> None:
    text = edit(
        claimed_built,
        CLAIMS,
        lambda t: t + "- id: not-yet-linked\n  kind: figure\n  summary: A count.\n",
    )
    result = invoke(claimed_built, "validate")
    assert result.exit_code == 0, result.output
    line = text.count("\n", 0, text.index("- id: not-yet-linked")) + 1
    assert result.stdout.startswith(f"{CLAIMS}:{line}:7: warning[claim-unused] "), result.stdout
    assert "'not-yet-linked'" in result.stdout
    assert invoke(claimed_built, "build").exit_code == 0
    rows = (claimed_built / "build/claims.csv").read_text(encoding="utf-8")
    assert "not-yet-linked,figure,A count.,,,0,0,,\n" in rows


def test_the_mixed_figure_is_reported_whichever_article_is_checked_first(
    claimed: Path,
) -> None:
    """The figure that differs from the claim's first (in article order) is the one named,
    with the first one's place in the message: the same in a cached run."""
    edit(claimed, SECOND, lambda t: t.replace("category: detained", "category: released"))
    for _ in range(2):
        result = invoke(claimed, "validate")
        assert result.exit_code == 1
        assert (
            "claim 'sylvania-detained' has category detained (figures[0] of "
            f"{ARTICLE}), this figure released" in result.stdout
        ), result.stdout


def test_editing_the_claims_file_rechecks_the_articles(claimed: Path) -> None:
    """The claims file is part of every article's cache key: removing a claim is noticed."""
    assert invoke(claimed, "validate").exit_code == 0
    edit(
        claimed,
        CLAIMS,
        lambda t: t[: t.index("- id: sylvania-died")] + t[t.index("- id: freedonia-condemns") :],
    )
    result = invoke(claimed, "validate", "--format", "json")
    found = sorted((p["code"], p["path"]) for p in json.loads(result.stdout))
    assert found == [("unknown-claim", ARTICLE), ("unknown-claim", SECOND)], result.stdout


def test_a_dataset_without_a_claims_file_has_an_empty_claims_table(built: Path) -> None:
    assert not (built / CLAIMS).exists()
    assert (built / "build/claims.csv").read_text(encoding="utf-8").count("\n") == 1
    assert (built / "build/lineage.csv").read_text(encoding="utf-8").count("\n") == 1


@pytest.mark.parametrize("kind", ["symlink", "folder", "fifo"])
def test_a_claims_file_that_is_not_a_regular_file_is_not_read(
    claimed_built: Path, tmp_path: Path, kind: str
) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("- id: planted\n  kind: figure\n  summary: SECRET-VALUE\n", "utf-8")
    path = claimed_built / CLAIMS
    path.unlink()
    if kind == "symlink":
        path.symlink_to(secret)
    elif kind == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)  # opening it to read would block forever
    before = tree(claimed_built)
    result = invoke(claimed_built, "validate", "--format", "json")
    assert result.exit_code == 1, result.output
    problems = [p for p in json.loads(result.stdout) if p["severity"] == "error"]
    assert [(p["code"], p["path"], p["line"]) for p in problems] == [("unsafe-file", CLAIMS, 1)], (
        result.stdout
    )
    assert "SECRET-VALUE" not in result.stdout
    assert invoke(claimed_built, "build").exit_code == 1
    assert tree(claimed_built) == before


def test_a_claims_folder_reached_through_a_symlink_is_not_read(
    claimed_built: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    shutil.move(claimed_built / "data", outside)
    (claimed_built / "data").symlink_to(outside)
    result = invoke(claimed_built, "validate", "--format", "json")
    codes = [(p["code"], p["path"]) for p in json.loads(result.stdout)]
    assert ("unsafe-file", CLAIMS) in codes, result.stdout
    assert "planted" not in result.stdout


def test_an_oversized_claims_file_is_refused_unread(claimed_built: Path) -> None:
    path = claimed_built / CLAIMS
    with path.open("a", encoding="utf-8") as handle:
        handle.write("# padding\n" * 900_000)  # 9 MB, over the 8 MiB bound
    before = tree(claimed_built)
    result = invoke(claimed_built, "validate", "--format", "json")
    assert result.exit_code == 1
    problems = [p for p in json.loads(result.stdout) if p["severity"] == "error"]
    assert [(p["code"], p["path"], p["line"], p["col"]) for p in problems] == [
        ("file-too-large", CLAIMS, 1, 1)
    ]
    assert "limited to 8,388,608" in problems[0]["message"]
    assert invoke(claimed_built, "build").exit_code == 1
    assert tree(claimed_built) == before


def test_the_tables_carry_claims_with_foreign_keys_frictionless_enforces(
    claimed_built: Path,
) -> None:
    report = frictionless.Package(str(claimed_built / "datapackage.json")).validate()
    assert report.valid, report.flatten(["type", "note"])
    descriptor = json.loads((claimed_built / "datapackage.json").read_text(encoding="utf-8"))
    keys = {
        resource["name"]: {
            (k["fields"][0], k["reference"]["resource"])
            for k in resource["schema"].get("foreignKeys", [])
        }
        for resource in descriptor["resources"]
        if resource.get("type") == "table"
    }
    assert ("claim_id", "claims") in keys["figures"]
    assert ("claim_id", "claims") in keys["statements"]
    assert {("claim_id", "claims"), ("figure_id", "figures"), ("article_id", "articles")} <= (
        keys["lineage"]
    )
    assert ("origin_id", "actors") in keys["claims"]

    figures = (claimed_built / "build/figures.csv").read_text(encoding="utf-8")
    assert figures.count(",sylvania-detained\n") == 2
    for resource in descriptor["resources"]:
        resource.pop("hash", None)
        resource.pop("bytes", None)
    (claimed_built / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    path = claimed_built / "build/figures.csv"
    path.write_text(figures.replace(",sylvania-detained\n", ",no-such-claim\n", 1), "utf-8")
    broken = frictionless.Package(str(claimed_built / "datapackage.json")).validate()
    errors = [(task.name, e.type) for task in broken.tasks for e in task.errors]
    assert errors == [("figures", "foreign-key")], errors


def test_claims_in_the_nested_json_with_their_lineage(claimed_built: Path) -> None:
    lines = (claimed_built / "build/chechnya-purges.json").read_text(encoding="utf-8")
    document = json.loads(lines)
    claims = {c["claim_id"]: c for c in document["claims"]}
    assert list(claims) == sorted(claims)
    died = claims["sylvania-died-in-custody"]
    assert (died["records"], died["articles"], died["first_article_id"]) == (
        2,
        2,
        "001_freedonia",
    )
    assert [step["figure_id"] for step in died["lineage"]] == [
        "001_freedonia:died-2",
        "002_sylvania:died-2",
    ]
    figures = {f["figure_id"]: f for a in document["articles"] for f in a["figures"]}
    assert figures["002_sylvania:died-2"]["claim_id"] == "sylvania-died-in-custody"
    assert invoke(claimed_built, "check").exit_code == 0


LINEAGE = """\
sylvania-died-in-custody (figure claim): Men who died in custody in Sylvania in early 2018, \
as rights groups counted them.
origin: Rights groups (rights-groups)
2 record(s) in 2 article(s); first appearance in 001_freedonia

1. 2018-03-12 (day)  001_freedonia:died-2
   credited to: Rights groups (rights-groups)
   value: 2  qualifier: at_least  low: 2  high: —
   quote: Rights groups say at least two men died in custody
   first appearance

2. 2018-04-16 (day)  002_sylvania:died-2
   credited to: the article's own voice
   value: 2  qualifier: exact  low: 2  high: 2
   quote: two men have died in custody
   changed: qualifier changed: at_least → exact
   changed: bounds changed: low 2, high — → low 2, high 2
   changed: attribution dropped: Rights groups (rights-groups) → the article's own voice
"""


def test_lineage_names_a_qualifier_change_and_a_dropped_attribution(
    claimed_built: Path,
) -> None:
    result = invoke(claimed_built, "lineage", "sylvania-died-in-custody")
    assert result.exit_code == 0, result.output
    assert result.stdout == LINEAGE

    data = json.loads(
        invoke(claimed_built, "lineage", "sylvania-died-in-custody", "--format", "json").stdout
    )
    assert data["claim"]["claim_id"] == "sylvania-died-in-custody"
    steps = [
        (s["position"], s["article_id"], s["published"], s["changes"]) for s in data["lineage"]
    ]
    assert steps == [
        (1, "001_freedonia", "2018-03-12", []),
        (
            2,
            "002_sylvania",
            "2018-04-16",
            ["qualifier_changed", "bounds_changed", "attribution_dropped"],
        ),
    ]


def test_lineage_orders_by_publication_not_by_article_id(claimed: Path) -> None:
    """Published before the first article, the second article becomes the first appearance,
    and the changes are named against it; dated only to the month, it is placed at the
    month's end, after the first article."""

    def order(published: str) -> list[tuple[str, str, list[str]]]:
        edit(claimed, SECOND, lambda t: re.sub(r"published: \S+", f"published: {published}", t))
        assert invoke(claimed, "build").exit_code == 0, invoke(claimed, "validate").output
        data = json.loads(
            invoke(claimed, "lineage", "sylvania-detained", "--format", "json").stdout
        )
        return [(s["article_id"], s["published_precision"], s["changes"]) for s in data["lineage"]]

    edit(claimed, SECOND, lambda t: t.replace("said: 2018-03\n", "said: 2018-03-01\n"))
    assert order("2018-03-05") == [
        ("002_sylvania", "day", []),
        ("001_freedonia", "day", ["attribution_dropped"]),
    ]
    claims = (claimed / "build/claims.csv").read_text(encoding="utf-8")
    assert ",2,2,002_sylvania,2018-03-05\n" in claims
    assert order("2018-03") == [
        ("001_freedonia", "day", []),
        ("002_sylvania", "month", ["attribution_added"]),
    ]


def test_lineage_lists_the_claims_and_refuses_an_unknown_one(claimed_built: Path) -> None:
    listed = invoke(claimed_built, "lineage")
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == [
        "claim",
        "kind",
        "records",
        "articles",
        "first",
        "appearance",
        "summary",
    ]
    assert lines[2].split()[:6] == [
        "sylvania-detained",
        "figure",
        "2",
        "2",
        "2018-03-12",
        "001_freedonia",
    ]
    data = json.loads(invoke(claimed_built, "lineage", "--format", "json").stdout)
    assert (data[1]["first_article_id"], data[1]["first_published"]) == (
        "001_freedonia",
        "2018-03-12",
    )
    assert [c["claim_id"] for c in data] == [
        "freedonia-condemns-detentions",
        "sylvania-detained",
        "sylvania-died-in-custody",
    ]

    unknown = invoke(claimed_built, "lineage", "sylvania-detaned")
    assert unknown.exit_code == 1
    assert "no claim 'sylvania-detaned'; did you mean 'sylvania-detained'?" in unknown.stderr


def test_lineage_reads_only_a_package_that_matches_its_descriptor(claimed_built: Path) -> None:
    path = claimed_built / "build/lineage.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("exact", "approximately"), "utf-8")
    result = invoke(claimed_built, "lineage", "sylvania-died-in-custody")
    assert result.exit_code == 1
    assert "build/lineage.csv" in result.stderr
    assert "run `chechnya-purges build` first" in result.stderr


def test_lineage_without_a_build_is_a_clear_error(claimed: Path) -> None:
    result = invoke(claimed, "lineage")
    assert result.exit_code == 1
    assert "run `chechnya-purges build` first" in result.stderr


def test_adding_claims_is_a_minor_change(claimed_built: Path, mini: Path) -> None:
    """The release before claims (the plain fixture, built) against the one with them."""
    before = mini.parent / "before"
    shutil.copytree(FIXTURE, before)
    assert invoke(before, "build").exit_code == 0
    old = claimed_built.parent / "old"
    shutil.copytree(before, old)
    # Strip the claims from a copy of the old package, as the previous release had none.
    descriptor = json.loads((old / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"] = [
        r for r in descriptor["resources"] if r["name"] not in ("claims", "lineage")
    ]
    for resource in descriptor["resources"]:
        if resource["name"] in ("figures", "statements"):
            schema = resource["schema"]
            schema["fields"] = [f for f in schema["fields"] if f["name"] != "claim_id"]
            schema["foreignKeys"] = [
                k for k in schema["foreignKeys"] if k["fields"] != ["claim_id"]
            ]
            csv_path = old / resource["path"]
            rows = csv_path.read_text(encoding="utf-8").splitlines()
            content = "".join(r.rsplit(",", 1)[0] + "\n" for r in rows).encode()
            csv_path.write_bytes(content)
            resource["bytes"] = len(content)
            resource["hash"] = "sha256:" + hashlib.sha256(content).hexdigest()
    for name in ("claims", "lineage"):
        (old / "build" / f"{name}.csv").unlink()
    (old / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report = json.loads(
        invoke(claimed_built, "diff", str(old), str(claimed_built), "--format", "json").stdout
    )
    assert report["level"] == "MINOR", report
    changes = {(c["level"], c["subject"], c["detail"]) for c in report["changes"]}
    assert ("MINOR", "claims", "table added") in changes
    assert ("MINOR", "figures.claim_id", "column added") in changes
    assert ("MINOR", "figures", "foreign key added on claim_id, a new column") in changes
    # Records that only gained a claim are not reported as changed values.
    assert not [c for c in report["changes"] if c["detail"] == "values changed"], report


def test_the_skeleton_of_a_new_article_offers_the_claim_field(mini: Path, tmp_path: Path) -> None:
    seed = tmp_path / "003_new.txt"
    seed.write_text("A headline\nMarch 3, 2018\n\nBody.\n", encoding="utf-8")
    assert invoke(mini, "new", str(seed)).exit_code == 0
    skeleton = (mini / "data/articles/003_new.yaml").read_text(encoding="utf-8")
    for kind in ("figures", "statements"):
        template = skeleton.split(f"# {kind}:\n")[1].split("\n\n")[0]
        assert template.endswith("#     claim:"), template
        assert "# The claim (data/claims.yaml)" in template


def test_a_line_break_in_a_summary_cannot_forge_a_line_of_lineage(claimed: Path) -> None:
    """Text may hold line breaks; printed, they must not start a line of their own (a CI
    log would take a line starting '::error' as a command)."""
    edit(
        claimed,
        CLAIMS,
        lambda text: text.replace(
            "summary: ", 'summary: "EVIL\\n::error file=x::pwn\\n"\n  note: ', 1
        ),
    )
    assert invoke(claimed, "build").exit_code == 0
    for args in ((), ("sylvania-detained",)):
        result = invoke(claimed, "lineage", *args)
        assert result.exit_code == 0, result.output
        assert not [line for line in result.stdout.splitlines() if line.startswith("::")]
        assert "EVIL ::error file=x::pwn" in result.stdout
