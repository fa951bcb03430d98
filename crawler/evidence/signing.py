"""Signing a WACZ package with the operator's key, and checking a signed one.

The shape is the WACZ signing specification's (``datapackage-digest.json``): ``datapackage.json``
lists every file of the package with its SHA-256, the digest file holds the hash of
``datapackage.json``, and its ``signedData`` holds an ECDSA P-256 signature (SHA-256, DER, base64)
over that hash string with the public key that checks it (SubjectPublicKeyInfo DER, base64): the
"anonymous" signing of the specification, by a key rather than a domain certificate. So one
signature covers every byte of the package. A trusted timestamp (RFC 3161) needs a timestamp
authority on the network; none is reachable from where this runs, so ``created`` is the signer's own
clock and says only when the signer claims to have signed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from crawler.common.clock import utcnow

DIGEST = "datapackage-digest.json"
PACKAGE = "datapackage.json"


class SigningError(ValueError):
    """The key cannot sign: not a PEM private key, or not ECDSA P-256."""


def load_private_key(path: str | Path) -> ec.EllipticCurvePrivateKey:
    """An unencrypted PEM ECDSA P-256 private key (``openssl ecparam -name prime256v1 -genkey -noout``)."""
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise SigningError(f"{path}: the WACZ signing specification takes an ECDSA P-256 key")
    return key


def load_public_key(path: str | Path) -> bytes:
    """A PEM public key, or the public half of a PEM private key, as SubjectPublicKeyInfo DER."""
    data = Path(path).read_bytes()
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except (ValueError, TypeError) as exc:
            raise SigningError(f"{path}: not a PEM public key ({exc})") from None
    return _spki(key)


def _spki(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def signed_digest(package_json: bytes, key: ec.EllipticCurvePrivateKey) -> dict:
    """The content of ``datapackage-digest.json`` for ``package_json``, signed with ``key``."""
    digest = "sha256:" + hashlib.sha256(package_json).hexdigest()
    signature = key.sign(digest.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    return {"path": PACKAGE, "hash": digest, "signedData": {
        "hash": digest, "created": utcnow(), "software": "policyarchive",
        "signature": base64.b64encode(signature).decode("ascii"),
        "publicKey": base64.b64encode(_spki(key.public_key())).decode("ascii"),
    }}


def sign_wacz(path: str | Path, key_path: str | Path) -> None:
    """Replace the unsigned digest file of the WACZ at ``path`` with a signed one, in place."""
    key = load_private_key(key_path)
    path = Path(path)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".wacz", delete=False) as tmp:
        with zipfile.ZipFile(path) as old, zipfile.ZipFile(tmp, "w") as new:
            for entry in old.infolist():
                if entry.filename != DIGEST:
                    new.writestr(entry, old.read(entry))
            new.writestr(DIGEST, json.dumps(signed_digest(old.read(PACKAGE), key), indent=2),
                         compress_type=zipfile.ZIP_DEFLATED)
    shutil.move(tmp.name, path)


def is_signed(path: str | Path) -> bool:
    """Whether the WACZ at ``path`` carries a signature (checked or not)."""
    with zipfile.ZipFile(path) as package:
        return bool(json.loads(package.read(DIGEST)).get("signedData"))


def check_wacz(path: str | Path, public_key: bytes | None = None) -> list[str]:
    """The problems of a WACZ's signature and file hashes; none when every file matches the signed
    package list. ``public_key`` (SPKI DER), when given, must be the key that signed."""
    name = Path(path).name
    try:
        with zipfile.ZipFile(path) as package:
            files = {entry: package.read(entry) for entry in package.namelist()}
    except (zipfile.BadZipFile, OSError) as exc:
        return [f"export {name}: unreadable as a WACZ ({exc})"]
    if DIGEST not in files or PACKAGE not in files:
        return [f"export {name}: no {DIGEST} or {PACKAGE}: it is not a WACZ package"]
    try:
        digest = json.loads(files[DIGEST])
        listed = json.loads(files[PACKAGE])["resources"]
    except (ValueError, KeyError) as exc:
        return [f"export {name}: {DIGEST} or {PACKAGE} is unreadable ({exc})"]
    problems = list(_signature_problems(name, digest, files[PACKAGE], public_key))
    for resource in listed:
        actual = files.get(resource.get("path"))
        if actual is None:
            problems.append(f"export {name}: {resource.get('path')} is listed in {PACKAGE} but missing")
        elif "sha256:" + hashlib.sha256(actual).hexdigest() != resource.get("hash"):
            problems.append(f"export {name}: {resource['path']} does not hash to what {PACKAGE} lists: it was altered")
    paths = {resource.get("path") for resource in listed} | {PACKAGE, DIGEST}
    problems += [f"export {name}: {extra} is not listed in {PACKAGE}: it was added" for extra in files if extra not in paths]
    return problems


def _signature_problems(name: str, digest: dict, package_json: bytes, public_key: bytes | None):
    actual = "sha256:" + hashlib.sha256(package_json).hexdigest()
    if digest.get("hash") != actual:
        yield f"export {name}: {PACKAGE} does not hash to what {DIGEST} holds: it was altered"
    signed = digest.get("signedData")
    if not signed:
        if public_key is not None:
            yield f"export {name}: it is not signed, and --public-key asks for a signature"
        return
    try:
        key_der = base64.b64decode(signed["publicKey"])
        key = serialization.load_der_public_key(key_der)
        key.verify(base64.b64decode(signed["signature"]), signed["hash"].encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except (KeyError, ValueError, TypeError, InvalidSignature, AttributeError):
        yield f"export {name}: the signature in {DIGEST} does not verify"
        return
    if signed["hash"] != actual:
        yield f"export {name}: the signature is over another {PACKAGE} than the one in the package"
    if public_key is not None and key_der != public_key:
        yield f"export {name}: signed by another key than the one --public-key names"
