#!/usr/bin/env bash
# Set up what the workbook needs outside npm: Jupyter (Debian's packages), a headless
# Chromium for chart images and the browser test (its package also ships SwiftShader, the
# software Vulkan driver the webgpu tests run on where there is no GPU), the Vulkan loader
# (libvulkan1) that Dawn needs for webgpu, and the tslab kernel spec.
# Idempotent: run it as often as you like (npm run setup).
#   On Debian/Ubuntu as root: installs what is missing with apt-get.
#   Elsewhere: prints exactly what to install and stops (exit 1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY=/usr/bin/python3
TSLAB="$ROOT/node_modules/.bin/tslab"
KERNEL="$ROOT/environment/tslab-kernel.cjs"   # tslab with its ZeroMQ sends queued (see its header)
APT_PACKAGES=(jupyter-notebook python3-nbconvert python3-nbclient jupyter-nbconvert jupyter-client chromium chromium-headless-shell libvulkan1)

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

# 3. The tslab kernel spec, pointing at this checkout's kernel launcher. Re-registered when
#    it points elsewhere (a moved or fresh clone, or tslab registered bare).
current="$("$PY" - <<'PYEOF' 2>/dev/null || true
import json
from jupyter_client.kernelspec import KernelSpecManager
try:
    print(KernelSpecManager().get_kernel_spec("tslab").argv[0])
except Exception:
    pass
PYEOF
)"
if [ "$current" = "$KERNEL" ]; then
  say "tslab kernel spec already registered ($KERNEL)"
else
  say "registering the tslab kernel spec for $PY ($KERNEL)"
  chmod +x "$KERNEL"
  "$TSLAB" install --python="$PY" --binary="$KERNEL"
fi

say "ok: now run \`npm run workbook\` (default profile) or \`npm test\`"
