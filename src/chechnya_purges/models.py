"""The records contributors write by hand, as pydantic models.

These models are the dataset's single schema: the JSON Schemas in ``schema/``, the Table
Schemas in ``datapackage.json``, the CSV headers' descriptions and the vocabularies all derive
from them. Field descriptions are written for researchers, because they end up in the
published descriptor. This module imports nothing else of the package.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "CONTROL",
    "PLAIN",
    "Act",
    "Actor",
    "ActorKind",
    "Affiliation",
    "Article",
    "ArticleKind",
    "Claim",
    "ClaimKind",
    "DateBasis",
    "DatePrecision",
    "Exclusion",
    "ExclusionReason",
    "Figure",
    "FigureCategory",
    "Medium",
    "Mode",
    "Period",
    "Qualifier",
    "Reviewed",
    "Statement",
    "Unit",
    "date_bounds",
    "definition",
    "definitions",
    "enum_of",
    "field_description",
    "line_range",
    "qualifier_bounds",
]


# --- vocabularies -------------------------------------------------------------------------

# Each vocabulary value's definition, written once, beside its enum: the descriptor, the
# codebook, the SQLite metadata and the browser all read them through ``definition``. Keyed by
# enum class first because StrEnum members of different vocabularies that share a value (the
# act "report" and the medium "report") are equal and hash alike.
_DEFINITIONS: dict[type[StrEnum], dict[str, str]] = {}
_E = TypeVar("_E", bound=StrEnum)


def _define(vocabulary: type[_E], meanings: dict[_E, str]) -> None:
    """Register a vocabulary's definitions; a value left out fails the import, loudly."""
    _DEFINITIONS[vocabulary] = {member.value: meanings[member] for member in vocabulary}


def definition(member: StrEnum) -> str:
    """What one vocabulary value means, in one to three sentences, for researchers."""
    return _DEFINITIONS[type(member)][member.value]


def definitions(vocabulary: type[StrEnum]) -> dict[str, str]:
    """Every value of a vocabulary with its definition, in the vocabulary's order."""
    return dict(_DEFINITIONS[vocabulary])


class ActorKind(StrEnum):
    """What sort of actor an entry of the registry is."""

    person = "person"
    government = "government"
    legislature = "legislature"
    party = "party"
    intergovernmental = "intergovernmental"
    ngo = "ngo"
    media = "media"
    organization = "organization"
    group = "group"


_define(
    ActorKind,
    {
        ActorKind.person: "One individual, named by the articles: an official, legislator, "
        "activist, journalist or spokesperson. A victim is a person in the data only when the "
        "article names them as a public figure.",
        ActorKind.government: "A state's executive as a whole (<country>-government) or one of its "
        "offices, ministries, departments or agencies, including a head of state's office and "
        "an official ombudsman.",
        ActorKind.legislature: "A parliament, one of its chambers, or one of its committees.",
        ActorKind.party: "A political party.",
        ActorKind.intergovernmental: "A body whose members are states, or one of its offices: the "
        "United Nations, its agencies and experts' offices, the OSCE.",
        ActorKind.ngo: "A non-governmental organisation whose purpose is advocacy, rights "
        "monitoring or help to people at risk.",
        ActorKind.media: "A news outlet, broadcaster or news agency, including one that publishes "
        "an article of the dataset.",
        ActorKind.organization: "Any other named body that is neither government, legislature, "
        "party, intergovernmental body, NGO nor outlet: a company, or an association of "
        "legislators such as a caucus.",
        ActorKind.group: "A collective or unnamed set of people, named as the article names it "
        '("rights groups", "local elders", "forty members of parliament"); also how people the '
        "articles present as victims are referred to.",
    },
)


class ArticleKind(StrEnum):
    """The genre of a published text."""

    news_article = "news_article"
    press_release = "press_release"
    blog_post = "blog_post"
    opinion = "opinion"


_define(
    ArticleKind,
    {
        ArticleKind.news_article: "Reporting by a news outlet.",
        ArticleKind.press_release: "A text an organisation issues in its own name for the press.",
        ArticleKind.blog_post: "A post on a blog, in the author's own voice.",
        ArticleKind.opinion: "A signed opinion piece, column or editorial.",
    },
)


class DateBasis(StrEnum):
    """How a date was established: given by the text, resolved from a relative expression
    against the publication date, or inferred from events the text describes."""

    stated = "stated"
    relative = "relative"
    inferred = "inferred"


_define(
    DateBasis,
    {
        DateBasis.stated: 'The text gives the date itself (a dateline, "on 12 April 2017").',
        DateBasis.relative: 'The text gives a relative date ("on Tuesday", "last month") or one '
        'without a year ("Sept. 1"), resolved against the publication date at the precision '
        "that allows.",
        DateBasis.inferred: "Worked out from events the text describes or from the public record "
        "(the day a named hearing took place); a note says how, and the date is no more precise "
        "than the evidence.",
    },
)


class DatePrecision(StrEnum):
    """How much of a date is known: the length of its ISO 8601 prefix."""

    year = "year"
    month = "month"
    day = "day"


_define(
    DatePrecision,
    {
        DatePrecision.year: "Only the year is known (YYYY); the date covers 1 January to 31 "
        "December.",
        DatePrecision.month: "The year and month are known (YYYY-MM); the date covers the whole "
        "month.",
        DatePrecision.day: "The exact day is known (YYYY-MM-DD).",
    },
)


class ExclusionReason(StrEnum):
    """Why a region of a seed is not part of the article."""

    reader_comments = "reader_comments"
    related_content = "related_content"
    advertising = "advertising"
    promotion = "promotion"
    author_bio = "author_bio"
    site_chrome = "site_chrome"


_define(
    ExclusionReason,
    {
        ExclusionReason.reader_comments: "Comments readers posted under the article.",
        ExclusionReason.related_content: 'Lists or teasers of other stories ("related", '
        '"most read").',
        ExclusionReason.advertising: "Advertisements.",
        ExclusionReason.promotion: "The site promoting itself or a cause: petition, newsletter, "
        "donation or subscription appeals.",
        ExclusionReason.author_bio: 'A biography of the author, with its "follow" links.',
        ExclusionReason.site_chrome: "Page furniture: navigation, share widgets, language "
        "switchers, logos' alt text, copyright footers, a headline or credit line repeated by "
        "the page template.",
    },
)


class FigureCategory(StrEnum):
    """What a reported number counts."""

    detained = "detained"
    killed = "killed"
    tortured = "tortured"
    disappeared = "disappeared"
    released = "released"
    fled = "fled"
    granted_refuge = "granted_refuge"
    signatories = "signatories"
    other = "other"


_define(
    FigureCategory,
    {
        FigureCategory.detained: "People held, arrested, abducted or imprisoned.",
        FigureCategory.killed: "People killed or who died as a result of the abuses.",
        FigureCategory.tortured: "People tortured or beaten.",
        FigureCategory.disappeared: "People missing or whose whereabouts are unknown.",
        FigureCategory.released: "People freed from detention.",
        FigureCategory.fled: "People who fled, were evacuated, or were helped to leave.",
        FigureCategory.granted_refuge: "People given asylum, visas or relocation by a state.",
        FigureCategory.signatories: "People, states or organisations who signed or joined a "
        "letter or statement together, or the members of a body acting together.",
        FigureCategory.other: "A number about people affected or acting together that fits no "
        "other category; the subject says what it counts.",
    },
)


class Qualifier(StrEnum):
    """How the article qualifies a number ("more than 100" is more_than)."""

    exact = "exact"
    approximately = "approximately"
    at_least = "at_least"
    more_than = "more_than"
    at_most = "at_most"
    fewer_than = "fewer_than"


_define(
    Qualifier,
    {
        Qualifier.exact: 'A bare number ("100 men"): low and high are both the value.',
        Qualifier.approximately: '"About", "around", "some", "nearly": the wording '
        "sets no bound, so low and high are empty.",
        Qualifier.at_least: '"At least": low is the value, high is empty.',
        Qualifier.more_than: '"More than", "over": low is the value plus one, high is empty.',
        Qualifier.at_most: '"Up to", "no more than": high is the value, low is empty.',
        Qualifier.fewer_than: '"Fewer than", "under": high is the value minus one, low is empty.',
    },
)


def qualifier_bounds(qualifier: Qualifier, value: int) -> tuple[int | None, int | None]:
    """The inclusive bounds (low, high) a qualified number allows; None where the wording sets
    no bound. Published as the figures' low and high so that researchers can filter counts
    without re-reading the wording; the codebook states the rule from this function."""
    return {
        Qualifier.exact: (value, value),
        Qualifier.approximately: (None, None),
        Qualifier.at_least: (value, None),
        Qualifier.more_than: (value + 1, None),
        Qualifier.at_most: (None, value),
        Qualifier.fewer_than: (None, value - 1),
    }[qualifier]


class Unit(StrEnum):
    """What a reported number counts in."""

    people = "people"
    countries = "countries"
    organizations = "organizations"


_define(
    Unit,
    {
        Unit.people: "Individual human beings.",
        Unit.countries: "States, counted as members of a body or as signatories.",
        Unit.organizations: "Organisations, counted as signatories or members.",
    },
)


class ClaimKind(StrEnum):
    """What a claim is: one count, or one speech event, that several records report."""

    figure = "figure"
    statement = "statement"


_define(
    ClaimKind,
    {
        ClaimKind.figure: "One count reported by several records: the same number of the same "
        "people, however each article words, qualifies or credits it.",
        ClaimKind.statement: "One speech event reported by several records: one letter, press "
        "statement, briefing or speech, whichever acts of it each article reports.",
    },
)


class Act(StrEnum):
    """The speech act a statement performs (see the annotation guide for each)."""

    condemn = "condemn"
    criticize = "criticize"
    express_concern = "express_concern"
    accuse = "accuse"
    urge_investigation = "urge_investigation"
    urge_action = "urge_action"
    announce_investigation = "announce_investigation"
    deny = "deny"
    dispute = "dispute"
    acknowledge = "acknowledge"
    offer_refuge = "offer_refuge"
    threaten = "threaten"
    decline_comment = "decline_comment"
    report = "report"
    support = "support"
    other = "other"


_define(
    Act,
    {
        Act.condemn: "Denounces something, or calls it unacceptable, outrageous or abhorrent.",
        Act.criticize: 'Milder disapproval of someone\'s conduct ("disappointing", "failed to").',
        Act.express_concern: "Says it is disturbed, troubled, concerned or alarmed.",
        Act.accuse: "The speaker's own allegation of abuse against an actor the quote names or "
        "clearly designates. Reporting that abuses happened without saying who did them is "
        "report.",
        Act.urge_investigation: "Asks that something be investigated or that those responsible "
        "be held to account, including pressing someone else to demand an inquiry.",
        Act.urge_action: "Asks someone to do anything other than investigate: speak out, "
        "release, protect, grant visas, condemn, stay away. Urging someone to condemn is "
        "urge_action, not condemn.",
        Act.announce_investigation: "Says an inquiry has been opened or will be.",
        Act.deny: "Says it did not happen, that there is no information, or that the victims do "
        "not exist.",
        Act.dispute: "Doubts or questions someone else's claim.",
        Act.acknowledge: "Admits that it happened.",
        Act.offer_refuge: "A concrete offer or announcement of asylum, visas or relocation. "
        "Describing ongoing efforts to help is report; people actually given refuge are "
        "counted as figures.",
        Act.threaten: "Warns of harm or retaliation.",
        Act.decline_comment: "Declines to comment.",
        Act.report: "States facts, gives testimony or confirms its own conduct; an outlet's or "
        "monitor's reporting of events is report.",
        Act.support: "Praises or backs someone.",
        Act.other: "A speech act that fits none of the other acts; the note says what it is.",
    },
)


class Mode(StrEnum):
    """Whether the article quotes the speaker's own words (direct) or reports them
    (indirect)."""

    direct = "direct"
    indirect = "indirect"


_define(
    Mode,
    {
        Mode.direct: "The quotation marks hold at least one full clause of the speaker's own words "
        "(a subject and a finite verb), or the article reproduces the text whole; the quote is "
        "the quoted words.",
        Mode.indirect: 'Reported speech ("the minister denied that…"), even with a word or phrase '
        "in quotation marks; the quote is the article's whole reporting clause.",
    },
)


class Medium(StrEnum):
    """How a statement was delivered, when the article tells."""

    letter = "letter"
    statement = "statement"
    briefing = "briefing"
    interview = "interview"
    social_media = "social_media"
    testimony = "testimony"
    speech = "speech"
    report = "report"
    unknown = "unknown"


_define(
    Medium,
    {
        Medium.letter: "A letter to one or more addressees.",
        Medium.statement: "A written or public statement, press release or communiqué; an "
        "assembly's resolution is a statement too.",
        Medium.briefing: "A press briefing or press conference.",
        Medium.interview: "An interview with a journalist or outlet.",
        Medium.social_media: "A post on a social network (a tweet, a Facebook or Instagram post).",
        Medium.testimony: "Testimony before a committee, court or hearing.",
        Medium.speech: "A speech or public address.",
        Medium.report: 'A published report; the verb "report" alone does not make the medium '
        "report.",
        Medium.unknown: "The article does not say how it was said.",
    },
)


# --- value types --------------------------------------------------------------------------

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
LOCAL_ID_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
# Line numbers of at most nine digits: no seed within its size bound has more lines.
LINES_PATTERN = r"^[1-9][0-9]{0,8}(?:-[1-9][0-9]{0,8})?$"
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection), even
# after leading blanks or invisible characters, and some in their full-width forms. "-" is
# among them (OWASP lists it: "-2+3" and "-cmd|..." are formulas); no text of the records
# needs to start with a hyphen, so it is refused like the others rather than escaped.
_FORMULA_STARTS = r"=+\-@\uff1d\uff0b\uff0d\uff20"
# Blanks and characters that show nothing, which a spreadsheet may skip before a formula.
_INVISIBLE = r"\s\u200b\u200c\u200d\u2060\ufeff"
_FORMULA = re.compile(f"^([{_INVISIBLE}]*)([{_FORMULA_STARTS}])")
_BLANK = re.compile(f"[{_INVISIBLE}]*")
# C0 controls but the line break, DEL, C1 controls, and the bidirectional controls that make
# text display differently from what it holds: none belongs in a CSV cell.
_CONTROLS = r"\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
CONTROL = re.compile(f"[{_CONTROLS}]")
# What a value may not start with, blanks aside: a formula character or an invisible one.
_RISKY_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20\u200b\u200c\u200d\u2060\ufeff")
# Anything any of the rules below refuses: a blank or formula start, or a control anywhere.
_SUSPECT = re.compile(f"\\A[{_INVISIBLE}]*(?:[{_FORMULA_STARTS}]|\\Z)|[{_CONTROLS}]")
# The same rules as one pattern (valid in Python and ECMA-262), for the JSON Schemas.
FORMULA_PATTERN = f"^(?![{_INVISIBLE}]*$)(?![{_INVISIBLE}]*[{_FORMULA_STARTS}])[^{_CONTROLS}]*$"
_DATE_PREFIX = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")


def _safe_text(value: str) -> str:
    """Text that a spreadsheet will show as written and a CSV reader will read whole."""
    first = value[:1]
    if value.isprintable() and first not in _RISKY_STARTS and not first.isspace():
        return value  # nearly every value: printable (so no control) and a plain start
    if _SUSPECT.search(value) is None:
        return value
    if _BLANK.fullmatch(value):
        raise PydanticCustomError("blank_text", "text is blank")
    control = CONTROL.search(value)
    if control is not None:
        char = control.group()
        raise PydanticCustomError(
            "control_character",
            "text holds the control character U+{code} at character {at}",
            {"code": f"{ord(char):04X}", "at": control.start() + 1},
        )
    formula = _FORMULA.match(value)
    if formula is not None:
        before = len(formula.group(1))
        after = f" after {before} blank or invisible character(s)" if before else ""
        raise PydanticCustomError(
            "formula_text",
            "text starts with {char}{after}, which a spreadsheet would run as a formula",
            {"char": repr(formula.group(2)), "after": after},
        )
    return value


def _year_as_text(value: Any) -> Any:
    """A year written plainly (``said: 2017``) is a date, not a count: keep it as text."""
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return str(value)
    return value


def _valid_date_prefix(value: str) -> str:
    match = _DATE_PREFIX.match(value)
    shown = repr(value)
    if match is None:
        raise PydanticCustomError(
            "invalid_date",
            "{value} is not a date written YYYY, YYYY-MM or YYYY-MM-DD",
            {"value": shown},
        )
    year, month, day = match.groups()
    if int(year) == 0:
        raise PydanticCustomError(
            "invalid_date", "{value} has no year: the calendar starts at 0001", {"value": shown}
        )
    if month is not None and not 1 <= int(month) <= 12:
        raise PydanticCustomError(
            "invalid_date", "{value} has no month {month}", {"value": shown, "month": month}
        )
    if day is not None and not 1 <= int(day) <= calendar.monthrange(int(year), int(month))[1]:
        raise PydanticCustomError(
            "invalid_date", "{value} is not a day of the calendar", {"value": shown}
        )
    return value


# Patterns for the values nearly every record holds, which pydantic-core can check in Rust
# without a call into Python per value (parse.py validates with them first): each matches
# only values its rule accepts and returns unchanged, and anything else goes to the rule. Text
# with a plain first character (printable ASCII but a formula start, a Latin-1 letter, a
# typographic quotation mark) and no control character; a date of 1000-2999 with a day that
# its month has in every year.
_PLAIN_TEXT = f"^[!-*,.-<>?A-~\u00c0-\u00ff\u2018-\u201f][^{_CONTROLS}]*$"
_PLAIN_DATE = (
    r"^[12][0-9]{3}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|1[0-9]|2[0-8]))?"
    r"|-(?:0[13-9]|1[0-2])-(?:29|30)|-(?:0[13578]|1[02])-31)?$"
)
# Each value rule with the pattern of its plain values.
PLAIN: dict[Callable[[str], str], str] = {_safe_text: _PLAIN_TEXT, _valid_date_prefix: _PLAIN_DATE}


Text = Annotated[
    str,
    Field(min_length=1),
    AfterValidator(_safe_text),
    WithJsonSchema({"type": "string", "minLength": 1, "pattern": FORMULA_PATTERN}),
]
ActorId = Annotated[
    str,
    Field(
        pattern=SLUG_PATTERN,
        description="Id of an actor in data/actors.yaml (lower-case ASCII kebab-case).",
    ),
]
ClaimId = Annotated[
    str,
    Field(
        pattern=SLUG_PATTERN,
        description="Id of a claim in data/claims.yaml (lower-case ASCII kebab-case).",
    ),
]
LocalId = Annotated[str, Field(pattern=LOCAL_ID_PATTERN)]
DateText = Annotated[
    str,
    BeforeValidator(_year_as_text),
    AfterValidator(_valid_date_prefix),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": "^[0-9]{4}(-(0[1-9]|1[0-2]))?$"},
                {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "format": "date"},
                {"type": "integer", "minimum": 1000, "maximum": 9999},
            ],
        }
    ),
]
LineRange = Annotated[str, Field(pattern=LINES_PATTERN)]
StrictInt = Annotated[int, Strict()]


def date_bounds(text: str) -> tuple[DatePrecision, date, date]:
    """The precision of an ISO 8601 date prefix and the first and last day it covers.

    Researchers filter on real dates; "2017-04" covers 1 to 30 April, and both ends are kept
    so that no one reads more precision into the data than the evidence gave.
    """
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 1:
        return DatePrecision.year, date(parts[0], 1, 1), date(parts[0], 12, 31)
    if len(parts) == 2:
        last = calendar.monthrange(parts[0], parts[1])[1]
        return DatePrecision.month, date(parts[0], parts[1], 1), date(parts[0], parts[1], last)
    day = date(parts[0], parts[1], parts[2])
    return DatePrecision.day, day, day


def line_range(text: str) -> tuple[int, int]:
    """First and last line (1-based, inclusive) of a ``"N"`` or ``"N-M"`` range."""
    first, _, last = text.partition("-")
    return int(first), int(last or first)


class _Record(BaseModel):
    """Every hand-written record: unknown keys are errors, never silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


# --- the actor registry -------------------------------------------------------------------


class Affiliation(_Record):
    """A role an actor holds in an organisation, as the articles state it."""

    org: ActorId = Field(description="The organisation's actor id.")
    role: Text | None = Field(None, description="The role, in the articles' words.")
    start: DateText | None = Field(None, description="When the role began (ISO 8601 prefix).")
    end: DateText | None = Field(None, description="When the role ended (ISO 8601 prefix).")


class Actor(_Record):
    """A person, body, outlet or group, entered once and shared by all articles."""

    id: ActorId = Field(description="Stable id of the actor; never reused or renamed.")
    name: Text = Field(description="Display name in English.")
    kind: ActorKind = Field(description="What sort of actor this is.")
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$")] | None = Field(
        None,
        description="ISO 3166-1 alpha-2 country code, or ISO 3166-2 code for a region "
        "(RU-CE is Chechnya).",
    )
    wikidata: Annotated[str, Field(pattern=r"^Q[1-9][0-9]*$")] | None = Field(
        None, description="Wikidata item id (Q…), given only when certain."
    )
    aliases: list[Text] = Field(
        default_factory=list, description="Other names the articles use for the actor."
    )
    affiliations: list[Affiliation] = Field(
        default_factory=list, description="Roles the articles state the actor holds."
    )
    description: Text | None = Field(None, description="One line saying who the actor is.")


# --- an annotated article -----------------------------------------------------------------


class Exclusion(_Record):
    """A region of the seed that is not the article (comments, ads, page furniture)."""

    lines: LineRange = Field(description='Seed lines, "N" or "N-M" (1-based, inclusive).')
    reason: ExclusionReason = Field(description="Why the region is not the article.")


class Period(_Record):
    """The time span a figure covers, when the article bounds it."""

    start: DateText | None = Field(None, description="First day the figure covers.")
    end: DateText | None = Field(None, description="Last day the figure covers.")


class Figure(_Record):
    """A number the article reports about people affected or acting together."""

    id: LocalId = Field(description="Id of the figure, unique within its article.")
    category: FigureCategory = Field(description="What the number counts.")
    value: StrictInt = Field(ge=0, description="The number as the article writes it.")
    qualifier: Qualifier = Field(description="How the article qualifies the number.")
    unit: Unit = Field(description="What the number counts in.")
    subject: Text = Field(description="Who is counted, in the article's words.")
    place: Text | None = Field(None, description="Where, in the article's words.")
    period: Period | None = Field(None, description="The span the number covers.")
    reported_by: ActorId | None = Field(
        None,
        description="Actor the article credits with the number; empty when the article "
        "states it in its own voice.",
    )
    via: ActorId | None = Field(
        None, description="Actor that relays the number from the actor credited with it."
    )
    quote: Text = Field(description="The passage of the article that reports the number.")
    occurrence: StrictInt | None = Field(
        None, ge=1, description="Which occurrence of the quote in the seed, when it repeats."
    )
    note: Text | None = Field(None, description="Annotator's note on the figure.")
    claim: ClaimId | None = Field(
        None,
        description="The claim (data/claims.yaml) this figure reports: the same count of "
        "the same people, traced to the same origin, as other records report it.",
    )


class Statement(_Record):
    """One speech act by one speaker, as the article reports it."""

    id: LocalId = Field(description="Id of the statement, unique within its article.")
    speaker: ActorId = Field(description="Actor who spoke or wrote.")
    speaker_label: Text | None = Field(
        None, description='How the article names an unnamed speaker ("an official").'
    )
    on_behalf_of: ActorId | None = Field(
        None, description="Body the speaker is presented as speaking for."
    )
    via: ActorId | None = Field(
        None, description="Actor through whose words the statement is known."
    )
    addressees: list[ActorId] = Field(
        default_factory=list, description="Actors the words are directed at."
    )
    act: Act = Field(description="The speech act the statement performs.")
    mode: Mode = Field(description="Direct quotation or reported speech.")
    medium: Medium = Field(description="How the statement was delivered.")
    said: DateText | None = Field(None, description="When it was said (ISO 8601 prefix).")
    said_basis: DateBasis | None = Field(None, description="How the said date was established.")
    quote: Text = Field(description="The passage of the article that carries the statement.")
    occurrence: StrictInt | None = Field(
        None, ge=1, description="Which occurrence of the quote in the seed, when it repeats."
    )
    note: Text | None = Field(None, description="Annotator's note on the statement.")
    claim: ClaimId | None = Field(
        None,
        description="The claim (data/claims.yaml) this statement reports: the same speech "
        "event (one letter, one press statement) as other records report it.",
    )

    @model_validator(mode="after")
    def _basis_goes_with_date(self) -> Statement:
        if (self.said is None) != (self.said_basis is None):
            raise PydanticCustomError(
                "basis_mismatch", "said and said_basis go together: give both or neither"
            )
        return self


class Reviewed(_Record):
    """A number or quotation a reviewer read and found to be no figure or statement.

    The coverage report lists every number no figure quotes and every quotation no statement
    quotes; an entry here records the reviewer's decision where the article text says it, so
    the report can be driven to empty and the decision is checked like any other evidence.
    """

    quote: Text = Field(description="The number or quotation reviewed, as the article writes it.")
    occurrence: StrictInt | None = Field(
        None, ge=1, description="Which occurrence of the quote in the seed, when it repeats."
    )
    reason: Text = Field(
        description='Why it is no figure or statement ("a date", "a district number", "a '
        "term in quotation marks, not anyone's words\")."
    )


class Article(_Record):
    """One annotated article: its metadata and everything annotated in it."""

    seed_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="SHA-256 of the seed file's bytes, as annotated."
    )
    publisher: ActorId | None = Field(
        None, description="Outlet or organisation that published the article."
    )
    kind: ArticleKind = Field(description="The genre of the text.")
    title: Text = Field(description="Title as published.")
    authors: list[Text] = Field(default_factory=list, description="Authors as published.")
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")] = Field(
        description="Language of the article (BCP 47)."
    )
    url: Text | None = Field(None, description="Where the article was published.")
    published: DateText = Field(description="Publication date (ISO 8601 prefix).")
    published_basis: DateBasis = Field(description="How the publication date was established.")
    published_note: Text | None = Field(
        None, description="How an inferred publication date was inferred."
    )
    note: Text | None = Field(None, description="Provenance the record holds nowhere else.")
    excluded: list[Exclusion] = Field(
        default_factory=list, description="Regions of the seed that are not the article."
    )
    block_quotes: list[LineRange] = Field(
        default_factory=list,
        description="Seed lines the article reproduces verbatim without quotation marks.",
    )
    mentions: dict[ActorId, Text] = Field(
        default_factory=dict, description="Actor id → where the article names that actor."
    )
    figures: list[Figure] = Field(default_factory=list, description="Reported figures.")
    statements: list[Statement] = Field(default_factory=list, description="Statements.")
    reviewed: list[Reviewed] = Field(
        default_factory=list,
        description="Numbers and quotations a reviewer found to be no figure or statement.",
    )

    @model_validator(mode="after")
    def _inferred_needs_note(self) -> Article:
        if self.published_basis is DateBasis.inferred and self.published_note is None:
            raise PydanticCustomError(
                "basis_mismatch", "an inferred publication date needs a published_note"
            )
        return self


# --- claims: one count or speech event across articles ------------------------------------


class Claim(_Record):
    """One underlying assertion in the world (a count, a speech event) that several figures
    or statements report, each with its own wording and attribution."""

    id: ClaimId = Field(description="Stable id of the claim; never reused or renamed.")
    kind: ClaimKind = Field(
        description="figure: a count that figures report; statement: a speech event that "
        "statements report."
    )
    summary: Text = Field(description="What the claim is, in one line, in the dataset's words.")
    origin: ActorId | None = Field(
        None, description="Actor the articles trace the claim to, when they do."
    )
    note: Text | None = Field(None, description="Annotator's note on the claim.")


def field_description(model: type[BaseModel], name: str) -> str:
    """The description of one model field, for the derived schemas and the codebook."""
    return model.model_fields[name].description or ""


def enum_of(model: type[BaseModel], name: str) -> type[StrEnum] | None:
    """The vocabulary a field draws from, if any, so derived schemas never restate it."""
    annotation: Any = model.model_fields[name].annotation
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, StrEnum):
            return candidate
    return None
