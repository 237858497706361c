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
    st = run_measured(argv, env=penv, server=server, counter=counter, cwd=str(REPO))
    if st.returncode != 0:
        log(f"    {tool}: exit {st.returncode}: {st.stderr.strip()[-500:]}")
    return st


def bench_cell(res: Results, path: str, w: W.Workload, tool: str, env, server, counter, s3, incremental: bool):
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
    if tool in C.COPY_ONLY or not incremental:
        W.clear(dst, s3)
        return
    # no-op rerun
    st = one_run(tool, src, dst, env, server, counter, s3)
    prob = W.check(dst, s3, w.files) or ("" if st.returncode == 0 else f"exit {st.returncode}")
    res.add((path, w.name, "no-op", tool), Sample(st, n, 0, prob))
    log(f"  {path:12} {w.name:10} no-op       {tool:17} {st.wall:7.2f}s {prob}")
    # incremental rerun
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
               "srv CPU = moto's CPU s during the run; req/file = HTTP requests ÷ files moved (÷ tree size "
               "for a no-op); check = destination verified after the run (paths, sizes, changed contents).")
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
    out.append("")
    out.append("## Targets")
    out.append("")
    out.extend(targets(summaries, plan_rows))
    out.append("")
    out.append("## All contenders")
    for scen in res.order:
        rows = summaries[scen]
        out.append("")
        out.append(f"### {scen[0]}, {scen[1]}, {scen[2]}")
        out.append("")
        out.append("| tool | wall s | files/s | MiB/s | CPU s | RSS MB | srv CPU s | req/file | check |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for t, s in rows.items():
            name = f"**{t}**" if t == "ours" else t
            out.append(f"| {name} | {_f(s['wall'])} | {_f(s['files_s'], '{:.0f}')} | {_f(s['mib_s'], '{:.1f}')} | "
                       f"{_f(s['cpu'])} | {_f(s['rss'], '{:.0f}')} | {_f(s['server_cpu'])} | "
                       f"{_f(s['req_file'], '{:.2f}')} | {'ok' if s['ok'] else s['problem']} |")
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


def targets(summ: dict, plan_rows: list) -> list[str]:
    lines = ["| target | measured | verdict |", "|---|---|---|"]

    def get(path, phase, wl_prefix):
        for (p, wl, ph), rows in summ.items():
            if p == path and ph == phase and wl.endswith("x4KiB") == (wl_prefix == "small") \
                    and (wl_prefix == "small" or wl.startswith(wl_prefix)):
                return rows
        return None

    def verdict(ok):
        return "met" if ok else "**missed**"

    def ratio_line(label, rows, other, better="lower"):
        if not rows or "ours" not in rows or other not in rows:
            lines.append(f"| {label} | not measured | – |")
            return
        o, t = rows["ours"], rows[other]
        r = o["wall"] / t["wall"]
        ok = r <= 1.0 and o["ok"]
        lines.append(f"| {label} | ours {o['wall']:.2f} s vs {other} {t['wall']:.2f} s = {r:.2f}× | {verdict(ok)} |")

    ratio_line("local→local small, initial ≤ 1.0× rclone", get("local→local", "initial", "small"), "rclone")
    ratio_line("local→local small, no-op ≤ 1.0× rclone", get("local→local", "no-op", "small"), "rclone")
    ratio_line("local→S3 small, files/s ≥ s5cmd", get("local→S3", "initial", "small"), "s5cmd")
    rows = get("local→S3", "initial", "small")
    if rows and "ours" in rows and rows["ours"]["requests"] is not None:
        o = rows["ours"]
        files = round(o["requests"] / o["req_file"]) if o["req_file"] else 0
        extra = o["requests"] - files
        ok = extra <= 10  # constant listing/bucket checks (HEAD bucket included), nothing per object
        lines.append(f"| local→S3 small, ≤ 1 request per new file (no HEAD per object) | {o['requests']:.0f} requests "
                     f"for {files} files ({o['req_file']:.3f}/file: one PUT each + {extra:.0f} for listing and "
                     f"checks), {o['heads']:.0f} HEAD in all | {verdict(ok)} |")
    ratio_line("local→S3 small, no-op ≤ s5cmd", get("local→S3", "no-op", "small"), "s5cmd")
    ratio_line("S3→S3 small (server-side copy), files/s ≥ s5cmd", get("S3→S3", "initial", "small"), "s5cmd")
    for (p, wl, ph), rows in summ.items():
        if wl.endswith("x4KiB") or ph != "initial" or "ours" not in rows:
            continue
        bt, bs = best_other(rows)
        o = rows["ours"]
        if bs and o["mib_s"]:
            ok = o["mib_s"] >= bs["mib_s"] and o["ok"]
            lines.append(f"| {p} {wl}: MiB/s ≥ best ({bt}) | ours {o['mib_s']:.0f} vs {bs['mib_s']:.0f} MiB/s, "
                         f"ours RSS {o['rss']:.0f} MB | {verdict(ok)} |")
    for r in plan_rows:
        if "error" in r:
            continue
        if r["entries"] == 1_000_000:
            ok = r["plan_s"] < 5 and r["peak_rss_mb"] < 1536
            lines.append(f"| plan 1M entries < 5 s and < 1.5 GB | {r['plan_s']:.2f} s, {r['peak_rss_mb']:.0f} MB | {verdict(ok)} |")
        if r["entries"] == 100_000:
            lines.append(f"| plan 100k entries < 1 s | {r['plan_s']:.2f} s | {verdict(r['plan_s'] < 1)} |")
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


# -- main ------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer files, one repetition, no 100 MiB files")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--small", type=int, default=None, help="number of 4 KiB files")
    ap.add_argument("--only", default="", help="comma-separated paths, e.g. 'local→S3,S3→S3' or 'l2s,s2s'")
    ap.add_argument("--tools", default="", help="comma-separated contender names to run (default all)")
    ap.add_argument("--no-scale", action="store_true", help="skip the planning/TUI rows")
    ap.add_argument("--out", default=str(HERE / "results" / "latest.md"))
    ap.add_argument("--workdir", default=None,
                    help="folder for the local trees (default benchmarks/results/work; e.g. /dev/shm/bench for tmpfs)")
    a = ap.parse_args(argv)
    global WORK
    if a.workdir:
        WORK = Path(a.workdir).resolve()
    t_start = time.time()
    reps = a.reps or (1 if a.quick else 3)
    n_small = a.small or (2000 if a.quick else 10_000)
    loads = [W.hive_small(n_small), W.flat(50 if a.quick else 200, W.MiB, "1MiB")]
    if not a.quick:
        loads.append(W.flat(5, 100 * W.MiB, "100MiB"))
    alias = {"l2l": "local→local", "l2s": "local→S3", "s2l": "S3→local", "s2s": "S3→S3"}
    paths = [alias.get(p.strip(), p.strip()) for p in a.only.split(",") if p.strip()] or list(PATHS)
    tools = [t.strip() for t in a.tools.split(",") if t.strip()] or C.ORDER

    log("checking contenders (first run installs them into benchmarks/.tools)")
    box = ensure_tools()
    for t, why in (box.notes or {}).items():
        log(f"  {t}: unavailable: {why}")
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
                        bench_cell(res, path, w, t, env, server, counter, s3, incremental=w is loads[0])
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
