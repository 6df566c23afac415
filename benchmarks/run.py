"""Measure chechnya-purges at scale, against frictionless on the same machine in the same run.

    python benchmarks/run.py                  # N = 1,000, 10,000 and 30,000
    python benchmarks/run.py --sizes 100000 --repeat 1 --merge   # once, by hand
    python benchmarks/run.py --sizes 100 --repeat 1   # what .ci/run does: a smoke test

For each N it generates the synthetic corpus (benchmarks/generate.py), then runs, each as a
separate process from a cold start: the floor (benchmarks/floor.py: reading, hashing and
parsing every input file with libyaml's C loader, no checks), `validate` with no cache,
`validate` again with the cache warm, `validate` after editing one article, the edit's floor
(benchmarks/edit_floor.py: starting Python, importing click and pydantic, looking at every
input file with lstat and reading the article changed last), `build` (with and without its
frictionless pass), and `frictionless validate` of the package that build wrote.
Wall time comes from the clock; CPU time is user plus system time of the process and every
worker it waited for (the operating system's account of reaped children); peak memory is the
largest sum of the proportional set sizes (PSS) of the process and its workers, sampled every
50 ms: resident memory, with each page that processes share (a forked worker shares its
parent's pages until it writes to them) split between them rather than counted once for each,
as a sum of resident sizes would. Each
command runs --repeat times (3 unless told): the table gives the median times, which a shared
machine's bursts of load move least, and the largest peak.

Prints Markdown tables and writes them to benchmarks/results.md: every command's wall, CPU
and peak, cold `validate` as a multiple of the floor, the ratios to frictionless that the
project's goals name (each marked met or not) and how time grows with N, beside how
the floor's and frictionless's times grew in the same run. With --merge, the
sizes already in results.md that were not measured now are kept, so that a size too slow for
every run (100,000) is measured on its own.
Correctness comes first: a command that fails stops the run.
"""

from __future__ import annotations

import argparse
import compileall
import itertools
import os
import platform
import re
import resource
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
    cpu: float
    peak_mib: float
    count: int = 1  # how many runs the figures are the median of


# Linux has given every process's proportional set size since 4.14; before it, a process's
# resident size stands in for it.
_ROLLUP = os.path.exists("/proc/self/smaps_rollup")


def _pss(pid: int, rss: int) -> int:
    """A process's proportional set size in bytes (its resident size where the kernel does
    not report it).

    A process that ends between the reading of its resident size and this one counts
    nothing: its memory is being given back. Counting its last resident size instead, the
    pages it shared with its parent and all, made one run's peak twice the others' when a
    pool's workers ended.
    """
    if not _ROLLUP:
        return rss
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        return 0
    except (OSError, ValueError):
        return rss
    return 0  # an ended process not yet reaped: no memory of its own left


def _tree_memory(pid: int) -> int:
    """Memory of a process and all its descendants (Linux /proc): their summed PSS."""
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
        if current in rss:
            total += _pss(current, rss[current])
        stack += children.get(current, [])
    return total


def measure(command: list[str], cwd: Path | None = None) -> Run:
    """Run a command to completion; its wall time, CPU time and peak memory. Fails loudly.

    CPU time is the growth of this process's account of its reaped children: the command and
    the workers it joined (a pool's workers are reaped before the command exits). Nothing
    else is started meanwhile, so nothing else is counted."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_memory(process.pid))
            done.wait(SAMPLE_EVERY)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        sys.stderr.write(out.decode() + err.decode())
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Run(seconds, cpu, peak / 2**20)


def typical(runs: list[Run]) -> Run:
    """The median times of repeated runs (a shared machine's noise is mostly one-sided) and
    the largest peak seen."""
    return Run(
        statistics.median(r.seconds for r in runs),
        statistics.median(r.cpu for r in runs),
        max(r.peak_mib for r in runs),
        len(runs),
    )


def _edit_one(root: Path, number: int) -> None:
    """A contributor's edit: one article's note changes (its quotes stay valid). Each
    ``number`` edits another article, so that every repeat has an edit to find."""
    paths = sorted((root / "data" / "articles").glob("*.yaml"))
    path = paths[(len(paths) // 2 + number) % len(paths)]
    path.write_text(path.read_text(encoding="utf-8") + 'note: "Checked again."\n', encoding="utf-8")


# What the table calls each measured command, in its order.
LABELS = {
    "floor": "floor (read, hash, libyaml)",
    "validate": "validate (cold)",
    "validate_warm": "validate (cache warm)",
    "validate_edit": "validate after one edit",
    "edit_floor": "edit floor (start, click, pydantic, lstat)",
    "build_nofl": "build without frictionless",
    "build": "build",
    "frictionless": "frictionless validate",
}
# The project's goals (issue 16), judged at GOAL_SIZE articles and, for growth, from
# GOAL_SIZE to ten times as many.
GOAL_SIZE = 10_000
MEMORY_GOAL_MIB = 400
# Runs of the commands that take a second or less, whatever --repeat says.
CHEAP_RUNS = 5


@dataclass
class Size:
    runs: dict[str, Run]
    repeat: int


def bench(n: int, work: Path, repeat: int) -> Size:
    root = work / f"corpus-{n}"
    generate(n, root)
    cli = [str(BIN / "chechnya-purges"), "--root", str(root)]

    def runs(
        command: list[str], before: Callable[[int], None] | None = None, least: int = 1
    ) -> Run:
        measured = []
        for number in range(max(repeat, least)):
            if before is not None:
                before(number)
            measured.append(measure(command))
        return typical(measured)

    result: dict[str, Run] = {}
    result["floor"] = runs([sys.executable, str(HERE / "floor.py"), str(root)])
    # validate's cache lives in the user's cache folder: a private, empty one for each size.
    os.environ["XDG_CACHE_HOME"] = str(work / f"user-cache-{n}")
    result["validate"] = runs([*cli, "validate", "--no-cache"])
    measure([*cli, "validate"])  # fills the cache
    # A second or less each: measured CHEAP_RUNS times at every size, so that the largest
    # size, measured once, still gives a median rather than one run's noise.
    result["validate_warm"] = runs([*cli, "validate"], least=CHEAP_RUNS)
    result["validate_edit"] = runs(
        [*cli, "validate"], lambda number: _edit_one(root, number), least=CHEAP_RUNS
    )
    result["edit_floor"] = runs(
        [sys.executable, str(HERE / "edit_floor.py"), str(root)], least=CHEAP_RUNS
    )
    result["build_nofl"] = runs([*cli, "build", "--no-frictionless"])
    result["build"] = runs([*cli, "build"])
    result["frictionless"] = runs(
        [str(BIN / "frictionless"), "validate", str(root / "datapackage.json")]
    )
    return Size(result, repeat)


_ROW = re.compile(
    r"^\| ([\d,]+) \| ([^|]+?) \| ([\d.]+) s \| ([\d.]+) s \| (\d+) MiB \| (\d+) \|$", re.M
)


def earlier(text: str) -> dict[int, Size]:
    """The measurements in a results table this script wrote (for --merge)."""
    keys = {label: key for key, label in LABELS.items()}
    sizes: dict[int, Size] = {}
    for n, label, wall, cpu, peak, repeat in _ROW.findall(text):
        if label in keys:
            size = sizes.setdefault(int(n.replace(",", "")), Size({}, int(repeat)))
            size.runs[keys[label]] = Run(float(wall), float(cpu), float(peak), int(repeat))
    return {n: size for n, size in sizes.items() if size.runs.keys() == LABELS.keys()}


def _judged(value: float, goal: float, unit: str = "", floor: float | None = None) -> str:
    """A measure against its goal; with ``floor``, what the same machine cannot go below."""
    verdict = "met" if value <= goal else "not met"
    below = "" if floor is None else f"; the floor is {floor:.2f}{unit}"
    return f"{value:.2f}{unit} (goal ≤ {goal:g}{unit}: {verdict}{below})"


def _processor() -> str:
    """The processor's model as Linux names it: tables measured on different machines
    differ by their speed alone, and the model is what tells them apart."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "processor unknown"


def _grew(growth: dict[str, tuple[float, float]], keys: tuple[str, ...]) -> str:
    return "; ".join(
        f"{LABELS[key]} wall x{growth[key][0]:.1f}, CPU x{growth[key][1]:.1f}" for key in keys
    )


def table(results: dict[int, Size]) -> str:
    sizes = sorted(results)
    lines = [
        "| articles | command | wall | CPU | peak | runs |",
        "|--:|:--|--:|--:|--:|--:|",
    ]
    for n in sizes:
        for key, label in LABELS.items():
            run = results[n].runs[key]
            lines.append(
                f"| {n:,} | {label} | {run.seconds:.2f} s | {run.cpu:.2f} s "
                f"| {run.peak_mib:.0f} MiB | {run.count} |"
            )
    lines += [
        "",
        "| articles | validate ÷ floor, wall | validate ÷ floor, CPU "
        "| validate ÷ frictionless, CPU | build without frictionless ÷ frictionless, CPU "
        "| build ÷ frictionless, wall | annotations/s |",
        "|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for n in sizes:
        r = results[n].runs
        v, fl, floor = r["validate"], r["frictionless"], r["floor"]
        annotations = n * (10 + 16 + 15)
        lines.append(
            f"| {n:,} | {v.seconds / floor.seconds:.1f} | {v.cpu / floor.cpu:.1f} "
            f"| {v.cpu / fl.cpu:.2f} | {r['build_nofl'].cpu / fl.cpu:.2f} "
            f"| {r['build'].seconds / fl.seconds:.2f} | {annotations / v.seconds:,.0f} |"
        )
    if GOAL_SIZE in results:
        r = results[GOAL_SIZE].runs
        fl = r["frictionless"]
        lines += [
            "",
            f"Goals at {GOAL_SIZE:,} articles: cold `validate` CPU ÷ frictionless CPU "
            f"{_judged(r['validate'].cpu / fl.cpu, 0.4)}; `build` without frictionless CPU "
            f"÷ frictionless CPU {_judged(r['build_nofl'].cpu / fl.cpu, 0.7)}; `build` wall "
            f"÷ frictionless wall {_judged(r['build'].seconds / fl.seconds, 1.2)}; "
            f"`validate` after one edit "
            f"{_judged(r['validate_edit'].seconds, 0.3, ' s', r['edit_floor'].seconds)}.",
        ]
    if 10 * GOAL_SIZE in results:
        r = results[10 * GOAL_SIZE].runs
        lines += [
            "",
            f"Goal at {10 * GOAL_SIZE:,} articles: `validate` after one edit "
            f"{_judged(r['validate_edit'].seconds, 1, ' s', r['edit_floor'].seconds)}.",
        ]
    for n in sizes:
        if n >= GOAL_SIZE:
            r = results[n].runs
            build = max(r["build"].peak_mib, r["build_nofl"].peak_mib)
            validate = max(r["validate"].peak_mib, r["validate_edit"].peak_mib)
            met = "met" if max(build, validate) <= MEMORY_GOAL_MIB else "not met"
            lines += [
                "",
                f"Peak memory at {n:,} articles: `build` {build:.0f} MiB, `validate` "
                f"{validate:.0f} MiB (goal ≤ {MEMORY_GOAL_MIB} MiB: {met}).",
            ]
    pairs = list(itertools.pairwise(sizes))
    if {GOAL_SIZE, 10 * GOAL_SIZE} <= set(sizes) and (GOAL_SIZE, 10 * GOAL_SIZE) not in pairs:
        pairs.append((GOAL_SIZE, 10 * GOAL_SIZE))  # the goal's own pair, sizes between or not
    for small, large in pairs:
        a, b = results[small].runs, results[large].runs
        factor = large / small
        growth = {
            key: (b[key].seconds / a[key].seconds, b[key].cpu / a[key].cpu)
            for key in ("validate", "build_nofl", "build", "floor", "frictionless")
        }
        ours = ("validate", "build_nofl", "build")
        verdict = f"linear is x{factor:.3g}"
        if small == GOAL_SIZE and large == 10 * GOAL_SIZE:
            linear = all(9 <= value <= 11 for key in ours for value in growth[key])
            verdict = f"goal x10 ± 10 %: {'met' if linear else 'not met'}"
        # Beside ours, what the same machine did in the same run with work that is linear by
        # construction (the floor) and with the peer: a machine that slows as the corpus
        # grows (page cache, a directory of 100,000 files, a neighbour's load) shows there.
        lines += [
            "",
            f"From {small:,} to {large:,} articles: {_grew(growth, ours)} ({verdict}). "
            f"In the same run: {_grew(growth, ('floor', 'frictionless'))}.",
        ]
    lines += [
        "",
        "Times are medians of the runs (the warm-cache, one-edit and edit-floor rows: of at "
        f"least {CHEAP_RUNS}, at every size), peaks the largest seen; CPU is user plus system time "
        "of the process and its workers. "
        f"Machine: {os.cpu_count()} cores ({_processor()}), {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()} {platform.machine()}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 30000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (median)")
    parser.add_argument("--out", type=Path, default=HERE / "results.md")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the sizes already in --out that are not measured now",
    )
    args = parser.parse_args()
    # Measured as installed: the package's bytecode written once, before any run, even where
    # PYTHONDONTWRITEBYTECODE would have every run compile it again.
    import chechnya_purges

    compileall.compile_dir(Path(chechnya_purges.__file__).parent, quiet=1)
    results = {}
    if args.merge and args.out.is_file():
        results = earlier(args.out.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="chechnya-purges-bench-") as work:
        for n in args.sizes:
            results[n] = bench(n, Path(work), args.repeat)
            print(f"{n:,} articles done", file=sys.stderr)
    text = table(results)
    print(text, end="")
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
