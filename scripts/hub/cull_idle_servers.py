"""Stop learners' servers that have been idle too long, through the hub's REST API.

A service of the hub (scripts/hub/jupyterhub_config.py starts it with JUPYTERHUB_API_URL and
JUPYTERHUB_API_TOKEN). Debian 12 packages no jupyterhub-idle-culler, which does this job elsewhere.
A server's last activity is what the hub records: requests through the proxy and the server's own
reports (kernels busy training count). Its kernels end with it.

usage: cull_idle_servers.py --idle-after SECONDS [--every SECONDS] [--once] [--users NAME,...]
"""
import argparse
import json
import os
import time
import urllib.request
from datetime import datetime, timezone


def api(method, path):
    request = urllib.request.Request(
        os.environ["JUPYTERHUB_API_URL"].rstrip("/") + path,
        method=method,
        headers={"Authorization": f"token {os.environ['JUPYTERHUB_API_TOKEN']}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
        return json.loads(body) if body else None


def idle_seconds(server, now):
    last = server.get("last_activity") or server.get("started")
    if not last:
        return 0.0
    return (now - datetime.fromisoformat(last.replace("Z", "+00:00"))).total_seconds()


def cull(idle_after, only=None):
    """Stop every running server (of the users in `only`, if given) idle for more than
    `idle_after` seconds; the names stopped."""
    now = datetime.now(timezone.utc)
    stopped = []
    for user in api("GET", "/users?state=active"):
        if only and user["name"] not in only:
            continue
        for name, server in (user.get("servers") or {}).items():
            if not server.get("ready") or server.get("pending"):
                continue
            idle = idle_seconds(server, now)
            if idle > idle_after:
                print(f"cull-idle: stopping {user['name']}'s server{' ' + name if name else ''}, idle {idle:.0f} s", flush=True)
                api("DELETE", f"/users/{user['name']}/servers/{name}" if name else f"/users/{user['name']}/server")
                stopped.append(user["name"])
    return stopped


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-after", type=float, required=True, help="seconds without activity")
    parser.add_argument("--every", type=float, default=60, help="seconds between checks")
    parser.add_argument("--once", action="store_true", help="check once and exit")
    parser.add_argument("--users", help="only these users' servers (comma-separated names)")
    args = parser.parse_args()
    only = set(args.users.split(",")) if args.users else None
    while True:
        try:
            cull(args.idle_after, only)
        except OSError as e:          # the hub restarting: try again next time
            print(f"cull-idle: the hub did not answer: {e}", flush=True)
        if args.once:
            return
        time.sleep(args.every)


if __name__ == "__main__":
    main()
