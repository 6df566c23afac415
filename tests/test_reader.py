"""The YAML reader keeps what was written: no YAML 1.1 guessing, positions for every value."""

from __future__ import annotations

from pathlib import Path

from chechnya_purges.reader import Position, read_yaml


def _read(tmp_path: Path, text: str) -> tuple[object, list[str]]:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    doc, problems = read_yaml(path, "x.yaml")
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
    doc, _ = read_yaml(path, "x.yaml")
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
    doc, problems = read_yaml(path, "x.yaml")
    assert (doc.data, problems) == ({"a": "b"}, [])
