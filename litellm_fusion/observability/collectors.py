"""Creating the plugin's metrics in prometheus_client's default registry (the one LiteLLM serves at `/metrics`)."""

from __future__ import annotations

from typing import Any


def collector(name: str, spec: tuple[Any, ...]) -> Any:
    """Create (or, on a re-import, reuse) one metric; `spec` is (kind, help, labels[, buckets])."""
    import prometheus_client as pc

    kind, doc, labels, *rest = spec
    try:
        if kind == "counter":
            return pc.Counter(name, doc, labels)
        if kind == "gauge":
            return pc.Gauge(name, doc, labels, multiprocess_mode="max")
        return pc.Histogram(name, doc, labels, buckets=rest[0])
    except ValueError:  # already registered (module reloaded in the same process)
        existing = pc.REGISTRY._names_to_collectors.get(name) or pc.REGISTRY._names_to_collectors.get(name + "_total")
        if existing is None:
            raise
        return existing
