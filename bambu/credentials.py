"""Printers' access codes, encrypted at rest with Fernet (AES-128-CBC and HMAC-SHA256, from `cryptography`).

The keys come from the environment (`PRINTER_CREDENTIAL_KEYS`, comma-separated): the first one
encrypts, every one decrypts (MultiFernet), so a key is rotated by putting a new one first,
re-encrypting every stored code (`python manage.py rotate_printer_credentials`), then dropping
the old one. Without the setting one key is derived from SECRET_KEY (HKDF-SHA256), so a
deployment configured with the four basic variables works; changing SECRET_KEY then needs
the codes entered again, or the derived key kept as a second key while rotating.

Nothing here logs or formats a code: an error names the key configuration, never the value.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DERIVATION_INFO = b"printfarm printer credentials v1"


class UndecryptableCredential(Exception):
    """A stored code none of the configured keys opens (a key dropped before rotating)."""


def derived_key(secret_key: str) -> bytes:
    """A Fernet key from SECRET_KEY: 32 bytes of HKDF-SHA256, urlsafe base64."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVATION_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


def _fernet() -> MultiFernet:
    configured = list(settings.PRINTER_CREDENTIAL_KEYS)
    keys = configured or [derived_key(settings.SECRET_KEY)]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "PRINTER_CREDENTIAL_KEYS must list Fernet keys (32 url-safe base64-encoded bytes each, "
            "e.g. from `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)."
        ) from exc


def encrypt(code: str) -> str:
    return _fernet().encrypt(code.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise UndecryptableCredential(
            "A stored access code cannot be decrypted with PRINTER_CREDENTIAL_KEYS: keep the key it was "
            "encrypted with in the list until `rotate_printer_credentials` has run, or enter the code again."
        ) from exc


def rotate(token: str) -> str:
    """The same code encrypted with the first key (MultiFernet.rotate)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise UndecryptableCredential("A stored access code cannot be decrypted with PRINTER_CREDENTIAL_KEYS.") from exc
