"""What a headless command says while it runs: the log, the stats lines, the progress display.

Everything goes through the standard ``logging`` module, as rclone does it:
``-v`` logs one line per file acted on (the library's INFO records), ``-vv``
the plan's decisions too (DEBUG), ``-q`` only errors. ``--log-file`` sends the
log to a file instead of stderr, ``--log-format json`` writes one JSON object
per line with stable keys (``JSON_KEYS``, plus the record's own fields).
``--stats DURATION`` logs a one-line summary of the run every DURATION, to a
terminal or not. On a terminal a progress display (``rich.progress``) shows the
listing counts, the hashing and the copies.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Callable

from .common import UsageError, human, rates

#: Keys every JSON log line has (null when a record has nothing to say there).
JSON_KEYS = ("time", "level", "logger", "event", "path", "bytes", "error", "message")

#: Record attributes copied into a JSON line besides ``JSON_KEYS`` when a record has them.
EXTRA_KEYS = ("action", "reason", "stage", "stages", "files_done", "files_total", "bytes_done", "bytes_total",
              "bytes_per_s", "files_per_s", "eta_s", "errors", "transfer_s", "elapsed_s")

#: Outcomes a per-file line names, with its size.
PER_FILE = ("copied", "updated", "deleted")

stats_log = logging.getLogger("fsspeckit.cli.stats")
log = logging.getLogger("fsspeckit.cli")


#: rclone's --log-level names; its NOTICE is our default, warnings and errors.
LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "NOTICE": logging.WARNING, "ERROR": logging.ERROR}


def level_of(args) -> int:
    named = getattr(args, "log_level", None)
    if named:
        return LEVELS[named]
    if getattr(args, "quiet", False):
        return logging.ERROR
    verbose = getattr(args, "verbose", 0) or 0
    if getattr(args, "debug", False) or verbose >= 2:
        return logging.DEBUG
    return logging.INFO if verbose == 1 else logging.WARNING


class TextFormatter(logging.Formatter):
    """``2026/01/02 15:04:05 INFO  copied a/b.csv (1.2 MiB)``: rclone's layout, our sizes."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-5s %(message)s", datefmt="%Y/%m/%d %H:%M:%S")

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = message_of(record)
        return super().formatMessage(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``JSON_KEYS`` always, the record's extra fields when set."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": getattr(record, "event", None),
            "path": getattr(record, "path", None),
            "bytes": getattr(record, "bytes", None),
            "error": getattr(record, "error", None),
            "message": message_of(record),
        }
        for key in EXTRA_KEYS:
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def message_of(record: logging.LogRecord) -> str:
    """The record's text; a per-file line names its size the way the summaries do."""
    event = getattr(record, "event", None)
    if event in PER_FILE and getattr(record, "path", None) is not None:
        return f"{event} {record.path} ({human(getattr(record, 'bytes', 0) or 0)})"
    return record.getMessage()


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now, so a live progress display can print the log above itself."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ sets it
        pass


class _NotPrintedTwice(logging.Filter):
    """Per-file failures are listed by the command's own output; the stderr log leaves them out."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "event", None) not in ("failed", "cancelled")


def setup_logging(args) -> Callable[[], None]:
    """Send the library's log where the options say for this command; return a function undoing it."""
    logger = logging.getLogger("fsspeckit")
    before = (logger.level, logger.propagate)
    handler = _handler(args)
    logger.addHandler(handler)
    logger.setLevel(level_of(args))
    logger.propagate = False
    stats_before = stats_log.level
    stats_log.setLevel(logging.INFO)  # asked for with --stats: shown whatever the level

    def restore() -> None:
        logger.removeHandler(handler)
        handler.close()
        logger.setLevel(before[0])
        logger.propagate = before[1]
        stats_log.setLevel(stats_before)

    return restore


def _handler(args) -> logging.Handler:
    path = getattr(args, "log_file", None)
    if path:
        try:
            handler: logging.Handler = logging.FileHandler(path, mode="a", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write the log file {path}: {exc.strerror or exc}") from None
    else:
        handler = StderrHandler()
        if getattr(args, "func", None) is not None and not getattr(args, "json", False):
            handler.addFilter(_NotPrintedTwice())
    json_format = getattr(args, "log_format", "text") == "json"
    handler.setFormatter(JsonFormatter() if json_format else TextFormatter())
    return handler


# --- what a run reports while it runs ----------------------------------------------

class RunWatch:
    """Keeps the latest state of a run: planning stages, then the copies' ``Progress``.

    ``on_stage`` and ``on_progress`` are the hooks given to the library; a stats
    thread and a progress display read from here.
    """

    def __init__(self) -> None:
        self.stage: str | None = None
        self.stage_done = 0
        self.stage_total: int | None = None
        self.progress = None  # the last fsspeckit.execution.apply.Progress
        #: Each planning stage seen so far -> (done, total), in the order they began.
        self.stages: dict[str, tuple[int, int | None]] = {}
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self.listeners: list[Callable[[], None]] = []

    def on_stage(self, stage: str, done: int, total: int | None) -> None:
        with self._lock:
            self.stage, self.stage_done, self.stage_total = stage, done, total
            self.stages[stage] = (done, total)
        if stage.startswith("listing") and total is not None:
            log.info("%s: %d files", stage.replace("listing", "listed"), total, extra={"event": "listed", "stage": stage})
        self._tell()

    def on_progress(self, p) -> None:
        with self._lock:
            self.stage, self.progress = "transfer", p
        self._tell()

    def _tell(self) -> None:
        for listener in self.listeners:
            listener()

    def stats(self) -> dict:
        """The numbers of one stats line."""
        with self._lock:
            stage, done, total, p = self.stage, self.stage_done, self.stage_total, self.progress
            stages = {name: list(counts) for name, counts in self.stages.items()}
        elapsed = time.monotonic() - self.started
        if p is None:
            return {"stage": stage or "starting", "files_done": done, "files_total": total, "stages": stages,
                    "elapsed_s": round(elapsed, 1)}
        seconds = max(p.elapsed, 1e-9)
        return {"stage": "transfer", "files_done": p.files_done, "files_total": p.files_total,
                "bytes_done": p.bytes_done, "bytes_total": p.bytes_total,
                "bytes_per_s": round(p.bytes_done / seconds, 1), "files_per_s": round(p.files_done / seconds, 2),
                "eta_s": None if p.eta is None or p.finished else round(p.eta, 1), "errors": p.failed,
                "transfer_s": round(seconds, 3), "elapsed_s": round(elapsed, 1)}


def stats_text(s: dict) -> str:
    """``Transferred: 3/10 files, 1.2 MiB/4.0 MiB (30%), 2.0 MiB/s, 2.5 files/s, ETA 3 s, errors 0``."""
    if s["stage"] != "transfer":
        parts = []
        for stage, (done, total) in (s.get("stages") or {}).items():
            if stage == "hashing":
                parts.append(f"hashed {done}/{total} files")
            else:
                parts.append(f"{stage} {'done, ' if total is not None else ''}{done} files found")
        return f"{'; '.join(parts) or 'starting'}; {s['elapsed_s']:.0f} s"
    pct = 100.0 * s["bytes_done"] / s["bytes_total"] if s["bytes_total"] else 100.0
    eta = f", ETA {s['eta_s']:.0f} s" if s["eta_s"] is not None else ""
    return (f"transferred {s['files_done']}/{s['files_total']} files, {human(s['bytes_done'])}/"
            f"{human(s['bytes_total'])} ({pct:.0f}%), {rates(s['bytes_done'], s['files_done'], s['transfer_s'])}"
            f"{eta}, errors {s['errors']}")


class StatsTicker:
    """Logs a stats line every ``interval`` seconds while a run lasts, and one at its end."""

    def __init__(self, watch: RunWatch, interval: float) -> None:
        self.watch, self.interval = watch, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fsspeckit-cli-stats", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.emit()

    def emit(self) -> None:
        s = self.watch.stats()
        stats_log.info("%s", stats_text(s), extra={"event": "stats", **s})

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.emit()


class ProgressDisplay:
    """A live display on a terminal (``rich.progress``): listing counts, hashing, then the copies.

    Reads the ``RunWatch`` at most ten times a second; the log printed meanwhile
    appears above it (``StderrHandler`` writes to the redirected ``sys.stderr``).
    """

    def __init__(self, watch: RunWatch) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.watch = watch
        self.bar = Progress(TextColumn("{task.description:<20}"), BarColumn(), TextColumn("{task.fields[counts]}"),
                            TimeRemainingColumn(), console=Console(stderr=True), transient=False,
                            refresh_per_second=8)
        self.tasks: dict[str, int] = {}
        self._last = 0.0
        self.bar.start()
        watch.listeners.append(self.update)
        self.update(force=True)

    def _task(self, stage: str) -> int:
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=None, counts="")
        return self.tasks[stage]

    def update(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        w = self.watch
        for stage, (done, total) in list(w.stages.items()):
            unit = "files hashed" if stage == "hashing" else "files"
            text = f"{done:,}/{total:,} {unit}" if total is not None else f"{done:,} files found"
            self.bar.update(self._task(stage), total=total, completed=done, counts=text)
        if w.progress is not None:
            p = w.progress
            text = (f"{p.files_done}/{p.files_total} files, {human(p.bytes_done)}/{human(p.bytes_total)}, "
                    f"{rates(p.bytes_done, p.files_done, p.elapsed)}" + (f", {p.failed} failed" if p.failed else ""))
            self.bar.update(self._task("transferring"), total=max(p.bytes_total, 1),
                            completed=p.bytes_done if p.bytes_total else 1, counts=text)

    def close(self) -> None:
        self.update(force=True)
        self.bar.stop()


class RunOutput:
    """The stats ticker and progress display one command asked for; ``watch`` has the library's hooks."""

    def __init__(self, args, *locations: str) -> None:
        self.watch = RunWatch()
        if locations:
            log.info("listing %s", " and ".join(locations), extra={"event": "listing"})
            for role in ("source", "destination"):  # shown from the start: a silent endpoint shows as 0 found
                self.watch.stages[f"listing {role}"] = (0, None)
            self.watch.stage = "listing source"
        quiet = getattr(args, "quiet", False)
        every = getattr(args, "stats", None)
        if every is None and getattr(args, "progress", False) and not sys.stderr.isatty():
            every = 5.0  # -P where no display can be drawn: a stats line every few seconds
        self.ticker = StatsTicker(self.watch, every) if every else None
        show = (sys.stderr.isatty() and not quiet and not getattr(args, "no_progress", False)
                and not getattr(args, "dry_run", False))
        self.display = ProgressDisplay(self.watch) if show else None

    def close(self) -> None:
        if self.display is not None:
            self.display.close()
        if self.ticker is not None:
            self.ticker.close()
