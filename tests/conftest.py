"""Hypothesis profiles: "ci" (short, the default) and "long" (10^5 examples per fuzz target).

Select with the HYPOTHESIS_PROFILE environment variable:

    HYPOTHESIS_PROFILE=long .venv/bin/pytest tests/test_fuzz.py
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=_QUIET,
                          derandomize=True, print_blob=True)
settings.register_profile("long", max_examples=100_000, deadline=None, suppress_health_check=_QUIET,
                          print_blob=True)
settings.register_profile("dev", max_examples=500, deadline=None, suppress_health_check=_QUIET,
                          print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
