#!/usr/bin/env bash
# Builds the browser side of the dashboard into a site directory:
#   <site>/pkg/slipway.js, slipway_bg.wasm (hydration bundle) and slipway.css.
# Usage: scripts/build-site.sh debug|release SITE_DIR
# The plain wasm-bindgen pipeline (no cargo-leptos): cargo → wasm-bindgen → wasm-opt (release).
set -euo pipefail
profile=${1:-debug}
site=${2:-target/site}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$root/.tools/node_modules/.bin:$PATH"

case "$profile" in
  debug)   cargo_profile=dev;          wasm_dir=debug ;;
  release) cargo_profile=wasm-release; wasm_dir=wasm-release ;;
  *) echo "usage: $0 debug|release SITE_DIR" >&2; exit 2 ;;
esac

cargo build --quiet -p slipway-web --lib --target wasm32-unknown-unknown \
  --no-default-features --features hydrate --profile "$cargo_profile"

mkdir -p "$site/pkg"
wasm-bindgen --target web --no-typescript --out-dir "$site/pkg" --out-name slipway \
  "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/$wasm_dir/slipway_web.wasm"

if [ "$profile" = release ]; then
  # Debian's binaryen (108) breaks release hydration; only the pinned npm build is used.
  if [ -x "$root/.tools/node_modules/.bin/wasm-opt" ]; then
    "$root/.tools/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      "$site/pkg/slipway_bg.wasm" -o "$site/pkg/slipway_bg.wasm.opt"
    mv "$site/pkg/slipway_bg.wasm.opt" "$site/pkg/slipway_bg.wasm"
  else
    echo "build-site: wasm-opt (npm binaryen) not installed; shipping the unoptimised bundle" >&2
  fi
fi

cp web/style/slipway.css "$site/pkg/slipway.css"
cp web/public/* "$site/" 2>/dev/null || true
echo "site built: $site ($(du -sh "$site/pkg/slipway_bg.wasm" | cut -f1) wasm)"
