"""Stage 6, conform: the written package passes the standard validators, and the committed
outputs are exactly what the code and data would write.

``frictionless`` is imported here and only when called: it takes a second to import, and
``validate`` never needs it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic
from .write import JSON_PATH, OUTPUT_ROOTS

__all__ = ["conform", "drift"]

_FIX = "run `chechnya-purges build` and commit the result"


def _frictionless(folder: Path) -> list[Diagnostic]:
    from frictionless import Package

    report = Package(str(folder / "datapackage.json")).validate()
    problems = [
        Diagnostic("datapackage.json", 1, 1, "nonconformant", f"frictionless: {warning}")
        for warning in report.warnings
    ]
    for task in report.tasks:
        for warning in task.warnings:
            problems.append(
                Diagnostic(task.place, 1, 1, "nonconformant", f"frictionless: {warning}")
            )
        for error in task.errors:
            line = getattr(error, "row_number", None) or 1
            col = getattr(error, "field_number", None) or 1
            problems.append(
                Diagnostic(
                    task.place if task.place else "datapackage.json",
                    line,
                    col,
                    "nonconformant",
                    f"frictionless {error.type}: {error.note}",
                )
            )
    if not report.valid and not problems:
        problems.append(
            Diagnostic(
                "datapackage.json",
                1,
                1,
                "nonconformant",
                "frictionless reports the package invalid",
            )
        )
    return problems


def _records(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The nested JSON as an envelope (with its actors and claims) and one text per article.

    build writes one article per line, so a file of any size is checked one article at a
    time; a file whose layout differs (edited by hand) is parsed whole instead.
    """
    envelope: dict[str, Any] = {}
    articles: list[str] = []
    with path.open(encoding="utf-8") as handle:
        lines = iter(handle)
        head = [next(lines, ""), next(lines, "")]
        if head[0].startswith('{"name": ') and head[1].startswith('"version": '):
            for line in lines:
                key = line[1 : line.find('"', 1)] if line.startswith('"') else ""
                if key in ("actors", "claims") and line.startswith(f'"{key}": ['):
                    items = [] if line.startswith(f'"{key}": []') else _until_close(lines)
                    envelope[key] = [json.loads(item) for item in items]
                elif line.startswith('"articles": ['):
                    envelope["articles"] = []
                    articles = [] if line.startswith('"articles": []') else _until_close(lines)
            envelope |= json.loads(head[0].rstrip().rstrip(",") + "}")
            envelope |= json.loads("{" + head[1].rstrip().rstrip(",") + "}")
            return envelope, articles
    whole = json.loads(path.read_text(encoding="utf-8"))
    items = whole.pop("articles", []) if isinstance(whole, dict) else []
    if isinstance(whole, dict):
        whole["articles"] = []
    return whole, [json.dumps(item) for item in items]


def _until_close(lines: Iterator[str]) -> list[str]:
    items = []
    for line in lines:
        if line.startswith("]"):
            break
        items.append(line.rstrip().rstrip(","))
    return items


def _json_schema(folder: Path, sample: int | None) -> list[Diagnostic]:
    import jsonschema

    problems = []
    schemas: dict[str, Any] = {}
    for path in sorted((folder / "schema").glob("*.schema.json")):
        relative = f"schema/{path.name}"
        schemas[relative] = json.loads(path.read_text(encoding="utf-8"))
        try:
            jsonschema.Draft202012Validator.check_schema(schemas[relative])
        except jsonschema.SchemaError as exc:
            problems.append(
                Diagnostic(
                    relative, 1, 1, "nonconformant", f"not a valid JSON Schema: {exc.message}"
                )
            )
    schema = schemas.get("schema/dataset.schema.json")
    if schema is None:
        return [
            *problems,
            Diagnostic("schema/dataset.schema.json", 1, 1, "nonconformant", "missing", _FIX),
        ]
    envelope, articles = _records(folder / JSON_PATH)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    whole = jsonschema.Draft202012Validator(schema, format_checker=checker)
    article_schema = schema.get("properties", {}).get("articles", {}).get("items", {})
    one = jsonschema.Draft202012Validator(article_schema, format_checker=checker)
    chosen: list[int] | range = range(len(articles))
    if sample is not None and len(articles) > sample:
        step = len(articles) / sample
        chosen = sorted({int(i * step) for i in range(sample)} | {len(articles) - 1})
    found = [("", error) for error in whole.iter_errors(envelope)]
    for index in chosen:
        found += [(f"articles/{index}/", e) for e in one.iter_errors(json.loads(articles[index]))]
    for prefix, error in found:
        where = prefix + "/".join(str(p) for p in error.absolute_path)
        problems.append(
            Diagnostic(JSON_PATH, 1, 1, "nonconformant", f"at /{where}: {error.message}")
        )
    return problems


def conform(
    folder: Path, *, frictionless: bool = True, sample: int | None = None
) -> list[Diagnostic]:
    """Problems the standard validators find in a written package (none, when all is well).

    frictionless checks every row of every table. jsonschema checks the nested JSON: every
    record, or with ``sample`` the envelope, every actor and that many articles spread evenly
    over the file plus the last. The JSON is written by one function from the rows
    frictionless checks in full, so a sample guards that function; the pure-Python
    validator costs more than the rest of the build at thousands of articles. ``check``
    validates every record. ``frictionless=False`` leaves out the frictionless pass, for
    measuring the build alone.
    """
    missing = [name for name in OUTPUT_ROOTS if not (folder / name).exists()]
    if missing:
        return [Diagnostic(name, 1, 1, "nonconformant", "missing", _FIX) for name in missing]
    return _json_schema(folder, sample) + (_frictionless(folder) if frictionless else [])


def _first_difference(old: bytes, new: bytes) -> int:
    old_lines, new_lines = old.split(b"\n"), new.split(b"\n")
    for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), 1):
        if a != b:
            return number
    return min(len(old_lines), len(new_lines)) + 1


def drift(root: Path, files: dict[str, bytes]) -> list[Diagnostic]:
    """Each committed output that differs from what ``build`` would write, by name."""
    problems = []
    for relative, content in files.items():
        path = root / relative
        if not path.is_file():
            problems.append(Diagnostic(relative, 1, 1, "drift", "is missing", _FIX))
            continue
        committed = path.read_bytes()
        if committed != content:
            line = _first_difference(committed, content)
            problems.append(
                Diagnostic(
                    relative,
                    line,
                    1,
                    "drift",
                    f"differs from what build writes (first at line {line})",
                    _FIX,
                )
            )
    for name in OUTPUT_ROOTS:
        folder = root / name
        if folder.is_dir():  # the files build owns whole
            for path in sorted(folder.rglob("*")):
                relative = path.relative_to(root).as_posix()
                if path.is_file() and relative not in files:
                    problems.append(
                        Diagnostic(
                            relative,
                            1,
                            1,
                            "drift",
                            "is not an output of build",
                            "delete it, or run `chechnya-purges build`",
                        )
                    )
    return problems
