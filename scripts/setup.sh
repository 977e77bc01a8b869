#!/usr/bin/env bash
# Installs (idempotently, quietly when present) and starts what Slipway needs.
#   scripts/setup.sh run   — to build and run Slipway (wasm toolchain, Docker engine)
#   scripts/setup.sh test  — plus the test bed: registry, git server, browser, moto
# Runs as root with no standard input (CI). Everything it starts logs under .tools/.
set -euo pipefail
mode=${1:-test}
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
mkdir -p "$tools"
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf 'setup: %s\n' "$*" >&2; }

# --- Debian packages -------------------------------------------------------
packages=(docker.io libssl-dev pkg-config git make)
if [ "$mode" = test ]; then
  packages+=(docker-registry busybox-static lighttpd chromium chromium-driver apache2-utils python3-venv curl wrk nginx-light bc)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >"$tools/apt.log" 2>&1
  apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >>"$tools/apt.log" 2>&1 \
    || { tail -20 "$tools/apt.log" >&2; exit 1; }
  # Debian starts nginx on install; the benchmarks start their own.
  if command -v nginx >/dev/null; then nginx -s stop >/dev/null 2>&1 || true; fi
fi

# --- Rust: wasm target and wasm-bindgen CLI matching Cargo.lock -----------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown >"$tools/rustup.log" 2>&1
fi
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version (a few minutes, once)"
  cargo install -q wasm-bindgen-cli --version "$wb_version" --force >"$tools/wasm-bindgen.log" 2>&1 \
    || { tail -20 "$tools/wasm-bindgen.log" >&2; exit 1; }
fi

# --- wasm-opt from npm (Debian's binaryen breaks hydration) — release builds only
if [ "$mode" = run ] && [ ! -x "$tools/node_modules/.bin/wasm-opt" ] && command -v npm >/dev/null; then
  say "installing wasm-opt (npm binaryen@132.0.0)"
  (cd "$tools" && npm install --silent --no-audit --no-fund --prefix "$tools" binaryen@132.0.0 >"$tools/npm.log" 2>&1) \
    || say "wasm-opt unavailable (see .tools/npm.log); the wasm bundle stays unoptimised"
fi

# --- moto (AWS API emulator) in a virtualenv — tests only ------------------
if [ "$mode" = test ] && [ ! -x "$tools/venv/bin/moto_server" ]; then
  say "installing moto[server] into .tools/venv"
  python3 -m venv "$tools/venv" >"$tools/pip.log" 2>&1
  "$tools/venv/bin/pip" install -q 'moto[server]>=5.1,<6' >>"$tools/pip.log" 2>&1 || { tail -20 "$tools/pip.log" >&2; exit 1; }
fi

# --- Docker engine -----------------------------------------------------------
engine_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
start_dockerd() {
  say "starting dockerd $*"
  setsid nohup dockerd --iptables=false "$@" >"$tools/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 120); do engine_up && return 0; sleep 0.5; done
  return 1
}
if ! engine_up; then
  if ! start_dockerd; then
    pkill -x dockerd 2>/dev/null || true; sleep 2
    start_dockerd --storage-driver=vfs || { tail -20 "$tools/dockerd.log" >&2; say "the Docker engine did not start"; exit 1; }
  fi
fi
say "ready ($mode)"
