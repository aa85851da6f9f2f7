#!/usr/bin/env bash
# Builds .gpu-bundle/: what environment/gpu-check.sh needs on a GPU machine that has no
# network and no node_modules (about 35 MB): the node binary (xz), the GPU check and the
# webgpu test group as single files (esbuild, from this checkout's node_modules), tfjs's
# wasm files, Dawn for linux-x64 (the `webgpu` package) and Debian's Vulkan loader and GL
# dispatch libraries (NVIDIA's Vulkan driver needs them; GPU containers often lack them).
# Run it in a checkout after `npm ci`; copy the checkout with .gpu-bundle/ to the GPU machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
B="$ROOT/.gpu-bundle"
[ -x node_modules/.bin/esbuild ] || { echo "gpu-bundle: node_modules/.bin/esbuild missing: run npm ci first" >&2; exit 2; }
rm -rf "$B.tmp" && mkdir -p "$B.tmp/node_modules/webgpu/dist/linux-x64"
external=(--external:webgpu --external:@tensorflow/tfjs-node-gpu --external:@tensorflow/tfjs-node)
build() { node_modules/.bin/esbuild "$1" --bundle --platform=node --target=node20 --format=cjs --log-level=error "${external[@]}" --outfile="$B.tmp/$2"; }
build src/tools/gpu-check-cli.ts gpu-check.cjs
build src/engine/backend.ts engine.cjs
build test/engine/webgpu.test.ts webgpu.test.cjs
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$B.tmp/"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$B.tmp/node_modules/webgpu/"
xz -T0 -3 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$B.tmp/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
xz -T0 -6 -c "$(command -v node)" > "$B.tmp/node.xz"
# The Vulkan loader and what NVIDIA's Vulkan driver (libGLX_nvidia.so.0) loads, as .debs:
# gpu-check.sh uses a library from them only where the machine lacks it.
DEBS=(libvulkan1 libglvnd0 libglx0 libgl1 libegl1 libopengl0 libgles2 libx11-6 libxext6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0)
(cd "$B.tmp" && apt-get download "${DEBS[@]}" >/dev/null 2>&1) || echo "gpu-bundle: apt-get download ${DEBS[*]} failed; the GPU machine must have them"
rm -rf "$B" && mv "$B.tmp" "$B"
du -sh "$B"
echo "gpu-bundle: ok: $B (gpu-check.sh unpacks dawn.node.xz on first use)"
