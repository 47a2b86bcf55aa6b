"""List pages: every page of a list, and JSON pages written for the purpose (core.api.pages) against the serializer
path they replace."""


def walk(api, url, params=None, key="next"):
    """Every page from `url` on, following `key` links (page numbers or cursors)."""
    pages = []
    response = api.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        pages.append(response)
        link = response.json()[key]
        if link is None:
            return pages
        response = api.get(link)


def answers_both_ways(monkeypatch, viewset, ask):
    """`ask()`'s responses through the viewset's written page, then through its serializer (`json_page` off)."""
    chosen = []
    written_page = viewset.json_page

    def json_page(self):
        chosen.append(written_page(self))
        return chosen[-1]

    monkeypatch.setattr(viewset, "json_page", json_page)
    written = ask()
    assert True in chosen, "no request was answered by the written page"
    monkeypatch.setattr(viewset, "json_page", lambda self: False)
    return written, ask()


def assert_same_answers(labels, written, serialized):
    """Each response of the written page is the serializer path's, status and bytes."""
    for label, answer, reference in zip(labels, written, serialized, strict=True):
        assert answer.status_code == reference.status_code, (label, answer.content)
        assert answer.content == reference.content, label
