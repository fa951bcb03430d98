"""The queue between one archive writer and regional workers: Redis streams with consumer groups.

One request stream per region (``<prefix>:requests:<REGION>``), read by the group ``workers``: a
worker reads only the streams of the regions it serves, so a request for the EEA is fetched from a
machine in the EEA. A request stays pending for the worker that took it until that worker
acknowledges it, after it has sent the capture back; a worker that dies leaves it pending, and
after ``visibility`` seconds of silence any worker of the region claims it (XAUTOCLAIM). Captures go
back on one stream (``<prefix>:captures``), read by the group ``writer``: the writer acknowledges
a capture only once it is in the archive, so a writer killed mid-run finds on its next start the
captures it had not recorded. Every request has an id, and a capture carries the id of the request
it answers: one delivered twice (a request claimed again from a worker that was only slow) is
recorded once. Live workers announce themselves with a key that expires (``<prefix>:worker:<name>``).

Redis may restart under a run (decision 0018): the client hides no retry, so that a lost connection
reaches the writer and the workers, which wait for Redis with a bounded backoff (``reconnect``); the
writer then looks at what it kept (``missing``): a Redis without persistence comes back empty. A
restart between two commands raises nothing (the client opens a new connection as it takes one from
its pool), so the writer also asks whether the server is the one it spoke to (``restarted``).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

PREFIX = "policyarchive"
WORKERS_GROUP = "workers"
WRITER_GROUP = "writer"
WRITER = "writer"  # the one writer's consumer name: a writer started again reads what it left pending
VISIBILITY = 120.0  # seconds a taken request may go unanswered before another worker claims it
HEARTBEAT = 3.0  # seconds between a worker's announcements; one not renewed for 4 of them is gone
RECONNECT = 60.0  # seconds the writer and a worker wait for a Redis that went away before giving up
LOST = (redis.ConnectionError, redis.TimeoutError)  # Redis went away (restarting, or the network)


class Unreachable(redis.ConnectionError):
    """Redis did not answer again within the reconnection bound."""


@dataclass(frozen=True)
class Request:
    """One variant to fetch: its id on the queue, the run that asked, and where it sits in its stream."""

    request_id: str
    run_id: int
    variant_id: str
    region: str
    stream: str
    message_id: str


@dataclass(frozen=True)
class Answer:
    """A capture as a worker sent it back: its provenance fields, raw bytes and analysis."""

    request_id: str
    run_id: int
    capture: dict
    body: bytes
    analysis: dict
    message_id: str


def connect(url: str) -> redis.Redis:
    """A client for ``redis://HOST:PORT/DB``, bytes in and out (bodies are bytes), that retries
    nothing by itself: a command on a connection Redis closed raises, and the caller, who knows what
    a restart may have lost, waits with ``Queue.reconnect`` and checks."""
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=5, health_check_interval=10,
                                retry=Retry(NoBackoff(), 0))


def redis_server(port: int, *options: str) -> subprocess.Popen:
    """Debian's ``redis-server`` on ``port`` of 127.0.0.1 (nothing saved unless ``options`` say so),
    returned once it answers."""
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                *options], stdout=subprocess.DEVNULL)
    client = connect(f"redis://127.0.0.1:{port}/0")
    for _ in range(200):
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited with status {process.returncode}") from None
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"redis-server did not answer on port {port} within 10 s")


@contextmanager
def local_redis() -> Iterator[str]:
    """A ``redis_server`` on a free port, nothing saved, for the demo, the tests and the benchmark;
    yields its URL, and stops it at the end."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = redis_server(port)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Queue:
    """The streams of one deployment; ``prefix`` keeps several on one Redis apart."""

    def __init__(self, client: redis.Redis, prefix: str = PREFIX):
        self.redis = client
        self.prefix = prefix
        self.server: str | None = None  # the run_id of the Redis process last spoken to

    @property
    def captures(self) -> str:
        return f"{self.prefix}:captures"

    def requests(self, region: str) -> str:
        return f"{self.prefix}:requests:{region.upper()}"

    def _group(self, stream: str, group: str) -> None:
        """Create the consumer group (and the stream) unless it exists."""
        try:
            self.redis.xgroup_create(stream, group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def reconnect(self, bound: float) -> None:
        """Return once Redis answers again, asking at growing intervals (0.1 s, doubling up to 5 s);
        raise ``Unreachable`` if it has not answered within ``bound`` seconds."""
        deadline = time.monotonic() + bound
        pause = 0.1
        while True:
            try:
                self.redis.ping()
                return
            except LOST as exc:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Unreachable(f"Redis did not answer within {bound:g} s: {exc}") from exc
                time.sleep(min(pause, left))
                pause = min(pause * 2, 5)

    def restarted(self) -> bool:
        """Whether Redis is another process than at the last call (its ``run_id`` is new at every start)."""
        server, self.server = self.server, _text(self.redis.info("server")["run_id"])
        return server is not None and server != self.server

    # The writer's side.

    def put(self, run_id: int, variant_id: str, region: str, request_id: str | None = None) -> str:
        """Queue one variant for its region's workers (again, when ``request_id`` is given); return
        the request's id."""
        stream = self.requests(region)
        self._group(stream, WORKERS_GROUP)
        request_id = request_id or uuid.uuid4().hex
        self.redis.xadd(stream, {"request": request_id, "run": run_id, "variant": variant_id, "region": region.upper()})
        return request_id

    def answers(self, block_ms: int, count: int = 50, pending: bool = False) -> list[Answer]:
        """Captures sent back; with ``pending``, those this writer took before and never acknowledged."""
        self._group(self.captures, WRITER_GROUP)
        reply = self.redis.xreadgroup(WRITER_GROUP, WRITER, {self.captures: "0" if pending else ">"},
                                      count=count, block=None if pending else block_ms)
        out = []
        for _stream, messages in reply or ():
            for message_id, fields in messages:
                if not fields:  # deleted while pending
                    continue
                out.append(Answer(_text(fields[b"request"]), int(fields[b"run"]), json.loads(fields[b"capture"]),
                                  fields[b"body"], json.loads(fields[b"analysis"]), _text(message_id)))
        return out

    def done(self, answer: Answer) -> None:
        """The capture is in the archive: it leaves the writer's pending list."""
        self.redis.xack(self.captures, WRITER_GROUP, answer.message_id)
        self.redis.xdel(self.captures, answer.message_id)

    def unanswered(self, region: str, request_ids: set[str]) -> dict[str, str | None]:
        """Of these requests still in the region's stream, the worker holding each (None: never taken);
        each is removed from the stream, so that no worker fetches it after its run has ended."""
        stream = self.requests(region)
        self._group(stream, WORKERS_GROUP)
        holders = {_text(p["message_id"]): _text(p["consumer"])
                   for p in self.redis.xpending_range(stream, WORKERS_GROUP, "-", "+", 10_000)}
        found = {}
        for message_id, fields in self.redis.xrange(stream):
            request_id = _text(fields[b"request"])
            if request_id in request_ids:
                found[request_id] = holders.get(_text(message_id))
                self.redis.xack(stream, WORKERS_GROUP, message_id)
                self.redis.xdel(stream, message_id)
        return found

    def missing(self, requests: dict[str, str]) -> set[str]:
        """Of these requests (id: region), those Redis holds neither as a request nor as a capture
        answering it: lost with a Redis that restarted without its data."""
        held = set()
        for stream in {self.requests(region) for region in requests.values()} | {self.captures}:
            held.update(_text(fields[b"request"]) for _id, fields in self.redis.xrange(stream) if fields)
        return set(requests) - held

    def live_workers(self) -> dict[str, dict]:
        """The workers whose announcement has not expired, by name: their regions and host."""
        names = list(self.redis.scan_iter(match=f"{self.prefix}:worker:*", count=500))
        values = self.redis.mget(names) if names else []
        return {_text(n).rsplit(":", 1)[1]: json.loads(v) for n, v in zip(names, values) if v}

    # A worker's side.

    def announce(self, name: str, regions: list[str], host: str) -> None:
        self.redis.set(f"{self.prefix}:worker:{name}", json.dumps({"regions": regions, "host": host}),
                       ex=max(1, int(HEARTBEAT * 4)))

    def take(self, name: str, regions: list[str], visibility: float) -> Request | None:
        """The next request for one of ``regions``: first one a lost worker held longer than
        ``visibility`` seconds, else a new one; None if there is none. Streams are read one at a time:
        XREADGROUP's COUNT is per stream, and a message delivered but not returned would wait, pending,
        for the visibility timeout."""
        streams = [self.requests(r) for r in regions]
        for stream in streams:
            self._group(stream, WORKERS_GROUP)
            _next, claimed, *_ = self.redis.xautoclaim(stream, WORKERS_GROUP, name, int(visibility * 1000), "0-0", count=1)
            if claimed and claimed[0][1]:
                return self._request(stream, *claimed[0])
        for stream in streams:
            for _stream, messages in self.redis.xreadgroup(WORKERS_GROUP, name, {stream: ">"}, count=1) or ():
                for message_id, fields in messages:
                    return self._request(stream, message_id, fields)
        return None

    @staticmethod
    def _request(stream: str, message_id, fields: dict) -> Request:
        return Request(_text(fields[b"request"]), int(fields[b"run"]), _text(fields[b"variant"]), _text(fields[b"region"]),
                       stream, _text(message_id))

    def send(self, request: Request, capture: dict, body: bytes, analysis: dict) -> None:
        """Send a capture back and acknowledge its request, in one transaction: a worker killed
        between the two would otherwise leave a request answered but pending, to be fetched again."""
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self.captures, {"request": request.request_id, "run": request.run_id, "capture": json.dumps(capture),
                                      "body": body, "analysis": json.dumps(analysis)})
            pipe.xack(request.stream, WORKERS_GROUP, request.message_id)
            pipe.xdel(request.stream, request.message_id)
            pipe.execute()
