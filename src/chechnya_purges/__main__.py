"""``python -m chechnya_purges``: the same CLI as ``chechnya-purges``."""

from .cli import main

main()
