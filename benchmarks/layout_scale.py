"""Layout inspection at scale: summarise a hive layout of many small Parquet files on S3 (moto).

``python -m benchmarks.layout_scale [--quick] [--files N] [--workers W]``
starts moto's server in its own process, seeded with N copies of one small
Parquet file under ``year=/month=/day=`` folders, then, in a child process of
its own (so its peak RSS is its own), lists the tree with s3fs, reads every
footer with ``fsspeckit.partitions.layout.summarize_layout`` on W threads (at most a few
footers per thread in flight) and runs ``check_layout``. It checks the answer
(every file, every row, one schema, no error), prints JSON and writes a short
table to ``benchmarks/results/layout-scale.md`` (``layout-scale-quick.md``).

Seeding goes through moto's own backend, inside the server process, before it
serves: 100,000 HTTP PUTs would cost moto about 2.7 ms of CPU each (4–5 minutes
here) and measure moto, not us. The objects are the same ones a PUT makes
(moto's ``put_object``); the child reads them over HTTP like any client.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from benchmarks.measure import REPO, BenchServer
from benchmarks.rss import peak_rss_mb
from tests.servers import _MOTO_FIXES

HERE = Path(__file__).resolve().parent
BUCKET = "layout-bench"
ROOT = "events"
ROWS_PER_FILE = 10
FULL, QUICK = 100_000, 5_000
#: A healthy layout: every calendar day present, fewer files a day than a small-file finding needs.
FILES_PER_DAY = 12
FIRST_DAY = date(2000, 1, 1)

def key_of(i: int) -> str:
    """The i-th file's key under the root: ``FILES_PER_DAY`` files a day, calendar days from 2000-01-01."""
    d = FIRST_DAY + timedelta(days=i // FILES_PER_DAY)
    return f"year={d.year}/month={d.month:02d}/day={d.day:02d}/part-{i:06d}.parquet"


def payload() -> bytes:
    """One small Parquet file (``ROWS_PER_FILE`` rows, three columns, statistics on)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = ROWS_PER_FILE
    table = pa.table({"id": pa.array(range(n), pa.int64()), "amount": pa.array([i * 1.5 for i in range(n)]),
                      "country": pa.array(["de", "fr", "us", "jp", "br"] * (n // 5))})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


class SeededServer(BenchServer):
    """moto's server that holds ``files`` copies of ``data`` under ``BUCKET/ROOT`` before it answers."""

    def __init__(self, files: int, data: bytes, **kwargs):
        super().__init__(startup_timeout=600.0, **kwargs)
        self.files, self.data = files, data

    def _command(self, port: int) -> list[str]:
        import base64

        seed = "\n".join([
            "from moto.core import DEFAULT_ACCOUNT_ID",
            "from moto.s3.models import s3_backends",
            "import base64",
            "from benchmarks.layout_scale import key_of",
            "_backend = s3_backends[DEFAULT_ACCOUNT_ID]['global']",
            f"_backend.create_bucket({BUCKET!r}, 'us-east-1')",
            f"_payload = base64.b64decode({base64.b64encode(self.data).decode()!r})",
            f"for _i in range({self.files}):",
            f"    _backend.put_object({BUCKET!r}, {ROOT!r} + '/' + key_of(_i), _payload)",
        ])
        args = ["-H", self.host, "-p", str(port)]
        return [sys.executable, "-c", _MOTO_FIXES + seed + f"\nmain({args!r})\n"]

    def _env(self) -> dict[str, str]:
        return {**super()._env(), "PYTHONPATH": str(REPO)}

    def peak_rss_mb(self) -> float:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
        return 0.0


def measure(endpoint: str, files: int, workers: int) -> dict:
    """In the child: list, read every footer, check; timings, peak RSS and the answer checked."""
    import fsspeckit
    from fsspeckit.partitions.layout import summarize_layout
    from fsspeckit.partitions.layout_check import check_layout
    from fsspeckit.listing.tree import list_tree

    options = {"endpoint_url": endpoint, "key": "testing", "secret": "testing"}
    fs = fsspeckit.filesystem(f"s3://{BUCKET}/{ROOT}", storage_options=options)
    t0 = time.perf_counter()
    listing = list_tree(fs)
    t1 = time.perf_counter()
    summary = summarize_layout(fs, listing, max_workers=workers)
    t2 = time.perf_counter()
    findings = check_layout(summary)
    t3 = time.perf_counter()
    total = summary.total
    errors = sum(len(p.errors) for p in summary.partitions.values())
    ok = (len(listing.entries) == files and total.files == files and total.rows == files * ROWS_PER_FILE
          and len(summary.schemas) == 1 and errors == 0 and not findings)  # the layout is healthy
    return {"files": len(listing.entries), "partitions": len(summary.partitions), "rows": total.rows,
            "schemas": len(summary.schemas), "errors": errors, "findings": sorted({f.kind for f in findings}),
            "list_s": round(t1 - t0, 2), "footers_s": round(t2 - t1, 2), "check_s": round(t3 - t2, 2),
            "total_s": round(t3 - t0, 2), "files_per_s": round(files / max(t2 - t1, 1e-9)),
            "peak_rss_mb": round(peak_rss_mb(), 1), "workers": workers, "ok": ok}


def run(files: int, workers: int) -> dict:
    """Seed a server, measure in a child process, stop the server; the child's figures plus the server's."""
    data = payload()
    t0 = time.perf_counter()
    server = SeededServer(files, data)
    server.start()
    seeded = time.perf_counter() - t0
    try:
        cpu0 = server.cpu_seconds()
        env = {**os.environ, "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required", "PYTHONPATH": str(REPO)}
        r = subprocess.run([sys.executable, "-m", "benchmarks.layout_scale", "--child", server.endpoint,
                            "--files", str(files), "--workers", str(workers)],
                           cwd=str(REPO), env=env, capture_output=True, text=True, timeout=3600)
        if r.returncode != 0:
            raise RuntimeError(f"the measuring process failed:\n{r.stderr[-2000:]}")
        out = json.loads(r.stdout.strip().splitlines()[-1])
        out.update(server_cpu_s=round(server.cpu_seconds() - cpu0, 1), server_rss_mb=round(server.peak_rss_mb(), 1),
                   seed_s=round(seeded, 1), file_bytes=len(data))
        return out
    finally:
        server.stop()


def render(r: dict, quick: bool) -> str:
    return "\n".join([
        f"# Layout summary at scale ({'quick' if quick else 'full'}, {time.strftime('%Y-%m-%d %H:%M')})",
        "",
        f"{r['files']:,} Parquet files of {r['file_bytes']:,} bytes ({ROWS_PER_FILE} rows each) on moto's S3 "
        f"server in its own process, {r['partitions']:,} partitions (year/month/day); "
        f"`summarize_layout(max_workers={r['workers']})` reads every footer, `check_layout` runs on the result.",
        "",
        "| step | seconds |",
        "|---|---:|",
        f"| list (s3fs, 1,000 keys a page) | {r['list_s']:.2f} |",
        f"| read {r['files']:,} footers ({r['files_per_s']:,} files/s) | {r['footers_s']:.2f} |",
        f"| layout health checks | {r['check_s']:.2f} |",
        f"| **total** | **{r['total_s']:.2f}** |",
        "",
        f"Peak RSS of the summarising process: **{r['peak_rss_mb']:.0f} MB** "
        f"({r['peak_rss_mb'] * 1024 / max(r['files'], 1):.1f} KiB per file, listing included). "
        f"moto: {r['server_cpu_s']:.0f} CPU s during the run, peak RSS {r['server_rss_mb']:.0f} MB "
        f"(seeded in {r['seed_s']:.0f} s before it answered).",
        "",
        f"Checked: {r['files']:,} files listed and summarised, {r['rows']:,} rows "
        f"(= files × {ROWS_PER_FILE}), {r['schemas']} schema, {r['errors']} unreadable footers; "
        f"findings on this healthy layout: {', '.join(r['findings']) or 'none'}. {'OK' if r['ok'] else 'MISMATCH'}.",
        "",
    ])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help=f"{QUICK:,} files instead of {FULL:,}")
    ap.add_argument("--files", type=int, default=None)
    ap.add_argument("--workers", type=int, default=8, help="footers read at once (default 8, as in the app)")
    ap.add_argument("--out", default=None, help="markdown file (default results/layout-scale[-quick].md)")
    ap.add_argument("--child", metavar="ENDPOINT", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    files = a.files or (QUICK if a.quick else FULL)
    if a.child:
        print(json.dumps(measure(a.child, files, a.workers)))
        return 0
    r = run(files, a.workers)
    text = render(r, a.quick)
    out = Path(a.out or HERE / "results" / ("layout-scale-quick.md" if a.quick else "layout-scale.md"))
    out.write_text(text)
    print(text)
    print(json.dumps(r))
    return 0 if r["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
