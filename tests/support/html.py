"""Reading the browsable API's HTML pages: a select's options, the page's links, a table's rows."""

import re
from html import unescape


def options(form, name):
    """{value: text} of the select named `name` in `form`."""
    select = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', form, re.S).group(1)
    return {
        value: unescape(text.strip()) for value, text in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)<', select)
    }


def page_links(response):
    html = response.content.decode()
    block = re.search(r'id="page-links">(.*?)</ul>', html, re.S)
    return (
        {}
        if block is None
        else {unescape(text): unescape(url) for url, text in re.findall(r'href="([^"]*)">([^<]*)<', block.group(1))}
    )


def help_texts(response):
    """The help texts of the page's forms (DRF's `help-block`s and the filter form's `helptext`s), as HTML."""
    html = response.content.decode()
    return re.findall(r'<span class="help(?:-block|text)"[^>]*>(.*?)</span>', html, re.S) + re.findall(
        r'<div class="helptext"[^>]*>(.*?)</div>', html, re.S
    )


def tables(response):
    """Each HTML table of the page's `#list-table` part, as its header cells and its rows' cell texts."""
    html = response.content.decode()
    block = re.search(r'<div[^>]*id="list-table"[^>]*>(.*?)</div>\s*<!-- /list-table -->', html, re.S)
    if block is None:
        return []
    found = []
    for table in re.findall(r"<table.*?</table>", block.group(1), re.S):
        headers = [text_of(cell) for cell in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]
        rows = [
            [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody", 1)[-1], re.S)
        ]
        found.append({"headers": headers, "rows": [row for row in rows if row]})
    return found


def text_of(html):
    """The text of an HTML fragment, its whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
