"""Clients: a logged-in browser session (the browsable API, the admin), a REST client with a real token, and the
Spoolman-compatible API's."""

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


class SpoolmanClient:
    """Requests as the printer-side tools send them: JSON bodies, paths under `/spoolman/<key>/api/v1/`."""

    def __init__(self, secret, **headers):
        self.base = f"/spoolman/{secret}/api/v1/"
        self.client = Client(**headers)

    def get(self, path, **params):
        return self.client.get(self.base + path, params)

    def put(self, path, body, **headers):
        return self.client.put(self.base + path, body, content_type="application/json", headers=headers)

    def post(self, path, body, **headers):
        return self.client.post(self.base + path, body, content_type="application/json", headers=headers)

    def patch(self, path, body, **headers):
        return self.client.patch(self.base + path, body, content_type="application/json", headers=headers)

    def delete(self, path, **headers):
        return self.client.delete(self.base + path, headers=headers)


def token_client(user, tenant=None):
    """A REST client with a real knox token (the middleware's one-round-trip path), naming `tenant` if given."""
    token = AuthToken.objects.create(user=user)[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", **({"HTTP_X_TENANT": tenant.slug} if tenant else {}))
    return client
