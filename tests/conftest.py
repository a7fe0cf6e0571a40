import os

from hypothesis import HealthCheck, settings

# Scenario files under fixtures/ are inputs of the toolkit's tests (some fail on purpose), not tests.
collect_ignore = ["fixtures"]
pytest_plugins = ["pytester"]

settings.register_profile(
    "ci",
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
