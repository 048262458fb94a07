"""Benchmarks at scale (issue 11): ``make bench`` / ``make bench-quick``. See docs/performance.md."""
