"""Clients: a logged-in browser session (the browsable API, the admin) and a REST client with a real token."""

from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient


def browser_for(user):
    """A session of `user` as a browser holds it after logging in (no token, CSRF as the views enforce it)."""
    client = Client()
    client.force_login(user)
    return client


def post_form(response):
    """The browsable API's HTML form for POST of `response`'s page, or None when the page offers none."""
    html = response.content.decode()
    start = html.find('id="post-object-form"')
    if start == -1:
        return None
    return html[start : html.index("</form>", start)]


def token_client(user, tenant=None):
    """A REST client with a real knox token (the middleware's one-round-trip path), naming `tenant` if given."""
    token = AuthToken.objects.create(user=user)[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", **({"HTTP_X_TENANT": tenant.slug} if tenant else {}))
    return client
