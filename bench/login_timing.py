"""Sign-in refusals take the same time whether the account is wrong, unknown or locked
(each runs one password-hash check): median and p90 milliseconds per kind, real server.

    python bench/login_timing.py [--db sqlite|postgres] [--tries 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.dashboard import csrf_token  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

PASSWORD = "bench passphrase one"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--tries", type=int, default=30)
    args = parser.parse_args()
    import requests

    server = LiveServer(args.db, attendees=3, env={"LOGIN_RATE_LIMIT": "100000 per minute"}).start()
    try:
        for email in ("wrong@bench.test", "locked@bench.test"):
            server.cli("create-user", "--email", email, "--password", PASSWORD, "--role", "admin")
        kinds = {"wrong": ("wrong@bench.test", "not the password"),
                 "unknown": ("nobody@bench.test", PASSWORD),
                 "locked": ("locked@bench.test", PASSWORD)}
        s = requests.Session()
        token = csrf_token(s, f"{server.url}/login")
        for i in range(5):  # lock the second account
            s.post(f"{server.url}/login", data={"email": "locked@bench.test", "password": f"x{i}",
                                                "csrf_token": token}, allow_redirects=False)
        times: dict[str, list[float]] = {k: [] for k in kinds}
        for n in range(args.tries):
            if n % 4 == 3:  # a right password resets the counter: "wrong" must not lock
                fresh = requests.Session()
                fresh.post(f"{server.url}/login", allow_redirects=False, data={
                    "email": "wrong@bench.test", "password": PASSWORD,
                    "csrf_token": csrf_token(fresh, f"{server.url}/login")})
            for kind, (email, password) in kinds.items():
                t0 = time.perf_counter()
                answer = s.post(f"{server.url}/login", allow_redirects=False,
                                data={"email": email, "password": password, "csrf_token": token})
                times[kind].append((time.perf_counter() - t0) * 1000)
                assert answer.status_code == 401, (kind, answer.status_code)
        for kind, values in times.items():
            values.sort()
            print(f"login refusal {kind:8s} ({args.db}): median {statistics.median(values):6.1f} ms, "
                  f"p90 {values[int(len(values) * 0.9) - 1]:6.1f} ms")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
