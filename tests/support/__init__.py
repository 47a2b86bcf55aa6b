"""Helpers the tests share, written once."""
