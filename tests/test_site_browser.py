"""The evidence browser in a real browser: headless Chromium through Playwright.

The browser is Debian's ``chromium`` package (``apt-get install -y chromium``; ``.ci/run``
installs it), launched by path because Playwright's own browser download needs a network
these tests do not assume. Without it the tests are skipped, saying so.

Screenshots of the index (and of its list filtered to one act), one article and the timeline
are saved to ``tests/screenshots/`` (ignored by git) for a person to look at.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from chechnya_purges.cli import cli

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="pip install -e '.[dev]' installs Playwright"
)

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HERE = Path(__file__).parent
REPO = HERE.parent
SCREENSHOTS = HERE / "screenshots"
ARTICLE = "001_8e38666f28be107a"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason=f"no Chromium at {CHROMIUM}: install it (Debian: apt-get install -y chromium) "
    "or point CHROMIUM at a Chromium binary",
)


def _build_site(root: Path, out: Path) -> Path:
    runner = CliRunner()
    result = runner.invoke(cli, ["--root", str(root), "site", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the repository's own built package."""
    return _build_site(REPO, tmp_path_factory.mktemp("site") / "site")


@pytest.fixture(scope="module")
def astral_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("astral") / "astral"
    shutil.copytree(HERE / "fixtures" / "astral", root)
    result = CliRunner().invoke(cli, ["--root", str(root), "build"])
    assert result.exit_code == 0, result.output
    return root, _build_site(root, root / "site")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that fails the test on any script error or request off the disk."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(("file://", "data:", "about:"))
            else errors.append(f"network request: {request.url}")
        ),
    )
    yield opened
    context.close()
    assert errors == []


def _rows(root: Path, table: str) -> list[dict[str, str]]:
    with (root / "build" / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


MARKED = """() => Array.from(document.querySelectorAll('#seed .is-marked'))
    .map(s => s.textContent).join('')"""

IN_VIEW = """() => {
    const first = document.querySelector('#seed .is-marked');
    const r = first.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0;
}"""


def test_clicking_a_figure_marks_exactly_its_quote_in_view(site: Path, page: Any) -> None:
    figure = next(r for r in _rows(REPO, "figures") if r["article_id"] == ARTICLE)
    local = figure["figure_id"].split(":")[1]
    page.goto((site / "articles" / f"{ARTICLE}.html").as_uri())
    assert page.evaluate(MARKED) == ""
    page.click(f"#figure-{local} .pick")
    assert page.evaluate(MARKED) == figure["quote"]
    assert page.evaluate(IN_VIEW)
    assert page.evaluate("location.hash") == f"#figure-{local}"
    assert page.get_attribute(f"#figure-{local} .pick", "aria-pressed") == "true"


def test_deep_link_opens_with_the_passage_marked(site: Path, page: Any) -> None:
    statements = [r for r in _rows(REPO, "statements") if r["article_id"] == ARTICLE]
    last = statements[-1]
    local = last["statement_id"].split(":")[1]
    page.goto((site / "articles" / f"{ARTICLE}.html").as_uri() + f"#statement-{local}")
    page.wait_for_function("document.querySelector('#seed .is-marked') !== null")
    assert page.evaluate(MARKED) == last["quote"]
    assert page.evaluate(IN_VIEW)
    assert page.is_visible(f"#statement-{local} .fields")


def test_every_record_of_every_article_marks_its_own_quote(site: Path, page: Any) -> None:
    data = json.loads((REPO / "build/chechnya-purges.json").read_text(encoding="utf-8"))
    for article in data["articles"]:
        page.goto((site / "articles" / f"{article['article_id']}.html").as_uri())
        marked = page.evaluate(
            """() => Array.from(document.querySelectorAll('.record .pick')).map(b => {
                b.click();
                return [b.dataset.key, Array.from(document.querySelectorAll('#seed .is-marked'))
                    .map(s => s.textContent).join('')];
            })"""
        )
        expected = {
            f"figure-{f['figure_id'].split(':')[1]}": f["quote"] for f in article["figures"]
        }
        expected |= {
            f"statement-{s['statement_id'].split(':')[1]}": s["quote"]
            for s in article["statements"]
        }
        expected |= {f"mention-{m['actor_id']}": m["quote"] for m in article["mentions"]}
        assert dict(marked) == expected


def test_clicking_a_passage_selects_its_record_or_offers_every_one(site: Path, page: Any) -> None:
    page.goto((site / "articles" / f"{ARTICLE}.html").as_uri())
    single = page.locator("#seed .seg:not([data-r*=' '])").first
    key = single.get_attribute("data-r")
    single.click()
    assert page.get_attribute(f"[id='{key}']", "class") == f"record {key.split('-')[0]} is-current"
    assert page.evaluate("location.hash") == f"#{key}"
    several = page.locator("#seed .seg[data-r*=' ']").first
    keys = several.get_attribute("data-r").split()
    several.click()
    assert page.is_visible("#pop")
    offered = page.locator("#pop button").all_inner_texts()
    titles = [page.inner_text(f"[id='{k}'] .pick") for k in keys]
    assert offered == titles
    page.locator("#pop button").nth(1).click()
    assert page.is_hidden("#pop")
    assert "is-current" in (page.get_attribute(f"[id='{keys[1]}']", "class") or "")


def test_hovering_a_passage_shows_the_fields_of_its_records(site: Path, page: Any) -> None:
    page.goto((site / "articles" / f"{ARTICLE}.html").as_uri())
    segment = page.locator("#seed .seg.f1").first
    segment.hover()
    assert page.is_visible("#tip")
    tip = page.inner_text("#tip")
    assert "category" in tip and "quote" in tip


def test_filtering_the_index_shows_exactly_the_matching_rows(site: Path, page: Any) -> None:
    statements = _rows(REPO, "statements")
    figures = _rows(REPO, "figures")
    page.goto((site / "index.html").as_uri())
    total = len(statements) + len(figures)
    assert page.inner_text("#f-count") == f"{total} of {total} shown"

    page.select_option("#f-act", "condemn")
    visible = page.locator("#rows tbody tr:visible")
    condemn = [r for r in statements if r["act"] == "condemn"]
    assert visible.count() == len(condemn)
    assert sorted(visible.locator("td.q").all_inner_texts()) == sorted(r["quote"] for r in condemn)
    assert page.inner_text("#f-count") == f"{len(condemn)} of {total} shown"

    page.select_option("#f-act", "")
    page.select_option("#f-kind", "figure")
    page.fill("#f-text", "DETAINED")
    expected = [r["quote"] for r in figures if "detained" in r["quote"].lower()]
    assert expected
    assert sorted(visible.locator("td.q").all_inner_texts()) == sorted(expected)

    speaker = statements[0]["speaker_id"]
    page.click("#f-reset")
    page.select_option("#f-who", speaker)
    mine = [r for r in statements if r["speaker_id"] == speaker]
    mine += [r for r in figures if r["reported_by"] == speaker]
    assert visible.count() == len(mine)

    page.fill("#f-text", "no quote holds this")
    assert visible.count() == 0
    assert page.is_visible("#f-none")


def test_a_row_of_the_index_opens_its_passage(site: Path, page: Any) -> None:
    page.goto((site / "index.html").as_uri())
    page.select_option("#f-kind", "figure")
    row = page.locator("#rows tbody tr:visible").first
    quote = row.locator("td.q").inner_text()
    row.locator("a").first.click()
    page.wait_for_function("document.querySelector('#seed .is-marked') !== null")
    assert page.evaluate(MARKED) == quote


def test_astral_characters_do_not_shift_any_highlight(
    astral_site: tuple[Path, Path], page: Any
) -> None:
    root, out = astral_site
    seed = (root / "seeds/001_astral.txt").read_text(encoding="utf-8")
    page.goto((out / "articles/001_astral.html").as_uri())
    assert page.evaluate("document.getElementById('seed').textContent") == seed
    # JavaScript counts UTF-16 units: the fixture must differ from Python's code points.
    assert page.evaluate("document.getElementById('seed').textContent.length") > len(seed)
    records = _rows(root, "figures") + _rows(root, "statements")
    for r in records:
        key = "figure-" + r["figure_id"].split(":")[1] if "figure_id" in r else None
        key = key or "statement-" + r["statement_id"].split(":")[1]
        page.click(f"[id='{key}'] .pick")
        assert page.evaluate(MARKED) == r["quote"] == seed[int(r["start"]) : int(r["end"])]
    page.goto((out / "articles/001_astral.html").as_uri() + "#figure-died-2")
    page.wait_for_function("document.querySelector('#seed .is-marked') !== null")
    assert (
        page.evaluate(MARKED)
        == "Rights groups 🧑\u200d🤝\u200d🧑 say at least two men died in custody"
    )


def test_keyboard_reaches_every_record_with_a_visible_focus(
    astral_site: tuple[Path, Path], page: Any
) -> None:
    _, out = astral_site
    page.goto((out / "articles/001_astral.html").as_uri())
    wanted = set(page.eval_on_selector_all(".record .pick", "bs => bs.map(b => b.dataset.key)"))
    reached: set[str] = set()
    for _ in range(200):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const e = document.activeElement; const s = getComputedStyle(e);
                return [e.dataset.key || null, s.outlineStyle, parseFloat(s.outlineWidth)]; }"""
        )
        key, style, width = focused
        if key:
            assert style == "solid" and width >= 2, f"{key}: focus outline {style} {width}"
            assert page.is_visible(f"[id='{key}'] .fields"), f"{key}: focus shows no fields"
            reached.add(key)
        if reached == wanted:
            break
    assert reached == wanted
    page.focus("[id='statement-diaz-alarmed'] .pick")
    page.keyboard.press("Enter")
    assert (
        page.evaluate(MARKED)
        == "We are deeply alarmed 😱 by credible reports 📰 of arbitrary detentions"
    )
    assert page.is_visible("[id='statement-diaz-alarmed'] .fields")


def _axe(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    "path",
    [
        "index.html",
        f"articles/{ARTICLE}.html#figure-canada-refuge-22",
        "timeline.html",
        "actors/index.html",
        "actors/rex-tillerson.html",
        "claims.html",
        "codebook.html",
    ],
)
def test_no_serious_or_critical_accessibility_violation(site: Path, page: Any, path: str) -> None:
    pytest.importorskip("axe_playwright_python", reason="pip install -e '.[dev]' installs it")
    page.goto(
        (site / path.split("#")[0]).as_uri() + ("#" + path.split("#")[1] if "#" in path else "")
    )
    assert _axe(page) == []


def test_screenshots_of_the_index_an_article_and_the_timeline(site: Path, page: Any) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    shots = {
        "index.png": ("index.html", False),
        "article.png": (f"articles/{ARTICLE}.html#figure-canada-refuge-22", False),
        "timeline.png": ("timeline.html", True),
    }
    for name, (path, full) in shots.items():
        page.goto(site.as_uri() + "/" + path)
        page.wait_for_load_state("load")
        page.screenshot(path=str(SCREENSHOTS / name), full_page=full)
        assert (SCREENSHOTS / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.goto(site.as_uri() + "/index.html#records")
    page.select_option("#f-act", "condemn")
    page.locator("#records").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "index-filtered.png"))
