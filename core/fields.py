"""Model fields every app uses."""

from django.core.validators import MaxLengthValidator
from django.db import models

# The most characters a free-text field holds: a page of notes, not a document. Bounded so that
# one record (and a page of them) stays small whatever a client sends.
FREE_TEXT_MAX_LENGTH = 10_000


class FreeTextField(models.TextField):
    """Optional free text of bounded length: validated by the model (full_clean, admin) and by
    the API, whose ModelSerializer fields take their `max_length` from it."""

    def __init__(self, *args, max_length=FREE_TEXT_MAX_LENGTH, blank=True, **kwargs):
        super().__init__(*args, max_length=max_length, blank=blank, **kwargs)
        self.validators.append(MaxLengthValidator(max_length))
