"""Alerts reach real receivers on 127.0.0.1, an SMTP server (aiosmtpd) and a webhook (Apprise's
json://), once per change and subscription, with nothing lost when a receiver is down and no secret
written anywhere.

The crawls are of the bundled demo site's two editions (edition 2 adds a biometric clause to the US
policy only), its plain-HTTP variants.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller

from crawler.demo import DemoSite, declarations_for_port
from helpers import PROJECT, crawl, free_port, policyarchive, rows

ONLY = ("--only", "lumen/privacy-policy/us-en", "--only", "lumen/privacy-policy/eea-en")


class Webhook:
    """An HTTP receiver for json:// alerts: keeps each message; ``fail`` answers 500 that many times;
    ``on_message`` runs before it answers."""

    def __init__(self):
        self.messages: list[dict] = []
        self.paths: list[str] = []
        self.fail = 0
        self.on_message = None
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                hook.paths.append(self.path)
                if hook.fail:
                    hook.fail -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                hook.messages.append(body)
                if hook.on_message:
                    hook.on_message()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    """An SMTP server on 127.0.0.1 that keeps every message it is given."""

    def __init__(self):
        self.messages: list[bytes] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"

    def url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=archive@example.org&to=desk@example.org&mode=insecure"

    def close(self):
        self.controller.stop()


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture
def mailbox():
    box = Mailbox()
    yield box
    box.close()


@pytest.fixture
def demo(tmp_path):
    """The demo site (edition 1) on a free port, and a copy of its declarations pointing at it."""
    with DemoSite(port=free_port()) as site:
        policies = Path(declarations_for_port(str(PROJECT / "crawler" / "demo" / "policies"), site.server.server_address[1],
                                              str(tmp_path / "archive.db")))
        yield site, policies


def subscribe(policies: Path, *subscriptions: dict) -> Path:
    path = policies / "alerts.yml"
    path.write_text(yaml.safe_dump({"alerts": list(subscriptions)}, sort_keys=False))
    return path


def both_editions(site, policies: Path, db: Path, *args: str) -> list:
    results = []
    for edition in (1, 2):
        site.edition = edition
        results.append(crawl(db, policies, *ONLY, *args))
    return results


def test_a_change_is_one_message_to_each_matching_subscription_and_none_to_one_it_does_not_match(demo, webhook, mailbox, tmp_path):
    site, policies = demo
    subscribe(policies,
              {"name": "biometric-desk", "to": [webhook.url("desk")], "terms": ["biometric"]},
              {"name": "editor", "to": [mailbox.url()], "services": ["Lumen"]},
              {"name": "europe", "to": [webhook.url("europe")], "regions": ["EEA"]})
    db = tmp_path / "archive.db"
    both_editions(site, policies, db)

    assert webhook.paths == ["/desk"] and len(mailbox.messages) == 1
    [message] = webhook.messages
    assert message["title"] == "Lumen privacy-policy (US, en): 'biometric' added"
    assert "faceprints and voiceprints" in message["message"] and "Diff: /-/diff/" in message["message"]
    assert b"Subject: Lumen privacy-policy (US, en): 'biometric' added" in mailbox.messages[0]
    assert b"text/plain" in mailbox.messages[0] and b"text/html" in mailbox.messages[0]  # text, and HTML where mail takes it

    crawl(db, policies, *ONLY)
    assert len(webhook.messages) == 1 and len(mailbox.messages) == 1
    assert [r["status"] for r in rows(db, "select status from alerts")] == ["delivered", "delivered"]


def test_a_receiver_that_is_down_keeps_the_alert_and_the_next_run_delivers_it_once(demo, webhook, tmp_path):
    site, policies = demo
    subscribe(policies, {"name": "desk", "to": [webhook.url()]})
    webhook.fail = 1
    db = tmp_path / "archive.db"
    failed = both_editions(site, policies, db, "-s", "POLICYARCHIVE_ALERT_BACKOFF=0")[-1]
    assert "alert not delivered, kept to retry" in failed.stderr and webhook.messages == []
    [alert] = rows(db, "select status, attempts, last_error from alerts")
    assert alert["status"] == "pending" and alert["attempts"] == 1 and "json://127.0.0.1" in alert["last_error"]

    crawl(db, policies, *ONLY, "-s", "POLICYARCHIVE_ALERT_BACKOFF=0")
    crawl(db, policies, *ONLY, "-s", "POLICYARCHIVE_ALERT_BACKOFF=0")
    assert len(webhook.messages) == 1
    assert rows(db, "select status, attempts from alerts") == [{"status": "delivered", "attempts": 2}]


def test_a_process_killed_between_sending_and_recording_sends_again_at_least_once_never_lost(demo, webhook, tmp_path):
    """The documented outcome of a kill mid-send: the attempt was recorded before sending, the
    delivery was not, so the next pass sends it again (the receiver sees it twice, never zero times)."""
    site, policies = demo
    subscribe(policies, {"name": "desk", "to": [webhook.url()]})
    webhook.fail = 1
    db = tmp_path / "archive.db"
    both_editions(site, policies, db)
    sender = subprocess.Popen([sys.executable, "-m", "crawler.cli", "alerts", "send", "--db", str(db), "--policies", str(policies)],
                              cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    webhook.on_message = lambda: os.kill(sender.pid, signal.SIGKILL)
    sender.communicate(timeout=120)
    assert sender.returncode == -signal.SIGKILL and len(webhook.messages) == 1
    assert rows(db, "select status, attempts from alerts") == [{"status": "pending", "attempts": 2}]

    webhook.on_message = None
    assert policyarchive("alerts", "send", "--db", str(db), "--policies", str(policies)).returncode == 0
    assert len(webhook.messages) == 2 and webhook.messages[0] == webhook.messages[1]
    assert rows(db, "select status from alerts") == [{"status": "delivered"}]


def test_a_secret_never_reaches_the_archive_the_log_or_any_output(demo, webhook, tmp_path):
    site, policies = demo
    secret = "s3cr3t-hook-token-4471"
    subscribe(policies, {"name": "desk", "to": [webhook.url("${HOOK_TOKEN}")]})
    os.environ["HOOK_TOKEN"] = secret
    try:
        webhook.fail = 1
        db, log = tmp_path / "archive.db", tmp_path / "crawl.log"
        outputs = both_editions(site, policies, db, "--log", str(log))
        outputs.append(policyarchive("alerts", "list", "--db", str(db), "--policies", str(policies)))
        outputs.append(policyarchive("alerts", "send", "--db", str(db), "--policies", str(policies)))
    finally:
        del os.environ["HOOK_TOKEN"]
    assert webhook.paths == [f"/{secret}", f"/{secret}"] and len(webhook.messages) == 1
    for result in outputs:
        assert secret not in result.stdout + result.stderr
    assert secret.encode() not in db.read_bytes() + log.read_bytes()
    assert "desk: to json://127.0.0.1" in outputs[2].stdout


@pytest.mark.parametrize("subscription, field, said", [
    ({"name": "a", "to": ["nosuchscheme://x/y"]}, "to[0]", "nosuchscheme:// is not a destination Apprise knows"),
    ({"name": "a", "to": ["json://"]}, "to[0]", "json:// is not a destination Apprise knows, or the URL is malformed"),
    ({"name": "a", "to": ["json://127.0.0.1/${UNSET_FOR_THIS_TEST}"]}, "to[0]", "${UNSET_FOR_THIS_TEST} is not set in the environment"),
    ({"name": "a", "to": ["json://127.0.0.1/x"], "services": ["Lumne"]}, "services[0]", "'Lumne' names nothing declared (did you mean 'Lumen'?)"),
    ({"name": "a", "to": ["json://127.0.0.1/x"], "region": ["US"]}, "region", "unknown field"),
], ids=["unknown-scheme", "malformed", "unset-variable", "filter-naming-nothing", "unknown-field"])
def test_a_broken_subscription_is_named_by_file_line_and_field_and_nothing_is_sent(demo, webhook, tmp_path, subscription, field, said):
    site, policies = demo
    path = subscribe(policies, {"name": "good", "to": [webhook.url()]}, subscription)
    key = field.split("[")[0]
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if n > 3 and text.lstrip("- ").startswith(f"{key}:"))
    line += 1 if "[" in field else 0
    result = policyarchive("validate", "--policies", str(policies))
    assert result.returncode == 1 and f"{path}:{line}: alerts[1].{field}: {said}" in result.stderr, result.stderr
    assert "nosuchscheme://x/y" not in result.stderr.replace(said, "")
    both_editions(site, policies, tmp_path / "archive.db")
    assert webhook.paths == []


def test_subscriptions_in_alerts_yaml_are_read_as_in_alerts_yml_never_as_a_declaration(demo, webhook):
    """Declarations may end in .yaml; so may the subscriptions file, which was read as a service's
    declaration ("service is required") under that name."""
    site, policies = demo
    subscribe(policies, {"name": "a", "to": [webhook.url()], "services": ["Lumne"]}).rename(policies / "alerts.yaml")
    result = policyarchive("validate", "--policies", str(policies))
    assert result.returncode == 1, result.stderr
    assert f"{policies / 'alerts.yaml'}:6: alerts[0].services[0]: 'Lumne' names nothing declared" in result.stderr
    assert "service" not in result.stderr.replace("services[0]", "")


def test_subscriptions_in_both_alerts_yml_and_alerts_yaml_are_refused_naming_both(demo, webhook):
    site, policies = demo
    subscribe(policies, {"name": "b", "to": [webhook.url()]}).rename(policies / "alerts.yaml")
    subscribe(policies, {"name": "a", "to": [webhook.url()]})
    result = policyarchive("validate", "--policies", str(policies))
    assert result.returncode == 1
    assert f"{policies / 'alerts.yaml'}:1: (file): alerts.yml holds alert subscriptions too: keep them in one of the two" in result.stderr


def test_alerts_test_sends_one_message_and_names_a_failure(demo, webhook):
    site, policies = demo
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = closed.getsockname()[1]
    subscribe(policies, {"name": "live", "to": [webhook.url()]}, {"name": "dead", "to": [f"json://127.0.0.1:{dead}/x"]})
    assert policyarchive("alerts", "test", "live", "--policies", str(policies)).returncode == 0
    assert [m["title"] for m in webhook.messages] == ["policyarchive: test alert"]
    failed = policyarchive("alerts", "test", "dead", "--policies", str(policies))
    assert failed.returncode == 1 and "dead: FAILED: delivery to json://127.0.0.1 failed" in failed.stderr


def test_status_says_which_alerts_were_not_delivered_and_why(demo, webhook, tmp_path):
    site, policies = demo
    subscribe(policies, {"name": "desk", "to": [webhook.url()]})
    webhook.fail = 1
    db = tmp_path / "archive.db"
    both_editions(site, policies, db)
    said = policyarchive("status", "--db", str(db), "--policies", str(policies)).stdout
    assert "alerts not delivered: 1" in said and "to desk: will be tried again after 1 attempt: delivery to json://127.0.0.1" in said


def test_a_captured_sentence_cannot_put_markup_into_a_message():
    from crawler.web.alerts import message

    change = {"service": "Acme", "type": "privacy-policy", "region": "US", "language": "en", "words_added": 9, "words_removed": 0,
              "added_text": '<img src=x onerror="alert(1)"> We collect biometric data.', "removed_text": "", "terms": "biometric",
              "last_before": "2021-05-30T00:00:00Z", "detected_at": "2021-06-02T00:00:00Z", "days": 3.0,
              "from_version_id": 1, "to_version_id": 2}
    body = message([change], None).body
    assert "<img" not in body and "&lt;img src=x onerror=\"alert(1)\"&gt; We collect biometric data." in body
