"""LLM Lab's prebuilt JupyterLab extension.

The extension itself is JavaScript: the wheel installs the prebuilt folder
(extension/labext/@llm-lab/jupyterlab) into share/jupyter/labextensions/@llm-lab/jupyterlab,
where JupyterLab 4 finds it. This package only carries the version.
"""

__version__ = "0.1.0"

