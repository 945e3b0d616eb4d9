# JupyterHub 3.0 (Debian 12's `jupyterhub`) serving the course to a class: every learner logs in
# with a Unix account and gets their own Jupyter server, run as that user, with their own copy of
# the notebooks and their own TypeScript kernel. Started by scripts/hub.sh (`npm run hub`), as root,
# in the hub's state folder (database, cookie secret: root only).
import os
import secrets

from jupyterhub.spawner import LocalProcessSpawner

REPO = os.environ["LLM_LAB_REPO"]            # the built checkout, readable by every learner
HUB = os.path.join(REPO, "scripts", "hub")
STATE = os.getcwd()                           # hub.sh starts the hub in its state folder
PORT = int(os.environ.get("LLM_LAB_HUB_PORT", "8000"))


def learners():
    """The learners allowed to log in: one name a line in <state>/learners (hub.sh --add-learners)."""
    try:
        with open(os.path.join(STATE, "learners")) as f:
            return {line.strip() for line in f if line.strip() and not line.startswith("#")}
    except FileNotFoundError:
        return set()


# Node.js >= 20 (NodeSource) does not look in Debian's /usr/share/nodejs, where the modules of
# node-configurable-http-proxy live (without this: "Cannot find module 'commander'").
os.environ["NODE_PATH"] = "/usr/share/nodejs"

# The proxy is what learners open; the hub and the proxy's API listen on the next two ports.
c.JupyterHub.bind_url = f"http://{os.environ.get('LLM_LAB_HUB_IP', '127.0.0.1')}:{PORT}/"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = PORT + 1
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 2}"
c.ConfigurableHTTPProxy.pid_file = os.path.join(STATE, "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = os.path.join(STATE, "cookie_secret")
c.JupyterHub.cleanup_servers = True           # the hub stopping stops every learner's server

# Log in with the Unix password; only the listed learners.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = learners()


def cgroup_dirs(user):
    """This learner's folders in the cpu and memory cgroups (v2: one folder), made if missing.
    Empty where cgroups are not writable (most containers): then only nice and prlimit apply."""
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):      # cgroup v2
        roots = ["/sys/fs/cgroup/llm-lab"]
    else:                                                         # cgroup v1
        roots = ["/sys/fs/cgroup/cpu/llm-lab", "/sys/fs/cgroup/memory/llm-lab"]
    dirs = []
    for root in roots:
        try:
            os.makedirs(os.path.join(root, user), exist_ok=True)
            if root.endswith("/llm-lab") and os.path.exists(os.path.join(root, "cgroup.subtree_control")):
                with open(os.path.join(root, "cgroup.subtree_control"), "w") as f:
                    f.write("+cpu +memory")
            dirs.append(os.path.join(root, user))
        except OSError:
            pass
    return dirs


def write(path, value):
    with open(path, "w") as f:
        f.write(value)


class LabSpawner(LocalProcessSpawner):
    """A learner's server, as the learner, with limits: a CPU quota and a memory limit (cgroups,
    where writable), a lower priority than the hub (nice) and a cap on processes (prlimit).

    It stops servers with SIGTERM: on SIGINT without a terminal, jupyter_server 1.23 exits without
    shutting its kernels down (they then end by themselves, scripts/tslab-kernel.js, but a clean
    shutdown is quicker and logged)."""

    cpus = float(os.environ.get("LLM_LAB_HUB_CPUS", "1"))                  # cores per learner
    memory = os.environ.get("LLM_LAB_HUB_MEMORY", "3G")                     # per learner, all processes

    async def start(self):
        url = await super().start()
        limited = []
        for d in cgroup_dirs(self.user.name):
            try:
                if d.startswith("/sys/fs/cgroup/cpu/"):
                    write(f"{d}/cpu.cfs_period_us", "100000")
                    write(f"{d}/cpu.cfs_quota_us", str(int(self.cpus * 100000)))
                elif d.startswith("/sys/fs/cgroup/memory/"):
                    write(f"{d}/memory.limit_in_bytes", self.memory)
                else:
                    write(f"{d}/cpu.max", f"{int(self.cpus * 100000)} 100000")
                    write(f"{d}/memory.max", self.memory)
                # the server's kernels, started later, inherit its cgroup
                write(f"{d}/cgroup.procs", str(self.pid))
                limited.append(d)
            except OSError as e:
                self.log.warning("no cgroup limit for %s in %s: %s", self.user.name, d, e)
        self.log.info("%s: server pid %s, limits: %s cores, %s memory through %s; nice 5, at most 512 processes",
                      self.user.name, self.pid, self.cpus, self.memory, limited or "no cgroup")
        return url

    async def stop(self, now=False):
        await super().stop(now=True)   # SIGTERM, then SIGKILL after term_timeout


c.JupyterHub.spawner_class = LabSpawner
c.LocalProcessSpawner.term_timeout = 20
# prlimit and nice run after the switch to the learner's user: each can only lower its own limits.
c.Spawner.cmd = ["/usr/bin/prlimit", "--nproc=512", "--", "/usr/bin/nice", "-n", "5", f"{HUB}/singleuser.sh"]
c.Spawner.notebook_dir = "~/llm-lab"
c.Spawner.default_url = "/lab/tree/01-your-first-gpt.ipynb"
c.Spawner.disable_user_config = True          # ignore ~/.jupyter
c.Spawner.environment = {
    "LLM_LAB_REPO": REPO,
    "PATH": "/usr/local/bin:/usr/bin:/bin",   # not root's PATH (a pyenv python3 has no jupyter_server)
    # one wasm thread per kernel: with a quota of one core, more threads only wait for each other
    "LLM_LAB_WASM_THREADS": os.environ.get("LLM_LAB_WASM_THREADS", str(max(1, int(LabSpawner.cpus)))),
    "LLM_LAB_PROFILE": os.environ.get("LLM_LAB_PROFILE", "class"),
    "LLM_LAB_CULL_KERNEL_AFTER": os.environ.get("LLM_LAB_CULL_KERNEL_AFTER", "3600"),
}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 60

# Idle servers: a service of the hub stops the servers nobody has used for a while
# (Debian 12 packages no jupyterhub-idle-culler; scripts/hub/cull_idle_servers.py does that job).
token_file = os.path.join(STATE, "culler_token")
if not os.path.exists(token_file):
    write(token_file, secrets.token_hex(32))
    os.chmod(token_file, 0o600)
with open(token_file) as f:
    culler_token = f.read().strip()
c.JupyterHub.services = [{
    "name": "cull-idle",
    "api_token": culler_token,
    "command": ["/usr/bin/python3", f"{HUB}/cull_idle_servers.py",
                f"--idle-after={os.environ.get('LLM_LAB_CULL_SERVER_AFTER', '7200')}", "--every=60"],
}]
c.JupyterHub.load_roles = [{
    "name": "cull-idle",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["cull-idle"],
}]
