"""Budgeted nightly drift: the index every night, children of the least recently checked lists."""
