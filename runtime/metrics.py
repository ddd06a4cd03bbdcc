"""Metrics in the Prometheus text exposition format (version 0.0.4), without prometheus_client.

    TURNS = GATEWAY.counter("gateway_turns_total", "Turns sent to Rasa.", ("channel", "outcome"))
    TURNS.labels("wx", "answered").inc()
    GATEWAY.render()          # the text GET /metrics answers, MEDIA_TYPE

Counter (only goes up), Gauge (set, or read from a function at scrape time) and Histogram (fixed
buckets chosen when it is made). Every update takes one short lock, so threads (the console's
and the action server's thread pools) and the event loop may update the same metric; the cost
is a dict lookup and a lock, well under a microsecond. Label values must come from small fixed
sets in our own code (channel names, statuses, action names), never from what a user sent: each
distinct value is a series kept for the life of the process.

One registry per service (GATEWAY, ACTIONS, PUSH, CONSOLE, below); a process renders the
registries of the services it runs (the gateway with its embedded push worker renders both).
"""
from __future__ import annotations

import math
import os
import re
import threading
import time
from bisect import bisect_left
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

MEDIA_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 4.0, 5.0, 10.0)

LabelValues = Tuple[str, ...]


class MetricError(ValueError):
    """A metric defined or used against the exposition format's rules (a programming error)."""


def format_value(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def series(name: str, labels: Sequence[str], values: Sequence[str]) -> str:
    if not labels:
        return name
    pairs = ",".join(f'{label}="{escape_label(value)}"' for label, value in zip(labels, values))
    return f"{name}{{{pairs}}}"


class _Metric:
    kind = ""

    def __init__(self, name: str, help: str, labels: Sequence[str] = ()) -> None:
        if not _NAME.fullmatch(name):
            raise MetricError(f"metric name {name!r} is not [a-zA-Z_:][a-zA-Z0-9_:]*")
        for label in labels:
            if not _LABEL.fullmatch(label) or label.startswith("__") or label == "le":
                raise MetricError(f"{name}: label name {label!r} is not allowed")
        self.name = name
        self.help = help
        self.label_names = tuple(labels)
        self._lock = threading.Lock()

    def _key(self, values: Sequence[object]) -> LabelValues:
        if len(values) != len(self.label_names):
            raise MetricError(f"{self.name}: expected labels {self.label_names}, got {len(values)} values")
        return tuple(str(v) for v in values)

    def header(self) -> List[str]:
        return [f"# HELP {self.name} {escape_help(self.help)}", f"# TYPE {self.name} {self.kind}"]

    def samples(self) -> List[str]:
        raise NotImplementedError


class Counter(_Metric):
    """A count that only goes up; by convention its name ends in `_total`."""

    kind = "counter"

    def __init__(self, name: str, help: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, help, labels)
        self._values: Dict[LabelValues, float] = {} if labels else {(): 0.0}
        self._source: Optional[Callable[[], Mapping[LabelValues, float]]] = None

    def follow(self, source: Callable[[], Mapping[LabelValues, float]]) -> None:
        """Read the counts from `source` at each scrape (counts another object keeps itself)."""
        self._source = source

    def labels(self, *values: object) -> "_CounterChild":
        key = self._key(values)
        with self._lock:
            self._values.setdefault(key, 0.0)
        return _CounterChild(self, key)

    def inc(self, amount: float = 1.0, key: LabelValues = ()) -> None:
        """Add `amount` to the series `key` (its label values, in order; what labels() binds)."""
        if amount < 0 or len(key) != len(self.label_names):
            raise MetricError(f"{self.name}: a counter cannot go down, and takes {len(self.label_names)} label values")
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, *values: object) -> float:
        with self._lock:
            return self._values.get(self._key(values), 0.0)

    def total(self, skip: Callable[[LabelValues], bool] = lambda key: False) -> float:
        """The sum over every series (those `skip` names left out)."""
        with self._lock:
            return sum(v for k, v in self._values.items() if not skip(k))

    def samples(self) -> List[str]:
        with self._lock:
            values = dict(self._values)
        if self._source is not None:
            values.update((self._key(k), float(v)) for k, v in self._source().items())
        return [f"{series(self.name, self.label_names, k)} {format_value(v)}" for k, v in sorted(values.items())]


class _CounterChild:
    __slots__ = ("_metric", "_key")

    def __init__(self, metric: Counter, key: LabelValues) -> None:
        self._metric, self._key = metric, key

    def inc(self, amount: float = 1.0) -> None:
        self._metric.inc(amount, self._key)


class Gauge(_Metric):
    """A value that goes up and down: set by the code, or read from `function` at each scrape."""

    kind = "gauge"

    def __init__(self, name: str, help: str, labels: Sequence[str] = (),
                 function: Optional[Callable[[], float]] = None) -> None:
        super().__init__(name, help, labels)
        if function is not None and labels:
            raise MetricError(f"{self.name}: a gauge read from a function has no labels")
        self._function = function
        self._values: Dict[LabelValues, float] = {} if labels else {(): 0.0}

    def set(self, value: float, *values: object) -> None:
        key = self._key(values)
        with self._lock:
            self._values[key] = float(value)

    def inc(self, amount: float = 1.0, *values: object) -> None:
        key = self._key(values)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, *values: object) -> float:
        if self._function is not None:
            return float(self._function())
        with self._lock:
            return self._values.get(self._key(values), 0.0)

    def samples(self) -> List[str]:
        if self._function is not None:
            return [f"{self.name} {format_value(self.value())}"]
        with self._lock:
            items = sorted(self._values.items())
        return [f"{series(self.name, self.label_names, k)} {format_value(v)}" for k, v in items]


class Histogram(_Metric):
    """Observations counted into fixed, cumulative buckets (`le`), with their sum and count."""

    kind = "histogram"

    def __init__(self, name: str, help: str, buckets: Sequence[float] = LATENCY_BUCKETS,
                 labels: Sequence[str] = ()) -> None:
        super().__init__(name, help, labels)
        bounds = [float(b) for b in buckets if not math.isinf(b)]
        if not bounds or bounds != sorted(set(bounds)):
            raise MetricError(f"{self.name}: buckets must be finite, increasing and distinct")
        self.bounds = tuple(bounds)
        # per series: a count per bucket (not cumulative; the last is +Inf), and the sum
        self._series: Dict[LabelValues, Tuple[List[int], List[float]]] = {}
        if not labels:
            self._series[()] = self._empty()

    def _empty(self) -> Tuple[List[int], List[float]]:
        return [0] * (len(self.bounds) + 1), [0.0]

    def labels(self, *values: object) -> "_HistogramChild":
        key = self._key(values)
        with self._lock:
            self._series.setdefault(key, self._empty())
        return _HistogramChild(self, key)

    def observe(self, value: float, key: LabelValues = ()) -> None:
        if len(key) != len(self.label_names):
            raise MetricError(f"{self.name}: takes {len(self.label_names)} label values")
        slot = bisect_left(self.bounds, value)  # the first bound >= value: `le` is inclusive
        with self._lock:
            counts, total = self._series.setdefault(key, self._empty())
            counts[slot] += 1
            total[0] += value

    def count(self, *values: object) -> int:
        with self._lock:
            found = self._series.get(self._key(values))
            return sum(found[0]) if found else 0

    def samples(self) -> List[str]:
        with self._lock:
            items = sorted((k, (list(c), s[0])) for k, (c, s) in self._series.items())
        lines: List[str] = []
        labels = self.label_names + ("le",)
        for key, (counts, total) in items:
            running = 0
            for bound, count in zip(self.bounds + (math.inf,), counts):
                running += count
                lines.append(f"{series(self.name + '_bucket', labels, key + (format_value(bound),))} {running}")
            lines.append(f"{series(self.name + '_sum', self.label_names, key)} {format_value(total)}")
            lines.append(f"{series(self.name + '_count', self.label_names, key)} {running}")
        return lines


class _HistogramChild:
    __slots__ = ("_metric", "_key")

    def __init__(self, metric: Histogram, key: LabelValues) -> None:
        self._metric, self._key = metric, key

    def observe(self, value: float) -> None:
        self._metric.observe(value, self._key)


class Registry:
    """The metrics of one service, rendered together in the order they were made."""

    def __init__(self) -> None:
        self._metrics: Dict[str, _Metric] = {}
        self._lock = threading.Lock()

    def _add(self, metric: _Metric) -> _Metric:
        with self._lock:
            if metric.name in self._metrics:
                raise MetricError(f"metric {metric.name!r} is defined twice")
            self._metrics[metric.name] = metric
        return metric

    def counter(self, name: str, help: str, labels: Sequence[str] = ()) -> Counter:
        return self._add(Counter(name, help, labels))  # type: ignore[return-value]

    def gauge(self, name: str, help: str, labels: Sequence[str] = (),
              function: Optional[Callable[[], float]] = None) -> Gauge:
        return self._add(Gauge(name, help, labels, function))  # type: ignore[return-value]

    def histogram(self, name: str, help: str, buckets: Sequence[float] = LATENCY_BUCKETS,
                  labels: Sequence[str] = ()) -> Histogram:
        return self._add(Histogram(name, help, buckets, labels))  # type: ignore[return-value]

    def lines(self) -> List[str]:
        with self._lock:
            metrics = list(self._metrics.values())
        out: List[str] = []
        for metric in metrics:
            out += metric.header() + metric.samples()
        return out


def render(*registries: Registry) -> str:
    """The exposition text of these registries (and the process's own figures), newline-ended."""
    lines = [line for registry in (PROCESS,) + registries for line in registry.lines()]
    return "\n".join(lines) + "\n"


# ---- the process itself (every service)

_STARTED = time.time()


def _page_size() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # not a POSIX system
        return 4096


_PAGE = _page_size()


def _resident_bytes() -> float:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return float(int(statm.read().split()[1]) * _PAGE)
    except (OSError, ValueError, IndexError):  # not Linux
        return 0.0

PROCESS = Registry()
PROCESS.gauge("process_start_time_seconds", "When this process started (Unix time).", function=lambda: _STARTED)
PROCESS.gauge("process_resident_memory_bytes", "Resident memory of this process.", function=_resident_bytes)

# ---- gateway (bot/gateway, bot/channels)

GATEWAY = Registry()
GATEWAY_TURNS = GATEWAY.counter(
    "gateway_turns_total", "Messages the gateway sent to Rasa, by channel (wx, tg, web) and outcome "
    "(answered; unavailable: Rasa failed or timed out and the user got the apology).", ("channel", "outcome"))
GATEWAY_TURN_SECONDS = GATEWAY.histogram(
    "gateway_turn_seconds", "Time from sending a message to Rasa to having its answer, by channel.",
    LATENCY_BUCKETS, ("channel",))
GATEWAY_RASA_ERRORS = GATEWAY.counter(
    "gateway_rasa_errors_total", "Failed calls to Rasa, by kind (the httpx error class, or bad_answer).", ("kind",))
GATEWAY_RESPONSES = GATEWAY.counter(
    "gateway_http_responses_total", "HTTP answers of the gateway, by route and status code.", ("route", "status"))
GATEWAY_TAKEOVERS = GATEWAY.counter(
    "gateway_journal_takeovers_total", "Turns a dead gateway had acknowledged and not answered, taken over from the "
    "journal by this one, by kind (tg, wx) and outcome (taken; dropped: taken over too often).", ("kind", "outcome"))

# ---- action server (actions/)

ACTIONS = Registry()
ACTION_ANSWERS = ACTIONS.counter("actions_answers_total", "Actions run for Rasa and answered, by action.", ("action",))
ACTION_FAILURES = ACTIONS.counter(
    "actions_failures_total", "Action calls not answered, by reason (rejected, unknown_action, error).", ("reason",))
FALLBACK_ANSWERS = ACTIONS.counter(
    "actions_fallback_answers_total", "Answers that did not answer the question: clarify (low confidence) "
    "or out_of_scope (either may offer the help routes), by action.", ("action",))
FALLBACK_RATIO = ACTIONS.gauge(
    "actions_fallback_ratio", "Fallback answers over all answers since start (validate_* form checks are not answers); "
    "over a window: rate(actions_fallback_answers_total) / rate(actions_answers_total{action!~\"validate_.*\"}).",
    function=lambda: FALLBACK_ANSWERS.total() / max(ACTION_ANSWERS.total(lambda key: key[0].startswith("validate_")), 1.0))
KB_RELOADS = ACTIONS.counter(
    "actions_kb_reloads_total", "Knowledge-base reloads after a data file changed, by result (ok, rejected).", ("result",))

# ---- push worker (push)

PUSH = Registry()
PUSH_DELIVERIES = PUSH.counter(
    "push_deliveries_total", "Deliveries this worker finished or rescheduled, by channel of the recipient "
    "(tg, wx, …) and status (sent, retry, pause, blocked, skipped, failed, unknown).", ("channel", "status"))
PUSH_QUEUE_DEPTH = PUSH.gauge(
    "push_queue_depth", "Delivery ids in the queue not yet finished (waiting or being sent), by queue (tg, wx, other).",
    ("queue",))
PUSH_BROADCASTS_RUNNING = PUSH.gauge("push_broadcasts_running", "Broadcasts being sent (status running) in the database.")

# ---- staff console (console)

CONSOLE = Registry()
CONSOLE_LOGINS = CONSOLE.counter(
    "console_logins_total", "Login attempts at the console, by result (ok; failed: wrong name or password; "
    "throttled: too many failures of that name from that address, not checked; refused: malformed request).", ("result",))


def count_turn(channel: str, started: float, error: Optional[str] = None) -> None:
    """One message to Rasa finished (`started`: time.perf_counter() when it was sent); `error`:
    why it got no answer."""
    GATEWAY_TURN_SECONDS.observe(time.perf_counter() - started, (channel,))
    GATEWAY_TURNS.inc(1.0, (channel, "answered" if error is None else "unavailable"))
    if error is not None:
        GATEWAY_RASA_ERRORS.inc(1.0, (error,))
