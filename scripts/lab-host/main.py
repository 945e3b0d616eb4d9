"""Serve the npm-built JupyterLab frontend (./build) with Debian's jupyter_server + jupyterlab_server.

Prebuilt labextensions are found like a pip-installed JupyterLab finds them: in
share/jupyter/labextensions of every JUPYTER_PATH entry (scripts/setup.sh puts ours in .local/jupyter).
Run with /usr/bin/python3 main.py --ServerApp.root_dir=... (see scripts/lab-server.sh).
"""
import json
import os

from jupyterlab_server import LabServerApp

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")
with open(os.path.join(HERE, "package.json")) as f:
    VERSION = json.load(f)["version"]


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
    # overrides.json: this lab's defaults (no "Jupyter news" prompt: the lab works offline)
    app_settings_dir = os.path.join(HERE, "settings")
    schemas_dir = os.path.join(BUILD, "schemas")
    static_dir = BUILD
    templates_dir = os.path.join(HERE, "templates")
    themes_dir = os.path.join(BUILD, "themes")
    user_settings_dir = os.environ.get("LLM_LAB_SETTINGS_DIR", os.path.join(BUILD, "user_settings"))
    workspaces_dir = os.environ.get("LLM_LAB_WORKSPACES_DIR", os.path.join(BUILD, "workspaces"))

    def initialize_settings(self):
        super().initialize_settings()
        # The server has its token now (jupyter_server reads JUPYTER_TOKEN, see scripts/lab-server.sh);
        # kernels and terminals started from here need not inherit it, where a notebook could print it.
        _ = self.serverapp.token
        os.environ.pop("JUPYTER_TOKEN", None)


if __name__ == "__main__":
    LLMLabApp.launch_instance()
