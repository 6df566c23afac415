"""chechnya-purges: a hand-annotated dataset of how the press reported the anti-gay purges in
Chechnya (2017-2019) and how governments, legislators, NGOs and officials responded.

The dataset version is the package version, defined here and nowhere else: pyproject.toml
reads it, and the build writes it into datapackage.json and the JSON output.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
