"""The browsable API's page descriptions (REST_FRAMEWORK's VIEW_DESCRIPTION_FUNCTION).

A view's docstring is its description, written in the schema's Markdown. Without a Markdown
package DRF would print it with its raw backticks; here, in the HTML page, it is paragraphs with
its `code` spans as code (escaped). Clients (OPTIONS) keep the plain text.
"""

from django.utils.safestring import mark_safe
from rest_framework.views import get_view_description

from core.api.browsable import help_html


def view_description(view, html=False):
    description = get_view_description(view, html=False)
    if not html:
        return description
    paragraphs = [" ".join(part.split()) for part in description.split("\n\n") if part.strip()]
    return mark_safe("".join(f"<p>{help_html(paragraph)}</p>" for paragraph in paragraphs))  # escaped in help_html
