# The Jupyter server of one learner on the class hub (scripts/hub/singleuser.sh loads it).
# jupyter_server 1.23 (Debian 12), with the project's JupyterLab 4 (scripts/lab-host/main.py).
import os

c = get_config()  # noqa: F821 (given by traitlets when it loads this file)

# The lab: scripts/lab-host/main.py, a LabServerApp at /lab (main.py is on PYTHONPATH).
c.ServerApp.jpserver_extensions = {"main": True}

# The TypeScript kernel only: Debian's ipykernel would otherwise appear as "Python 3".
c.KernelSpecManager.ensure_native_kernel = False
c.KernelSpecManager.allowed_kernelspecs = {"tslab"}
c.MappingKernelManager.default_kernel_name = "tslab"

# Culling: a kernel nobody has used for an hour is shut down, its process ends and its memory
# returns to the class (a training cell that runs counts as use: `cull_busy` stays off). The hub's
# own culler (scripts/hub/cull_idle_servers.py) stops whole servers that sit idle.
c.MappingKernelManager.cull_idle_timeout = int(os.environ.get("LLM_LAB_CULL_KERNEL_AFTER", "3600"))
c.MappingKernelManager.cull_interval = int(os.environ.get("LLM_LAB_CULL_INTERVAL", "300"))
c.MappingKernelManager.cull_connected = True   # an open browser tab left overnight is still idle
c.MappingKernelManager.cull_busy = False
