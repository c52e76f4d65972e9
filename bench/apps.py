from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmark's management commands (``bench_data``); no models."""

    name = "bench"
    verbose_name = "Benchmark"
