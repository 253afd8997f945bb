"""`python -m benchmarks`: page timings at 10k, 100k and 1M beneficiaries (issue 8)."""
