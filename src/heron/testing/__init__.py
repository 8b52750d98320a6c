"""Internals of :mod:`heron.test_utils` and :mod:`heron.pytest_plugin`.

Import the public names from :mod:`heron.test_utils`; the modules here are split by
job (event loops, servers, the client, mocked requests, the unittest base class and
the two fixture sets of the pytest plugin) and may change without notice.
"""
