"""Signed WACZ evidence: `export --sign-key` signs the package, `verify --export --public-key` checks it
and refuses a package whose bytes, package list or signer differ."""

import json
import zipfile

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from helpers import LOREM, policy_page, policyarchive, write_declaration

VARIANT = "acme/privacy-policy/us-en"


def write_key(path, curve=ec.SECP256R1()):
    """A new PEM private key at ``path``, as ``openssl ecparam -genkey`` would write; its public key beside it."""
    key = ec.generate_private_key(curve)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    public = path.with_suffix(".pub.pem")
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return path, public


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """An archive of two imported captures, the second with a change."""
    tmp = tmp_path_factory.mktemp("signing")
    write_declaration(tmp / "policies", "Acme", [
        {"region": "US", "language": "en", "url": "https://acme.example.com/privacy", "select": ["article.policy"]},
    ])
    (tmp / "saved").mkdir()
    (tmp / "saved" / "2021-06-01T10-00-00+00-00.html").write_bytes(policy_page(LOREM))
    (tmp / "saved" / "2021-06-02T10-00-00+00-00.html").write_bytes(policy_page(LOREM, "We may collect faceprints."))
    result = policyarchive("import", str(tmp / "saved"), "--variant", VARIANT, "--db", str(tmp / "archive.db"),
                           "--policies", str(tmp / "policies"))
    assert result.returncode == 0, result.stderr
    return tmp / "archive.db"


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keys")
    return {"operator": write_key(tmp / "operator.pem"), "other": write_key(tmp / "other.pem")}


@pytest.fixture
def signed(archive, keys, tmp_path):
    path = tmp_path / "acme.wacz"
    result = policyarchive("export", str(path), "--sign-key", str(keys["operator"][0]), "--db", str(archive))
    assert result.returncode == 0, result.stderr
    assert "signed with operator.pem" in result.stdout
    return path


def verify(archive, export, *args):
    return policyarchive("verify", "--db", str(archive), "--export", str(export), *args)


def rewrite(path, name, change):
    """The WACZ at ``path`` with the file ``name`` passed through ``change``, everything else as it was."""
    with zipfile.ZipFile(path) as old:
        entries = [(entry, old.read(entry)) for entry in old.infolist()]
    with zipfile.ZipFile(path, "w") as new:
        for entry, data in entries:
            new.writestr(entry, change(data) if entry.filename == name else data)


def test_a_signed_wacz_carries_the_signature_and_public_key_in_its_digest_file(signed):
    with zipfile.ZipFile(signed) as package:
        digest = json.loads(package.read("datapackage-digest.json"))
    assert digest["path"] == "datapackage.json"
    assert digest["signedData"]["hash"] == digest["hash"]
    assert {"signature", "publicKey", "created", "software"} <= set(digest["signedData"])


def test_a_signed_wacz_verifies_with_its_signers_public_key(archive, keys, signed):
    result = verify(archive, signed, "--public-key", str(keys["operator"][1]))
    assert result.returncode == 0, result.stderr
    assert "1 export signature" in result.stdout


def test_a_signed_wacz_is_refused_for_another_signers_public_key(archive, keys, signed):
    result = verify(archive, signed, "--public-key", str(keys["other"][1]))
    assert result.returncode == 1
    assert "signed by another key than the one --public-key names" in result.stderr


def test_a_file_altered_inside_a_signed_wacz_is_refused_naming_it(archive, signed):
    rewrite(signed, "indexes/index.idx", lambda data: data.replace(b"policyarchive", b"policyarchivf"))
    result = verify(archive, signed)
    assert result.returncode == 1
    assert "indexes/index.idx does not hash to what datapackage.json lists: it was altered" in result.stderr


def test_a_file_added_to_a_signed_wacz_is_refused_naming_it(archive, signed):
    with zipfile.ZipFile(signed, "a") as package:
        package.writestr("pages/extra.jsonl", b'{"url": "https://acme.example.com/forged"}\n')
    result = verify(archive, signed)
    assert result.returncode == 1
    assert "pages/extra.jsonl is not listed in datapackage.json: it was added" in result.stderr


def test_a_package_list_rewritten_to_match_an_altered_file_breaks_the_signature(archive, signed):
    def relist(data):
        package = json.loads(data)
        package["title"] = "policyarchive: something else"
        return json.dumps(package).encode()

    rewrite(signed, "datapackage.json", relist)
    result = verify(archive, signed)
    assert result.returncode == 1
    assert "datapackage.json does not hash to what datapackage-digest.json holds" in result.stderr


def test_a_digest_file_re_signed_by_someone_else_is_refused_for_the_operators_key(archive, keys, signed, tmp_path):
    forged = tmp_path / "forged.wacz"
    assert policyarchive("export", str(forged), "--sign-key", str(keys["other"][0]), "--db", str(archive)).returncode == 0
    with zipfile.ZipFile(forged) as package:
        forged_digest = package.read("datapackage-digest.json")
    rewrite(signed, "datapackage-digest.json", lambda data: forged_digest)
    result = verify(archive, signed, "--public-key", str(keys["operator"][1]))
    assert result.returncode == 1
    assert "signed by another key than the one --public-key names" in result.stderr


def test_a_signature_that_was_altered_does_not_verify(archive, signed):
    def garble(data):
        digest = json.loads(data)
        digest["signedData"]["hash"] = "sha256:" + "0" * 64
        return json.dumps(digest).encode()

    rewrite(signed, "datapackage-digest.json", garble)
    result = verify(archive, signed)
    assert result.returncode == 1
    assert "the signature in datapackage-digest.json does not verify" in result.stderr


def test_an_unsigned_wacz_is_refused_when_a_public_key_asks_for_a_signature(archive, keys, tmp_path):
    path = tmp_path / "acme.wacz"
    assert policyarchive("export", str(path), "--db", str(archive)).returncode == 0
    assert verify(archive, path).returncode == 0
    result = verify(archive, path, "--public-key", str(keys["operator"][1]))
    assert result.returncode == 1
    assert "it is not signed, and --public-key asks for a signature" in result.stderr


def test_a_key_on_another_curve_is_a_usage_error_and_nothing_is_written(archive, tmp_path):
    key, _ = write_key(tmp_path / "p384.pem", ec.SECP384R1())
    result = policyarchive("export", str(tmp_path / "acme.wacz"), "--sign-key", str(key), "--db", str(archive))
    assert result.returncode == 2
    assert "ECDSA P-256" in result.stderr
    assert not (tmp_path / "acme.wacz").exists()


def test_a_warc_export_cannot_be_signed(archive, keys, tmp_path):
    result = policyarchive("export", str(tmp_path / "acme.warc"), "--sign-key", str(keys["operator"][0]), "--db", str(archive))
    assert result.returncode == 2
    assert "only a WACZ package is signed" in result.stderr
