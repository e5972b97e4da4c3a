"""SNMP secrets (communities, SNMPv3 keys) encrypted at rest with Fernet.

The key comes from the ``MONITOR_SECRET_KEY`` setting (environment variable of the same
name). It may hold several keys separated by commas: the first encrypts, every one of them
decrypts, so a key can be rotated by putting the new key first and re-saving the profiles.
Each key is either a Fernet key (``python -c "from cryptography.fernet import Fernet;
print(Fernet.generate_key().decode())"``) or any other text, from which a key is derived
with HKDF-SHA256.

When ``MONITOR_SECRET_KEY`` is empty, the key is derived from ``SECRET_KEY`` (HKDF-SHA256
with a label of its own, so the derived key reveals nothing about ``SECRET_KEY``). That keeps a
fresh install working, but changing ``SECRET_KEY`` then makes every stored secret unreadable:
the profiles must be given their communities and keys again. Production installs should set
``MONITOR_SECRET_KEY`` and keep it with their backups.

Secrets are never logged, never put in exception messages, and never shown back in full:
pages and the admin show ``secret_mask()``.
"""

from __future__ import annotations

import base64
import binascii
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

# What a page shows instead of a secret that is set.
MASK = "••••"


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the configured key(s)."""


def _derived_key(text: str, *, info: bytes) -> bytes:
    """Return a Fernet key derived from ``text`` with HKDF-SHA256."""
    raw = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"cr-equipment-tracker", info=info
    ).derive(text.encode())
    return base64.urlsafe_b64encode(raw)


def _as_fernet_key(text: str) -> bytes:
    """Return ``text`` if it is a Fernet key, else a key derived from it."""
    try:
        if len(base64.urlsafe_b64decode(text.encode())) == 32:
            return text.encode()
    except (binascii.Error, ValueError):
        pass
    return _derived_key(text, info=b"monitoring-secret-key")


@functools.lru_cache(maxsize=8)
def _fernet(monitor_secret_key: str, secret_key: str) -> MultiFernet:
    keys = [part.strip() for part in monitor_secret_key.split(",") if part.strip()]
    if keys:
        fernets = [Fernet(_as_fernet_key(key)) for key in keys]
    else:
        fernets = [Fernet(_derived_key(secret_key, info=b"monitoring-secrets-from-secret-key"))]
    return MultiFernet(fernets)


def fernet() -> MultiFernet:
    """Return the cipher for the current settings (cached per key)."""
    return _fernet(getattr(settings, "MONITOR_SECRET_KEY", "") or "", settings.SECRET_KEY)


@sensitive_variables()
def secret_encrypt(plain: str) -> str:
    """Return ``plain`` encrypted as text for the database; an empty secret stays empty."""
    if not plain:
        return ""
    return fernet().encrypt(plain.encode()).decode("ascii")


@sensitive_variables()
def secret_decrypt(token: str) -> str:
    """Return the secret stored as ``token``, or raise SecretUnreadable (never with the token)."""
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise SecretUnreadable(
            _(
                "A stored SNMP secret cannot be decrypted with the configured key "
                "(MONITOR_SECRET_KEY, or SECRET_KEY when it is empty, changed?). "
                "Enter the profile's community or keys again."
            )
        ) from exc


def secret_mask(token: str) -> str:
    """Return what a page shows for a stored secret: a mask when set, empty otherwise."""
    return _("%(mask)s (set)") % {"mask": MASK} if token else ""
