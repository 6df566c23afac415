"""benchmarks/run.py's table: a size measured on its own (--merge) keeps the sizes already
in the table, read back exactly as they were printed; the floor reads every input file, the
edit's floor looks at every one and reads the one changed last; a process that ends while its
memory is sampled counts nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import run
import yaml
from edit_floor import edit_floor
from floor import floor
from generate import generate


def _size(scale: float, repeat: int) -> run.Size:
    runs = {
        key: run.Run(
            round(1.25 * scale * k, 2),
            round(2.5 * scale * k, 2),
            round(40 * scale * k),
            max(repeat, run.CHEAP_RUNS)
            if key in ("validate_warm", "validate_edit", "edit_floor")
            else repeat,
        )
        for k, key in enumerate(run.LABELS, 1)
    }
    return run.Size(runs, repeat)


def test_merging_keeps_the_sizes_measured_before() -> None:
    results = {10_000: _size(1, 3), 100_000: _size(10.4, 1)}
    text = run.table(results)
    assert run.earlier(text) == results
    assert "From 10,000 to 100,000 articles" in text and "(goal x10 ± 10 %: met)" in text
    # The edit's goals are shown beside the floor the same machine cannot go below.
    assert "`validate` after one edit 5.00 s (goal ≤ 0.3 s: not met; the floor is 6.25 s)" in text
    assert "after one edit 52.00 s (goal ≤ 1 s: not met; the floor is 65.00 s)" in text
    # The size measured once still gives the edit as a median of several runs.
    assert "| 100,000 | validate after one edit | 52.00 s | 104.00 s | 1664 MiB | 5 |" in text
    assert "| 100,000 | build | 91.00 s | 182.00 s | 2912 MiB | 1 |" in text
    assert "| 100,000 | edit floor (start, click, pydantic, lstat) | 65.00 s" in text


def test_the_floor_reads_every_input_file(tmp_path: Path) -> None:
    generate(3, tmp_path)
    (tmp_path / "data/claims.yaml").write_text("[]\n", encoding="utf-8")
    assert floor(tmp_path) == 3 + 3 + 2
    assert floor(tmp_path / "elsewhere") == 0


def test_the_edit_floor_looks_at_every_file_and_reads_the_one_changed_last(
    tmp_path: Path,
) -> None:
    generate(3, tmp_path)
    articles = sorted((tmp_path / "data/articles").glob("*.yaml"))
    assert edit_floor(tmp_path) == 3 + 3
    assert edit_floor(tmp_path / "elsewhere") == 0
    # An older article that libyaml refuses is only looked at; the newest one is parsed.
    articles[0].write_text("a: [\n", encoding="utf-8")
    now = time.time()
    os.utime(articles[0], (now - 60, now - 60))
    os.utime(articles[1], (now, now))
    assert edit_floor(tmp_path) == 6
    os.utime(articles[0], (now + 60, now + 60))
    with pytest.raises(yaml.YAMLError):
        edit_floor(tmp_path)


def test_a_process_that_ended_while_sampled_counts_no_memory() -> None:
    # Its resident size was read while it ran; by the time its proportional size is read it
    # has ended, reaped or not. Its last resident size must not be counted again.
    process = subprocess.Popen([sys.executable, "-c", "x = bytearray(64 << 20)"])
    process.wait()  # reaped: nothing of it is left in /proc
    assert run._pss(process.pid, 64 << 20) == 0
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    assert run._pss(process.pid, 1 << 40) < 1 << 30  # alive: its own, not the size given
    assert process.stdin is not None
    process.stdin.close()
    deadline = time.monotonic() + 30
    while Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline, "the process did not end"
        time.sleep(0.01)  # ended, not yet reaped: a zombie has no memory
    assert run._pss(process.pid, 64 << 20) == 0
    process.wait()


def test_growth_is_shown_beside_the_floors_and_the_peers_in_the_same_run() -> None:
    # A machine that slows as the corpus grows slows the floor and the peer too: the line
    # that judges our growth shows theirs, measured in the same run.
    results = {10_000: _size(1, 3), 100_000: _size(10.4, 1)}
    results[100_000].runs["floor"] = run.Run(14.5, 29.0, 400, 1)
    results[100_000].runs["frictionless"] = run.Run(120.0, 240.0, 3200, 1)
    line = next(line for line in run.table(results).splitlines() if line.startswith("From 10,000"))
    assert line.endswith(
        "(goal x10 ± 10 %: met). In the same run: floor (read, hash, libyaml) wall x11.6, "
        "CPU x11.6; frictionless validate wall x12.0, CPU x12.0."
    )
