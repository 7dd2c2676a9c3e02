"""Benchmarks that print the figures recorded in docs/benchmarks.md (`python -m bench`)."""
