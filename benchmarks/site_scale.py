"""Measure the evidence browser at scale: build time, peak memory and page weight.

    python benchmarks/site_scale.py                 # N = 1,000 and 10,000
    python benchmarks/site_scale.py --sizes 1000

For each N it generates the synthetic corpus (benchmarks/generate.py), builds the package
(without its frictionless pass, which the site does not need), then runs `site` once as its
own process and reports its wall time, its CPU time (user and system: on a shared machine
the wall time moves with other people's load, the CPU time much less), its peak memory, and
what a reader downloads: the index, a page of the records list, the median and the largest
article page, the timeline, the actor list and the largest actor page, and the whole
folder. Run by hand (it is not part of CI): its results are in README, "The evidence
browser".
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
from pathlib import Path

from generate import generate
from run import BIN, measure


def _kib(size: float) -> str:
    return f"{size / 1024:,.0f} KiB"


def weights(site: Path) -> dict[str, str]:
    """Bytes a reader's browser loads for each kind of page (HTML only; the shared CSS and
    scripts are a few KiB, loaded once)."""
    articles = sorted(p.stat().st_size for p in (site / "articles").glob("*.html"))
    actors = sorted(
        p.stat().st_size for p in (site / "actors").glob("*.html") if p.name != "index.html"
    )
    records = site / "records-2.html"
    total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    return {
        "index": _kib((site / "index.html").stat().st_size),
        "records page": _kib(records.stat().st_size) if records.exists() else "none",
        "article (median)": _kib(statistics.median(articles)),
        "article (largest)": _kib(articles[-1]),
        "timeline": _kib((site / "timeline.html").stat().st_size),
        "actor list": _kib((site / "actors" / "index.html").stat().st_size),
        "actor (largest)": _kib(actors[-1]),
        "whole site": f"{total / 2**20:,.0f} MiB",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        work = Path(tempfile.mkdtemp(prefix=f"site-bench-{n}-"))
        try:
            root = work / "corpus"
            generate(n, root)
            cli = str(BIN / "chechnya-purges")
            measure([cli, "--root", str(root), "build", "--no-frictionless"])
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            run = measure([cli, "--root", str(root), "site", "--out", str(work / "site")])
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            rows.append((n, run, cpu, weights(work / "site")))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    names = list(rows[0][3])
    head = "| articles | site (wall) | CPU | CPU per 1,000 articles | peak | "
    print(head + " | ".join(names) + " |")
    print("|--:|--:|--:|--:|--:|" + "--:|" * len(names))
    for n, run, cpu, weight in rows:
        cells = [f"{run.seconds:.1f} s", f"{cpu:.1f} s", f"{cpu * 1000 / n:.2f} s"]
        cells.append(f"{run.peak_mib:.0f} MiB")
        print(f"| {n:,} | " + " | ".join(cells + list(weight.values())) + " |")


if __name__ == "__main__":
    main()
