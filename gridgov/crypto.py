"""Personal values at rest: AES-GCM encryption with versioned keys, and a keyed blind index.

A sealed value is one byte of key version, a 12-byte nonce and the AES-GCM ciphertext; the
purpose (for example "person.id_number") is bound in as associated data, so a value cannot be
moved to another column and still open. Look-ups go through HMAC-SHA256 of the normalised value
under a separate key: an unkeyed hash of an ID number is brute-forced in minutes.
"""

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class KeyError_(ValueError):
    """Keys are missing or malformed in the configuration."""


def parse_keys(text: str) -> dict[int, bytes]:
    """'1:<base64 32 bytes>,2:<base64 32 bytes>' -> {1: key, 2: key}."""
    keys = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        version, _, encoded = part.partition(":")
        key = base64.b64decode(encoded)
        if not version.isdigit() or not 1 <= int(version) <= 255 or len(key) != 32:
            raise KeyError_("each data key is VERSION:BASE64 with a version 1-255 and 32 bytes")
        keys[int(version)] = key
    if not keys:
        raise KeyError_("at least one data key is needed")
    return keys


class Vault:
    def __init__(self, keys: dict[int, bytes], index_key: bytes):
        if len(index_key) < 32:
            raise KeyError_("the blind-index key needs at least 32 bytes")
        self._ciphers = {version: AESGCM(key) for version, key in keys.items()}
        self.current = max(keys)
        self._index_key = index_key

    def seal(self, value: str, purpose: str) -> bytes:
        nonce = os.urandom(12)
        sealed = self._ciphers[self.current].encrypt(nonce, value.encode(), purpose.encode())
        return bytes([self.current]) + nonce + sealed

    def open(self, blob: bytes, purpose: str) -> str:
        cipher = self._ciphers.get(blob[0])
        if cipher is None:
            raise KeyError_(f"no data key with version {blob[0]} is configured")
        return cipher.decrypt(bytes(blob[1:13]), bytes(blob[13:]), purpose.encode()).decode()

    def index(self, value: str, purpose: str) -> bytes:
        message = purpose.encode() + b"\x00" + value.encode()
        return hmac.new(self._index_key, message, hashlib.sha256).digest()


def mask_tail(value: str) -> str:
    """Only the last four characters stay readable (landlines, certificate numbers)."""
    return "*" * max(len(value) - 4, 0) + value[-4:]


def mask_phone(phone: str) -> str:
    """138****5678 for a mobile number; other numbers keep only their last four digits."""
    if len(phone) == 11 and phone.isdigit():
        return phone[:3] + "****" + phone[-4:]
    return mask_tail(phone)
