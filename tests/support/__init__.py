"""Helpers that start the real parts the tests run against."""
