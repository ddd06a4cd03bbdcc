"""runtime/metrics.py (prometheus_client in registries of our own) on its own: what it renders is valid exposition text (checked by the strict
reader in prometheus.py, which is itself checked against broken texts), histogram buckets, label
escaping, updates from many threads at once, and the cost of an update on the hot path."""
from __future__ import annotations

import threading
import time

import pytest

from runtime.metrics import ACTIONS, CONSOLE, GATEWAY, PUSH, MetricError, Registry, render
from tests.observability.prometheus import ExpositionError, parse, value


def test_every_service_renders_valid_text_and_the_process_figures() -> None:
    samples = parse(render(GATEWAY, ACTIONS, PUSH, CONSOLE))
    assert value(samples, "process_resident_memory_bytes") > 1_000_000
    assert 0 < time.time() - value(samples, "process_start_time_seconds") < 24 * 3600


def test_counter_gauge_and_histogram_render_what_was_recorded() -> None:
    registry = Registry()
    turns = registry.counter("demo_turns_total", "Turns.", ("channel", "outcome"))
    depth = registry.gauge("demo_depth", "Depth.", ("queue",))
    latency = registry.histogram("demo_seconds", "Latency.", (0.1, 1.0, 5.0), ("channel",))
    turns.labels("wx", "answered").inc()
    turns.labels("wx", "answered").inc(2)
    depth.set(7, "tg")
    for seconds in (0.05, 0.1, 0.3, 2.0, 9.0):
        latency.labels("web").observe(seconds)
    samples = parse(render(registry))
    assert value(samples, "demo_turns_total", channel="wx", outcome="answered") == 3
    assert value(samples, "demo_depth", queue="tg") == 7
    buckets = {le: value(samples, "demo_seconds_bucket", channel="web", le=le) for le in ("0.1", "1.0", "5.0", "+Inf")}
    assert buckets == {"0.1": 2, "1.0": 3, "5.0": 4, "+Inf": 5}  # `le` is inclusive: 0.1 falls in le="0.1"
    assert value(samples, "demo_seconds_count", channel="web") == 5
    assert value(samples, "demo_seconds_sum", channel="web") == pytest.approx(11.45)


def test_label_values_are_escaped_and_read_back_unchanged() -> None:
    registry = Registry()
    odd = 'a "quoted" \\ back\nslash} 5'
    registry.counter("demo_odd_total", "Odd labels.", ("kind",)).labels(odd).inc()
    assert value(parse(render(registry)), "demo_odd_total", kind=odd) == 1


def test_updates_from_many_threads_are_all_counted() -> None:
    registry = Registry()
    counter = registry.counter("demo_threads_total", "Threads.", ("n",))
    histogram = registry.histogram("demo_threads_seconds", "Threads.", (0.5,))

    def work(n: int) -> None:
        child = counter.labels(str(n % 2))
        for _ in range(20_000):
            child.inc()
            histogram.observe(0.25)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    samples = parse(render(registry))
    assert value(samples, "demo_threads_total", n="0") + value(samples, "demo_threads_total", n="1") == 160_000
    assert value(samples, "demo_threads_seconds_count") == 160_000


def test_an_update_costs_microseconds() -> None:
    """The gateway counts every turn (~60/s); an update must be far below a millisecond."""
    registry = Registry()
    counter = registry.counter("demo_cost_total", "Cost.", ("channel", "outcome"))
    histogram = registry.histogram("demo_cost_seconds", "Cost.", labels=("channel",))
    started = time.perf_counter()
    for _ in range(10_000):
        counter.inc(1.0, ("wx", "answered"))
        histogram.observe(0.3, ("wx",))
    assert (time.perf_counter() - started) / 10_000 < 50e-6


def test_misuse_is_refused_at_once() -> None:
    registry = Registry()
    with pytest.raises(MetricError):
        registry.counter("bad-name_total", "Bad.")
    with pytest.raises(MetricError):
        registry.counter("demo_le_total", "Bad.", ("le",))
    counter = registry.counter("demo_total", "Demo.", ("a",))
    with pytest.raises(MetricError):
        registry.counter("demo_total", "Twice.")
    with pytest.raises(MetricError):
        counter.labels("x", "y")
    with pytest.raises(MetricError):
        counter.labels("x").inc(-1)
    with pytest.raises(MetricError):
        counter.inc(1.0, ("x", "y"))
    with pytest.raises(MetricError):
        registry.histogram("demo_h", "Bad buckets.", (1.0, 0.5))


GOOD = "# HELP h Demo.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3.5\nh_count 2\n"


@pytest.mark.parametrize("broken", [
    GOOD.replace('h_bucket{le="+Inf"} 2', 'h_bucket{le="+Inf"} 0'),  # counts go down
    GOOD.replace("h_count 2", "h_count 3"),  # +Inf != count
    GOOD.replace('h_bucket{le="+Inf"} 2\n', ""),  # no +Inf bucket
    GOOD.replace("# TYPE h histogram\n", ""),  # no TYPE
    GOOD.replace('{le="1"}', '{le=1}'),  # unquoted label value
    GOOD.replace('{le="1"}', '{le="1",le="2"}'),  # a label twice
    GOOD.replace("h_sum 3.5", "h_sum three"),  # not a number
    GOOD + "h_count 2\n",  # a series twice
    GOOD.rstrip("\n"),  # no final newline
    "# TYPE c counter\nc -1\n",  # a counter below zero
    "# TYPE 9c counter\n9c 1\n",  # bad metric name
])
def test_the_reader_refuses_broken_texts(broken: str) -> None:
    assert parse(GOOD)
    with pytest.raises(ExpositionError):
        parse(broken)
