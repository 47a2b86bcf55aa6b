"""Benchmark harness: run it with `make bench` or `python -m bench --help`."""
