#!/usr/bin/env bash
# Set up what the workbook needs outside npm: Jupyter (Debian's packages), a headless
# Chromium for chart images and the browser test (its package also ships SwiftShader, the
# software Vulkan driver the webgpu tests run on where there is no GPU), the Vulkan loader
# (libvulkan1) that Dawn needs for webgpu, numpy for the tests' float64 reference models
# (python3-numpy), and the tslab kernel spec.
# Idempotent: run it as often as you like (npm run setup).
#   On Debian/Ubuntu as root: installs what is missing with apt-get.
#   Elsewhere: prints exactly what to install and stops (exit 1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY=/usr/bin/python3
TSLAB="$ROOT/node_modules/.bin/tslab"
KERNEL="$ROOT/environment/tslab-kernel.cjs"   # tslab with its ZeroMQ sends queued (see its header)
APT_PACKAGES=(jupyter-notebook python3-nbconvert python3-nbclient jupyter-nbconvert jupyter-client chromium chromium-headless-shell libvulkan1 python3-numpy)

say() { printf 'setup: %s\n' "$*"; }
stop() { printf 'setup: %s\n' "$*" >&2; exit 1; }

# 1. node packages come first (the kernel is node_modules/.bin/tslab): installed exactly as
#    locked when they are missing, so a fresh clone needs only this script.
if [ ! -x "$TSLAB" ]; then
  say "node packages missing: npm ci (exactly as package-lock.json pins them)"
  (cd "$ROOT" && npm ci --no-audit --no-fund)
fi
[ -x "$TSLAB" ] || stop "node_modules/.bin/tslab not found after npm ci in $ROOT"

# 2. Jupyter + Chromium from Debian.
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "installing ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
      stop "missing Debian packages: ${missing[*]}
  install them as root:   sudo apt-get update && sudo apt-get install -y ${missing[*]}
  then run again:         npm run setup"
    fi
  else
    say "Debian packages present: ${APT_PACKAGES[*]}"
  fi
else
  "$PY" -c 'import nbclient, nbconvert, notebook' 2>/dev/null || {
    PY=python3
    python3 -c 'import nbclient, nbconvert, notebook' 2>/dev/null || stop "this is not Debian: install Jupyter yourself, then run again:
  pip install jupyterlab notebook nbclient nbconvert
  (and for chart images and the browser test, a Chromium; set WORKBOOK_BROWSER=/path/to/chrome)"
  }
  export WORKBOOK_PYTHON="$PY"
  say "not Debian: using the Jupyter of $PY (set WORKBOOK_PYTHON=$PY for npm run workbook)"
fi
"$PY" -c 'import nbclient, nbconvert, jupyter_client' || stop "$PY cannot import nbclient/nbconvert/jupyter_client"

# 3. The kernel specs. This checkout's own "tslab" lives in environment/jupyter/kernels/tslab
#    (ignored by git): the runner, the tests and `npm run notebook` put that folder first on
#    JUPYTER_PATH, so a second checkout's set-up never re-points it. For a Jupyter started any
#    other way, a per-user spec named after this checkout is registered as well; a spec named
#    plain "tslab" elsewhere on the machine is left alone and never used by this checkout.
chmod +x "$KERNEL"
"$PY" - "$ROOT" "$KERNEL" <<'PYEOF' || stop "could not write the kernel specs"
import hashlib, json, os, re, sys, tempfile
from jupyter_client.kernelspec import KernelSpecManager

root, launcher = sys.argv[1], sys.argv[2]
argv = [launcher, "kernel", "--config-path", "{connection_file}"]

def write_spec(folder, display_name):
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, "kernel.json.tmp")
    with open(tmp, "w") as f:
        json.dump({"argv": argv, "display_name": display_name, "language": "typescript"}, f, indent=1, sort_keys=True)
    os.replace(tmp, os.path.join(folder, "kernel.json"))

local = os.path.join(root, "environment", "jupyter", "kernels", "tslab")
write_spec(local, "TypeScript")
print("setup: kernel spec tslab for this checkout: %s (starts %s)" % (local, launcher))

slug = re.sub(r"[^a-z0-9]+", "-", os.path.basename(root).lower()).strip("-") or "checkout"
name = "tslab-%s-%s" % (slug, hashlib.sha1(root.encode()).hexdigest()[:8])
with tempfile.TemporaryDirectory() as td:
    write_spec(td, "TypeScript (rlhf-workbook %s)" % root)
    where = KernelSpecManager().install_kernel_spec(td, name, user=True)
print("setup: per-user kernel spec %s for Jupyter started by hand: %s" % (name, where))
PYEOF

say "ok: now run \`npm run workbook\` (default profile), \`npm test\`, or \`npm run notebook\` to open the notebooks"
