"""chechnya-purges: a hand-annotated dataset of how the press reported the anti-gay purges in
Chechnya (2017-2019) and how governments, legislators, NGOs and officials responded.

    >>> import chechnya_purges as cp
    >>> ds = cp.load()                 # the release this library version ships, verified
    >>> ds.figures[0].qualifier
    >>> cp.datapackage_path()          # its descriptor, for frictionless or pandas

The dataset version is the package version, defined here and nowhere else: pyproject.toml
reads it, and the build writes it into datapackage.json, the JSON output and CITATION.cff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "1.0.0"

__all__ = ["VerificationError", "__version__", "datapackage_path", "load"]

if TYPE_CHECKING:
    from .api import VerificationError, datapackage_path, load


def __getattr__(name: str) -> Any:
    # The API is imported on first use, so that the command line starts without it.
    if name in ("load", "datapackage_path", "VerificationError"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'chechnya_purges' has no attribute {name!r}")
