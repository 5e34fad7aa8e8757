"""One gate's place in its LAN group: who is live, who leads, and the leader's ordered
log of presence changes.

The protocol is small on purpose (signed UDP datagrams, see wire.py):
- ``hb`` every 200 ms to every known address: term, leader, log length, gate name. A peer
  heard within the lease (1 s) is live.
- Leader: kept while it is live. With none, the live gate with the longest log (lowest
  device id among equals) takes the next term; a gate that comes back adopts the leader
  it hears and never takes over. A gate that notices it was paused (SIGSTOP, a suspended
  laptop) longer than the lease steps down before it answers anything.
- ``req`` -> the leader orders the presence change with the next sequence number,
  replicates it (``app``) to the live peers, waits for their ``ack`` (a peer that does
  not ack in time is no longer counted live) and answers ``ans``; a retry with the same
  scan_id gets the same answer. A follower behind the leader's log gets the missing
  entries with the next heartbeat.
The node owns no thread: the WorkerManager calls ``receive_once`` and ``tick``.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .state import (
    ACK_WAIT_S,
    CATCH_UP,
    HEARTBEAT_S,
    KEEP_ANSWERS,
    KEEP_LOG,
    LEASE_S,
    RESEND_S,
    Addr,
    LanStatus,
    PeerView,
    Pending,
)
from .wire import MAX_DATAGRAM, DeviceKey, Trust

log = logging.getLogger("scanner_client.lan")


class LanNode:
    def __init__(self, key: DeviceKey, gate_name: str, host: str, port: int,
                 peers: list[Addr], base_inside: Callable[[int, int, str], bool],
                 apply: Callable[[list[dict[str, Any]]], None]) -> None:
        self.key = key
        self.gate_name = gate_name
        self.device_id: int | None = None  # known after the first heartbeat to the server
        self.trust = Trust()
        self.base_inside = base_inside  # (badge, zone_slot, day) -> inside, from the store
        self.apply = apply  # writes replicated presence changes to the store
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.port = int(self.sock.getsockname()[1])
        self.addrs: set[Addr] = set(peers)
        self.configured = set(peers)
        self.peers: dict[int, PeerView] = {}
        self.term = 0
        self.leader: int | None = None
        self.last_seq = 0
        self.last_at = dt.datetime.min.replace(tzinfo=dt.UTC)
        self.log: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self.answers: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.pending: dict[int, Pending] = {}
        self.by_scan: dict[str, int] = {}  # scan_id -> seq still replicating
        self.asks: dict[str, tuple[threading.Event, list[dict[str, Any]]]] = {}
        self.sent: dict[str, int] = {}
        self.listeners: list[Callable[[LanStatus], None]] = []
        self._lock = threading.RLock()
        self._leader_known = threading.Condition(self._lock)
        self._started = time.monotonic()
        self._last_tick = self._started
        self._link_until = self._started + 2.0
        self._relink = False  # after a pause: wait out the window even if peers are heard
        self._linked = threading.Event()
        self._shown: LanStatus | None = None

    # --- what others read ------------------------------------------------------------

    def live(self, now: float | None = None) -> dict[int, PeerView]:
        now = time.monotonic() if now is None else now
        return {d: p for d, p in self.peers.items()
                if now - p.heard < LEASE_S and self.trust.known(d) and d != self.device_id}

    def status(self) -> LanStatus:
        with self._lock:
            live = self.live()
            gate = (self.gate_name if self.leader == self.device_id else
                    live[self.leader].gate if self.leader in live else None)
            return LanStatus(self.device_id, self.leader, gate, self.term, len(live) + 1)

    def has_leader(self) -> bool:
        with self._lock:
            return self.leader is not None and (self.leader == self.device_id
                                                or self.leader in self.live())

    def wait_linked(self, timeout_s: float) -> bool:
        """Once, at start-up: wait (at most ``timeout_s``) until this gate is in a group with
        a leader, so two gates started together do not each begin as their own leader."""
        return self._linked.wait(timeout_s)

    def add_peer(self, addr: Addr) -> None:
        """A peer announced on the LAN (mDNS): heard from before the first decision, like
        a configured one, if it answers within the start-up wait."""
        with self._lock:
            if addr[1] == self.port and addr[0] in ("127.0.0.1", self.sock.getsockname()[0]):
                return
            self.addrs.add(addr)
            self.configured.add(addr)

    def close(self) -> None:
        self.sock.close()

    # --- the loop steps (WorkerManager threads) ------------------------------------------

    def receive_once(self) -> None:
        with self._lock:
            waits = [p.deadline for p in self.pending.values()]
        timeout = min([HEARTBEAT_S, *[max(d - time.monotonic(), 0.001) for d in waits]])
        self.sock.settimeout(timeout)
        try:
            data, addr = self.sock.recvfrom(MAX_DATAGRAM)
        except TimeoutError:
            data = b""
        except OSError:
            return  # closed at shutdown
        if data:
            opened = self.trust.open(data)
            if opened is not None:
                self._handle(opened[0], opened[1], (addr[0], int(addr[1])))
        self._sweep()

    def tick(self) -> None:
        now = time.monotonic()
        with self._lock:
            self._paused()
            self._last_tick = now
            if self.device_id is not None:
                self._elect(now)
                beat = {"t": "hb", "term": self.term, "leader": self.leader,
                        "seq": self.last_seq, "gate": self.gate_name}
                for addr in list(self.addrs):
                    self._send(addr, beat)
        self._announce()

    # --- asking (the gate's scan path, outside its scan lock) -----------------------------

    def ask(self, question: dict[str, Any], deadline: float) -> dict[str, Any] | None:
        """The leader's answer to one presence question, or None if none came in time."""
        with self._lock:
            if self.device_id is not None and not self.has_leader():
                # A change of leader under way: an answer within the budget beats deciding
                # alone (keep a little time back for the question itself).
                self._leader_known.wait_for(self.has_leader,
                                            max(deadline - time.monotonic() - 0.05, 0.0))
            leader = self.leader
            if leader is None or self.device_id is None:
                return None
            if leader != self.device_id:
                view = self.live().get(leader)
                if view is None:
                    return None
                return self._ask_leader(view.addr, question, deadline)
            if self._paused():
                return None
            pending = self._order(question, None, min(deadline, time.monotonic() + ACK_WAIT_S))
        if isinstance(pending, dict):
            return pending
        pending.done.wait(max(pending.deadline - time.monotonic(), 0.0))
        self._sweep(only=pending)
        return pending.answer

    def _ask_leader(self, addr: Addr, question: dict[str, Any], deadline: float
                    ) -> dict[str, Any] | None:
        """Send (and resend: datagrams get lost) until the answer comes or time is up.
        Called holding the lock; waits without it."""
        slot: list[dict[str, Any]] = []
        event = threading.Event()
        self.asks[question["scan_id"]] = (event, slot)
        self._lock.release()
        try:
            while time.monotonic() < deadline:
                left = deadline - time.monotonic()
                with self._lock:
                    self._send(addr, {"t": "req", "left": left, **question})
                if event.wait(min(RESEND_S, max(left, 0.0))):
                    return slot[0] if slot[0].get("t") == "ans" else None
            return None
        finally:
            self._lock.acquire()
            self.asks.pop(question["scan_id"], None)

    # --- inside the node ------------------------------------------------------------------

    def _handle(self, sender: int, body: dict[str, Any], addr: Addr) -> None:
        kind = body.get("t")
        with self._lock:
            if sender == self.device_id:
                return  # our own broadcast echoed back (mDNS lists us too)
            self.addrs.add(addr)  # links work both ways
            view = self.peers.get(sender) or PeerView(addr, 0.0)
            view.addr, view.heard = addr, time.monotonic()
            self.peers[sender] = view
            if kind == "hb":
                view.term, view.leader = int(body["term"]), body.get("leader")
                view.last_seq, view.gate = int(body["seq"]), str(body.get("gate", ""))
                self._on_heartbeat(sender, view)
            elif kind == "req":
                self._on_request(body, addr)
            elif kind == "app":
                self._on_append(sender, body, addr)
            elif kind == "ack":
                pending = self.pending.get(int(body["seq"]))
                if pending is not None:
                    pending.waiting.discard(sender)
                    if not pending.waiting:
                        self._complete(int(body["seq"]))
            elif kind in ("ans", "nl"):
                waiting = self.asks.get(str(body.get("scan_id")))
                if waiting is not None:
                    waiting[1].append(body)
                    waiting[0].set()

    def _on_heartbeat(self, sender: int, view: PeerView) -> None:
        if view.leader == sender and self._better(view.term, sender, view.last_seq):
            if self.leader != sender:
                log.info("LAN leader is now device %s (term %s)", sender, view.term)
            self.leader, self.term = sender, view.term
            self._leader_known.notify_all()
            self._linked.set()
        if self.leader == self.device_id and view.last_seq < self.last_seq:
            # A follower behind our log (it came back, or missed an ack): catch it up.
            missing = [e for s, e in self.log.items() if s > view.last_seq][:CATCH_UP]
            if missing:
                self._send(view.addr, {"t": "app", "term": self.term, "entries": missing})

    def _better(self, term: int, device: int, seq: int) -> bool:
        """Does a leader claim (term, log length, device) beat the leader we follow now?
        Two leaders of one term (two gates that each started alone) settle on the longer
        log, then the lower id, so a gate coming back with an empty log never takes over."""
        if self.leader is None or term > self.term:
            return True
        if self.leader == device or term < self.term:
            return False
        live = self.live()
        if self.leader != self.device_id and self.leader not in live:
            return True
        ours = self.last_seq if self.leader == self.device_id else live[self.leader].last_seq
        return (seq, -device) > (ours, -self.leader)

    def _paused(self) -> bool:
        """Were we stopped longer than a lease (and the tick has not yet stepped down)?"""
        now = time.monotonic()
        if now - self._last_tick <= LEASE_S:
            return False
        if self._link_until < now:
            # The others may have a new leader by now: step down and listen a lease long
            # (what sat in the socket meanwhile is old news) before answering or standing.
            log.warning("paused %.1f s: stepping down, listening again", now - self._last_tick)
            if self.leader == self.device_id:
                self.leader = None
            self._link_until = now + LEASE_S
            self._relink = True
        return True

    def _elect(self, now: float) -> None:
        live = self.live(now)
        if self.leader == self.device_id or self.leader in live:
            self._linked.set()
            return
        if self.leader is not None:
            log.info("LAN leader %s lost", self.leader)
            self.leader = None
        heard_all = self.configured <= {p.addr for p in live.values()}
        if now < self._link_until and (self._relink or not heard_all):
            return  # still linking: do not start a group of one beside a running group
        self._relink = False
        assert self.device_id is not None
        best = min([(-self.last_seq, self.device_id),
                    *[(-p.last_seq, d) for d, p in live.items()]])
        if best[1] == self.device_id:
            self.term = max([self.term, *[p.term for p in live.values()]]) + 1
            self.leader = self.device_id
            self._leader_known.notify_all()
            log.info("LAN leader: this gate (term %s, log %s)", self.term, self.last_seq)
            self._linked.set()

    def _on_request(self, body: dict[str, Any], addr: Addr) -> None:
        scan_id = str(body["scan_id"])
        if scan_id in self.answers:
            self._send(addr, self.answers[scan_id])
            return
        if scan_id in self.by_scan:  # a retry while we replicate: answer it when done
            self.pending[self.by_scan[scan_id]].reply_to = addr
            return
        if self.leader != self.device_id or self._paused():
            self._send(addr, {"t": "nl", "scan_id": scan_id})
            return
        deadline = time.monotonic() + max(min(float(body.get("left", 0.1)) - 0.02, ACK_WAIT_S), 0.005)
        question = {k: body[k] for k in ("scan_id", "badge", "zone", "day", "dir", "reentry")}
        result = self._order(question, addr, deadline)
        if isinstance(result, dict):
            self._send(addr, result)

    def _order(self, q: dict[str, Any], reply_to: Addr | None, deadline: float
               ) -> dict[str, Any] | Pending:
        """The leader's step: read presence, decide its part, log, replicate."""
        scan_id = str(q["scan_id"])
        if scan_id in self.answers:
            return self.answers[scan_id]
        if scan_id in self.by_scan:
            return self.pending[self.by_scan[scan_id]]
        badge, zone, day = int(q["badge"]), int(q["zone"]), str(q["day"])
        inside = self.base_inside(badge, zone, day)
        answer: dict[str, Any] = {"t": "ans", "scan_id": scan_id, "inside": inside, "seq": None,
                                  "term": self.term, "leader": self.device_id, "at": None}
        if q["dir"] == "in" and inside and not q["reentry"]:
            self._remember(scan_id, answer)  # already inside: nothing changes, nothing to order
            return answer
        at = max(dt.datetime.now(dt.UTC), self.last_at + dt.timedelta(microseconds=1))
        self.last_at = at
        self.last_seq += 1
        entry = {"seq": self.last_seq, "term": self.term, "scan_id": scan_id, "badge": badge,
                 "zone": zone, "day": day, "inside": q["dir"] == "in", "at": at.isoformat()}
        answer.update(seq=self.last_seq, at=entry["at"])
        self._keep(entry)
        live = self.live()
        pending = Pending(answer, set(live), deadline, reply_to)
        for view in live.values():
            self._send(view.addr, {"t": "app", "term": self.term, "entries": [entry]})
        # Our own log is written while the peers write theirs (still under the node lock,
        # so the next question reads it).
        self.apply([entry])
        if not live:
            self._remember(scan_id, answer)
            return answer
        self.pending[self.last_seq] = pending
        self.by_scan[scan_id] = self.last_seq
        return pending

    def _on_append(self, sender: int, body: dict[str, Any], addr: Addr) -> None:
        term = int(body["term"])
        if term < self.term:
            return  # an old leader that has not heard of the new one yet: not followed
        if self.leader != sender and self._better(term, sender, self.peers[sender].last_seq):
            self.leader, self.term = sender, term
            self._leader_known.notify_all()
            self._linked.set()
        if self.leader != sender:
            return
        fresh = [e for e in body["entries"] if int(e["seq"]) not in self.log]
        for entry in fresh:
            self._keep(entry)
        self._send(addr, {"t": "ack", "seq": max(int(e["seq"]) for e in body["entries"])})
        if fresh:
            self.apply(fresh)

    def _keep(self, entry: dict[str, Any]) -> None:
        seq = int(entry["seq"])
        self.log[seq] = entry
        self.last_seq = max(self.last_seq, seq)
        at = dt.datetime.fromisoformat(entry["at"])
        self.last_at = max(self.last_at, at)
        while len(self.log) > KEEP_LOG:
            self.log.popitem(last=False)

    def _remember(self, scan_id: str, answer: dict[str, Any]) -> None:
        self.answers[scan_id] = answer
        while len(self.answers) > KEEP_ANSWERS:
            self.answers.popitem(last=False)

    def _complete(self, seq: int) -> None:
        pending = self.pending.pop(seq)
        scan_id = pending.answer["scan_id"]
        self.by_scan.pop(scan_id, None)
        self._remember(scan_id, pending.answer)
        if pending.reply_to is not None:
            self._send(pending.reply_to, pending.answer)
        pending.done.set()

    def _sweep(self, only: Pending | None = None) -> None:
        """Answer what waited past its deadline; a peer that did not ack is not counted
        live until it is heard again (it catches up from the next heartbeat)."""
        now = time.monotonic()
        with self._lock:
            for seq, pending in list(self.pending.items()):
                if pending.deadline <= now or pending is only:
                    for device in pending.waiting:
                        if device in self.peers:
                            self.peers[device].heard = 0.0
                    self._complete(seq)

    def _send(self, addr: Addr, body: dict[str, Any]) -> None:
        if self.device_id is None:
            return
        kind = str(body.get("t"))
        self.sent[kind] = self.sent.get(kind, 0) + 1
        try:
            self.sock.sendto(self.key.sign(self.device_id, body), addr)
        except OSError as exc:  # an unreachable peer must not stop the others
            log.debug("send to %s failed: %s", addr, exc)

    def _announce(self) -> None:
        status = self.status()
        if status != self._shown:
            self._shown = status
            for listener in self.listeners:
                listener(status)
