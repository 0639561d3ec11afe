"""Install the course's JupyterLab settings into this Python's environment.

    python tools/lab_settings.py          # run with the environment's own python (make setup does)

JupyterLab reads ``<prefix>/share/jupyter/lab/settings/overrides.json`` at start as the defaults of
that installation. The course turns off the "Would you like to get notified about official Jupyter
news?" pop-up (and the update check it enables, which would reach a website): learners work offline,
and a dialog over the first notebook is a distraction. Other keys already in the file are kept.
"""
import json
import sys
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def install(prefix=sys.prefix) -> Path:
    """Merge OVERRIDES into ``<prefix>/share/jupyter/lab/settings/overrides.json``; return its path."""
    path = Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for plugin, values in OVERRIDES.items():
        settings.setdefault(plugin, {}).update(values)
    path.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"JupyterLab settings: {install()}")
