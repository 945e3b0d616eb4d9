"""Execute a notebook with its kernel (tslab) headless, cell by cell, and report.

usage: /usr/bin/python3 scripts/run_notebook.py NOTEBOOK [--out OUT.ipynb | --inplace]
Exit code 1 when a cell fails: an error output, or a stderr stream (tslab reports type errors
only there). The kernel inherits the environment (e.g. LLM_LAB_PROFILE=smoke|class).
JUPYTER_PATH defaults to the project's .local/jupyter/share/jupyter (scripts/setup.sh).
Run the notebook from a folder inside the repository: tslab resolves imports from there.
"""
import argparse
import os
import sys
import time

import nbformat
from nbclient import NotebookClient

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("JUPYTER_PATH", os.path.join(REPO, ".local", "jupyter", "share", "jupyter"))


def failures(cell):
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            yield f"{o.get('ename')}: {o.get('evalue')}"
        elif o.get("output_type") == "stream" and o.get("name") == "stderr":
            yield o.get("text", "").strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--out")
    group.add_argument("--inplace", action="store_true")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = ap.parse_args()

    nb = nbformat.read(args.notebook, as_version=4)
    started = {}

    def before(cell, cell_index):
        started[cell_index] = time.time()

    def after(cell, cell_index, execute_reply):
        seconds = time.time() - started.get(cell_index, time.time())
        status = execute_reply["content"]["status"]
        head = (cell.source.splitlines() or [""])[0][:60]
        print(f"[cell {cell_index:2d}] {status:5s} {seconds:7.1f}s  {head}", flush=True)
        if status != "ok":
            time.sleep(0.3)  # tslab refuses requests for 200 ms after an error

    client = NotebookClient(
        nb, timeout=args.timeout, allow_errors=True, kernel_name=nb.metadata.get("kernelspec", {}).get("name", "tslab"),
        on_cell_start=before, on_cell_executed=after,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.notebook))}},
    )
    t0 = time.time()
    client.execute()
    print(f"executed in {time.time() - t0:.1f}s")
    out = args.notebook if args.inplace else args.out
    if out:
        nbformat.write(nb, out)
    bad = [(i, msg) for i, c in enumerate(nb.cells) if c.cell_type == "code" for msg in failures(c)]
    for i, msg in bad:
        print(f"FAILED cell {i}: {msg}", file=sys.stderr)
    sys.exit(1 if bad else 0)


main()
