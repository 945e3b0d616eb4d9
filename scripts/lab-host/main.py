"""Serve the npm-built JupyterLab frontend (./build) with Debian's jupyter_server + jupyterlab_server.

Prebuilt labextensions are found like a pip-installed JupyterLab finds them: in
share/jupyter/labextensions of every JUPYTER_PATH entry (scripts/setup.sh puts ours in .local/jupyter).
Run with /usr/bin/python3 main.py --ServerApp.root_dir=... (see scripts/lab-server.sh).

It also serves the course's pristine notebooks (GET /llm-lab/api/pristine/<name>.ipynb), which the
course panel's Reset writes over a learner's copy. Where they come from:
- LLM_LAB_PRISTINE_DIR, a folder holding course.json and the notebooks: the class hub sets it to
  the repository's notebooks/, since each learner works on a copy in ~/llm-lab;
- otherwise the git HEAD of the server root: `npm start` serves the repository's notebooks/ itself,
  where the learner's edits are the working tree and the committed course is HEAD. A copy made at
  setup would not do there: setup runs before every start and would copy the learner's edits.
"""
import json
import os
import re
import subprocess

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyterlab_server import LabServerApp
from tornado import web

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")
with open(os.path.join(HERE, "package.json")) as f:
    VERSION = json.load(f)["version"]


COURSE_MANIFEST = "course.json"
# A notebook's file name: no folder, no leading dot.
NOTEBOOK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]*\.ipynb$")


def read_pristine(root_dir, name):
    """The bytes of `name` in the pristine course (see the module's doc), or None where it has none."""
    folder = os.environ.get("LLM_LAB_PRISTINE_DIR")
    if folder:
        try:
            with open(os.path.join(folder, name), "rb") as f:
                return f.read()
        except OSError:
            return None
    try:
        # "HEAD:./name" is the committed file at `name` in the folder git runs in.
        shown = subprocess.run(["git", "-C", root_dir, "show", f"HEAD:./{name}"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return shown.stdout if shown.returncode == 0 else None


def course_files(root_dir):
    """The notebook names the pristine course.json lists, or None when there is no readable one."""
    raw = read_pristine(root_dir, COURSE_MANIFEST)
    try:
        return {entry["file"] for entry in json.loads(raw)["notebooks"]} if raw else None
    except (ValueError, KeyError, TypeError):
        return None


class PristineHandler(APIHandler):
    """GET the pristine copy of one course notebook, by file name, as nbformat JSON."""

    auth_resource = "contents"

    @web.authenticated
    @authorized
    def get(self, name):
        if not NOTEBOOK_NAME.match(name):
            raise web.HTTPError(400, "a course notebook is named by its file name alone (no folder): got %r" % name)
        root_dir = self.settings["server_root_dir"]
        files = course_files(root_dir)
        if files is None:
            raise web.HTTPError(404, "this server has no pristine course: no %s in LLM_LAB_PRISTINE_DIR or in the git HEAD of %s" % (COURSE_MANIFEST, root_dir))
        if name not in files:
            raise web.HTTPError(404, "%s is not a notebook of the course (course.json)" % name)
        raw = read_pristine(root_dir, name)
        if raw is None:
            raise web.HTTPError(404, "the course has no pristine copy of %s" % name)
        try:
            notebook = json.loads(raw)
        except ValueError:
            raise web.HTTPError(500, "the pristine copy of %s is not JSON" % name)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(notebook))


def _jupyter_server_extension_points():
    return [{"module": __name__, "app": LLMLabApp}]


class LLMLabApp(LabServerApp):
    name = __name__
    extension_url = "/lab"
    default_url = "/lab"
    app_url = "/lab"
    load_other_extensions = False
    app_name = "LLM Lab"
    app_version = VERSION
    # overrides.json: this lab's defaults (no "Jupyter news" prompt: the lab works offline; cells
    # record their execution times, which tell a learner's run from the course's: course-model.ts)
    app_settings_dir = os.path.join(HERE, "settings")
    schemas_dir = os.path.join(BUILD, "schemas")
    static_dir = BUILD
    templates_dir = os.path.join(HERE, "templates")
    themes_dir = os.path.join(BUILD, "themes")
    user_settings_dir = os.environ.get("LLM_LAB_SETTINGS_DIR", os.path.join(BUILD, "user_settings"))
    workspaces_dir = os.environ.get("LLM_LAB_WORKSPACES_DIR", os.path.join(BUILD, "workspaces"))

    def initialize_handlers(self):
        super().initialize_handlers()
        self.handlers.append((r"/llm-lab/api/pristine/([^/]+)", PristineHandler))

    def initialize_settings(self):
        super().initialize_settings()
        # The server has its token now (jupyter_server reads JUPYTER_TOKEN, see scripts/lab-server.sh);
        # kernels and terminals started from here need not inherit it, where a notebook could print it.
        _ = self.serverapp.token
        os.environ.pop("JUPYTER_TOKEN", None)


if __name__ == "__main__":
    LLMLabApp.launch_instance()
