"""The floor of validating again after one edit: what any run of a checker like ours must pay.

    python benchmarks/edit_floor.py ROOT

Starts the interpreter, imports the two libraries that any check of an article needs (click
for the command line, pydantic for the models), looks at every article and seed with
``lstat`` (size and modification time, the first filter that tells which files changed),
and reads, hashes and parses with libyaml's C loader the one article changed last. It checks
nothing and keeps nothing between runs: the gap between this and `validate` after one edit
is what the package's own modules, its cache and its checks cost. Where this alone takes
longer than a goal allows, no code in the package can meet the goal on that machine.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click  # noqa: F401  (imported for its cost: every command's entry point needs it)
from floor import read_hash_parse
from pydantic import BaseModel  # noqa: F401  (imported for its cost: the models need it)


def edit_floor(root: Path) -> int:
    """Look at every article and seed, then read, hash and parse the article changed last;
    the number of files looked at (zero for a wrong root)."""
    latest: tuple[float, str] | None = None
    count = 0
    for folder in (root / "data" / "articles", root / "seeds"):
        if not folder.is_dir():
            continue
        with os.scandir(folder) as entries:
            for entry in entries:
                status = entry.stat(follow_symlinks=False)
                count += 1
                if entry.name.endswith(".yaml") and (latest is None or status.st_mtime > latest[0]):
                    latest = (status.st_mtime, entry.path)
    if latest is not None:
        read_hash_parse(Path(latest[1]))
    return count


if __name__ == "__main__":
    count = edit_floor(Path(sys.argv[1]))
    if count == 0:
        raise SystemExit(f"no input files under {sys.argv[1]}")
    print(f"{count} files looked at, one read, hashed and parsed")
