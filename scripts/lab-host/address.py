"""Check where the lab will listen before Jupyter starts, so a bad setting fails at once, naming the value.

Standard library only (it runs before setup has installed anything). Used by scripts/start.sh and
scripts/lab-server.sh:

  python3 address.py check IP PORT   the port is an integer in 1..65535 and IP can be bound here
  python3 address.py exact IP PORT   ... and PORT is free on IP (lab-server.sh: Jupyter will not move)
  python3 address.py next IP PORT    ... prints the first free port from PORT on (like Jupyter, but says so)
  python3 address.py warn IP         one line each for what running as root or on a network exposes
  python3 address.py url IP PORT PATH  the URL to open, with the token from JUPYTER_TOKEN (never from argv)

Errors go to stderr with exit status 2; `next` prints the chosen port on stdout.
"""
import errno
import ipaddress
import os
import re
import socket
import sys

PORT_RETRIES = 50  # jupyter_server's default port_retries
HUB = "for a class, give each learner their own account and server through JupyterHub"


class SettingError(Exception):
    pass


class PortInUse(Exception):
    pass


def parse_port(text):
    if not re.fullmatch(r"[0-9]+", text) or not 1 <= int(text) <= 65535:
        raise SettingError(f"port {text!r} (LLM_LAB_PORT) must be an integer in 1..65535")
    return int(text)


def is_loopback(ip):
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:  # a host name: only "localhost" is known to stay on this machine
        return False


def bind(ip, port):
    """Bind (and release) every address IP resolves to, as tornado will; port 0 checks the address only."""
    try:
        infos = socket.getaddrinfo(ip, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as e:
        raise SettingError(f"address {ip!r} (LLM_LAB_IP) is not an address of this machine: {e}")
    bound = 0
    for family, kind, proto, _, addr in infos:
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tornado: TIME_WAIT is no conflict
            try:
                s.bind(addr)
                bound += 1
            except OSError as e:
                if e.errno == errno.EADDRINUSE:
                    raise PortInUse(f"port {port} on {ip} is already in use (another server?)")
                if e.errno == errno.EACCES:
                    raise SettingError(f"port {port} needs root on this machine (ports below 1024): choose LLM_LAB_PORT >= 1024")
                if e.errno != errno.EADDRNOTAVAIL:
                    raise SettingError(f"cannot listen on {ip} port {port}: {e.strerror}")
    if not bound:
        raise SettingError(f"address {ip!r} (LLM_LAB_IP) cannot be bound on this machine: it is none of its addresses")


def check(ip, port_text):
    port = parse_port(port_text)
    bind(ip, 0)
    return port


def next_free(ip, port_text):
    first = check(ip, port_text)
    for port in range(first, min(first + PORT_RETRIES, 65535) + 1):
        try:
            bind(ip, port)
        except PortInUse:
            continue
        if port != first:
            print(f"[llm-lab] port {first} is in use; using {port}", file=sys.stderr)
        return port
    raise SettingError(f"ports {first}..{first + PORT_RETRIES} on {ip} are all in use: set LLM_LAB_PORT to a free one")


def warnings(ip, uid):
    lines = []
    if uid == 0:
        lines.append("[llm-lab] warning: running as root: code in any notebook, and anyone holding the token, can change"
                     f" anything on this machine; run `npm start` as a normal user ({HUB}).")
    if not is_loopback(ip):
        lines.append(f"[llm-lab] warning: LLM_LAB_IP={ip} serves the lab to the network over plain HTTP: the token"
                     " travels unencrypted and anyone who can reach this machine can try it; keep the default"
                     f" 127.0.0.1 (reach it through an SSH tunnel), or {HUB}.")
    return lines


def url(ip, port, path):
    if ip in ("0.0.0.0", "::"):  # every address: name the machine
        host = socket.gethostname()
    elif ":" in ip:
        host = f"[{ip}]"
    else:
        host = ip
    return f"http://{host}:{port}{path}?token={os.environ.get('JUPYTER_TOKEN', '')}"


def main(argv):
    command, *args = argv
    try:
        if command == "warn":
            for line in warnings(args[0], os.geteuid()):
                print(line, file=sys.stderr)
        elif command == "check":
            check(*args)
        elif command == "exact":
            port = check(*args)
            try:
                bind(args[0], port)
            except PortInUse as e:
                raise SettingError(f"{e}: stop it or choose another port")
        elif command == "url":
            print(url(*args))
        elif command == "next":
            print(next_free(*args))
        else:
            raise SettingError(f"unknown command {command!r} (check, exact, next, warn or url)")
    except SettingError as e:
        print(f"[llm-lab] error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
