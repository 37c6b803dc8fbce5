"""Applying a plan: the only package that writes to the API (the planner in ``engine`` is pure)."""
