"""The physical floor of validating a dataset: what any validator must at least do.

    python benchmarks/floor.py ROOT

Reads every input file `validate` reads (the articles, their seeds, data/actors.yaml and
data/claims.yaml), decodes it, hashes it with SHA-256 (as the cache and the seed check do)
and parses each YAML file with libyaml's C loader into Python data, in one process. No check
is made: the gap between this and `validate` is what the checks, the forgiving quote match
and the typed models cost, so the benchmark reports `validate` as a multiple of it.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import yaml


def floor(root: Path) -> int:
    """Read, hash and parse the inputs under root; the number of files (so that a wrong root
    shows as zero files rather than as a fast floor)."""
    data = root / "data"
    yamls = sorted((data / "articles").glob("*.yaml"))
    yamls += [path for path in (data / "actors.yaml", data / "claims.yaml") if path.is_file()]
    seeds = sorted((root / "seeds").glob("*.txt"))
    for path in seeds:
        raw = path.read_bytes()
        hashlib.sha256(raw).digest()
        raw.decode("utf-8")
    for path in yamls:
        read_hash_parse(path)
    return len(seeds) + len(yamls)


def read_hash_parse(path: Path) -> None:
    """One YAML input as the floor takes it: read, hashed, decoded and parsed by libyaml."""
    raw = path.read_bytes()
    hashlib.sha256(raw).digest()
    yaml.load(raw.decode("utf-8"), Loader=yaml.CLoader)


if __name__ == "__main__":
    count = floor(Path(sys.argv[1]))
    if count == 0:
        raise SystemExit(f"no input files under {sys.argv[1]}")
    print(f"{count} files read, hashed and parsed")
