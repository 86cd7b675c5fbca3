"""Benchmarks (``make bench``): not part of the deployed app."""
