"""Side-by-side benchmarks: ``python -m bench [NAME ...]``; results go to RESULTS.md."""
