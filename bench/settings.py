"""The application's settings with the bench's reference endpoints added (``bench.urls``).

Only ``make bench`` serves these (gunicorn started by ``bench/run.py``); production never does.
"""

from smarketing.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
