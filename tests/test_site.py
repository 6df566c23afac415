"""The evidence browser: what `chechnya-purges site` writes, and what it refuses.

The pages' behaviour is tested in a real browser in test_site_browser.py; here are the
command, its inputs and the cut of a seed into segments.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ARTICLE, REPO, SEED, edit, invoke, tree

from chechnya_purges import site as site_module
from chechnya_purges.site import Record, segments

ASTRAL = Path(__file__).parent / "fixtures" / "astral"


def _site(root: Path, out: Path) -> None:
    result = invoke(root, "site", "--out", str(out))
    assert result.exit_code == 0, result.output


def _record(key: str, start: int, end: int, text: str, kind: str = "figure") -> Record:
    return Record(kind, key, "a", start, end, text[start:end], key, "", None, [])


def test_segments_cut_at_every_boundary_and_name_every_covering_record() -> None:
    text = "🌈 ab 😢 cd ef"
    a = _record("figure-a", 2, 9, text)  # "ab 😢 cd"
    b = _record("statement-b", 5, 12, text, "statement")  # "😢 cd ef"
    m = _record("mention-m", 2, 4, text, "mention")  # "ab"
    cut = segments(text, [a, b, m], [])
    assert "".join(s.text for s in cut) == text
    for r in (a, b, m):
        covered = "".join(s.text for s in cut if r.key in s.keys.split())
        assert covered == r.quote
    both = next(s for s in cut if s.text == "😢 cd")
    assert both.keys.split() == ["figure-a", "statement-b"]
    assert both.classes == "f1 s1"


def test_segments_set_excluded_regions_apart() -> None:
    text = "article\ncomments 💬\n"
    cut = segments(text, [], [(8, 19, "reader_comments")])
    assert [(s.text, s.excluded) for s in cut] == [
        ("article\n", None),
        ("comments 💬\n", "reader_comments"),
    ]


def test_site_writes_every_page_from_the_built_package(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = invoke(built, "site", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"open {out / 'index.html'}" in result.output
    for page in (
        "index.html",
        "articles/001_freedonia.html",
        "actors/index.html",
        "actors/ana-diaz.html",
        "timeline.html",
        "claims.html",
        "codebook.html",
        "download/datapackage.json",
        "download/build/figures.csv",
        "assets/article.js",
    ):
        assert (out / page).is_file(), page
    article = (out / "articles/001_freedonia.html").read_text(encoding="utf-8")
    assert 'id="figure-detained-40"' in article
    assert 'id="statement-ministry-condemns"' in article
    assert 'class="excluded" data-reason="reader comments"' in article
    actor = (out / "actors/ana-diaz.html").read_text(encoding="utf-8")
    assert "Foreign Minister of" in actor and "Speaker (2)" in actor
    claims = (out / "claims.html").read_text(encoding="utf-8")
    assert "No claims are recorded in version" in claims
    codebook = (out / "codebook.html").read_text(encoding="utf-8")
    assert "<code>express_concern</code>" in codebook
    assert (out / "download/build/figures.csv").read_bytes() == (
        built / "build/figures.csv"
    ).read_bytes()


def test_pages_load_nothing_from_the_network(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _site(built, out)
    loaded = re.compile(r'<(?:script|link|img|iframe)\b[^>]*(?:src|href)="([^"]+)"')
    for page in out.rglob("*.html"):
        for target in loaded.findall(page.read_text(encoding="utf-8")):
            assert not re.match(r"[a-z]+:|//", target), f"{page.name} loads {target}"
    for script in (out / "assets").glob("*.js"):
        code = script.read_text(encoding="utf-8")
        assert "fetch(" not in code and "XMLHttpRequest" not in code


def test_site_of_the_repository_matches_its_build(tmp_path: Path) -> None:
    """The real data: every figure and statement gets its deep link on its article's page."""
    out = tmp_path / "site"
    _site(REPO, out)
    data = json.loads((REPO / "build/chechnya-purges.json").read_text(encoding="utf-8"))
    for article in data["articles"]:
        page = (out / "articles" / f"{article['article_id']}.html").read_text(encoding="utf-8")
        for figure in article["figures"]:
            assert f'id="figure-{figure["figure_id"].split(":")[1]}"' in page
        for statement in article["statements"]:
            assert f'id="statement-{statement["statement_id"].split(":")[1]}"' in page


def test_site_without_a_build_writes_nothing(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = invoke(mini, "site", "--out", str(out))
    assert result.exit_code == 1, result.output
    assert "datapackage.json:1:1: error[package-unreadable] no built package" in result.output
    assert "hint: run `chechnya-purges build`" in result.output
    assert not out.exists()


def _replace_site(root: Path, out: Path) -> dict[str, str]:
    _site(root, out)
    return tree(out)


def test_altered_json_is_refused_and_the_earlier_site_kept(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    before = _replace_site(built, out)
    path = built / "build/chechnya-purges.json"
    path.write_text(path.read_text(encoding="utf-8").replace("40", "41"), encoding="utf-8")
    result = invoke(built, "site", "--out", str(out))
    assert result.exit_code == 1, result.output
    assert (
        "build/chechnya-purges.json:1:1: error[package-file-altered] has sha256:" in result.output
    )
    assert tree(out) == before


def test_changed_seed_is_refused(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    (built / SEED).write_text(
        (built / SEED).read_text(encoding="utf-8").replace("40", "41"), encoding="utf-8"
    )
    result = invoke(built, "site", "--out", str(out))
    assert result.exit_code == 1, result.output
    assert f"{SEED}:1:1: error[seed-changed] differs from the seed" in result.output
    assert not out.exists()


def test_missing_seed_is_refused(built: Path, tmp_path: Path) -> None:
    (built / SEED).unlink()
    result = invoke(built, "site", "--out", str(tmp_path / "site"))
    assert result.exit_code == 1, result.output
    assert f"{SEED}:1:1: error[seed-missing] no seed {SEED}" in result.output


def test_seed_reached_through_a_symlink_is_not_read(built: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes((built / SEED).read_bytes())
    (built / SEED).unlink()
    os.symlink(outside, built / SEED)
    result = invoke(built, "site", "--out", str(tmp_path / "site"))
    assert result.exit_code == 1, result.output
    assert f"{SEED}:1:1: error[seed-missing]" in result.output


def _restate(root: Path, relative: str, content: bytes) -> None:
    """Write a package file and the descriptor's size and hash for it, as a forger would."""
    (root / relative).write_bytes(content)
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["path"] == relative:
            resource["bytes"] = len(content)
            resource["hash"] = "sha256:" + hashlib.sha256(content).hexdigest()
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")


def test_descriptor_pointing_outside_the_root_is_refused(built: Path, tmp_path: Path) -> None:
    descriptor = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    nested = next(r for r in descriptor["resources"] if r["name"] == "chechnya-purges-json")
    nested["path"] = "../outside.json"
    (built.parent / "outside.json").write_bytes((built / "build/chechnya-purges.json").read_bytes())
    (built / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    result = invoke(built, "site", "--out", str(tmp_path / "site"))
    assert result.exit_code == 1, result.output
    assert "../outside.json:1:1: error[package-file-missing]" in result.output


def test_json_of_another_shape_is_one_error_not_a_traceback(built: Path, tmp_path: Path) -> None:
    data = json.loads((built / "build/chechnya-purges.json").read_text(encoding="utf-8"))
    del data["articles"][0]["figures"][0]["start"]
    _restate(built, "build/chechnya-purges.json", json.dumps(data).encode())
    result = invoke(built, "site", "--out", str(tmp_path / "site"))
    assert result.exit_code == 1, result.output
    assert "build/chechnya-purges.json:1:1: error[package-unreadable] does not have the shape" in (
        result.output
    )
    assert not (tmp_path / "site").exists()


def test_offsets_that_miss_their_quote_are_refused(built: Path, tmp_path: Path) -> None:
    data = json.loads((built / "build/chechnya-purges.json").read_text(encoding="utf-8"))
    data["articles"][0]["figures"][0]["start"] += 1
    _restate(built, "build/chechnya-purges.json", json.dumps(data).encode())
    result = invoke(built, "site", "--out", str(tmp_path / "site"))
    assert result.exit_code == 1, result.output
    assert "error[package-file-altered] figure-detained-40 of article 001_freedonia is not " in (
        result.output
    )


def test_out_holding_other_files_is_refused(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious", encoding="utf-8")
    result = invoke(built, "site", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert "exists and is not a site this command wrote" in result.output
    assert (out / "thesis.tex").read_text(encoding="utf-8") == "precious"
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]


def test_out_that_holds_the_dataset_is_refused(built: Path) -> None:
    before = tree(built)
    result = invoke(built, "site", "--out", str(built))
    assert result.exit_code == 2, result.output
    assert "holds the dataset" in result.output
    assert tree(built) == before


def test_an_earlier_site_is_replaced_whole(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _site(built, out)
    (out / "articles" / "stale.html").write_text("old", encoding="utf-8")
    _site(built, out)
    assert not (out / "articles" / "stale.html").exists()
    assert (out / "articles" / "001_freedonia.html").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site")]


def test_default_out_is_site_under_the_root_and_ignored_by_git(built: Path) -> None:
    result = invoke(built, "site")
    assert result.exit_code == 0, result.output
    assert (built / "site" / "index.html").is_file()
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert "site/" in ignored


@pytest.fixture
def astral(tmp_path: Path) -> Path:
    """The fixture whose seed holds characters outside the Basic Multilingual Plane, built."""
    import shutil

    root = tmp_path / "astral"
    shutil.copytree(ASTRAL, root)
    result = invoke(root, "build")
    assert result.exit_code == 0, result.output
    return root


def test_astral_fixture_puts_astral_characters_before_and_inside_quotes(astral: Path) -> None:
    """Without them the browser test of the astral fixture would prove nothing."""
    text = (astral / "seeds/001_astral.txt").read_text(encoding="utf-8")
    data = json.loads((astral / "build/chechnya-purges.json").read_text(encoding="utf-8"))
    records = [r for a in data["articles"] for r in a["figures"] + a["statements"]]
    assert all(any(ord(c) > 0xFFFF for c in text[: r["start"]]) for r in records)
    assert sum(any(ord(c) > 0xFFFF for c in r["quote"]) for r in records) >= 4


def _svg(page: str) -> ET.Element:
    """The first chart of a page, parsed (the generated SVG is well-formed XML)."""
    start = page.index("<svg viewBox")
    return ET.fromstring(page[start : page.index("</svg>", start) + len("</svg>")])


SVG = "{http://www.w3.org/2000/svg}"


def test_timeline_draws_bounds_open_ends_and_approximately(astral: Path) -> None:
    _site(astral, astral / "site")
    chart = _svg((astral / "site/timeline.html").read_text(encoding="utf-8"))
    marks = {
        a.get("href", "").split("#")[1]: a for a in chart.iter("a") if a.get("class") == "point"
    }
    assert sorted(marks) == ["figure-detained-40", "figure-died-2", "figure-fled-60"]
    # "more than 40", "at least two": a lower bound and an arrow up; "about 60": a diamond.
    for open_ended in ("figure-detained-40", "figure-died-2"):
        assert [p.get("class") for p in marks[open_ended].iter("path")] == ["open"]
        assert "circle" in [child.tag for child in marks[open_ended]]
    approximately = marks["figure-fled-60"]
    assert [p.get("class") for p in approximately.iter("path")] == ["approx"]
    assert not [c for c in approximately if c.tag == "circle"]
    assert "approximately; low none, high none" in (approximately.findtext("title") or "")


def test_timeline_summarises_figures_past_its_limit(
    astral: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site_module, "TIMELINE_MARKS", 2)
    _site(astral, astral / "site")
    page = (astral / "site/timeline.html").read_text(encoding="utf-8")
    chart = _svg(page)
    assert not [a for a in chart.iter("a")]
    titles = sorted(g.findtext("title") or "" for g in chart.iter("g") if g.get("class") == "point")
    assert titles == [
        "2018-03: 1 figures of detained, median 40, values and bounds 40 to 41, 0 approximately",
        "2018-03: 1 figures of fled, median 60, values and bounds 60 to 60, 1 approximately",
        "2018-03: 1 figures of killed, median 2, values and bounds 2 to 2, 0 approximately",
    ]
    assert "each mark here stands for the figures of one category" in page


def test_claims_page_shows_each_lineage_as_the_lineage_table_has_it(tmp_path: Path) -> None:
    """The page and the published lineage table agree: same order, same changes."""
    out = tmp_path / "site"
    assert invoke(REPO, "site", "--out", str(out)).exit_code == 0
    page = (out / "claims.html").read_text(encoding="utf-8")
    assert "not available yet" not in page and "No claims are recorded" not in page
    with (REPO / "build/lineage.csv").open(encoding="utf-8", newline="") as handle:
        lineage = list(csv.DictReader(handle))
    changed = {row["claim_id"] for row in lineage if row["changes"]}
    assert changed, "the real data has a claim whose lineage changes"
    for claim in sorted({row["claim_id"] for row in lineage}):
        section = page.split(f'id="claim-{claim}"', 1)[1].split("</section>", 1)[0]
        rows = sorted(
            (row for row in lineage if row["claim_id"] == claim), key=lambda r: int(r["position"])
        )
        links = []
        for row in rows:
            article, _, local = (row["figure_id"] or row["statement_id"]).partition(":")
            kind = "figure" if row["figure_id"] else "statement"
            links.append(f'href="articles/{article}.html#{kind}-{local}"')
        assert [section.index(link) for link in links] == sorted(
            section.index(link) for link in links
        ), claim
        dates = re.findall(r"<time>([^<]+)</time>", section)
        assert dates == [row["published"] for row in rows], claim
        shown = re.findall(r'<span class="change">([^<]+)</span>', section)
        listed = [c.replace("_", " ") for row in rows for c in row["changes"].split("; ") if c]
        assert shown == listed, claim
    article = (out / "articles/000_3d094facfdf72bcd.html").read_text(encoding="utf-8")
    claim = next(row["claim_id"] for row in lineage if row["article_id"] == "000_3d094facfdf72bcd")
    assert f'<a href="../claims.html#claim-{claim}">{claim}</a>' in article


def test_codebook_shows_value_definitions_when_the_descriptor_has_them(built: Path) -> None:
    descriptor = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    statements = next(r for r in descriptor["resources"] if r["name"] == "statements")
    act = next(f for f in statements["schema"]["fields"] if f["name"] == "act")
    act["categories"] = [{"value": "condemn", "label": "Expresses strong disapproval."}]
    (built / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    _site(built, built / "site")
    codebook = (built / "site/codebook.html").read_text(encoding="utf-8")
    assert "<code>condemn</code>: Expresses strong disapproval." in codebook
    assert "not available yet" not in codebook


def test_a_url_that_is_not_a_web_address_is_not_a_link(mini: Path, tmp_path: Path) -> None:
    edit(
        mini,
        ARTICLE,
        lambda t: t.replace("language: en\n", "language: en\nurl: javascript:alert(1)\n"),
    )
    result = invoke(mini, "build")
    assert result.exit_code == 0, result.output
    _site(mini, tmp_path / "site")
    page = (tmp_path / "site/articles/001_freedonia.html").read_text(encoding="utf-8")
    assert "published at javascript:alert(1)" in page
    assert 'href="javascript:' not in page


def test_nested_json_that_is_not_json_is_one_error(built: Path, tmp_path: Path) -> None:
    _restate(built, "build/chechnya-purges.json", b'{"name": ')
    result = invoke(built, "site", "--out", str(tmp_path / "site"))
    assert result.exit_code == 1, result.output
    assert "build/chechnya-purges.json:1:1: error[package-unreadable] not valid JSON" in (
        result.output
    )


def test_lists_are_split_into_pages_at_scale(astral: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The corpus-sized lists never land on one page: 7 records at 3 a page are 3 pages."""
    monkeypatch.setattr(site_module, "RECORDS_PER_PAGE", 3)
    _site(astral, astral / "site")
    out = astral / "site"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Records 1\u20133 of 7, in article order." in index
    assert '<a href="records-2.html">2</a>' in index and '<a href="records-3.html">3</a>' in index
    assert index.count('<tr data-kind="') == 3
    last = (out / "records-3.html").read_text(encoding="utf-8")
    assert last.count('<tr data-kind="') == 1
    assert "Records 7\u20137 of 7" in last and '<span aria-current="page">3</span>' in last
    assert not (out / "records-4.html").exists()


def test_article_list_is_split_into_pages_at_scale(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site_module, "ARTICLES_PER_PAGE", 1)
    mini = built
    second = mini / "seeds" / "002_copy.txt"
    second.write_bytes((mini / SEED).read_bytes())
    (mini / "data/articles/002_copy.yaml").write_bytes((mini / ARTICLE).read_bytes())
    result = invoke(mini, "build")
    assert result.exit_code == 0, result.output
    _site(mini, mini / "site")
    index = (mini / "site/index.html").read_text(encoding="utf-8")
    assert "Articles 1\u20131 of 2." in index and '<a href="articles-2.html">2</a>' in index
    page = (mini / "site/articles-2.html").read_text(encoding="utf-8")
    assert 'href="articles/002_copy.html"' in page
    assert 'href="articles/001_freedonia.html"' not in page


def test_the_same_package_gives_the_same_site(built: Path, tmp_path: Path) -> None:
    _site(built, tmp_path / "one")
    _site(built, tmp_path / "two")
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_a_table_that_is_a_link_is_refused_not_skipped(built: Path, tmp_path: Path) -> None:
    outside = tmp_path / "claims.csv"
    outside.write_bytes((built / "build/claims.csv").read_bytes())
    (built / "build/claims.csv").unlink()
    (built / "build/claims.csv").symlink_to(outside)
    out = tmp_path / "site"
    result = invoke(built, "site", "--out", str(out))
    assert result.exit_code == 1
    assert "build/claims.csv is not a regular file inside the dataset" in result.stdout
    assert not out.exists()
