"""Settings for benchmarks: the product's settings plus a minimal view (bench/urls.py)."""

from clearinghouse.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
