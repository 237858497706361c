"""Run every contender on the same workloads, interleaved, and write the comparison table.

    python -m benchmarks.run [--quick] [--reps N] [--out FILE] [--only PATHS]

For every repetition, path (local→local, local→S3, S3→local, S3→S3) and
workload, the contenders take turns (the starting one rotates per repetition):
each syncs into an empty destination ("initial"), then again ("no-op"), then
after 1 % of the source changed, 1 % was added and 1 % deleted ("incremental";
small-file workload only). Each run is a child process measured from outside.
The medians go to a markdown table (``benchmarks/results/latest.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import contenders as C
from . import workloads as W
from .measure import BenchServer, RequestCounter, RunStats, run_measured
from .tools import ensure_tools

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "results" / "work"
BUCKET = "bench"
PATHS = {"local→local": ("local", "local"), "local→S3": ("local", "s3"),
         "S3→local": ("s3", "local"), "S3→S3": ("s3", "s3")}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class Sample:
    stats: RunStats
    files: int  # files the run had to move (copied/updated/deleted); the tree size for a no-op
    nbytes: int  # bytes the run had to move
    problem: str  # '' when the destination is right afterwards


@dataclass
class Results:
    samples: dict = field(default_factory=lambda: defaultdict(list))  # (path, workload, phase, tool) -> [Sample]
    skipped: dict = field(default_factory=dict)  # (path, tool) -> why
    order: list = field(default_factory=list)  # (path, workload, phase) in first-seen order
    notes: set = field(default_factory=set)  # caps on slow contenders, printed under the table
    big: list = field(default_factory=list)  # 1 GiB single-file rows (ours): dicts

    def add(self, key, sample: Sample) -> None:
        scen = key[:3]
        if scen not in self.order:
            self.order.append(scen)
        self.samples[key].append(sample)


def _loc(kind: str, what: str, workload: str, tool: str | None = None) -> tuple[str, str]:
    slug = (tool or "").replace(" ", "_").replace("/", "_").replace(".", "")
    if kind == "local":
        base = WORK / what / workload
        return ("local", str(base / slug if tool else base))
    return ("s3", f"{BUCKET}/{what}/{workload}" + (f"/{slug}" if tool else ""))


def one_run(tool, src, dst, env, server, counter, s3) -> RunStats:
    argv, penv = C.command(tool, src, dst, env)
    if dst[0] == "local":
        os.makedirs(dst[1] if tool != "cp -r" else os.path.dirname(dst[1]), exist_ok=True)
    os.sync()  # write back what the previous run left dirty, so it does not slow this one
    roots = [loc[1] for loc in (src, dst) if loc[0] == "s3"]
    st = run_measured(argv, env=penv, server=server, counter=counter, cwd=str(REPO), roots=roots)
    if st.returncode != 0:
        log(f"    {tool}: exit {st.returncode}: {st.stderr.strip()[-500:]}")
    return st


def bench_cell(res: Results, path: str, w: W.Workload, tool: str, env, server, counter, s3,
               phases: tuple[str, ...]):
    """Run ``tool`` on one path and workload: the given phases, in order, on a fresh destination."""
    sk, dk = PATHS[path]
    src = _loc(sk, "src", w.name)
    dst = _loc(dk, "dst", w.name, tool)
    W.clear(dst, s3)
    n, nbytes = len(w.files), w.total_bytes
    # initial copy into an empty destination
    st = one_run(tool, src, dst, env, server, counter, s3)
    prob = W.check(dst, s3, w.files) or ("" if st.returncode == 0 else f"exit {st.returncode}")
    res.add((path, w.name, "initial", tool), Sample(st, n, nbytes, prob))
    log(f"  {path:12} {w.name:10} initial     {tool:17} {st.wall:7.2f}s {prob}")
    if tool in C.COPY_ONLY or phases == ("initial",):
        W.clear(dst, s3)
        return
    if "no-op" in phases:
        st = one_run(tool, src, dst, env, server, counter, s3)
        prob = W.check(dst, s3, w.files) or ("" if st.returncode == 0 else f"exit {st.returncode}")
        res.add((path, w.name, "no-op", tool), Sample(st, n, 0, prob))
        log(f"  {path:12} {w.name:10} no-op       {tool:17} {st.wall:7.2f}s {prob}")
    if "incremental" in phases:
        m = W.Mutation.of(w)
        time.sleep(0.01)
        m.apply(src, s3)
        try:
            st = one_run(tool, src, dst, env, server, counter, s3)
            spot = {r: w.content(r, 1) for r in m.changed}
            prob = W.check(dst, s3, m.expected(), spot) or ("" if st.returncode == 0 else f"exit {st.returncode}")
            res.add((path, w.name, "incremental", tool), Sample(st, m.moved, m.moved_bytes, prob))
            log(f"  {path:12} {w.name:10} incremental {tool:17} {st.wall:7.2f}s {prob}")
        finally:
            m.revert(src, s3)
    W.clear(dst, s3)


ALL_PHASES = ("initial", "no-op", "incremental")
#: A one-file tree: what a run costs before any real work (start-up, client, listing).
ONE_FILE = "1file"
SLOW = "fsspeckit 0.25.0"


def phases_for(tool: str, path: str, rep: int, quick: bool, small: bool, notes: set) -> tuple[str, ...]:
    """Which phases ``tool`` runs on this path/workload/repetition ('' = none); caps the slow contenders.

    fsspeckit 0.25.0 copies one file at a time and rclone reads every S3 object's
    metadata (a HEAD each) on a rerun. In a quick run the release does only the
    initial copy, on local→local and local→S3; in a full run it does every
    phase in the first repetition, and so do rclone's S3 reruns. So the medians
    of the others keep their repetitions without the run taking hours. Every
    cap is written under the table.
    """
    if tool == SLOW:
        if rep > 0:
            notes.add(f"{SLOW}: first repetition only (its figures are one run)")
            return ()
        if quick:
            notes.add(f"{SLOW} (copies one file at a time, 3–5 requests per file on S3): quick run = initial "
                      "copy on local→local and local→S3 only")
            return ("initial",) if path in ("local→local", "local→S3") else ()
    if not small:
        return ("initial",)
    if tool == "rclone" and "S3" in path:
        notes.add("rclone's no-op/incremental rows with S3 are slow by design: it reads each object's "
                  "stored mtime (a HEAD per object) to compare")
    if tool == "rclone" and "S3" in path and rep > 0:
        notes.add("rclone no-op/incremental with S3 (a HEAD per object to read its mtime metadata, slow): "
                  "first repetition only")
        return ("initial",)
    return ALL_PHASES


# -- report --------------------------------------------------------------------------

def _med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarize(samples: list[Sample]) -> dict:
    wall = _med([s.stats.wall for s in samples])
    files = samples[0].files
    nbytes = samples[0].nbytes
    reqs = _med([s.stats.requests for s in samples])
    problems = sorted({s.problem for s in samples if s.problem})
    return {
        "wall": wall,
        "files_s": files / wall if wall else None,
        "mib_s": nbytes / 2**20 / wall if wall and nbytes else None,
        "cpu": _med([s.stats.cpu for s in samples]),
        "rss": max(s.stats.rss_mb for s in samples),
        "server_cpu": _med([s.stats.server_cpu for s in samples]),
        "req_file": reqs / files if reqs is not None and files else None,
        "requests": reqs,
        "heads": _med([(s.stats.methods or {}).get("HEAD", 0) for s in samples]),
        "obj_requests": _med([s.stats.object_requests for s in samples]),
        "obj_req_file": (_med([s.stats.object_requests for s in samples]) / files
                         if files and samples[0].stats.object_requests is not None else None),
        "obj_heads": _med([(s.stats.object_methods or {}).get("HEAD", 0) for s in samples]),
        "obj_gets": _med([(s.stats.object_methods or {}).get("GET", 0) for s in samples]),
        "ok": not problems,
        "problem": "; ".join(problems),
        "n": len(samples),
    }


def _f(x, fmt="{:.2f}", none="–"):
    return none if x is None else fmt.format(x)


def best_other(rows: dict, tool_filter=None):
    """(tool, summary) of the fastest correct contender other than ours."""
    cands = [(t, s) for t, s in rows.items() if t != "ours" and s["ok"] and s["wall"]
             and (tool_filter is None or t in tool_filter)]
    return min(cands, key=lambda ts: ts[1]["wall"]) if cands else (None, None)


def render(res: Results, meta: dict, plan_rows: list, tui_row: dict | None) -> str:
    out = [f"# fsspeckit benchmark ({'quick' if meta['quick'] else 'full'})", ""]
    out.append(f"Run {meta['when']} on {meta['machine']}; {meta['reps']} repetition(s), median shown; "
               f"contenders interleaved per repetition. S3 is moto's server in its own process on loopback. "
               f"Command: `{meta['command']}` ({meta['elapsed']:.0f} s).")
    out.append("")
    out.append("Columns: wall = median seconds; files/s and MiB/s over the files/bytes the run had to move "
               "(the whole tree for a no-op); CPU = client user+system s; RSS = client peak MB; "
               "srv CPU = moto's CPU s during the run; req/file = all HTTP requests ÷ files moved (÷ tree size "
               "for a no-op); obj req/file = only the requests on object keys inside the source or "
               "destination tree (PUT, GET, HEAD, DELETE, copy of a file; not listings, bucket checks or a HEAD on "
               "the tree's root) ÷ the same; runs = samples behind the median; "
               "check = destination verified after the run (paths, sizes, changed contents).")
    out.append("")
    out.append("## Ours against the best other tool")
    out.append("")
    out.append("| path | workload | phase | ours s | best other | its s | ours / best (time) |")
    out.append("|---|---|---|---:|---|---:|---:|")
    summaries = {}
    for scen in res.order:
        rows = {t: summarize(res.samples[scen + (t,)]) for t in C.ORDER if res.samples.get(scen + (t,))}
        summaries[scen] = rows
        ours = rows.get("ours")
        bt, bs = best_other(rows)
        ratio = ours["wall"] / bs["wall"] if ours and bs else None
        flag = "" if not ours or ours["ok"] else " (ours wrong!)"
        out.append(f"| {scen[0]} | {scen[1]} | {scen[2]} | {_f(ours and ours['wall'])}{flag} | {bt or '–'} | "
                   f"{_f(bs and bs['wall'])} | **{_f(ratio)}×** |")
    out.append("")
    out.append("Best other = fastest contender whose result checked out (a tool that lost or left stale "
               "files is not counted).")
    for note in sorted(res.notes):
        out.append("")
        out.append(f"Cap: {note}.")
    out.extend(fixed_costs(summaries))
    out.append("")
    out.append("## Targets")
    out.append("")
    out.extend(targets(summaries, plan_rows, res.big))
    out.append("")
    if res.big:
        out.append("## One big file (memory bound)")
        out.append("")
        out.append("| path | tool | file MiB | wall s | MiB/s | CPU s | RSS MB | check |")
        out.append("|---|---|---:|---:|---:|---:|---:|---|")
        for b in res.big:
            out.append(f"| {b['path']} | {b['tool']} | {b['size_mib']} | {b['wall']:.2f} | {b['mib_s']:.0f} | {b['cpu']:.2f} | "
                       f"{b['rss']:.0f} | {b['problem'] or 'ok'} |")
        out.append("")
    out.append("## All contenders")
    for scen in res.order:
        rows = summaries[scen]
        out.append("")
        out.append(f"### {scen[0]}, {scen[1]}, {scen[2]}")
        out.append("")
        out.append("| tool | wall s | files/s | MiB/s | CPU s | RSS MB | srv CPU s | req/file | obj req/file "
                   "| runs | check |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for t, s in rows.items():
            name = f"**{t}**" if t == "ours" else t
            out.append(f"| {name} | {_f(s['wall'])} | {_f(s['files_s'], '{:.0f}')} | {_f(s['mib_s'], '{:.1f}')} | "
                       f"{_f(s['cpu'])} | {_f(s['rss'], '{:.0f}')} | {_f(s['server_cpu'])} | "
                       f"{_f(s['req_file'], '{:.2f}')} | {_f(s['obj_req_file'], '{:.2f}')} | {s['n']} | "
                       f"{'ok' if s['ok'] else s['problem']} |")
    notes = [f"{t} on {p}: {why}" for (p, t), why in sorted(res.skipped.items()) if why not in ("local only", "S3 only")]
    if notes:
        out.append("")
        out.append("Not run: " + "; ".join(notes) + ".")
    out.append("")
    out.append("## Planning and TUI scale")
    out.append("")
    out.append("| what | entries | build listings s | make_plan s | peak RSS MB |")
    out.append("|---|---:|---:|---:|---:|")
    for r in plan_rows:
        if "error" in r:
            out.append(f"| plan | {r['entries']:,} | – | – | – ({r['error']}) |")
        else:
            out.append(f"| plan | {r['entries']:,} | {r['build_s']:.2f} | {r['plan_s']:.2f} | {r['peak_rss_mb']:.0f} |")
    if tui_row is None or "skipped" in (tui_row or {}):
        why = (tui_row or {}).get("skipped", "not measured")
        out.append(f"| TUI first paint | – | – | – | – ({why}) |")
    else:
        out.append(f"| TUI first paint | {tui_row['entries']:,} | {tui_row.get('build_s', 0):.2f} | "
                   f"{tui_row['paint_s']:.2f} (first paint) | {tui_row['peak_rss_mb']:.0f} |")
    out.append("")
    return "\n".join(out)


def fixed_costs(summ: dict) -> list[str]:
    """Each tool's wall time to sync a one-file tree, per path: its cost per run before any real work.

    Every row of the table pays it once; on sub-second rows it decides the ratio.
    """
    rows = {p: r for (p, wl, ph), r in summ.items() if wl == ONE_FILE and ph == "initial"}
    if not rows:
        return []
    tools = [t for t in C.ORDER if any(t in r for r in rows.values())]
    out = ["", "## Fixed cost per run (one 4 KiB file, initial copy)", "",
           "Wall seconds to sync a tree of one file: process start-up, imports, client set-up, the "
           "listings and one transfer. Every row above pays it once.", "",
           "| path | " + " | ".join(tools) + " |", "|---|" + "---:|" * len(tools)]
    for p, r in rows.items():
        cells = [(f"**{_f(r[t]['wall'])}**" if t == "ours" else _f(r[t]["wall"])) if t in r and r[t]["ok"]
                 else ("–" if t not in r else "wrong") for t in tools]
        out.append(f"| {p} | " + " | ".join(cells) + " |")
    return out


def targets(summ: dict, plan_rows: list, big: list) -> list[str]:
    """One line per target of the issue: what was measured and 'met / missed (ratio)'.

    Every ratio is ours ÷ the target (time ÷ the other tool's time, requests ÷ files,
    seconds ÷ the limit): 1.00× or less is met.
    """
    lines = ["| target | measured | verdict (ratio, ≤ 1.00× = met) |", "|---|---|---|"]

    def get(path, phase, small=True, wl=None):
        for (p, w, ph), rows in summ.items():
            if p == path and ph == phase and (w == wl if wl else w.endswith("x4KiB") == small):
                return rows
        return None

    def verdict(ratio, ok=True):
        word = "met" if ok and ratio is not None and ratio <= 1.0 else "**missed**"
        return f"{word} ({_f(ratio)}×)"

    def vs(label, rows, other):
        if not rows or "ours" not in rows or other not in rows:
            lines.append(f"| {label} | not measured in this run | – |")
            return
        o, t = rows["ours"], rows[other]
        r = o["wall"] / t["wall"]
        bad = "" if o["ok"] else f" (ours wrong: {o['problem']})"
        lines.append(f"| {label} | ours {o['wall']:.2f} s vs {other} {t['wall']:.2f} s{bad} | {verdict(r, o['ok'])} |")

    vs("local→local small files, initial ≤ 1.0× rclone", get("local→local", "initial"), "rclone")
    vs("local→local small files, no-op ≤ 1.0× rclone", get("local→local", "no-op"), "rclone")
    vs("local→S3 small, files/s ≥ s5cmd (time ≤ s5cmd's)", get("local→S3", "initial"), "s5cmd")
    rows = get("local→S3", "initial")
    if rows and "ours" in rows and rows["ours"]["obj_requests"] is not None:
        o = rows["ours"]
        files = round(o["obj_requests"] / o["obj_req_file"]) if o["obj_req_file"] else 0
        r = o["obj_requests"] / files if files else None
        lines.append(f"| local→S3 small, ≤ 1 request per new file (no HEAD per object) | {o['obj_requests']:.0f} "
                     f"requests on keys in the tree for {files} new files, {o['obj_heads']:.0f} HEAD among them; "
                     f"plus {o['requests'] - o['obj_requests']:.0f} constant ones (listing, bucket and root checks) | "
                     f"{verdict(r, o['obj_heads'] == 0)} |")
    else:
        lines.append("| local→S3 small, ≤ 1 request per new file | not measured in this run | – |")
    vs("local→S3 small, no-op ≤ s5cmd", get("local→S3", "no-op"), "s5cmd")
    rows = get("S3→S3", "initial")
    if rows and "ours" in rows and rows["ours"]["obj_gets"] is not None:
        o = rows["ours"]
        lines.append(f"| S3→S3 same bucket: server-side copy (no bytes through the client) | {o['obj_gets']:.0f} "
                     f"object GETs by ours (copies are CopyObject PUTs) | "
                     f"{'met' if o['obj_gets'] == 0 else '**missed**'} ({o['obj_gets'] / max(1, o['obj_requests']):.2f}× "
                     f"object GETs per object request) |")
    vs("S3→S3 small, files/s ≥ s5cmd (time ≤ s5cmd's)", get("S3→S3", "initial"), "s5cmd")
    for (p, wl, ph), rows in summ.items():
        if wl.endswith("x4KiB") or wl == ONE_FILE or ph != "initial" or "ours" not in rows:
            continue
        bt, bs = best_other(rows)
        o = rows["ours"]
        if bs and o["mib_s"]:
            lines.append(f"| {p} {wl}: MiB/s ≥ best other ({bt}) | ours {o['mib_s']:.0f} vs {bs['mib_s']:.0f} MiB/s "
                         f"(ours RSS {o['rss']:.0f} MB) | {verdict(o['wall'] / bs['wall'], o['ok'])} |")
    for b in big:
        lines.append(f"| {b['path']} one {b['size_mib']} MiB file: ours < 150 MB RSS | {b['rss']:.0f} MB peak RSS, "
                     f"{b['mib_s']:.0f} MiB/s | {verdict(b['rss'] / 150, not b['problem'])} |")
    if not big:
        lines.append("| 1 GiB file < 150 MB RSS | not measured in this run (`--big-file`) | – |")
    for r in plan_rows:
        if "error" in r:
            lines.append(f"| plan {r['entries']:,} entries | failed: {r['error']} | **missed** |")
            continue
        if r["entries"] == 1_000_000:
            ratio = max(r["plan_s"] / 5, r["peak_rss_mb"] / 1536)
            lines.append(f"| plan 1M entries < 5 s and < 1.5 GB | {r['plan_s']:.2f} s ({r['plan_s'] / 5:.2f}×), "
                         f"{r['peak_rss_mb']:.0f} MB ({r['peak_rss_mb'] / 1536:.2f}×) | {verdict(ratio)} |")
        if r["entries"] == 100_000:
            lines.append(f"| plan 100k entries < 1 s | {r['plan_s']:.2f} s | {verdict(r['plan_s'] / 1.0)} |")
    return lines


# -- plan / TUI scale ------------------------------------------------------------------

def plan_scale(sizes) -> list[dict]:
    rows = []
    for n in sizes:
        log(f"  plan {n:,} entries")
        r = subprocess.run([sys.executable, "-m", "benchmarks.plan_scale", str(n)], cwd=str(REPO),
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            rows.append({"entries": n, "error": (r.stderr.strip().splitlines() or ["failed"])[-1][:120]})
        else:
            rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
    return rows


def tui_scale(n: int) -> dict:
    try:
        import importlib.util
        if importlib.util.find_spec("tui.app") is None:
            return {"skipped": "tui.app does not exist yet"}
    except Exception as exc:  # noqa: BLE001
        return {"skipped": f"tui.app cannot be found: {exc}"}
    log(f"  TUI first paint on {n:,} files")
    r = subprocess.run([sys.executable, "-m", "benchmarks.tui_paint", str(n)], cwd=str(REPO),
                       capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        return {"skipped": "failed: " + ((r.stderr.strip().splitlines() or ["?"])[-1][:150])}
    return json.loads(r.stdout.strip().splitlines()[-1])


def _fstype(path: Path) -> str:
    """The filesystem type holding ``path`` (from /proc/mounts), e.g. ext4 or tmpfs."""
    best, kind = "", "?"
    try:
        with open("/proc/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) > 2 and str(path).startswith(parts[1]) and len(parts[1]) > len(best):
                    best, kind = parts[1], parts[2]
    except OSError:
        pass
    return kind


# -- one big file ----------------------------------------------------------------------

def big_file(res: Results, env, server, counter, s3, size: int = 1024 * W.MiB) -> None:
    """Ours copies one big file (1 GiB by default) local→S3 (multipart upload), then S3→local back
    into a fresh folder: the peak RSS of each run is the memory-bound target."""
    src_dir = WORK / "big" / "src"
    back = WORK / "big" / "back"
    rel = "big.bin"
    path = src_dir / rel
    if not path.exists() or path.stat().st_size != size:
        src_dir.mkdir(parents=True, exist_ok=True)
        block = W.Workload("big", {"x": W.MiB}, seed=3).content("x")
        with open(path, "wb") as f:  # written a MiB at a time: the benchmark itself stays small
            for i in range(size // W.MiB):
                f.write(block[i % 997:] + block[:i % 997])
    up = ("s3", f"{BUCKET}/big/ours")
    W.clear(up, s3)
    shutil.rmtree(back, ignore_errors=True)
    for label, src, dst in (("local→S3", ("local", str(src_dir)), up),
                            ("S3→local", up, ("local", str(back)))):
        st = one_run("ours", src, dst, env, server, counter, s3)
        prob = W.check(dst, s3, {rel: size}) or ("" if st.returncode == 0 else f"exit {st.returncode}")
        res.big.append({"path": label, "size_mib": size // W.MiB, "tool": "ours", "wall": st.wall,
                        "mib_s": size / W.MiB / st.wall, "cpu": st.cpu, "rss": st.rss_mb, "problem": prob})
        log(f"  {label:12} {size // W.MiB} MiB file  ours  {st.wall:7.2f}s {st.rss_mb:.0f} MB {prob}")
    W.clear(up, s3)
    shutil.rmtree(back, ignore_errors=True)


# -- main ------------------------------------------------------------------------------

def _byte_compile_ours() -> None:
    """Compile this checkout's package once, as an installed wheel would be.

    An editable install runs from source; where bytecode is not written
    (PYTHONDONTWRITEBYTECODE), every run of ours would recompile each module
    (about 20 ms here), which no installed tool pays.
    """
    import compileall

    import fsspeckit

    compileall.compile_dir(str(Path(fsspeckit.__file__).parent), quiet=1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="1,000 small files, 20 x 1 MiB, one repetition, no 100 MiB files, slow contenders capped")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--small", type=int, default=None, help="number of 4 KiB files")
    ap.add_argument("--only", default="", help="comma-separated paths, e.g. 'local→S3,S3→S3' or 'l2s,s2s'")
    ap.add_argument("--tools", default="", help="comma-separated contender names to run (default all)")
    ap.add_argument("--no-scale", action="store_true", help="skip the planning/TUI rows")
    ap.add_argument("--big-file", action=argparse.BooleanOptionalAction, default=None,
                    help="also copy one 1 GiB file with ours (local→S3, S3→local) for its peak RSS "
                         "(default: on in a full run, off with --quick)")
    ap.add_argument("--big-size", type=int, default=1024, help="size of that file in MiB (default 1024)")
    ap.add_argument("--out", default=None, help="markdown file (default results/latest.md, or results/quick.md "
                                                "with --quick)")
    ap.add_argument("--workdir", default=None,
                    help="folder for the local trees (default benchmarks/results/work; e.g. /dev/shm/bench for tmpfs)")
    a = ap.parse_args(argv)
    if a.big_file is None:
        a.big_file = not a.quick
    if a.out is None:
        a.out = str(HERE / "results" / ("quick.md" if a.quick else "latest.md"))
    global WORK
    if a.workdir:
        WORK = Path(a.workdir).resolve()
    t_start = time.time()
    reps = a.reps or (1 if a.quick else 3)
    n_small = a.small or (1000 if a.quick else 10_000)
    loads = [W.hive_small(n_small), W.flat(20 if a.quick else 200, W.MiB, "1MiB")]
    if not a.quick:
        loads.append(W.flat(5, 100 * W.MiB, "100MiB"))
    loads.append(W.flat(1, 4 * W.KiB, ONE_FILE))  # each tool's fixed cost per run
    alias = {"l2l": "local→local", "l2s": "local→S3", "s2l": "S3→local", "s2s": "S3→S3"}
    paths = [alias.get(p.strip(), p.strip()) for p in a.only.split(",") if p.strip()] or list(PATHS)
    tools = [t.strip() for t in a.tools.split(",") if t.strip()] or C.ORDER

    log("checking contenders (first run installs them into benchmarks/.tools)")
    box = ensure_tools()
    for t, why in (box.notes or {}).items():
        log(f"  {t}: unavailable: {why}")
    _byte_compile_ours()
    os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
    WORK.mkdir(parents=True, exist_ok=True)

    server = BenchServer().start()
    counter = RequestCounter(server)
    import s3fs
    s3 = s3fs.S3FileSystem(endpoint_url=server.endpoint, key="testing", secret="testing")
    s3.mkdir(BUCKET)
    env = C.Env(box, server.endpoint, sys.executable)
    res = Results()
    try:
        log("writing workloads")
        for w in loads:
            W.write_local(w, _loc("local", "src", w.name)[1])
            if any(PATHS[p][0] == "s3" for p in paths):
                W.upload(s3, w, _loc("local", "src", w.name)[1], _loc("s3", "src", w.name)[1])
        for rep in range(reps):
            log(f"repetition {rep + 1}/{reps}")
            for path in paths:
                sk, dk = PATHS[path]
                runnable = []
                for t in tools:
                    why = C.available(t, sk, dk, env)
                    if why:
                        res.skipped[(path, t)] = why
                    else:
                        runnable.append(t)
                k = rep % max(1, len(runnable))
                turn = runnable[k:] + runnable[:k]  # rotate who goes first
                for w in loads:
                    for t in turn:
                        phases = phases_for(t, path, rep, a.quick, w is loads[0], res.notes)
                        if phases:
                            bench_cell(res, path, w, t, env, server, counter, s3, phases)
        if a.big_file:
            log(f"one {a.big_size} MiB file, ours")
            try:
                big_file(res, env, server, counter, s3, a.big_size * W.MiB)
            except Exception as exc:  # noqa: BLE001  (keep the rest of a long run)
                log(f"  big file failed: {exc!r}")
                res.notes.add(f"the big-file rows failed: {exc!r}")
        plan_rows, tui_row = [], None
        if not a.no_scale:
            log("planning scale")
            plan_rows = plan_scale([10_000, 100_000, 1_000_000])
            tui_row = tui_scale(100_000)
    finally:
        server.stop()
    meta = {"quick": a.quick, "reps": reps, "when": time.strftime("%Y-%m-%d %H:%M"),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
                       f"local trees on {_fstype(WORK)}",
            "command": " ".join(["python -m benchmarks.run", *(argv if argv is not None else sys.argv[1:])]),
            "elapsed": time.time() - t_start}
    text = render(res, meta, plan_rows, tui_row)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(text, encoding="utf-8")
    print(text)
    log(f"written to {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
