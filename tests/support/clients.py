"""Clients for the browsable API and the admin (a logged-in browser session), and for the Spoolman-compatible API."""

from django.test import Client


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
