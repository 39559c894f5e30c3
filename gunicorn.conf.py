"""gunicorn settings for an office installation: `gunicorn -c gunicorn.conf.py wsgi:app`."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = 2
# Load the app (and jieba's dictionary, ~0.6 s) once in the master; workers share it by fork.
# The search index itself is opened lazily in each worker, after the fork.
preload_app = True
timeout = 60
accesslog = "-"
# Never log query strings: they may carry personal data typed into search boxes.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'


def on_starting(server):
    import search_index

    search_index.warm_up()
