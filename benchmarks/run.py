"""Measure chechnya-purges at scale, against frictionless on the same machine in the same run.

    python benchmarks/run.py                  # N = 100, 1,000 and 10,000
    python benchmarks/run.py --sizes 100 --repeat 1   # what .ci/run does: a smoke test

For each N it generates the synthetic corpus (benchmarks/generate.py), then runs, each as a
separate process from a cold start: `validate` with no cache, `validate` again with the
cache warm, `validate` after editing one article, `build` (with and without its frictionless
pass), and `frictionless validate` of the package that build wrote. Wall time comes from the
clock; peak memory is the largest sum of the resident memory of the process and its workers,
sampled every 50 ms. Each command runs --repeat times (3 unless told): the table gives the
median time, which a shared machine's bursts of load move least, and the largest peak.
Prints a Markdown table and writes it to benchmarks/results.md.
Correctness comes first: a command that fails stops the run.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generate import generate

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PAGE = os.sysconf("SC_PAGE_SIZE")
# A sample reads every process's /proc entry (about 1 ms): often enough to see a peak that
# lasts a moment, seldom enough not to take the measured program's CPU.
SAMPLE_EVERY = 0.05


@dataclass
class Run:
    seconds: float
    peak_mib: float


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        child = int(entry)
        children.setdefault(int(fields[1]), []).append(child)
        rss[child] = int(fields[21]) * PAGE
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack += children.get(current, [])
    return total


def measure(command: list[str], cwd: Path | None = None) -> Run:
    """Run a command to completion; its wall time and peak memory. Fails loudly."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            done.wait(SAMPLE_EVERY)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        sys.stderr.write(out.decode() + err.decode())
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}")
    return Run(seconds, peak / 2**20)


def typical(runs: list[Run]) -> Run:
    """The median time of repeated runs (a shared machine's noise is mostly one-sided) and
    the largest peak seen."""
    return Run(statistics.median(r.seconds for r in runs), max(r.peak_mib for r in runs))


def _edit_one(root: Path, number: int) -> None:
    """A contributor's edit: one article's note changes (its quotes stay valid). Each
    ``number`` edits another article, so that every repeat has an edit to find."""
    paths = sorted((root / "data" / "articles").glob("*.yaml"))
    path = paths[(len(paths) // 2 + number) % len(paths)]
    path.write_text(path.read_text(encoding="utf-8") + 'note: "Checked again."\n', encoding="utf-8")


def bench(n: int, work: Path, repeat: int) -> dict[str, Run | float]:
    root = work / f"corpus-{n}"
    generate(n, root)
    cli = [str(BIN / "chechnya-purges"), "--root", str(root)]

    def runs(command: list[str], before: Callable[[int], None] | None = None) -> Run:
        measured = []
        for number in range(repeat):
            if before is not None:
                before(number)
            measured.append(measure(command))
        return typical(measured)

    result: dict[str, Run | float] = {}
    # validate's cache lives in the user's cache folder: a private, empty one for each size.
    os.environ["XDG_CACHE_HOME"] = str(work / f"user-cache-{n}")
    result["validate"] = runs([*cli, "validate", "--no-cache"])
    measure([*cli, "validate"])  # fills the cache
    result["validate_warm"] = runs([*cli, "validate"])
    result["validate_edit"] = runs([*cli, "validate"], lambda number: _edit_one(root, number))
    result["build_nofl"] = runs([*cli, "build", "--no-frictionless"])
    result["build"] = runs([*cli, "build"])
    result["frictionless"] = runs(
        [str(BIN / "frictionless"), "validate", str(root / "datapackage.json")]
    )
    annotations = n * (10 + 16 + 15)
    validate = result["validate"]
    assert isinstance(validate, Run)
    result["per_second"] = annotations / validate.seconds
    return result


def table(results: dict[int, dict[str, Run | float]], repeat: int) -> str:
    def run(n: int, key: str) -> Run:
        value = results[n][key]
        assert isinstance(value, Run)
        return value

    lines = [
        "| articles | validate (cold) | peak | validate (cache warm) | validate after one edit "
        "| build without frictionless | build | peak | frictionless validate | peak "
        "| annotations/s | validate ÷ frictionless | build ÷ frictionless |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for n in sorted(results):
        v, fl, b = run(n, "validate"), run(n, "frictionless"), run(n, "build_nofl")
        lines.append(
            f"| {n:,} | {v.seconds:.2f} s | {v.peak_mib:.0f} MiB "
            f"| {run(n, 'validate_warm').seconds:.2f} s | {run(n, 'validate_edit').seconds:.2f} s "
            f"| {b.seconds:.2f} s | {run(n, 'build').seconds:.2f} s "
            f"| {max(b.peak_mib, run(n, 'build').peak_mib):.0f} MiB "
            f"| {fl.seconds:.2f} s | {fl.peak_mib:.0f} MiB "
            f"| {results[n]['per_second']:,.0f} | {v.seconds / fl.seconds:.2f} "
            f"| {b.seconds / fl.seconds:.2f} |"
        )
    sizes = sorted(results)
    for small, large in itertools.pairwise(sizes):
        if large == small * 10:
            lines.append("")
            lines.append(
                f"Scaling {large:,} vs {small:,} articles: validate "
                f"x{run(large, 'validate').seconds / run(small, 'validate').seconds:.1f}, "
                f"build without frictionless "
                f"x{run(large, 'build_nofl').seconds / run(small, 'build_nofl').seconds:.1f} "
                "(linear is x10)."
            )
    lines += [
        "",
        (f"Times are the median of {repeat} runs, peaks the largest seen. " if repeat > 1 else "")
        + f"Machine: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()} {platform.machine()}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (median)")
    parser.add_argument("--out", type=Path, default=HERE / "results.md")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="chechnya-purges-bench-") as work:
        for n in args.sizes:
            results[n] = bench(n, Path(work), args.repeat)
            print(f"{n:,} articles done", file=sys.stderr)
    text = table(results, args.repeat)
    print(text, end="")
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
