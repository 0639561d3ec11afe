#!/usr/bin/env bash
# A second test leg: the unit tests (tests/, not the notebooks) in a fresh venv, build/leg-LEG,
# with versions other than the lock's. CI runs neither; run them before moving a lower bound or
# the lock, and when a new release of a dependency comes out.
#
#   tools/test_leg.sh newest [pytest args]   the newest releases pyproject.toml allows (no lock)
#   tools/test_leg.sh oldest [pytest args]   pyproject.toml's lower bounds, torch held at the lock
#
# (make test-newest / make test-oldest; e.g. PYTEST_ARGS="-n 0" for one process.) The versions
# installed are written to build/leg-LEG/versions.txt and the top-level ones printed.
set -euo pipefail
cd "$(dirname "$0")/.."
leg=${1:?usage: tools/test_leg.sh newest|oldest [pytest args]}
shift
venv=build/leg-$leg
unset PYTHONPATH  # the leg's venv must import this checkout's nnlib and nothing else

rm -rf "$venv"
"${PYTHON:-python3}" -m venv "$venv"
py="$venv/bin/python"
case "$leg" in
  newest)
    "$py" -m pip install --quiet --upgrade pip
    "$py" -m pip install --quiet --upgrade-strategy eager -e '.[dev]' ;;
  oldest)
    "$py" tools/lower_bounds.py > "$venv/constraints.txt"
    "$py" -m pip install --quiet -c "$venv/constraints.txt" -e '.[dev]' ;;
  *)
    echo "unknown leg '$leg': newest or oldest" >&2; exit 2 ;;
esac

"$py" -m pip freeze --exclude-editable > "$venv/versions.txt"
echo "== $leg leg: Python $("$py" -c 'import platform; print(platform.python_version())'), top-level versions:"
"$py" - <<'PY'
import importlib.metadata as md, tomllib, re
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
for line in project["dependencies"] + project["optional-dependencies"]["dev"]:
    name = re.match(r"[A-Za-z0-9_.\-]+", line).group(0)
    print(f"   {name:14} {md.version(name):12} (pyproject: {line})")
PY
"$py" -m pytest tests -p no:cacheprovider "$@"
