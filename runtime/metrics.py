"""Metrics in the Prometheus text exposition format (0.0.4), through prometheus_client.

    TURNS = GATEWAY.counter("gateway_turns_total", "Turns sent to Rasa.", ("channel", "outcome"))
    TURNS.labels("wx", "answered").inc()      # or TURNS.inc(1.0, ("wx", "answered"))
    render(GATEWAY)                           # the text GET /metrics answers, MEDIA_TYPE

Counter (only goes up), Gauge (set, or read from a function at scrape time) and Histogram (fixed
buckets chosen when it is made): prometheus_client's, in one registry per service (GATEWAY, ACTIONS,
PUSH, CONSOLE, below), with label values given in order as a tuple on the hot path. A process
renders the registries of the services it runs (the gateway with its embedded push worker renders
both) and PROCESS, its own memory and start time. Label values must come from small fixed sets in
our own code (channel names, statuses, action names), never from what a user sent: each distinct
value is a series kept for the life of the process. Misuse (a bad name, a label too many, a counter
going down) raises MetricError at once.
"""
from __future__ import annotations

import re
import time
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Sequence, Tuple, TypeVar

import prometheus_client
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily

MEDIA_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 4.0, 5.0, 10.0)

LabelValues = Tuple[str, ...]
# names every Prometheus reads (prometheus_client also takes UTF-8 names, which older ones refuse)
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")

prometheus_client.disable_created_metrics()  # no *_created series: 0.0.4 readers take them for samples of their own


class MetricError(ValueError):
    """A metric defined or used against the exposition format's rules (a programming error)."""


T = TypeVar("T")


def _registered(make: Callable[[], T]) -> T:
    """`make()`, prometheus_client's refusal (a name taken twice …) raised as MetricError."""
    try:
        return make()
    except ValueError as error:
        raise MetricError(str(error)) from error


def _check_names(name: str, labels: Sequence[str]) -> None:
    if not _NAME.fullmatch(name):
        raise MetricError(f"metric name {name!r} is not [a-zA-Z_:][a-zA-Z0-9_:]*")
    for label in labels:
        if not _LABEL.fullmatch(label) or label.startswith("__") or label == "le":
            raise MetricError(f"{name}: label name {label!r} is not allowed")


class _Metric:
    def __init__(self, metric: Any, name: str, labels: Sequence[str]) -> None:
        self._metric = metric
        self.name = name
        self.label_names = tuple(labels)

    def _child(self, values: Sequence[object]) -> Any:
        if not self.label_names:
            if values:
                raise MetricError(f"{self.name}: takes no label values")
            return self._metric
        if len(values) != len(self.label_names):
            raise MetricError(f"{self.name}: expected labels {self.label_names}, got {len(values)} values")
        return self._metric.labels(*(str(v) for v in values))

    def _samples(self, suffix: str = "") -> Iterator[Tuple[Dict[str, str], float]]:
        for family in self._metric.collect():
            for sample in family.samples:
                if sample.name == self.name + suffix:
                    yield sample.labels, sample.value

    def _read(self, values: Sequence[object], suffix: str = "") -> float:
        wanted = dict(zip(self.label_names, (str(v) for v in values)))
        return next((value for labels, value in self._samples(suffix) if labels == wanted), 0.0)


class Counter(_Metric):
    """A count that only goes up; its name ends in `_total`."""

    def labels(self, *values: object) -> "_Bound":
        return _Bound(self, tuple(str(v) for v in values))

    def inc(self, amount: float = 1.0, key: LabelValues = ()) -> None:
        """Add `amount` to the series `key` (its label values, in order; what labels() binds)."""
        if amount < 0:
            raise MetricError(f"{self.name}: a counter cannot go down")
        self._child(key).inc(amount)

    def value(self, *values: object) -> float:
        return self._read(values)

    def total(self, skip: Callable[[LabelValues], bool] = lambda key: False) -> float:
        """The sum over every series (those `skip` names left out)."""
        return sum(value for labels, value in self._samples()
                   if not skip(tuple(labels.get(name, "") for name in self.label_names)))


class Gauge(_Metric):
    """A value that goes up and down: set by the code, or read from `function` at each scrape."""

    def set(self, value: float, *values: object) -> None:
        self._child(values).set(value)

    def inc(self, amount: float = 1.0, *values: object) -> None:
        self._child(values).inc(amount)

    def value(self, *values: object) -> float:
        return self._read(values)


class Histogram(_Metric):
    """Observations counted into fixed, cumulative buckets (`le`, inclusive), with their sum and count."""

    def labels(self, *values: object) -> "_Bound":
        return _Bound(self, tuple(str(v) for v in values))

    def observe(self, value: float, key: LabelValues = ()) -> None:
        self._child(key).observe(value)

    def count(self, *values: object) -> int:
        return int(self._read(values, "_count"))


class Followed:
    """A counter whose counts another object keeps: read from `source` at each scrape (follow())."""

    def __init__(self, name: str, help: str, labels: Sequence[str]) -> None:
        self.name, self.help, self.label_names = name, help, tuple(labels)
        self._source: Callable[[], Mapping[LabelValues, float]] = dict

    def follow(self, source: Callable[[], Mapping[LabelValues, float]]) -> None:
        self._source = source

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(self.name, self.help, labels=self.label_names)
        for key, value in sorted(self._source().items()):
            family.add_metric([str(v) for v in key], float(value))
        yield family


class _Bound:
    """A metric with its label values bound (labels(...)): inc() or observe() on that series."""

    __slots__ = ("_metric", "_key")

    def __init__(self, metric: _Metric, key: LabelValues) -> None:
        metric._child(key)  # checked now: a wrong number of values fails here, not at the first update
        self._metric, self._key = metric, key

    def inc(self, amount: float = 1.0) -> None:
        self._metric.inc(amount, self._key)  # type: ignore[attr-defined]

    def observe(self, value: float) -> None:
        self._metric.observe(value, self._key)  # type: ignore[attr-defined]


class Registry:
    """The metrics of one service, rendered together."""

    def __init__(self) -> None:
        self.collector = CollectorRegistry()

    def counter(self, name: str, help: str, labels: Sequence[str] = ()) -> Counter:
        _check_names(name, labels)
        if not name.endswith("_total"):
            raise MetricError(f"counter {name!r}: its name ends in _total")
        return Counter(_registered(lambda: prometheus_client.Counter(name, help, tuple(labels), registry=self.collector)), name, labels)

    def gauge(self, name: str, help: str, labels: Sequence[str] = (),
              function: Optional[Callable[[], float]] = None) -> Gauge:
        _check_names(name, labels)
        if function is not None and labels:
            raise MetricError(f"{name}: a gauge read from a function has no labels")
        gauge = _registered(lambda: prometheus_client.Gauge(name, help, tuple(labels), registry=self.collector))
        if function is not None:
            gauge.set_function(function)
        return Gauge(gauge, name, labels)

    def histogram(self, name: str, help: str, buckets: Sequence[float] = LATENCY_BUCKETS,
                  labels: Sequence[str] = ()) -> Histogram:
        _check_names(name, labels)
        if list(buckets) != sorted(set(buckets)):
            raise MetricError(f"{name}: buckets must be increasing and distinct")
        made = _registered(lambda: prometheus_client.Histogram(name, help, tuple(labels), registry=self.collector, buckets=tuple(buckets)))
        return Histogram(made, name, labels)

    def followed_counter(self, name: str, help: str, labels: Sequence[str] = ()) -> Followed:
        _check_names(name, labels)
        followed = Followed(name, help, labels)
        _registered(lambda: self.collector.register(followed))
        return followed

    def text(self) -> str:
        return generate_latest(self.collector).decode("utf-8")


def render(*registries: Registry) -> str:
    """The exposition text of these registries (and the process's own figures), newline-ended."""
    return "".join(registry.text() for registry in (PROCESS,) + registries)


# ---- the process itself (every service): memory, CPU, open files, start time (prometheus_client's, from /proc)

PROCESS = Registry()
ProcessCollector(registry=PROCESS.collector)

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
KB_RELOADS = ACTIONS.followed_counter(
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
