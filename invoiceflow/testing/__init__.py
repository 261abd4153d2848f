"""Test harness pieces that start real services on loopback (S3, a Celery worker).

They live outside `tests/` folders because several apps' tests share them; the root conftest
imports their fixtures.
"""
