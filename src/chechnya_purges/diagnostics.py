"""Problems found in the data: one immutable value each, one table of codes, one renderer per
output format.

Every stage yields diagnostics instead of printing or raising, so a contributor sees every
problem of a run at once, sorted by file and line, in the ``path:line:col: error[code]`` form
editors and CI annotations understand. Codes are never reused: a retired code stays in the
table marked as such.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Literal

__all__ = [
    "CODES",
    "RENDERERS",
    "Code",
    "Diagnostic",
    "Severity",
    "codes_markdown",
    "folded",
    "one_line",
    "render",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Code:
    """What an error code means and how a contributor usually fixes it."""

    title: str
    fix: str


CODES: dict[str, Code] = {
    "invalid-utf8": Code(
        "A file is not valid UTF-8 text.",
        "Re-save the file as UTF-8 (without a byte-order mark).",
    ),
    "unsafe-file": Code(
        "An input is a symbolic link, is reached through one, or is not a regular file (a "
        "folder, FIFO or device); it is not opened.",
        "Commit the file itself under the dataset root.",
    ),
    "file-unreadable": Code(
        "An input file exists but cannot be read (permissions).",
        "Make the file readable.",
    ),
    "file-too-large": Code(
        "An input file is larger than its bound (1 MiB for an article record, 4 MiB for a "
        "seed, 16 MiB for the actor registry).",
        "Check that the right file was committed; split an oversized record.",
    ),
    "stray-file": Code(
        "A file or folder in data/articles/ that is not an article record "
        "(data/articles/<id>.yaml): it would otherwise be silently ignored.",
        "Rename it to <seed name>.yaml (lower-case .yaml, no subfolders) or remove it.",
    ),
    "missing-folder": Code(
        "The dataset has no data/articles/ folder, so it would build an empty package.",
        "Create data/articles/ and annotate at least one seed.",
    ),
    "seed-unused": Code(
        "Warning: a seed in seeds/ has no article record.",
        "Annotate it (chechnya-purges new seeds/X.txt) or remove it.",
    ),
    "seed-bom": Code(
        "A seed starts with a byte-order mark, which shifts every offset by one for anyone "
        "who reads the seed as plain UTF-8.",
        "Re-save the seed as UTF-8 without a byte-order mark, then update seed_sha256.",
    ),
    "number-too-large": Code(
        "An integer beyond ±(2^53 - 1), which spreadsheets and JSON readers cannot hold exactly.",
        "Check the number; quote it if it is text.",
    ),
    "control-character": Code(
        "Text holds a control character (C0, C1, DEL) or a bidirectional control, which "
        "would corrupt the CSV or disguise the text; escaped ones (\\0) too.",
        "Remove the character; a line break is the only control text may hold.",
    ),
    "duplicate-affiliation": Code(
        "An actor lists the same organisation twice under affiliations.",
        "Keep one entry per organisation; put both roles in its role text.",
    ),
    "invalid-affiliation": Code(
        "An affiliation names the actor itself, a person, or closes a cycle of memberships.",
        "Affiliate the actor with the organisation it belongs to, never the reverse.",
    ),
    "yaml-syntax": Code(
        "The YAML cannot be parsed.",
        "Check indentation and quoting near the position shown.",
    ),
    "duplicate-key": Code(
        "A mapping has the same key twice; YAML would silently keep only the last.",
        "Remove or rename one of the two keys.",
    ),
    "yaml-alias": Code(
        "Anchors (&name) and aliases (*name) are not allowed: every value is written out.",
        "Copy the value in full instead of referring to it.",
    ),
    "yaml-tag": Code(
        "Explicit YAML tags (!!str, !custom) are not allowed.",
        "Remove the tag; quote the value if it must be text.",
    ),
    "unknown-field": Code(
        "A key that the record does not have.",
        "Check the spelling against the field reference, docs/fields.md.",
    ),
    "missing-field": Code(
        "A required field is absent or empty.",
        "Add the field.",
    ),
    "wrong-type": Code(
        "A value is of the wrong type (text where a list is expected, a number where text is).",
        "Numbers that are text (a title like 1984) must be quoted.",
    ),
    "unknown-choice": Code(
        "A value is not in the field's vocabulary.",
        "Use one of the values listed; the hint names the closest one.",
    ),
    "invalid-format": Code(
        "A value does not have the required form (slug, hash, country code, line range).",
        "Follow the form given in the message.",
    ),
    "invalid-value": Code(
        "A value is out of range or inconsistent with another field of the record.",
        "Follow the message.",
    ),
    "invalid-date": Code(
        "A date is not a real YYYY, YYYY-MM or YYYY-MM-DD date.",
        "Write the date as an ISO 8601 prefix at the precision the evidence gives.",
    ),
    "formula-text": Code(
        "Text starts with =, +, - or @ (or their full-width forms), perhaps after blanks or "
        "invisible characters, which a spreadsheet runs as a formula.",
        "Rephrase so that the text starts with another character.",
    ),
    "duplicate-id": Code(
        "Two actors, figures or statements share an id.",
        "Give each its own id; ids are never reused.",
    ),
    "unknown-actor": Code(
        "An actor id that is not in data/actors.yaml.",
        "Use an existing id (the hint names the closest) or add the actor to the registry.",
    ),
    "unknown-claim": Code(
        "A figure or statement links to a claim that is not in data/claims.yaml.",
        "Use an existing claim id (the hint names the closest) or add the claim.",
    ),
    "claim-kind": Code(
        "A figure links to a statement claim, or a statement to a figure claim.",
        "Link figures to kind: figure claims and statements to kind: statement claims.",
    ),
    "claim-mixed": Code(
        "The figures of one claim count different things (category) or in different units.",
        "One claim is one count of the same people: link the figure to another claim, or "
        "correct its category or unit.",
    ),
    "claim-unused": Code(
        "Warning: no figure or statement links to the claim.",
        "Link the records that report it with claim: <id>, or remove the claim.",
    ),
    "actor-not-mentioned": Code(
        "A figure or statement uses an actor that the article's mentions do not list.",
        "Add a mentions entry quoting where the article names the actor.",
    ),
    "seed-missing": Code(
        "An article file has no seed of the same name in seeds/.",
        "Name the article file after its seed: seeds/X.txt is annotated in data/articles/X.yaml.",
    ),
    "seed-changed": Code(
        "The seed's SHA-256 differs from the one recorded when it was annotated.",
        "Seeds are never edited: restore the seed, or re-check every quote and update seed_sha256.",
    ),
    "quote-not-found": Code(
        "A quote is not in the seed, even forgiving whitespace, quote marks and dashes.",
        "Copy the text from the seed; the hint shows the closest passage.",
    ),
    "quote-ambiguous": Code(
        "A figure's or statement's quote occurs more than once in the article.",
        "Add occurrence: N to pick one, or lengthen the quote until it is unique.",
    ),
    "quote-excluded": Code(
        "Evidence lies in a region listed under excluded, which is not the article.",
        "Quote the article itself, or correct the excluded line range.",
    ),
    "quote-not-quoted": Code(
        "A direct statement's quote is not inside quotation marks or a block quote.",
        "Quote only the words inside the marks, list the lines under block_quotes, or use "
        "mode: indirect.",
    ),
    "line-range": Code(
        "A line range is reversed or runs past the end of the seed.",
        "Give N-M with N <= M within the seed's lines.",
    ),
    "date-order": Code(
        "A date range ends before it starts.",
        "Swap or correct the dates.",
    ),
    "date-after-publication": Code(
        "A date falls after the article's publication.",
        "Nothing the article reports happens after it was published: correct the date.",
    ),
    "figure-value": Code(
        "A figure's value does not appear in its quote, or contradicts its qualifier.",
        "Quote the passage that gives the number, as digits or words.",
    ),
    "actor-unused": Code(
        "Warning: no article mentions or publishes the actor, and no affiliation names it.",
        "Add a mentions entry where an article names the actor, or remove the entry.",
    ),
    "actor-near-duplicate": Code(
        "Warning: an actor's name or alias is close to another actor's.",
        "If they are the same actor, keep one entry (add the other name as an alias); if not, "
        "make the names tell them apart.",
    ),
    "changelog-missing": Code(
        "CHANGELOG.md says nothing about the changes since the last release.",
        "Add one line under '## Unreleased' saying what you added or corrected; release "
        "moves it under the version it assigns.",
    ),
    "package-unreadable": Code(
        "A package copy cannot be read (no datapackage.json, not a zip, broken JSON).",
        "Point verify at the folder holding datapackage.json or at the release zip.",
    ),
    "package-invalid": Code(
        "A package's descriptor lists no resources, or a resource whose path leaves the "
        "package or whose size or hash is not stated.",
        "Use a copy as released: its descriptor lists every file by a path inside the package.",
    ),
    "package-file-extra": Code(
        "A package copy holds a file its descriptor does not list: a second datapackage.json, "
        "a file outside the package's folder, a link where a file should be.",
        "Download or unpack the release again; a release holds only what its descriptor lists.",
    ),
    "package-version": Code(
        "A package's descriptor states no version.",
        "Use a released copy: every release states its version.",
    ),
    "package-file-missing": Code(
        "A file the descriptor lists is not in the package copy.",
        "Download or unpack the release again.",
    ),
    "package-file-altered": Code(
        "A file's size or SHA-256 differs from the descriptor's: truncated or altered.",
        "Download or unpack the release again; never edit released files.",
    ),
    "drift": Code(
        "A committed output (schema/, datapackage.json, build/) differs from what build writes.",
        "Run `chechnya-purges build` and commit the result.",
    ),
    "output-unwritable": Code(
        "The outputs could not be written: the disk is full or the folder is read-only.",
        "Free disk space or make the folder writable, then run the command again; the "
        "previous outputs are left as they were.",
    ),
    "nonconformant": Code(
        "The written package fails frictionless or JSON Schema validation.",
        "This is a bug in the build, not in the data: please report it.",
    ),
}


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at one place. Ordered by (path, line, col, code) for stable reports."""

    path: str
    line: int
    col: int
    code: str
    message: str
    hint: str | None = None
    severity: Severity = "error"

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered diagnostic code {self.code!r}")


# Characters that end a line for a terminal, an editor or str.splitlines(), the other
# controls (a terminal runs ESC sequences) and the bidirectional controls (they reorder what
# a reader sees): a file name or a seed may hold any of them, and must not split, forge or
# disguise a report line.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(value: str) -> str:
    """Controls and line breaks written as escapes, so that one problem stays one line."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        return _NAMED.get(char) or (
            f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
        )

    return _BREAKS.sub(escape, value)


def folded(value: object) -> str:
    """A value of the data printed for people: text may hold line breaks, and a printed
    line that one splits could pass for a line of its own (a CI log reads ``::error`` at a
    line's start), so runs of white space become one space and other controls escapes."""
    return one_line(" ".join(str(value).split()))


def _text(diagnostics: list[Diagnostic]) -> str:
    lines = []
    for d in diagnostics:
        lines.append(
            f"{one_line(d.path)}:{d.line}:{d.col}: {d.severity}[{d.code}] {one_line(d.message)}"
        )
        if d.hint:
            lines.append(f"  hint: {one_line(d.hint)}")
    return "".join(line + "\n" for line in lines)


def _json(diagnostics: list[Diagnostic]) -> str:
    return json.dumps([asdict(d) for d in diagnostics], ensure_ascii=False, indent=2) + "\n"


def _github_data(value: str) -> str:
    """A workflow command's message, escaped as GitHub's runner unescapes it: a newline in
    it cannot start a command of its own (``::add-mask::``, ``::error``)."""
    return one_line(value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _github_property(value: str) -> str:
    """A workflow command's property value (file=, title=): ``:`` and ``,`` end one, so
    they are escaped too."""
    return _github_data(value).replace(":", "%3A").replace(",", "%2C")


def _github(diagnostics: list[Diagnostic]) -> str:
    out = []
    for d in diagnostics:
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        out.append(
            f"::{d.severity} file={_github_property(d.path)},line={d.line},col={d.col},"
            f"title={_github_property(d.code)}::{_github_data(message)}\n"
        )
    return "".join(out)


RENDERERS: dict[str, Callable[[list[Diagnostic]], str]] = {
    "text": _text,
    "json": _json,
    "github": _github,
}


def render(diagnostics: Iterable[Diagnostic], fmt: str) -> str:
    """All diagnostics, sorted, in one output format."""
    return RENDERERS[fmt](sorted(set(diagnostics)))


def codes_markdown() -> str:
    """The table of codes as CONTRIBUTING.md shows it (generated, so never out of date)."""
    lines = ["| code | what it means | how to fix it |", "|---|---|---|"]
    for name, code in sorted(CODES.items()):
        lines.append(f"| `{name}` | {code.title} | {code.fix} |")
    return "\n".join(lines) + "\n"
