"""Helpers, rule data and the peer child script of ``benchmarks/peers.py``."""
