"""chechnya-purges: a hand-annotated dataset of how the press reported the anti-gay purges in
Chechnya (2017-2019) and how governments, legislators, NGOs and officials responded.

    >>> import chechnya_purges as cp
    >>> ds = cp.load()                 # the release this library version ships, verified
    >>> ds.figures[0].qualifier
    >>> cp.datapackage_path()          # its descriptor, for frictionless or pandas

The dataset version is the package version, and nobody types it: ``build`` derives it from
the last release (``releases/``) and the changes since (``1.1.0-dev`` between releases) and
writes it into datapackage.json, the JSON output and CITATION.cff; the wheel's version and
``__version__`` (PEP 440: ``1.1.0.dev0``) are read from that datapackage.json.
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any

# A cell of the package's tables may hold a whole text of an input (an actor's description,
# an article's title); Python's csv module refuses a field over 128 KiB unless told, which
# would fail build on valid data. Raised once for every reader of the tables, never lowered.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))

__all__ = ["VerificationError", "__version__", "datapackage_path", "load"]

if TYPE_CHECKING:
    from .api import VerificationError, datapackage_path, load

    __version__: str


def __getattr__(name: str) -> Any:
    # The API is imported on first use, so that the command line starts without it.
    if name in ("load", "datapackage_path", "VerificationError"):
        from . import api

        return getattr(api, name)
    if name == "__version__":
        from .api import package_version

        return package_version()
    raise AttributeError(f"module 'chechnya_purges' has no attribute {name!r}")
