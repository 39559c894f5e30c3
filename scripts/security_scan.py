"""`make security`: bandit over the code, sqlmap against a throwaway local server.

Fails (exit 1) on any finding not accepted, with a reason, in security-accepted.toml.
The server runs on 127.0.0.1 with a fresh SQLite database and the demo data; nothing
outside a temporary folder is touched. Every sqlmap run is bounded (techniques, level,
time), so the whole scan takes a few minutes.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess  # nosec B404 - runs our own tools with fixed argument lists
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ACCEPTED = tomllib.loads((ROOT / "security-accepted.toml").read_text())
POSITIVE = re.compile(
    r"(parameter '[^']+' (is|appears to be|seems to be) .*injectable"
    r"|sqlmap identified the following injection point)",
    re.I,
)


def bandit() -> list[str]:
    out = subprocess.run(  # noqa: S603  # nosec B603
        [
            str(BIN / "bandit"),
            "-q",
            "-r",
            "matchmaking",
            "search_index",
            "-c",
            "pyproject.toml",
            "-f",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    results = json.loads(out.stdout or "{}").get("results", [])
    problems = []
    for r in results:
        accepted = any(
            a["test_id"] == r["test_id"]
            and r["filename"].endswith(a["file"])
            and a.get("code", "") in r["code"]
            for a in ACCEPTED.get("bandit", [])
        )
        label = f"bandit {r['test_id']} {r['filename']}:{r['line_number']} {r['issue_text']}"
        print(("accepted: " if accepted else "FINDING: ") + label)
        if not accepted:
            problems.append(label)
    print(f"bandit: {len(results)} result(s), {len(problems)} not accepted")
    return problems


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310  # nosec B310
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server did not start at {url}")


def sqlmap(base: str, work: Path) -> list[str]:
    # Bounded: boolean, error and UNION techniques (no time-based blind); level 2 for the GET
    # filters, level 1 for the login form (each request there costs an scrypt hash).
    common = [
        "--batch",
        "--disable-coloring",
        "--risk",
        "1",
        "--timeout",
        "10",
        "--retries",
        "1",
        "--output-dir",
        str(work / "sqlmap"),
        "--flush-session",
    ]
    targets = [
        (
            "board",
            [
                f"{base}/?industry=1&town=1&status=open&sort=newest&transformation=digital&page=1",
                "-p",
                "industry,town,status,sort,transformation,page",
            ],
        ),
        (
            "login",
            [
                f"{base}/login",
                "--data",
                "email=a%40example.cn&password=x&csrf_token=x",
                "-p",
                "email,password",
                "--csrf-token",
                "csrf_token",
                "--csrf-url",
                f"{base}/login",
                "--level",
                "1",
                "--technique",
                "BE",
            ],
        ),
    ]
    try:
        urllib.request.urlopen(f"{base}/search?q=x", timeout=5)  # noqa: S310  # nosec B310
        targets.append(
            (
                "search",
                [
                    f"{base}/search?q=x&page=1",
                    "-p",
                    "q,page",
                    "--threads",
                    "4",
                    "--level",
                    "2",
                    "--technique",
                    "BEU",
                ],
            )
        )
    except OSError:
        print("sqlmap: no /search page yet; skipped")
    problems = []
    for name, args in targets:
        started = time.monotonic()
        run = subprocess.run(  # noqa: S603  # nosec B603
            [str(BIN / "sqlmap"), "-u", *args, *common],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        hits = [
            line
            for line in run.stdout.splitlines()
            if POSITIVE.search(line)
            and "not injectable" not in line
            and "do not appear" not in line
        ]
        clean = "do not appear to be injectable" in run.stdout
        print(
            f"sqlmap {name}: {'clean' if clean and not hits else 'FINDING'} "
            f"({time.monotonic() - started:.0f} s)"
        )
        accepted = {a["target"] for a in ACCEPTED.get("sqlmap", [])}
        if (hits or not clean) and name not in accepted:
            print(run.stdout[-3000:])
            problems.append(f"sqlmap {name}: {hits or 'scan did not finish cleanly'}")
    return problems


def main() -> int:
    problems = bandit()
    work = Path(tempfile.mkdtemp(prefix="security-scan-"))
    port = _free_port()
    env = os.environ | {
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{work / 'scan.db'}",
        "SEARCH_INDEX_DIR": str(work / "search"),
        "UPLOAD_DIR": str(work / "uploads"),
        "FLASK_APP": "wsgi",
        "LOGIN_RATE_LIMIT": "100000 per minute",
        "FLASK_DEBUG": "0",
    }
    env.pop("TEST_DATABASE_URL", None)
    flask = str(BIN / "flask")
    for cmd in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run(  # noqa: S603  # nosec B603
            [flask, *cmd], cwd=ROOT, env=env, check=True, capture_output=True
        )
    server = subprocess.Popen(  # noqa: S603  # nosec B603
        [flask, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(base + "/")
        problems += sqlmap(base, work)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    if problems:
        print("\nsecurity scan FAILED:\n  " + "\n  ".join(problems))
        return 1
    print("security scan passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
