"""Clients for the browsable API and the admin: a logged-in browser session."""

from django.test import Client


def browser_for(user):
    """A session of `user` as a browser holds it after logging in (no token, CSRF as the views enforce it)."""
    client = Client()
    client.force_login(user)
    return client
