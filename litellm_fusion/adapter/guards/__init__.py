"""Narrow patches of single LiteLLM functions, each applied once and each saying what it changes and why: Prometheus's
success handler skips fusion's inner calls (`prometheus_guard`), the stream finalizer leaves context variables alone
(`stream_finalizer_guard`), and the proxy's shutdown event runs the plugin's own steps first (`shutdown_hook`)."""
