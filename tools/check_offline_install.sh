#!/usr/bin/env bash
# Proof of the workshop install (README, "For instructors"): a fresh clone of this repository's
# committed HEAD, with wheelhouse/ copied in, runs `make setup`, the doctor, notebooks and a
# JupyterLab start inside a network namespace that has only loopback (`unshare -n`), with pip's
# configuration files and PIP_* variables ignored: the install can only read wheelhouse/.
#
#   make wheelhouse && tools/check_offline_install.sh            # every notebook
#   NOTEBOOKS=notebooks/00_tour_and_setup.ipynb tools/check_offline_install.sh
#
# Needs root (or unprivileged user namespaces) for unshare, and `ip` (iproute2). It prints the
# wheelhouse size and how long the offline `make setup` took. KEEP=1 keeps the clone.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NOTEBOOKS=${NOTEBOOKS:-notebooks}
[ -n "$(ls "$ROOT"/wheelhouse/*.whl 2>/dev/null)" ] || { echo "no wheelhouse/: run 'make wheelhouse' first" >&2; exit 2; }

work=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
git clone --quiet "$ROOT" "$work/course"
cp -r "$ROOT/wheelhouse" "$work/course/wheelhouse"
echo "wheelhouse: $(ls "$ROOT"/wheelhouse/*.whl | wc -l) wheels, $(du -sh "$ROOT/wheelhouse" | cut -f1)"

cat > "$work/offline.sh" <<'INNER'
set -eu
ip link set lo up
# Loopback only: no other interface, no route out.
[ -z "$(ip -o link show | grep -v ': lo:')" ] && [ -z "$(ip route show)" ] || { echo "network is reachable" >&2; exit 1; }
cd "$COURSE"
start=$(date +%s)
/usr/bin/time -f 'make setup (offline): %e s wall, %U s user' make setup
echo "offline install took $(( $(date +%s) - start )) s"
.venv/bin/python -m nnlib doctor
OMP_NUM_THREADS=1 .venv/bin/python -m pytest -n 0 -q -p no:cacheprovider $NOTEBOOKS

# JupyterLab as `make lab` starts it: the news pop-up is off and the venv's kernels are offered.
port=18765; token=offline-check
# setsid: make and the jupyter it starts form one process group, stopped together below.
setsid make lab LAB_ARGS="--no-browser --port=$port --IdentityProvider.token=$token" > lab.log 2>&1 &
lab=$!
.venv/bin/python - "$port" "$token" <<'PY'
import json, sys, time, urllib.request
port, token = sys.argv[1:]
def get(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}?token={token}", timeout=5) as r:
        return json.load(r)
for _ in range(120):
    try:
        plugin = get("/lab/api/settings/@jupyterlab/apputils-extension:notification")
        break
    except OSError:
        time.sleep(1)
else:
    sys.exit("JupyterLab did not answer within 120 s (see lab.log)")
# overrides.json becomes the schema's defaults; a fresh clone has no user settings on top of them.
defaults = {k: v["default"] for k, v in plugin["schema"]["properties"].items()}
news = {k: defaults[k] for k in ("fetchNews", "checkForUpdates")}
assert news == {"fetchNews": "false", "checkForUpdates": False} and not plugin["raw"].strip("{} \n"), plugin
specs = get("/api/kernelspecs")
nnlib_argv = specs["kernelspecs"]["nnlib"]["spec"]["argv"]
assert nnlib_argv[0].startswith(sys.prefix), nnlib_argv
print(f"JupyterLab: news pop-up off ({news}); kernels {sorted(specs['kernelspecs'])}, default {specs['default']}; "
      f"nnlib kernel runs {nnlib_argv[0]}")
PY
kill -- -$lab
INNER

unshare -n env -u PYTHONPATH $(env | grep -o '^PIP_[A-Z_]*' | sed 's/^/-u /') PIP_CONFIG_FILE=/dev/null \
  COURSE="$work/course" NOTEBOOKS="$NOTEBOOKS" sh "$work/offline.sh"
echo "offline install: OK"
