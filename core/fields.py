"""Model fields every app uses."""

from typing import Any

from django.core.validators import MaxLengthValidator
from django.db import models

# The most characters a free-text field holds: a page of notes, not a document. Bounded so that
# one record (and a page of them) stays small whatever a client sends.
FREE_TEXT_MAX_LENGTH = 10_000


class FreeTextField(models.TextField):
    """Optional free text of bounded length: validated by the model (full_clean, admin) and by
    the API, whose ModelSerializer fields take their `max_length` from it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", FREE_TEXT_MAX_LENGTH)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)
        self.validators.append(MaxLengthValidator(kwargs["max_length"]))
