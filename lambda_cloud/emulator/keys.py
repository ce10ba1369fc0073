"""SSH key pairs for ``POST /ssh-keys`` without a public key, and a light public-key check."""

from __future__ import annotations

import base64
import binascii
import random
import struct
import textwrap

__all__ = ["SYNTHETIC_LABEL", "generate_key_pair", "is_public_key"]

SYNTHETIC_LABEL = "lambda-cloud-emulator-synthetic-key"

_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ssh-dss",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


def generate_key_pair(rng: random.Random) -> tuple[str, str]:
    """Return ``(public_key, private_key)`` in OpenSSH format.

    A real Ed25519 pair when ``cryptography`` is importable; otherwise a synthetic pair whose
    public key is well formed but whose private key is a labelled placeholder that no SSH
    client can use. Real keys come from the OS's randomness, so only synthetic keys replay
    with the seed.
    """
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    except ImportError:
        return _synthetic_pair(rng)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    return public, private


def _ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _synthetic_pair(rng: random.Random) -> tuple[str, str]:
    blob = _ssh_string(b"ssh-ed25519") + _ssh_string(rng.randbytes(32))
    public = f"ssh-ed25519 {base64.b64encode(blob).decode()} {SYNTHETIC_LABEL}"
    payload = f"{SYNTHETIC_LABEL}: not a usable private key\n".encode() + rng.randbytes(64)
    body = "\n".join(textwrap.wrap(base64.b64encode(payload).decode(), 70))
    private = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\n"
    return public, private


def is_public_key(text: str) -> bool:
    """Whether ``text`` looks like an OpenSSH public key line: ``<type> <base64> [comment]``."""
    parts = text.split()
    if len(parts) < 2 or parts[0] not in _KEY_TYPES:
        return False
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(blob) > 4
