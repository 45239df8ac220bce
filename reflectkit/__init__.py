"""Helpers shared by the benchmarks (scripts/) and the tests (tests/): a
synthesised speaking user and a room around them. Not part of the product."""
