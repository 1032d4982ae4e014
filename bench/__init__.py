"""Benchmarks for authsvc; ``python -m bench.api`` runs the API benchmark (see bench/README.md)."""
