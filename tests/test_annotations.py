"""Facts a reader can check against each article's text, asserted on the published tables.

Each fact was read off the seed by hand; if an annotation or the pipeline loses or alters
one, the test names it.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from typing import Any

from conftest import REPO

A000 = "000_3d094facfdf72bcd"
A001 = "001_8e38666f28be107a"
A002 = "002_fe1ce99d6765784f"
A003 = "003_324f4242ea97888e"
A004 = "004_912fc622c2e6cf7e"


@cache
def table(name: str) -> tuple[dict[str, str], ...]:
    with (REPO / "build" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


@cache
def nested() -> dict[str, Any]:
    document = json.loads((REPO / "build/chechnya-purges.json").read_text(encoding="utf-8"))
    return {a["article_id"]: a for a in document["articles"]}


def article(article_id: str) -> dict[str, str]:
    return next(r for r in table("articles") if r["article_id"] == article_id)


def figures(article_id: str, **where: str) -> list[dict[str, str]]:
    return [
        r
        for r in table("figures")
        if r["article_id"] == article_id and all(r[k] == v for k, v in where.items())
    ]


def statements(article_id: str, **where: str) -> list[dict[str, str]]:
    return [
        r
        for r in table("statements")
        if r["article_id"] == article_id and all(r[k] == v for k, v in where.items())
    ]


def addressees(statement_id: str) -> set[str]:
    return {
        r["actor_id"] for r in table("statement_addressees") if r["statement_id"] == statement_id
    }


def excluded_lines(article_id: str) -> dict[str, str]:
    return {e["lines"]: e["reason"] for e in nested()[article_id]["excluded"]}


def test_000_pinknews_tillerson_trip() -> None:
    row = article(A000)
    assert (row["publisher_id"], row["published"], row["published_basis"]) == (
        "pinknews",
        "2017-04-11",
        "inferred",
    )
    # "more than 100 gay men", credited to Russian newspapers and to human rights groups.
    credited = {
        f["reported_by"]
        for f in figures(A000, category="detained", value="100", qualifier="more_than")
    }
    assert {"russian-newspapers", "human-rights-groups", "us-department-of-state"} <= credited
    assert figures(
        A000, category="killed", value="3", qualifier="exact", reported_by="us-department-of-state"
    )
    # The Chechen spokesperson's denial, in their own words, and the Kremlin's.
    (denial,) = statements(A000, speaker_id="chechnya-government", act="deny")
    assert (denial["mode"], denial["speaker_label"]) == (
        "direct",
        "A Chechen government spokesperson",
    )
    assert statements(A000, speaker_id="russia-presidency", act="deny", mode="indirect")
    # Chad Griffin's letter urges Tillerson, on behalf of the Human Rights Campaign.
    urging = statements(A000, speaker_id="chad-griffin", act="urge_action", medium="letter")
    assert urging and all(s["on_behalf_of"] == "human-rights-campaign" for s in urging)
    assert any("rex-tillerson" in addressees(s["statement_id"]) for s in urging)
    # The State Department urges the Russian government to investigate.
    (urge,) = statements(A000, speaker_id="us-department-of-state", act="urge_investigation")
    assert addressees(urge["statement_id"]) == {"russia-government"}
    # Logo, petition promotion, repeated headline and ads are not the article.
    assert excluded_lines(A000) == {
        "3": "site_chrome",
        "15": "promotion",
        "28": "site_chrome",
        "41": "advertising",
    }


def test_001_washington_blade_tillerson_letter() -> None:
    row = article(A001)
    assert (row["published"], row["published_precision"], row["authors"]) == (
        "2017-09-05",
        "day",
        "Michael K. Lavers",
    )
    # Canada let 22 gay and lesbian Chechens seek refuge, as the New York Times reported.
    (refuge,) = figures(A001, category="granted_refuge")
    assert (refuge["value"], refuge["qualifier"], refuge["reported_by"]) == (
        "22",
        "exact",
        "new-york-times",
    )
    assert (refuge["period_start"], refuge["period_end"]) == ("2017-06-01", "2017-09-03")
    # Novaya Gazeta: more than 100 arrested since the beginning of the year.
    (arrests,) = figures(A001, category="detained", reported_by="novaya-gazeta")
    assert (arrests["low"], arrests["period_start"]) == ("101", "2017-01-01")
    # Kadyrov's denial on HBO, in reported speech, dated only to the year ("this summer").
    (kadyrov,) = statements(A001, speaker_id="ramzan-kadyrov")
    assert (kadyrov["act"], kadyrov["mode"], kadyrov["medium"], kadyrov["said"]) == (
        "deny",
        "indirect",
        "interview",
        "2017",
    )
    # Tillerson's letter is known through the State Department and addressed to Lavrov.
    letter = statements(A001, speaker_id="rex-tillerson", medium="letter")
    assert letter and all(s["via"] == "us-department-of-state" for s in letter)
    assert all(addressees(s["statement_id"]) == {"sergey-lavrov"} for s in letter)
    # "on Tuesday" resolves to the dateline's day; the official declined to give a copy.
    assert statements(A001, act="decline_comment", said="2017-09-05", said_basis="relative")
    # The Russian LGBT Network doubts the Kremlin's claimed investigation.
    assert statements(A001, speaker_id="russian-lgbt-network", act="dispute")
    # Reader comments (one cites "more than 30") are excluded, and not counted.
    assert excluded_lines(A001)["43-48"] == "reader_comments"
    assert not figures(A001, value="30")


def test_002_pinknews_kremlin_no_reliable_information() -> None:
    row = article(A002)
    assert (row["published"], row["published_precision"], row["published_basis"]) == (
        "2017-04",
        "month",
        "inferred",
    )
    # Peskov's words, said for Putin, as a denial.
    (peskov,) = statements(A002, speaker_id="dmitry-peskov")
    assert (peskov["act"], peskov["mode"], peskov["on_behalf_of"]) == (
        "deny",
        "direct",
        "vladimir-putin",
    )
    assert peskov["quote"] == (
        "We do not have any reliable information about any problems in this area."
    )
    # 50 Members of Congress and 47 Democrats signed the letter.
    assert figures(A002, category="signatories", value="50", qualifier="exact")
    assert figures(A002, category="signatories", value="47", subject="Democrats")
    # Anelay's "over 100" and "at least three": her own figures.
    assert figures(A002, value="100", qualifier="more_than", reported_by="joyce-anelay")
    assert figures(
        A002, category="killed", value="3", qualifier="at_least", reported_by="joyce-anelay"
    )
    # Johnson condemned on social media; Farron criticised Johnson.
    assert statements(A002, speaker_id="boris-johnson", act="condemn", medium="social_media")
    assert statements(A002, speaker_id="tim-farron", act="criticize")
    # The elders' assembly threatened; Amnesty urged an investigation by Russia.
    assert statements(A002, speaker_id="chechen-elders-and-clergy", act="threaten")
    (amnesty,) = statements(A002, speaker_id="amnesty-international", act="urge_investigation")
    assert addressees(amnesty["statement_id"]) == {"russia-government"}
    assert excluded_lines(A002) == {"13": "promotion", "73": "related_content"}


def test_003_human_rights_first_press_release() -> None:
    row = article(A003)
    assert (row["kind"], row["publisher_id"], row["published"]) == (
        "press_release",
        "human-rights-first",
        "2017-05",
    )
    # "over one hundred" written in words becomes 100, more than.
    (own,) = figures(A003, category="detained", reported_by="")
    assert (own["value"], own["qualifier"], own["low"]) == ("100", "more_than", "101")
    assert figures(A003, category="detained", reported_by="novaya-gazeta")
    assert figures(A003, category="killed", value="3", qualifier="at_least")
    # Moskalkova's disbelief is a dispute, in reported speech.
    (moskalkova,) = statements(A003, speaker_id="tatyana-moskalkova")
    assert (moskalkova["act"], moskalkova["mode"]) == ("dispute", "indirect")
    # Gaylord urges President Trump, in his own words: to demand an end to the crisis, and
    # (sharing the verb) to bring culpable officials to justice.
    trump = [
        s
        for s in statements(A003, speaker_id="shawn-gaylord", mode="direct")
        if addressees(s["statement_id"]) == {"donald-trump"}
    ]
    assert sorted(s["act"] for s in trump) == ["urge_action", "urge_investigation"]
    # Putin's announcement is known through the Associated Press.
    (putin,) = statements(A003, speaker_id="vladimir-putin")
    assert (putin["act"], putin["via"]) == ("announce_investigation", "associated-press")
    # Haley and the State Department both spoke out and both called for an investigation.
    for speaker in ("nikki-haley", "us-department-of-state"):
        assert {s["act"] for s in statements(A003, speaker_id=speaker)} == {
            "condemn",
            "urge_investigation",
        }
    assert excluded_lines(A003) == {}


def test_004_state_department_2019_statement() -> None:
    row = article(A004)
    assert (row["publisher_id"], row["published"], row["published_basis"]) == (
        "",
        "2019-01",
        "inferred",
    )
    # The reproduced statement is a block quote: direct words without quotation marks.
    assert [b["lines"] for b in nested()[A004]["block_quotes"]] == ["19-23"]
    (concern,) = statements(A004, speaker_id="us-department-of-state", act="express_concern")
    assert concern["mode"] == "direct"
    # "at least 40" credited to civil society groups, relayed by the State Department.
    (held,) = figures(A004, category="detained")
    assert (held["value"], held["qualifier"], held["reported_by"], held["via"]) == (
        "40",
        "at_least",
        "civil-society-groups",
        "us-department-of-state",
    )
    assert held["period_start"] == "2018-12-01"
    # "dozens arrested" is not a figure; "at least two deaths" is, in the article's voice.
    assert figures(A004, category="killed", value="2", qualifier="at_least", reported_by="")
    # The OSCE report of Dec. 13 accuses Russia of turning a blind eye.
    (odihr,) = statements(A004, speaker_id="osce-odihr", act="accuse")
    assert (odihr["said"], odihr["said_basis"]) == ("2018-12-13", "relative")
    # The State Department urges Titiev's release.
    (release,) = [s for s in statements(A004, act="urge_action") if "Titiev" in s["quote"]]
    assert addressees(release["statement_id"]) == {"russia-government"}
    excluded = excluded_lines(A004)
    assert excluded["31-36"] == "related_content"
    assert excluded["7"] == "site_chrome"


def test_every_quote_is_the_seeds_text_at_its_offsets() -> None:
    seeds = {
        a["article_id"]: (REPO / a["seed_path"]).read_text(encoding="utf-8")
        for a in table("articles")
    }
    for name in ("mentions", "figures", "statements"):
        for row in table(name):
            text = seeds[row["article_id"]]
            assert text[int(row["start"]) : int(row["end"])] == row["quote"], row


def test_rules_of_the_second_pass() -> None:
    """One fact per sharpened rule, each read off the seeds by hand."""
    # Concerns "we continue to raise ... with Russian authorities" are said to the reporter.
    (raising,) = statements(A001, act="express_concern", speaker_id="us-department-of-state")
    assert "continue to raise" in raising["quote"]
    assert addressees(raising["statement_id"]) == set()
    # An indirect quote takes in the phrase in quotation marks that belongs to it.
    for speaker in ("russian-newspapers", "human-rights-groups"):
        (report,) = statements(A000, speaker_id=speaker, act="report")
        assert report["quote"].endswith("or suspicion of such” as part of a purge.")
        assert report["medium"] == "unknown"  # "report" the verb is no medium
    # Marks that hold only phrases of Tillerson's make his words indirect; the Senate heard them.
    (pledge,) = statements(A000, speaker_id="rex-tillerson")
    assert (pledge["mode"], pledge["via"]) == ("indirect", "chad-griffin")
    assert addressees(pledge["statement_id"]) == {"us-senate"}
    # A letter's recipient is an addressee of every statement in it.
    for s in statements(A000, speaker_id="chad-griffin"):
        assert "rex-tillerson" in addressees(s["statement_id"]), s["statement_id"]
    # "X of the Body" and "the Body's X" speak on the body's behalf.
    (kochetkov,) = statements(A004, speaker_id="igor-kochetkov")
    assert kochetkov["on_behalf_of"] == "russian-lgbt-network"
    assert {s["on_behalf_of"] for s in statements(A003, speaker_id="shawn-gaylord")} == {
        "human-rights-first"
    }
    # Urging the US to urge Putin to take the investigation seriously: the final demand.
    (urging,) = [
        s
        for s in statements(A003, speaker_id="shawn-gaylord")
        if addressees(s["statement_id"]) == {"us-government"}
    ]
    assert urging["act"] == "urge_investigation"
    # An outlet reporting abuses without naming who commits them reports, not accuses.
    assert {s["act"] for s in statements(A002, speaker_id="novaya-gazeta")} == {"report"}
    # Trump telling Johnson to stay at home is urging an action.
    (trump,) = statements(A002, speaker_id="donald-trump")
    assert (trump["act"], trump["via"]) == ("urge_action", "tim-farron")
    # Describing ongoing efforts to help is a report, not an offer of refuge.
    assert not statements(A001, act="offer_refuge")
    # A resolution of an assembly is a statement, dated within the month the text bounds.
    (threat,) = statements(A002, act="threaten")
    assert (threat["medium"], threat["said"]) == ("statement", "2017-04")
    # Acts that share one reporting clause quote the whole clause, so their quotes coincide.
    secretary = statements(A001, speaker_id="rex-tillerson", medium="letter")
    urged = [s for s in secretary if s["quote"].startswith("The secretary urged that")]
    assert len(urged) == 2 and {s["act"] for s in urged} == {"urge_investigation", "urge_action"}
    # "the experts stated" names no vehicle; undated reactions answer April's reports.
    assert {s["medium"] for s in statements(A002, speaker_id="un-human-rights-experts")} == {
        "unknown"
    }
    assert {s["said"] for s in statements(A002, speaker_id="joyce-anelay")} == {"2017-04"}
    # Johnson's tweet condemns and, naming the Chechen government, accuses.
    assert {s["act"] for s in statements(A002, speaker_id="boris-johnson")} == {
        "condemn",
        "accuse",
        "support",
    }
