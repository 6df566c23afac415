"""The YAML reader keeps what was written: no YAML 1.1 guessing, positions for every value."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest
from conftest import REPO
from hypothesis import example, given
from hypothesis import strategies as st

from chechnya_purges import quickyaml
from chechnya_purges.reader import ARTICLE_BYTES, Position, load_yaml, read_yaml

sys.path.insert(0, str(REPO / "benchmarks"))
from generate import generate


def _read(tmp_path: Path, text: str) -> tuple[object, list[str]]:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    doc, problems = read_yaml(tmp_path, "x.yaml", ARTICLE_BYTES)
    return doc.data, [p.code for p in problems]


def test_no_type_guessing(tmp_path: Path) -> None:
    data, problems = _read(
        tmp_path,
        "country: NO\nmonth: 2017-04\nday: 2017-04-12\nid: 001\nanswer: yes\noff: off\n"
        "value: 22\nfloat: 1.5\nempty:\ntilde: ~\nquoted: '22'\n",
    )
    assert problems == []
    assert data == {
        "country": "NO",
        "month": "2017-04",
        "day": "2017-04-12",
        "id": "001",
        "answer": "yes",
        "off": "off",
        "value": 22,
        "float": "1.5",
        "empty": None,
        "tilde": None,
        "quoted": "22",
    }


def test_positions_are_one_based_and_count_characters(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("name: Ana Díaz\nlist:\n  - ü: é\n", encoding="utf-8")
    doc, _ = read_yaml(tmp_path, "x.yaml", ARTICLE_BYTES)
    assert doc.position(("name",)) == Position(1, 7)
    assert doc.position(("list", 0, "ü"), prefer_key=True) == Position(3, 5)
    assert doc.position(("list", 0, "ü")) == Position(3, 8)
    assert doc.position(("list", 5, "missing")) == Position(3, 3)


def test_a_second_document_is_an_error(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, "a: 1\n---\nb: 2\n")
    assert problems == ["yaml-syntax"]


def test_a_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes("\ufeffa: b\n".encode())
    doc, problems = read_yaml(tmp_path, "x.yaml", ARTICLE_BYTES)
    assert (doc.data, problems) == ({"a": "b"}, [])


# The quick reader (quickyaml) must give exactly libyaml's data for every file it accepts,
# and decline everything else, problems included.

_PROBLEM = "a problem"


def _libyaml(text: str) -> object:
    doc, problems = load_yaml(text, "x.yaml", quick=False)
    return _PROBLEM if problems else doc.data


def _agrees(text: str) -> bool:
    """Whether the quick reader accepted the text; fails if it accepted it wrongly."""
    data = quickyaml.read(text)
    if data is quickyaml.DECLINED:
        return False
    expected = _libyaml(text)
    assert expected is not _PROBLEM, f"accepted what libyaml refuses: {text!r}"
    # repr as well: 22 and "22" are equal as neither, but None and "" differ only there
    assert (data, repr(data)) == (expected, repr(expected)), text
    return True


@pytest.mark.repository
def test_quick_reader_reads_every_file_of_the_dataset_and_the_benchmark(tmp_path: Path) -> None:
    generate(12, tmp_path)
    files = [*sorted((REPO / "data").rglob("*.yaml")), *sorted((tmp_path / "data").rglob("*.yaml"))]
    # The articles, the registry and the claims; the benchmark's articles and registry.
    assert len(files) == len(list((REPO / "data/articles").glob("*.yaml"))) + 2 + 12 + 1
    for path in files:
        assert _agrees(path.read_text(encoding="utf-8")), f"declined {path}"


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ('q: "one\n  two\n\n  three \\"x\\" \\\\ \\/"\n', {"q": 'one two\nthree "x" \\ /'}),
        ('q: "ends\n\n\n  "\nk: v\n', {"q": "ends\n\n", "k": "v"}),
        ('q: "a\n  ---\n  - b\n  k: c"\n', {"q": "a --- - b k: c"}),
        ("q: |\n  a\n\n   b\n\nk: 1\n", {"q": "a\n\n b\n", "k": 1}),
        ("q: >-\n  a\n  b\n\n  c\n", {"q": "a b\nc"}),
        ("q: >\n  a\n# after\n", {"q": "a\n"}),
        ("l:\n- a  # note\n-\n  - x\n-\nk: 007\n", {"l": ["a", ["x"], None], "k": "007"}),
        (
            "- id: a\n  aliases: [O'Brien, \"x, y\", 'it''s', 22, ~]\n-   id: b\n    n: -5\n",
            [{"id": "a", "aliases": ["O'Brien", "x, y", "it's", 22, None]}, {"id": "b", "n": -5}],
        ),
        ('k: a#b c:d [x] {y} "z"\nm: []\n', {"k": 'a#b c:d [x] {y} "z"', "m": []}),
        ("k:\n  # only a comment\nn: null\n", {"k": None, "n": None}),
        # Plain scalars that may be numbers or null, typed where the mapping reads them.
        (
            "a: -5\nb: +3\nc: 0\nd: 2017-05-01\ne: ~\nf: NULL\ng: Null x\nh: -x\ni: 12ab\n",
            {"a": -5, "b": 3, "c": 0, "d": "2017-05-01", "e": None, "f": None}
            | {"g": "Null x", "h": "-x", "i": "12ab"},
        ),
    ],
)
def test_quick_reader_folds_and_types_as_libyaml_does(text: str, data: object) -> None:
    assert _libyaml(text) == data
    assert _agrees(text)


# Lines of a double-quoted scalar that look like other lines of YAML: keys, dashes, markers,
# comments, indented or not.
_QUOTED_LINES = ["", "  ", "  note: two", "  - three", "  -", "  five:", "x: y", "- z", "  a # b"]
_QUOTED_LINES += ['   \\"q\\"', "  ---", "...", "  k:v", "  7: x"]


def test_a_quoted_scalar_over_lines_of_any_shape_is_read_as_libyaml_reads_it() -> None:
    """Every pair of such lines between the first and the last, under a key or a dash:
    the quick reader takes most lines of a quoted scalar from its tokens, and must give
    back each line as written."""
    accepted = 0
    for lead in ("q: ", "- ", "l:\n- q: ", "l:\n  - k: 1\n    q: "):
        for first in _QUOTED_LINES:
            for second in _QUOTED_LINES:
                accepted += _agrees(f'{lead}"one\n{first}\n{second}\n  end"\n')
    assert accepted > 300  # the comparison was not vacuous


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchors and aliases
        "a: !!str 1\n",  # tags
        "a: 1\na: 2\n",  # duplicate keys
        "a:\tb\n",  # tabs
        "a: {b: 1}\n",  # flow mappings
        "a: one\n  two\n",  # multi-line plain scalars
        "a: |+\n  x\n\n",  # keep chomping
        "a: >\n  x\n   more\n",  # more-indented folded lines
        "a: 1\n---\nb: 2\n",  # a second document
        "a: 1\r\nb: 2\r\n",  # CRLF line ends
        'a: "x\\ty"\n',  # escapes other than \" \\ \/
        "a: x: y\n",  # a mapping where a value belongs
        "a: [b, [c]]\n",  # nested flow
        "a: 1",  # no final line break
        "  a: 1\n",  # an indented document
        "a: b\n c: d\n",  # a deeper line after a value
        "- - x\n",  # a sequence opened on a dash's line
        "a: - x\n",  # ... or on a key's line
        "a: -\n",
        "a: 99999999999999999999\n",  # an integer no double holds exactly
        "k" * 1100 + ": 1\n",  # a key longer than libyaml allows
    ],
)
def test_quick_reader_declines_what_it_does_not_read(text: str) -> None:
    assert quickyaml.read(text) is quickyaml.DECLINED


@given(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=40), st.booleans())
def test_an_unusual_character_is_found_in_ascii_text_as_in_any_text(text: str, wider: bool) -> None:
    """ASCII text is searched through its bytes, any other text with the regex: both find
    the same characters (the text made wider than ASCII takes the regex's path)."""
    if wider:
        text += "\u00e9"
    assert quickyaml._unusual(text) == (quickyaml._UNUSUAL.search(text) is not None)


_EDITS = [
    '"',
    "'",
    ":",
    "#",
    "-",
    "[",
    "]",
    "{",
    "\n",
    " ",
    "  ",
    "\t",
    "&a ",
    "*a",
    "!",
    "|",
    ">",
    "\\",
    ",",
    "?",
    "~",
    "- ",
    ": ",
    " #",
    "\n\n",
    "\n  ",
    "---",
    '\\"',
    "''",
    ">-",
]


def test_quick_reader_never_disagrees_on_edited_files() -> None:
    """Thousands of small random edits of real annotation files (a fixed seed): every edited
    text is either declined or read exactly as libyaml reads it."""
    rng = random.Random(2017)
    sources = [p.read_text(encoding="utf-8") for p in sorted((REPO / "data").rglob("*.yaml"))]
    accepted = 0
    for _ in range(3000):
        lines = rng.choice(sources).split("\n")
        starts = [i for i, line in enumerate(lines) if line and not line.startswith(" ")]
        first = rng.choice(starts)
        text = "\n".join(lines[first : first + rng.randint(5, 60)]) + "\n"
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            if rng.random() < 0.5:
                text = text[:at] + rng.choice(_EDITS) + text[at:]
            else:
                text = text[:at] + text[at + rng.randint(1, 4) :]
        accepted += _agrees(text)
    assert accepted > 600  # the comparison was not vacuous


def _registry(count: int) -> str:
    """A long actor list as contributors write it: comments, aliases, a block scalar."""
    lines = ["# The actors.\n"]
    for n in range(count):
        lines.append(f"- id: actor-{n}\n  name: Actor {n}\n  kind: ngo\n")
        if n % 7 == 0:
            lines.append(f"  aliases: [A{n}, 'B {n}']\n  description: |\n    Line one.\n\n")
    return "".join(lines)


def _every_position(doc: object, data: list[dict[str, object]]) -> list[Position]:
    return [
        doc.position(loc, prefer_key=prefer)  # type: ignore[attr-defined]
        for index, item in enumerate(data)
        for key in item
        for loc in ((index, key), (index,))
        for prefer in (False, True)
    ]


@pytest.mark.parametrize("layout", ["block", "flow", "u2028", "crlf"])
def test_an_item_of_a_long_list_is_located_where_reading_the_whole_file_locates_it(
    layout: str,
) -> None:
    """A warning about one actor of a large registry reads that actor's lines again, not
    the whole file; the positions are the same either way (and a layout whose items are not
    told apart by their first column, or a line break libyaml counts besides "\\n", is
    read whole)."""
    text = _registry(400)
    if layout == "flow":
        text = "[\n" + ",\n".join(f"{{id: actor-{n}, name: Actor {n}}}" for n in range(400)) + "]\n"
    if layout == "u2028":
        text = text.replace("name: Actor 0\n", 'name: "Actor\u2028zero"\n', 1)
    if layout == "crlf":
        text = text.replace("\n", "\r\n")
    one, _ = load_yaml(text, "data/actors.yaml")
    whole, _ = load_yaml(text, "data/actors.yaml", quick=False)
    assert one.data == whole.data
    whole.position(())  # read once more, recording every position
    chosen = [0, 1, 7, 200, 399]
    assert [one.position((n, "name")) for n in chosen] == [
        whole.position((n, "name")) for n in chosen
    ]
    assert (one.text is not None) == (layout == "block")  # not read whole for five items
    assert _every_position(one, one.data) == _every_position(whole, whole.data)


def test_a_large_file_holds_one_string_for_each_key_name() -> None:
    """A registry's entries share their key strings (at 100,000 actors, half a million
    strings fewer held while it is checked); an article's keys need not, its data being let
    go of once it is checked. Either way the data is the same."""
    entries = "".join(f"- id: actor-{n}\n  name: Actor {n}\n  kind: person\n" for n in range(3000))
    large = quickyaml.read(entries)
    assert len(entries) > quickyaml._SHARED_KEYS_FROM
    assert len({id(key) for entry in large for key in entry}) == 3
    small = entries[: entries.index("- id: actor-40\n")]
    assert quickyaml.read(small) == large[:40]


def _typed_by_the_pattern(text: str) -> object:
    """The typing rule as the pattern it is written as: the reference for ``typed``, which
    tells an integer with str methods."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if re.fullmatch(r"[-+]?(?:0|[1-9][0-9]*)", text):
        if len(text.lstrip("+-")) > 16 or abs(value := int(text)) > quickyaml.SAFE_INTEGER:
            return quickyaml.NumberTooLarge
        return value
    return text


@example("00")
@example("+5")
@example("9" * 5000)
@example("-0")
@example("+")
@example("0x1")
@example("1_000")
@example("\u0663")
@example(" 1")
@example("-9007199254740992")
@example("9007199254740991")
@given(st.text(alphabet="+-0123456789 _x\u0663\u00b2~n", max_size=18) | st.text(max_size=5))
def test_a_plain_scalar_is_an_integer_exactly_when_the_pattern_says_so(text: str) -> None:
    try:
        value: object = quickyaml.typed(text)
    except quickyaml.NumberTooLarge:
        value = quickyaml.NumberTooLarge
    expected = _typed_by_the_pattern(text)
    assert value == expected and type(value) is type(expected)
