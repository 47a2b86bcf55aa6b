"""Spoolman's error answer as an exception: `{"message": ...}` with its status (spoolman.api answers it)."""


class SpoolmanError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message
