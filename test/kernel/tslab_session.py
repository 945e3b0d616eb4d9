"""The real tslab kernel for the kernel tests' drivers: start it, run a cell, collect what it sent.

Run with Debian's python3 (jupyter_client); the kernel comes from JUPYTER_PATH.
"""
import contextlib
import time

from jupyter_client.manager import KernelManager


@contextlib.contextmanager
def tslab_kernel(root):
    """A started tslab kernel in folder `root`: yields (manager, client); shuts it down after."""
    km = KernelManager(kernel_name="tslab")
    km.start_kernel(cwd=root)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(kc, code, on_msg=None, timeout=120):
    """Execute `code` until the kernel is idle again: (reply status, reply content, iopub messages).

    Live updates (update_display_data) count as the cell's even when their parent is an earlier
    cell's, since a display keeps its first parent; `on_msg` sees every message kept.
    """
    msg_id = kc.execute(code)
    outputs = []
    deadline = time.time() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(1, deadline - time.time()))
        ours = msg["parent_header"].get("msg_id") == msg_id
        if not ours and msg["msg_type"] != "update_display_data":
            continue
        outputs.append(msg)
        if on_msg:
            on_msg(msg)
        if ours and msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    while True:
        reply = kc.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"]["status"], reply["content"], outputs
