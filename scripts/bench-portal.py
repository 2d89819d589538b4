#!/usr/bin/env python3
"""The portal's server time at scale, for scripts/bench-portal.sh: enrols the user whose
invitation link it is given (password and TOTP), then asks the pages a secretary asks, each
REQUESTS times, reading the time the daemon took from the Server-Timing header of each answer
(app;dur=MS), and the daemon's resident memory before and after paging through many pages.
Prints a Markdown table.

usage: bench-portal.py BASE_URL INVITATION_LINK SEARCHES_FILE DAEMON_PID"""

import base64, hashlib, hmac, http.client, random, re, struct, sys, time, urllib.parse, os

base, link, searches_file, pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
PAGES = int(os.environ.get("BENCH_PAGES", "1000"))
PASSWORD = "een lange zin als wachtwoord voor de bench"
url = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
cookies = {}


def request(method, path, fields=None):
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    body = None
    if fields is not None:
        fields = dict(fields, csrf=cookies.get("__Host-ketenpost-csrf", ""))
        body = urllib.parse.urlencode(fields)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Origin"] = base
    conn.request(method, path, body=body, headers=headers)
    answer = conn.getresponse()
    text = answer.read().decode("utf-8", "replace")
    for name, value in answer.getheaders():
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            cookies[key.strip()] = val.strip()
    return answer.status, dict((k.lower(), v) for k, v in answer.getheaders()), text


def totp(secret):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 15
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


def rss_mb():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return -1


# Enrolment: the password, then the second factor.
path = urllib.parse.urlparse(link).path
request("GET", path)
status, headers, _ = request("POST", path, {"wachtwoord": PASSWORD, "herhaal": PASSWORD})
assert status == 303, status
_, _, page = request("GET", "/profiel/twee-factor")
secret = re.search(r'<code class="secret">([^<]+)</code>', page).group(1).replace(" ", "")
status, _, page = request("POST", "/profiel/twee-factor", {"code": totp(secret)})
assert status == 200 and "herstelcodes" in page, status

searches = {"bsn": [], "name": [], "sender": []}
for line in open(searches_file):
    kind, _, value = line.strip().partition(" ")
    if kind in searches:
        searches[kind].append(value)


def timed(path):
    status, headers, text = request("GET", path)
    assert status == 200, (path, status, text[:300])
    return float(headers["server-timing"].split("dur=")[1]), text


def next_link(text):
    found = re.search(r'<a href="([^"]+)" id="next-page"', text)
    return found.group(1).replace("&amp;", "&") if found else None


rows = []


def measure(what, paths, target=""):
    times = sorted(timed(p)[0] for p in paths)
    n = len(times)
    rows.append((what, n, times[n // 2], times[int(0.95 * (n - 1))], times[-1], target))


rng = random.Random(7)
measure("counts (/berichten/aantallen)", ["/berichten/aantallen"] * REQUESTS, "<= 5 ms")
measure("tab Verwerkt, first page", ["/berichten?tab=processed"] * REQUESTS, "<= 30 ms")
measure("tab Onbekende BSN, first page", ["/berichten?tab=unknown_bsn"] * REQUESTS, "<= 30 ms")

# Paging deep into Verwerkt: memory before and after PAGES pages.
rss_before = rss_mb()
path, walked, walk_times = "/berichten?tab=processed", 0, []
while path and walked < PAGES:
    took, text = timed(path)
    walk_times.append(took)
    path = next_link(text)
    walked += 1
rss_after = rss_mb()
deep = path or "/berichten?tab=processed"
measure(f"tab Verwerkt, page {walked + 1} (deep)", [deep] * REQUESTS, "<= 30 ms")
walk_times.sort()
rows.append((f"tab Verwerkt, pages 1-{walked} walked once", walked, walk_times[walked // 2],
             walk_times[int(0.95 * (walked - 1))], walk_times[-1], "<= 30 ms"))
rss_after_more = None
if path:
    for _ in range(PAGES):
        if not path:
            break
        _, text = timed(path)
        path = next_link(text)
    rss_after_more = rss_mb()

q = urllib.parse.quote
measure("BSN search, all tabs",
        [f"/berichten?tab=processed&bsn={rng.choice(searches['bsn'])}&waar=alle" for _ in range(REQUESTS)], "<= 50 ms")
measure("BSN search, within Onbekende BSN",
        [f"/berichten?tab=unknown_bsn&bsn={rng.choice(searches['bsn'])}" for _ in range(REQUESTS)], "<= 50 ms")
measure("name search (a surname), all tabs",
        [f"/berichten?tab=processed&naam={q(rng.choice(searches['name']))}&waar=alle" for _ in range(REQUESTS)])
measure("name search (a surname), within Onbekende BSN",
        [f"/berichten?tab=unknown_bsn&naam={q(rng.choice(searches['name']))}" for _ in range(REQUESTS)])
measure("sender search, within Onbekende BSN",
        [f"/berichten?tab=unknown_bsn&afzender={rng.choice(searches['sender'])}" for _ in range(REQUESTS)])

print("| request | n | p50 ms | p95 ms | max ms | target |")
print("|---|---:|---:|---:|---:|---|")
for what, n, p50, p95, top, target in rows:
    print(f"| {what} | {n} | {p50:.1f} | {p95:.1f} | {top:.1f} | {target} |")
print()
print(f"resident memory: {rss_before} MB before paging, {rss_after} MB after {walked} pages"
      + (f", {rss_after_more} MB after {PAGES} more" if rss_after_more else ""))
