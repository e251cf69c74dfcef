#!/usr/bin/env python3
"""HTTP benchmark: OneDoor with authentication + consent + audit, OneDoor with them off, and
Medplum's FHIR router on its in-memory repository, each seeded with the same data and measured
by wrk (2 threads, 32 connections, loopback) in the same run. Prints JSON lines for report.py.

Usage: http_bench.py ONEDOOR_BINARY WORK_DIR [--seconds N] [--patients N]
"""
import argparse, http.client, json, os, re, shutil, signal, sqlite3, subprocess, sys, time

POLICY = {
    "version": "bench-1",
    "rules": [{"id": "direct-care", "sectors": ["gp", "acute", "mental-health", "social-care"],
               "purposes": ["TREAT"], "access": "full", "consent": "implied"}],
    "sensitive": [{"label": "PSY", "sectors": ["gp", "acute", "mental-health", "social-care"]}],
}


def wait_ready(port, path, proc, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit(f"bench: server on {port} exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            if c.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"bench: server on {port} did not start")


def nhs_number(i):
    """A valid NHS number (modulus 11) for each i: distinct people, never matched to one another."""
    while True:
        digits = f"9{i:08d}"
        check = 11 - sum(int(d) * (10 - k) for k, d in enumerate(digits)) % 11
        if check != 10:
            return digits + str(0 if check == 11 else check), i
        i += 50000000


def letters(i):
    out = ""
    while True:
        out = chr(ord("a") + i % 26) + out
        i //= 26
        if i == 0:
            return out.capitalize()


def seed(port, token, patients):
    """Patients with 5 Observations each; returns (a patient id, the number written)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/fhir+json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    ids = []
    for i in range(patients):
        body = {"resourceType": "Patient", "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number",
                                                           "value": nhs_number(i)[0]}],
                "name": [{"family": f"Family{letters(i % 97)}", "given": [f"Given{letters(i)}"]}], "gender": "female",
                "birthDate": f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}"}
        c.request("POST", "/fhir/Patient", json.dumps(body), headers)
        r = c.getresponse()
        data = r.read()
        if r.status != 201:
            raise SystemExit(f"bench: seeding Patient failed on {port}: {r.status} {data[:200]}")
        pid = json.loads(data)["id"]
        ids.append(pid)
        for k, code in enumerate(["8867-4", "8480-6", "8462-4", "29463-7", "8310-5"]):
            obs = {"resourceType": "Observation", "status": "final",
                   "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                   "subject": {"reference": "Patient/" + pid}, "effectiveDateTime": f"2026-0{1 + k}-15",
                   "valueQuantity": {"value": 60 + k, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}}
            c.request("POST", "/fhir/Observation", json.dumps(obs), headers)
            r = c.getresponse()
            r.read()
            if r.status != 201:
                raise SystemExit(f"bench: seeding Observation failed on {port}: {r.status}")
    return ids[len(ids) // 2], patients * 6


def wrk(url, token, seconds):
    cmd = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency"]
    if token:
        cmd += ["-H", "Authorization: Bearer " + token]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(pct):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50_ms": ms(50), "p99_ms": ms(99), "requests": total,
            "errors": int(non2xx.group(1)) if non2xx else 0}


def check(port, path, token):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path, headers={"Authorization": "Bearer " + token} if token else {})
    r = c.getresponse()
    body = r.read()
    if r.status != 200:
        raise SystemExit(f"bench: {path} on {port} answered {r.status}: {body[:300]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("work")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--patients", type=int, default=1000)
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    work = os.path.abspath(a.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    subprocess.run([binary, "keygen", "--out", os.path.join(work, "keys"), "gateway", "bench-acute"],
                   check=True, stdout=subprocess.DEVNULL)
    json.dump(POLICY, open(os.path.join(work, "policy.json"), "w"))
    base = {"server": {"host": "127.0.0.1", "allow_plain_http": True, "max_threads": 64},
            "storage": {"driver": "sqlite"}}
    on = dict(base, server=dict(base["server"], port=18081), storage={"sqlite_path": "on.db"},
              audit={"sqlite_path": "audit.db"}, auth={"signing_key": "keys/gateway.key.pem"},
              consent={"policy": "policy.json"},
              partners=[{"id": "bench-acute", "ods": "RBENCH", "sector": "acute", "purposes": ["TREAT"],
                         "scopes": ["system/*.cruds"],
                         "keys": [{"kid": "k1", "alg": "ES384", "public_key": "keys/bench-acute.pub.pem"}],
                         "development_key": "keys/bench-acute.key.pem"}])
    off = dict(base, server=dict(base["server"], port=18082), storage={"sqlite_path": "off.db"},
               audit={"sqlite_path": "audit-off.db"}, auth={"required": False})
    for name, cfg in (("on", on), ("off", off)):
        json.dump(cfg, open(os.path.join(work, name + ".json"), "w"), indent=1)

    procs = []
    try:
        for name in ("on", "off"):
            p = subprocess.Popen([binary, "serve", "--config", os.path.join(work, name + ".json")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(p)
            wait_ready(18081 if name == "on" else 18082, "/health", p)
        medplum = subprocess.Popen(["node", os.path.join(os.path.dirname(__file__), "peers", "medplum_server.js"), "18090"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(medplum)
        wait_ready(18090, "/fhir/Patient?_count=1", medplum)
        token = subprocess.run([binary, "token", "--config", os.path.join(work, "on.json"), "--partner", "bench-acute"],
                               capture_output=True, text=True, check=True).stdout.strip()
        # Tokens live 5 minutes; each measurement gets a fresh one.
        def fresh():
            return subprocess.run([binary, "token", "--config", os.path.join(work, "on.json"), "--partner",
                                   "bench-acute"], capture_output=True, text=True, check=True).stdout.strip()
        targets = [("onedoor (auth+consent+audit)", 18081, True), ("onedoor (security off)", 18082, False),
                   ("medplum fhir-router (memory)", 18090, False)]
        seeded = {}
        for side, port, secure in targets:
            print(f"bench: seeding {side}", file=sys.stderr)
            seeded[side] = seed(port, token if secure else "", a.patients)
        for query_name, path in (("read", "/fhir/Patient/{id}"), ("search", "/fhir/Observation?subject=Patient/{id}")):
            for side, port, secure in targets:
                pid, _ = seeded[side]
                t = fresh() if secure else ""
                url_path = path.format(id=pid)
                check(port, url_path, t)
                audit_before = None
                if secure:
                    db = sqlite3.connect(os.path.join(work, "audit.db"))
                    audit_before = db.execute("SELECT coalesce(max(seq), 0) FROM audit_event").fetchone()[0]
                    db.close()
                print(f"bench: wrk {query_name} {side}", file=sys.stderr)
                r = wrk(f"http://127.0.0.1:{port}{url_path}", t, a.seconds)
                row = {"bench": "http", "query": query_name, "side": side, "patients": a.patients, **r}
                if secure:
                    db = sqlite3.connect(os.path.join(work, "audit.db"))
                    after = db.execute("SELECT coalesce(max(seq), 0) FROM audit_event").fetchone()[0]
                    db.close()
                    row["audit_records"] = after - audit_before
                    row["audit_per_s"] = (after - audit_before) / a.seconds
                print(json.dumps(row))
        verify = subprocess.run([binary, "audit", "verify", "--config", os.path.join(work, "on.json")],
                                capture_output=True, text=True)
        print(json.dumps({"bench": "http_audit_verify", "side": "onedoor", "ok": verify.returncode == 0,
                          "text": verify.stdout.strip()}))
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
