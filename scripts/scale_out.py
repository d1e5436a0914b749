#!/usr/bin/env python3
"""Load and verification half of scripts/scale-out.sh (run that, not this).

    scripts/scale_out.py --a http://127.0.0.1:PORT_A --b http://127.0.0.1:PORT_B \
        --database-url postgres://user@127.0.0.1:5432/db --log FILE \
        [--workers 8] [--creates 100] [--hot 16] [--contended 60] [--races 40]

Drives two app instances that share one PostgreSQL database through the JSON
API, writes every write attempt and its outcome to --log (JSON lines; an
acknowledged write is a 201 with the new student, or a 200 with the new ETag
and the body stored), then checks the database (through psql) against the
acknowledged writes only. Python 3 standard library only.

Phases (all bounded; nothing but 127.0.0.1 is contacted):

1. creates   each worker creates --creates students, alternating instances A
             and B, with unique emails;
   races     --races emails are each POSTed to A and B at the same moment:
             exactly one must win (201) and the other get 409;
2. cross     each worker edits every student it created on the *other*
             instance: PATCH {"city"} with If-Match from the create; on 412 it
             re-reads the ETag (GET) and retries;
3. contended all workers edit the same --hot students at once from both
             instances: conditional PATCH {"city"} and conditional PUT (If-Match,
             retried on 412), and unconditional PATCH {"lastname"} (a merge that
             must keep everyone else's city).

Checks (any failure exits 1):

- the row count equals the acknowledged creates, each acknowledged create is
  stored with its email, and each race has exactly one winner;
- acknowledged versions of a student are distinct, a conditional write
  acknowledged with If-Match "v" produced version v+1 (else the precondition
  was not honoured), and the ETag header equals the body's version;
- replaying each student's acknowledged writes in version order (create, then
  each edit's fields) gives every acknowledged body: no edit lost another's
  change; and the stored row equals the last acknowledged body (the stored
  version is the highest acknowledged one, and each field holds the value of
  the last acknowledged edit that wrote it);
- md5 of the sorted "id|email|city|age|lastname|version" rows computed from the log
  equals the one PostgreSQL computes over the table;
- students_count (if the schema has it) equals count(*);
- no response outside the expected ones (201, 200, 409 for races, 412 for
  stale edits, 304 never asked for) and no transport error.
"""

import argparse
import csv
import hashlib
import http.client
import io
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

FIELDS = ("firstname", "lastname", "email", "age", "bio", "city")
CITIES = ("Oslo", "Lisbon", "São Paulo", "Zürich", "Kraków", "Québec", "Nairobi", "Osaka")
# The API needs a write token (scale-out.sh makes one); from the environment,
# not an argument, which any user could read in `ps`.
API_TOKEN = os.environ.get("API_TOKEN", "")
MAX_RETRIES = 200  # per edit, for 412s; the contended phase needs a few dozen at most


class Log:
    """Every write attempt, one JSON object a line, in the order answered."""

    def __init__(self, path):
        self.file = open(path, "w", encoding="utf-8")
        self.lock = threading.Lock()

    def write(self, event):
        event["t"] = round(time.monotonic(), 6)
        line = json.dumps(event, ensure_ascii=False, sort_keys=True)
        with self.lock:
            self.file.write(line + "\n")

    def close(self):
        self.file.close()


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = Counter()

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] += n


STATS = Stats()


class Client:
    """One keep-alive connection per instance, for one thread."""

    def __init__(self, bases, timeout):
        self.bases = bases  # {"A": (host, port), "B": (host, port)}
        self.timeout = timeout
        self.conns = {}
        self.used = {}

    def _conn(self, inst):
        conn = self.conns.get(inst)
        # A keep-alive connection idle for a while may be closed by the server
        # just as a request goes out, which would make a POST's outcome
        # unknown: open a new one instead.
        if conn is not None and time.monotonic() - self.used.get(inst, 0) > 1.0:
            conn.close()
            conn = None
        if conn is None:
            host, port = self.bases[inst]
            conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
            self.conns[inst] = conn
        return conn

    def request(self, inst, method, path, body=None, headers=None):
        """(status, headers, parsed JSON or None); status None on a transport error."""
        hdrs = {"Accept": "application/json", "Authorization": f"Bearer {API_TOKEN}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        conn = self._conn(inst)
        self.used[inst] = time.monotonic()
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            raw = resp.read()
            self.used[inst] = time.monotonic()
        except (OSError, http.client.HTTPException) as err:
            conn.close()
            self.conns.pop(inst, None)
            STATS.add(f"transport error {method}")
            return None, {}, {"transport_error": repr(err)}
        STATS.add(f"{inst} {method} {resp.status}")
        resp_headers = {k.lower(): v for k, v in resp.getheaders()}
        if resp_headers.get("connection", "").lower() == "close":
            conn.close()
            self.conns.pop(inst, None)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = {"unparsable_body": raw[:200].decode("utf-8", "replace")}
        return resp.status, resp_headers, parsed


def etag_version(headers):
    # "3.2": the version, then the live enrolment count (docs/api.md).
    tag = headers.get("etag", "")
    if len(tag) < 3 or tag[0] != '"' or tag[-1] != '"':
        return None
    version = tag[1:-1].split(".", 1)[0]
    return int(version) if version.isdigit() else None


def other(inst):
    return "B" if inst == "A" else "A"


def record(body):
    return {k: body.get(k) for k in FIELDS} if isinstance(body, dict) else None


def create(client, log, worker, inst, email, tag):
    student = {
        "firstname": f"Scale{worker}",
        "lastname": f"Out{tag}",
        "email": email,
        "age": 18 + zlib.crc32(email.encode()) % 40,
        "bio": None,
        "city": CITIES[zlib.crc32(email.encode()) % len(CITIES)],
    }
    status, headers, body = client.request(inst, "POST", "/api/students", student)
    event = {"op": "create", "worker": worker, "inst": inst, "email": email,
             "status": status, "sent": student}
    if status == 201:
        event.update(outcome="ack", id=body["id"], version=body["version"],
                     etag_version=etag_version(headers), body=record(body))
    elif status == 409:
        event.update(outcome="conflict", body=body)
    else:
        event.update(outcome="unexpected" if status is not None else "unknown", body=body)
    log.write(event)
    return event


def edit(client, log, worker, phase, sid, inst, method, fields, if_match, read_inst):
    """A write retried on 412 by re-reading the ETag; returns the final event.

    `fields` is a function of the current record (for PUT, the whole record)
    returning what to send; it is called again after each re-read so a PUT
    keeps the fields others changed in between.
    """
    current = None
    for attempt in range(MAX_RETRIES):
        send = fields(current)
        headers = {} if if_match is None else {"If-Match": f'"{if_match}"'}
        status, resp_headers, body = client.request(
            inst, method, f"/api/students/{sid}", send, headers)
        event = {"op": method.lower(), "phase": phase, "worker": worker, "inst": inst,
                 "id": sid, "if_match": if_match, "status": status, "attempt": attempt,
                 "sent": send}
        if status == 200:
            event.update(outcome="ack", version=body["version"],
                         etag_version=etag_version(resp_headers), body=record(body))
            log.write(event)
            return event
        if status == 412 and if_match is not None:
            event.update(outcome="stale", current_etag=etag_version(resp_headers))
            log.write(event)
            STATS.add(f"412 retries ({phase})")
            # Re-read the student (on the other instance, for good measure).
            status, resp_headers, body = client.request(
                read_inst, "GET", f"/api/students/{sid}")
            if status != 200:
                log.write({"op": "get", "phase": phase, "worker": worker, "inst": read_inst,
                           "id": sid, "status": status, "outcome": "unexpected", "body": body})
                return None
            if_match = etag_version(resp_headers)
            current = record(body)
            continue
        event.update(outcome="unexpected" if status is not None else "unknown", body=body)
        log.write(event)
        return None
    log.write({"op": method.lower(), "phase": phase, "worker": worker, "id": sid,
               "outcome": "gave_up", "status": 412})
    STATS.add("gave up after retries")
    return None


def run_load(args, bases, log):
    run = args.run_id
    created = defaultdict(list)  # worker -> [(id, version, inst)]
    lock = threading.Lock()
    timings = {}

    def creator(worker):
        client = Client(bases, args.timeout)
        for i in range(args.creates):
            inst = "A" if (worker + i) % 2 == 0 else "B"
            ev = create(client, log, worker, inst, f"so-{run}-w{worker}-{i}@example.com", f"{worker}x{i}")
            if ev["outcome"] == "ack":
                with lock:
                    created[worker].append((ev["id"], ev["version"], inst))

    def racer(k):
        # Both instances get the same new email at the same moment.
        barrier = threading.Barrier(2)
        results = {}

        def one(inst):
            client = Client(bases, args.timeout)
            barrier.wait()
            results[inst] = create(client, log, 1000 + k, inst,
                                   f"so-{run}-race{k}@example.com", f"race{k}{inst}")
        threads = [threading.Thread(target=one, args=(i,)) for i in ("A", "B")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    t0 = time.monotonic()
    with ThreadPoolExecutor(args.workers) as pool:
        list(pool.map(creator, range(args.workers)))
    with ThreadPoolExecutor(max(1, args.workers // 2)) as pool:
        list(pool.map(racer, range(args.races)))
    timings["creates and races"] = time.monotonic() - t0

    def cross(worker):
        client = Client(bases, args.timeout)
        for n, (sid, version, inst) in enumerate(created[worker]):
            target = other(inst)
            city = f"{CITIES[n % len(CITIES)]} x{worker}-{n}"
            edit(client, log, worker, "cross", sid, target, "PATCH",
                 lambda _cur, city=city: {"city": city}, version, inst)

    t0 = time.monotonic()
    with ThreadPoolExecutor(args.workers) as pool:
        list(pool.map(cross, range(args.workers)))
    timings["cross-instance edits"] = time.monotonic() - t0

    every = [sid for w in sorted(created) for sid, _, _ in created[w]]
    hot = every[: args.hot]

    def contended(worker):
        client = Client(bases, args.timeout)
        rng = random.Random(f"{run}-{worker}")
        for n in range(args.contended):
            sid = rng.choice(hot)
            inst = rng.choice("AB")
            kind = n % 3
            if kind == 2:
                # Unconditional merge of another field: must not undo any city.
                edit(client, log, worker, "contended", sid, inst, "PATCH",
                     lambda _cur, v=f"Merge{worker}n{n}": {"lastname": v}, None, other(inst))
                continue
            status, headers, body = client.request(other(inst), "GET", f"/api/students/{sid}")
            if status != 200:
                log.write({"op": "get", "phase": "contended", "worker": worker, "inst": other(inst),
                           "id": sid, "status": status, "outcome": "unexpected", "body": body})
                continue
            version = etag_version(headers)
            city = f"{CITIES[(worker + n) % len(CITIES)]} c{worker}-{n}"
            if kind == 0:
                edit(client, log, worker, "contended", sid, inst, "PATCH",
                     lambda _cur, c=city: {"city": c}, version, other(inst))
            else:
                first = record(body)

                def whole(cur, c=city, first=first, w=worker, n=n):
                    full = dict(cur or first)
                    full["city"] = c
                    full["age"] = 20 + (w + n) % 60
                    return full
                edit(client, log, worker, "contended", sid, inst, "PUT", whole, version, other(inst))

    t0 = time.monotonic()
    with ThreadPoolExecutor(args.workers) as pool:
        list(pool.map(contended, range(args.workers)))
    timings["contended edits"] = time.monotonic() - t0
    return timings, hot


def psql(url, sql):
    out = subprocess.run(["psql", "-w", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", url, "-c", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout


def checksum_lines(rows):
    """rows: iterable of dicts with id, email, city, age, lastname, version."""
    lines = []
    for r in sorted(rows, key=lambda r: r["id"]):
        lines.append("|".join([str(r["id"]), r["email"], r["city"] or "",
                               "" if r["age"] is None else str(r["age"]),
                               r["lastname"], str(r["version"])]))
    return hashlib.md5("\n".join(lines).encode("utf-8")).hexdigest()


def verify(args, hot):
    failures = []
    notes = []

    def fail(msg):
        failures.append(msg)

    events = [json.loads(line) for line in open(args.log, encoding="utf-8")]
    acks = [e for e in events if e.get("outcome") == "ack"]
    creates = [e for e in acks if e["op"] == "create"]
    edits = [e for e in acks if e["op"] != "create"]
    bad = [e for e in events if e.get("outcome") in ("unexpected", "unknown", "gave_up")]
    for e in bad[:10]:
        fail(f"unexpected response: {e.get('op')} on {e.get('inst')} id={e.get('id')} "
             f"status={e.get('status')} body={json.dumps(e.get('body'), ensure_ascii=False)[:200]}")
    if len(bad) > 10:
        fail(f"... and {len(bad) - 10} more unexpected responses")

    # Races: exactly one winner per email.
    races = defaultdict(list)
    for e in events:
        if e["op"] == "create" and "-race" in e.get("email", ""):
            races[e["email"]].append(e.get("status"))
    race_bad = {k: v for k, v in races.items() if sorted(v) != [201, 409]}
    for k, v in list(race_bad.items())[:5]:
        fail(f"duplicate-email race {k}: statuses {v}, expected one 201 and one 409")

    # Acknowledged writes per student, by version.
    by_id = defaultdict(list)
    for e in acks:
        if e["etag_version"] != e["version"]:
            fail(f"id {e['id']}: ETag {e['etag_version']} differs from body version {e['version']}")
        by_id[e["id"]].append(e)
    ids = [e["id"] for e in creates]
    if len(ids) != len(set(ids)):
        fail("two acknowledged creates returned the same id")
    chain_checked = 0
    expected_rows = {}
    for sid, evs in by_id.items():
        evs.sort(key=lambda e: e["version"])
        versions = [e["version"] for e in evs]
        if len(set(versions)) != len(versions):
            dup = [v for v, c in Counter(versions).items() if c > 1]
            who = "; ".join(f"{e['op'].upper()} on {e['inst']} If-Match {e.get('if_match')}"
                            for e in evs if e["version"] in dup)
            fail(f"id {sid}: versions {dup} acknowledged to more than one write ({who})")
        for e in evs:
            if e["op"] != "create" and e.get("if_match") is not None and e["version"] != e["if_match"] + 1:
                fail(f"id {sid}: {e['op'].upper()} on {e['inst']} with If-Match \"{e['if_match']}\" "
                     f"was acknowledged as version {e['version']}: the precondition was not honoured "
                     f"(a concurrent edit was overwritten)")
        if evs[0]["op"] != "create":
            fail(f"id {sid}: edits acknowledged but no acknowledged create")
            continue
        if evs[0]["body"] != evs[0]["sent"]:
            fail(f"id {sid}: created as {evs[0]['sent']} but answered {evs[0]['body']}")
        # Replay: each acknowledged body = previous acknowledged body + the fields it wrote.
        state = dict(evs[0]["body"])
        if versions == list(range(1, len(versions) + 1)):
            chain_checked += 1
            for e in evs[1:]:
                expected = dict(state)
                expected.update({k: e["sent"].get(k) for k in FIELDS} if e["op"] == "put" else e["sent"])
                if e["body"] != expected:
                    diff = ", ".join(f"{k} {e['body'].get(k)!r} instead of {expected.get(k)!r}"
                                     for k in FIELDS if expected.get(k) != e["body"].get(k))
                    fail(f"id {sid}: version {e['version']} ({e['op'].upper()} on {e['inst']}) "
                         f"has {diff}: it undid an earlier acknowledged edit (lost update)")
                state = dict(e["body"])
        else:
            notes.append(f"id {sid}: acknowledged versions {versions} are not 1..n "
                         f"(a write's answer was lost); replay skipped")
            state = dict(evs[-1]["body"])
        expected_rows[sid] = dict(state, id=sid, version=versions[-1])

    # The database.
    rows = {}
    out = psql(args.database_url,
               "COPY (SELECT id, email, city, age, lastname, firstname, bio, version FROM students "
               "ORDER BY id) TO STDOUT WITH (FORMAT csv)")
    for rec in csv.reader(io.StringIO(out)):
        sid, email, city, age, lastname, firstname, bio, version = rec
        rows[int(sid)] = {"id": int(sid), "email": email, "city": city or None,
                          "age": int(age) if age else None, "lastname": lastname,
                          "firstname": firstname, "bio": bio or None, "version": int(version)}
    count = int(psql(args.database_url, "SELECT count(*) FROM students").strip())
    if count != len(creates):
        fail(f"row count {count} != acknowledged creates {len(creates)}")
    missing = [e["id"] for e in creates if e["id"] not in rows]
    if missing:
        fail(f"{len(missing)} acknowledged creates missing from the database, e.g. ids {missing[:10]}")
    wrong_email = [e["id"] for e in creates if e["id"] in rows and rows[e["id"]]["email"] != e["email"]]
    if wrong_email:
        fail(f"{len(wrong_email)} stored students have another email than their create, e.g. {wrong_email[:10]}")
    extra = sorted(set(rows) - set(ids))
    if extra:
        fail(f"{len(extra)} stored students were never acknowledged, e.g. ids {extra[:10]}")

    mismatched = 0
    for sid, exp in expected_rows.items():
        got = rows.get(sid)
        if got is None:
            continue
        diff = {k: (exp.get(k), got.get(k)) for k in FIELDS + ("version",) if exp.get(k) != got.get(k)}
        if diff:
            mismatched += 1
            if mismatched <= 10:
                fail(f"id {sid}: stored row differs from the last acknowledged write: "
                     f"{ {k: f'acknowledged {a!r}, stored {b!r}' for k, (a, b) in diff.items()} }")
    if mismatched > 10:
        fail(f"... {mismatched} students in all differ from their last acknowledged write")

    # Per field: the stored value is the value of the last acknowledged edit that wrote it.
    field_checked = 0
    for sid, evs in by_id.items():
        got = rows.get(sid)
        if got is None:
            continue
        last = {}
        for e in evs:
            wrote = e["sent"] if e["op"] != "put" else {k: e["sent"].get(k) for k in FIELDS}
            for k, v in wrote.items():
                last[k] = (e["version"], v, e["op"], e["inst"])
        for k, (v_ver, v, op, inst) in last.items():
            field_checked += 1
            if got.get(k) != v:
                fail(f"id {sid}: {k} is {got.get(k)!r} but the last acknowledged write of it "
                     f"({op.upper()} on {inst}, version {v_ver}) set {v!r}")

    log_sum = checksum_lines(expected_rows.values())
    db_sum = psql(args.database_url,
                  "SELECT md5(coalesce(string_agg(id || '|' || email || '|' || coalesce(city, '') || '|' "
                  "|| coalesce(age::text, '') || '|' || lastname || '|' || version, E'\\n' ORDER BY id), '')) "
                  "FROM students").strip()
    if log_sum != db_sum:
        fail(f"checksum of acknowledged writes {log_sum} != checksum of the table {db_sum}")

    has_count = psql(args.database_url, "SELECT to_regclass('students_count') IS NOT NULL").strip() == "t"
    kept = None
    if has_count:
        kept = psql(args.database_url, "SELECT coalesce(sum(total), -1) FROM students_count").strip()
        if int(kept) != count:
            fail(f"students_count says {kept} but the table holds {count}")

    conflicts_412 = sum(1 for e in events if e.get("outcome") == "stale")
    hot_versions = [rows[s]["version"] for s in hot if s in rows]
    summary = {
        "write attempts logged": len(events),
        "acknowledged creates": len(creates),
        "acknowledged edits": len(edits),
        "  by instance": dict(Counter(e["inst"] for e in acks)),
        "  cross-instance edits acknowledged": sum(1 for e in edits if e.get("phase") == "cross"),
        "  contended edits acknowledged": sum(1 for e in edits if e.get("phase") == "contended"),
        "412 answers (stale If-Match, retried)": conflicts_412,
        "duplicate-email races (one 201 + one 409 each)": f"{len(races) - len(race_bad)}/{len(races)}",
        "rows in database": count,
        "students_count": kept if has_count else "(no such table)",
        "students replayed version by version": f"{chain_checked}/{len(by_id)}",
        "fields checked against their last acknowledged write": field_checked,
        "hot students' final versions": f"min {min(hot_versions, default=0)}, max {max(hot_versions, default=0)}",
        "checksum (acknowledged log)": log_sum,
        "checksum (database)": db_sum,
    }
    return failures, notes, summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", required=True, help="instance A base URL (http://127.0.0.1:PORT)")
    ap.add_argument("--b", required=True, help="instance B base URL")
    ap.add_argument("--database-url", required=True, help="the database both instances use (for psql)")
    ap.add_argument("--log", required=True, help="where to write the JSON-lines log of writes")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--creates", type=int, default=100, help="creates per worker")
    ap.add_argument("--races", type=int, default=40, help="duplicate-email races")
    ap.add_argument("--hot", type=int, default=16, help="students every worker edits in the contended phase")
    ap.add_argument("--contended", type=int, default=60, help="contended edits per worker")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    ap.add_argument("--run-id", default=str(int(time.time())))
    args = ap.parse_args()
    if not API_TOKEN:
        sys.exit("API_TOKEN must hold a write token: student-registry tokens create ... --scope write")

    bases = {}
    for name, url in (("A", args.a), ("B", args.b)):
        u = urllib.parse.urlsplit(url)
        if u.scheme != "http" or u.hostname != "127.0.0.1":
            sys.exit(f"--{name.lower()} must be http://127.0.0.1:PORT, not {url}")
        bases[name] = (u.hostname, u.port)

    log = Log(args.log)
    t0 = time.monotonic()
    try:
        timings, hot = run_load(args, bases, log)
    finally:
        log.close()
    load_secs = time.monotonic() - t0
    failures, notes, summary = verify(args, hot)

    print(f"load: {args.workers} workers, {args.creates} creates each + {args.races} races, "
          f"cross edits, {args.contended} contended edits each on {args.hot} students; "
          f"{load_secs:.1f}s ({', '.join(f'{k} {v:.1f}s' for k, v in timings.items())})")
    print("responses:", ", ".join(f"{k}: {v}" for k, v in sorted(STATS.counts.items())))
    for k, v in summary.items():
        print(f"  {k}: {v}")
    for n in notes[:10]:
        print(f"  note: {n}")
    if failures:
        print(f"FAIL: {len(failures)} problem(s)")
        for f in failures[:40]:
            print(f"  - {f}")
        return 1
    print("PASS: every acknowledged create is stored, every student holds its last "
          "acknowledged edit, no acknowledged edit was lost, checksums match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
