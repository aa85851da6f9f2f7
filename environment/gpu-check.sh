#!/usr/bin/env bash
# One call that checks the workbook on a GPU machine and prints one table:
#   1. what the machine has: nvidia-smi, the Vulkan loader, the Vulkan driver (ICD) files;
#   2. the webgpu adapter Dawn finds (and the self-check against wasm);
#   3. the webgpu test group (test/engine/webgpu.test.ts: the GPT, Adam, generation, heads
#      and a pretraining stage against wasm);
#   4. the training step on webgpu vs wasm on this machine (npm run gpu-check: d128/L2/T64,
#      d256/L4/T128, d512/L8/T256), and KV-cache generation on both;
#   5. the smoke workbook on webgpu (needs Jupyter: `npm run setup`).
# Everything it prints also goes to runs/gpu-check/<time>/gpu-check.log (or $OUT when set).
#
# In a checkout after `npm ci` (and `npm run setup` for step 5):   bash environment/gpu-check.sh
# On a machine with no network and no node_modules: build a bundle here first
#   (bash environment/gpu-bundle.sh: node, the two programs as single files, Dawn, the wasm
#   files, libvulkan1), copy the checkout with .gpu-bundle/ there, and run the same command.
#
# Environment: RLHF_WEBGPU_SOFTWARE=1 lets it run on a software adapter (SwiftShader: slow,
# only to try the script, with GPU_CHECK_QUICK=1 for one tiny size); GPU_CHECK_SIZES
# overrides the sizes (e.g. d256/L4/T128).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUNDLE="$ROOT/.gpu-bundle"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
DEST="${OUT:-$ROOT/runs/gpu-check/$STAMP}"
mkdir -p "$DEST"
LOG="$DEST/gpu-check.log"
exec > >(tee -a "$LOG") 2>&1

names=(); states=(); secs=(); notes=()
record() { names+=("$1"); states+=("$2"); secs+=("$3"); notes+=("$4"); }
say() { printf '\n=== %s\n' "$*"; }

# -- node: this machine's, else the bundle's ------------------------------------------------
MODE=checkout
if [ ! -d "$ROOT/node_modules/@tensorflow/tfjs" ]; then
  [ -d "$BUNDLE" ] || { echo "gpu-check: no node_modules and no $BUNDLE: run npm ci here, or build a bundle (environment/gpu-bundle.sh) and bring it"; exit 2; }
  MODE=bundle
fi
if ! command -v node >/dev/null 2>&1; then
  [ -f "$BUNDLE/node.xz" ] || { echo "gpu-check: node is not installed and $BUNDLE/node.xz is missing"; exit 2; }
  mkdir -p /tmp/gpu-check-node && xz -dc "$BUNDLE/node.xz" > /tmp/gpu-check-node/node && chmod +x /tmp/gpu-check-node/node
  export PATH="/tmp/gpu-check-node:$PATH"
fi
dawn="$BUNDLE/node_modules/webgpu/dist/linux-x64/dawn.node"
if [ "$MODE" = bundle ] && [ ! -f "$dawn" ] && [ -f "$dawn.xz" ]; then xz -dk "$dawn.xz"; fi
say "machine ($MODE mode, $(date -u +%FT%TZ))"
echo "node $(node --version); $(uname -srm); $(nproc) cores"

# -- 1. what the machine has ------------------------------------------------------------------
t0=$SECONDS
gpu="none"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  gpu="$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)"
else
  echo "nvidia-smi: not found"
fi
# libraries the machine lacks (the Vulkan loader; libGLdispatch and the X libraries that
# NVIDIA's Vulkan driver loads) from the bundle's .debs, on LD_LIBRARY_PATH; nothing the
# machine has is replaced
if ls "$BUNDLE"/*.deb >/dev/null 2>&1; then
  libs=/tmp/gpu-check-libs
  rm -rf "$libs" && mkdir -p "$libs/all" "$libs/missing"
  for deb in "$BUNDLE"/*.deb; do dpkg-deb -x "$deb" "$libs/all" 2>/dev/null || (cd "$libs/all" && ar p "$deb" data.tar.xz | tar -xJ); done
  added=()
  for f in $(find "$libs/all" -name '*.so*' \( -type f -o -type l \)); do
    n="$(basename "$f")"
    if ! ldconfig -p 2>/dev/null | grep -q " $n "; then cp -a "$f" "$libs/missing/"; added+=("$n"); fi
  done
  if [ ${#added[@]} -gt 0 ]; then
    export LD_LIBRARY_PATH="$libs/missing${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "from the bundle (missing here): ${added[*]}"
  fi
fi
loader="$(ldconfig -p 2>/dev/null | grep -o '/[^ ]*libvulkan.so.1' | head -1)"
[ -z "$loader" ] && [ -e /tmp/gpu-check-libs/missing/libvulkan.so.1 ] && loader="/tmp/gpu-check-libs/missing/libvulkan.so.1 (from the bundle)"
echo "Vulkan loader: ${loader:-missing (Debian/Ubuntu: apt-get install libvulkan1)}"
icds=()
for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d; do
  for f in "$d"/*.json; do [ -f "$f" ] && icds+=("$f"); done
done
echo "Vulkan driver files: ${icds[*]:-none}"
nvidia_icd=""
for f in "${icds[@]}"; do case "$f" in *nvidia*) nvidia_icd="$f" ;; esac; done
if [ -n "$nvidia_icd" ] && [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then
  case "$nvidia_icd" in /usr/share/*|/etc/*) ;; *) export VK_ICD_FILENAMES="$nvidia_icd"; echo "VK_ICD_FILENAMES=$nvidia_icd (outside the loader's default folders)" ;; esac
fi
for lib in libnvidia-glcore.so libGLX_nvidia.so.0 libnvidia-gpucomp.so; do
  p="$(ldconfig -p 2>/dev/null | grep -o "/[^ ]*$lib[^ ]*" | head -1)"
  [ -z "$p" ] && p="$(ls /usr/local/nvidia/lib64/$lib* 2>/dev/null | head -1)"
  echo "  $lib: ${p:-not found}"
done
record "machine" ok $((SECONDS - t0)) "GPU: ${gpu}; loader: ${loader:-missing}; NVIDIA Vulkan ICD: ${nvidia_icd:-none}"

# -- 2. the adapter ---------------------------------------------------------------------------
say "webgpu adapter"
t0=$SECONDS
probe='const b=require(process.argv[1]);b.initEngine({backend:"webgpu"}).then(i=>{console.log("adapter: "+i.candidates[0].why)},e=>{console.log("webgpu unavailable: "+e.message);process.exit(3)})'
if [ "$MODE" = checkout ]; then
  adapter="$(node --import tsx -e "$probe" "$ROOT/src/engine/backend.ts" 2>&1)"; rc=$?
else
  adapter="$(node -e "$probe" "$BUNDLE/engine.cjs" 2>&1)"; rc=$?
fi
echo "$adapter"
if [ $rc -eq 0 ]; then record "webgpu adapter" ok $((SECONDS - t0)) "$(echo "$adapter" | grep '^adapter:' | cut -c10- | head -1)"
else record "webgpu adapter" FAILED $((SECONDS - t0)) "$(echo "$adapter" | tail -1)"; fi

# -- 3. the webgpu test group -----------------------------------------------------------------
say "webgpu test group"
t0=$SECONDS
if [ $rc -ne 0 ]; then
  record "webgpu tests" skipped 0 "no adapter"
else
  if [ "$MODE" = checkout ]; then out="$(node --import tsx --test test/engine/webgpu.test.ts 2>&1)"; trc=$?
  else out="$(node --test "$BUNDLE/webgpu.test.cjs" 2>&1)"; trc=$?; fi
  echo "$out" | grep -E '^(not )?ok |^# (pass|fail|skipped)|webgpu adapter' || echo "$out" | tail -20
  pass="$(echo "$out" | grep -o '^# pass [0-9]*' | grep -o '[0-9]*$')"; fail="$(echo "$out" | grep -o '^# fail [0-9]*' | grep -o '[0-9]*$')"
  record "webgpu tests" "$([ $trc -eq 0 ] && echo ok || echo FAILED)" $((SECONDS - t0)) "${pass:-0} passed, ${fail:-?} failed"
fi

# -- 4. training step: webgpu vs wasm ----------------------------------------------------------
say "training step, webgpu vs wasm (npm run gpu-check)"
t0=$SECONDS
if [ $rc -ne 0 ]; then
  record "step webgpu vs wasm" skipped 0 "no adapter"
else
  sizes=(); [ -n "${GPU_CHECK_SIZES:-}" ] && sizes=(--sizes "$GPU_CHECK_SIZES")
  [ "${GPU_CHECK_QUICK:-}" = 1 ] && sizes+=(--quick)
  # bounded, so the summary below always prints (GPU_CHECK_SECONDS, default 420)
  if [ "$MODE" = checkout ]; then cmd=(node --import tsx src/tools/gpu-check-cli.ts); else cmd=(node "$BUNDLE/gpu-check.cjs"); fi
  timeout "${GPU_CHECK_SECONDS:-420}" "${cmd[@]}" "${sizes[@]}" --out "$DEST" > "$DEST/step.txt" 2>&1; brc=$?
  [ $brc -eq 124 ] && echo "(stopped after ${GPU_CHECK_SECONDS:-420} s; the sizes above finished)" >> "$DEST/step.txt"
  cat "$DEST/step.txt"
  summary="$(grep -E '^  d[0-9]+/L[0-9]+/T[0-9]+' "$DEST/step.txt" | sed 's/^  //' | tr '\n' ';')"
  record "step webgpu vs wasm" "$([ $brc -eq 0 ] && echo ok || echo FAILED)" $((SECONDS - t0)) "${summary:-none}"
fi

# -- 5. the smoke workbook on webgpu -----------------------------------------------------------
say "smoke workbook on webgpu"
t0=$SECONDS
py="${WORKBOOK_PYTHON:-/usr/bin/python3}"
if [ $rc -ne 0 ]; then
  record "smoke workbook" skipped 0 "no adapter"
elif [ "$MODE" != checkout ] || ! "$py" -c 'import nbclient, jupyter_client' >/dev/null 2>&1; then
  record "smoke workbook" "not run" 0 "needs node_modules and Jupyter (npm ci && npm run setup); shown on SwiftShader in CI instead"
else
  RLHF_BACKEND=webgpu npm run -s workbook -- --profile smoke --run-id "gpu-check-$STAMP"; wrc=$?
  record "smoke workbook" "$([ $wrc -eq 0 ] && echo ok || echo FAILED)" $((SECONDS - t0)) "runs/gpu-check-$STAMP"
fi

# -- the table ----------------------------------------------------------------------------------
say "summary"
printf '%-22s %-9s %6s  %s\n' check result seconds note
for i in "${!names[@]}"; do printf '%-22s %-9s %6s  %s\n' "${names[$i]}" "${states[$i]}" "${secs[$i]}" "${notes[$i]}"; done
echo "log: $LOG"
for s in "${states[@]}"; do [ "$s" = FAILED ] && exit 1; done
exit 0
