"""Spend controls: what reserving a request's worst case costs the proxy."""
