"""Planning at scale: build two synthetic listings of N entries in memory and time ``make_plan``.

Run in its own process (``python -m benchmarks.plan_scale N``) so its peak RSS
is its own; prints JSON. The destination differs from the source in 1 % of
sizes, 1 % missing and 1 % extra files, over hive-style paths.
"""

from __future__ import annotations

import json
import sys
import time

from benchmarks.rss import peak_rss_mb


def main(n: int) -> dict:
    from fsspeckit.model.entries import Entry, Listing
    from fsspeckit.planning.plan import SyncOptions, make_plan

    t0 = time.perf_counter()
    src = Listing(root="src", protocol="file")
    dst = Listing(root="bucket/dst", protocol="s3", upload_times=True)
    base = 1_700_000_000.0
    se, de = src.entries, dst.entries
    for i in range(n):
        rel = f"year={2000 + i % 25}/month={i % 12 + 1:02d}/day={i % 28 + 1:02d}/part-{i:07d}.parquet"
        se[rel] = Entry(rel, 4096, base + i)
        k = i % 100
        if k == 0:
            continue  # missing on the destination
        size = 4097 if k == 1 else 4096
        de[rel] = Entry(rel, size, base + i + 10.0)
        if k == 2:
            extra = rel + ".old"
            de[extra] = Entry(extra, 10, base)
    built = time.perf_counter() - t0
    t1 = time.perf_counter()
    plan = make_plan(src, dst, SyncOptions())
    planned = time.perf_counter() - t1
    t2 = time.perf_counter()
    totals = plan.totals
    totals_s = time.perf_counter() - t2
    rss = peak_rss_mb()
    return {"entries": n, "build_s": round(built, 3), "plan_s": round(planned, 3), "totals_s": round(totals_s, 3),
            "peak_rss_mb": round(rss, 1), "actions": len(plan.actions), "files": dict(totals.files)}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
