# The two commands of the README:
#   make run   — build and run Slipway (release) on http://localhost:3000
#   make test  — the whole test suite against real components
# Both install what they need first (scripts/setup.sh, idempotent).

SLIPWAY_DATA_DIR ?= ./data
SLIPWAY_LISTEN   ?= 127.0.0.1:3000
export CARGO_TERM_COLOR ?= never

.PHONY: run test setup-run setup-test site site-test build

run: setup-run site
	cargo build --release -p slipway-web --bin slipway
	SLIPWAY_SITE_ROOT=target/site ./target/release/slipway serve --data-dir $(SLIPWAY_DATA_DIR) --listen $(SLIPWAY_LISTEN)

test: setup-test site-test
	cargo test --workspace --no-fail-fast

setup-run:
	@scripts/setup.sh run

setup-test:
	@scripts/setup.sh test

# The release site (wasm-opt'd) used by `make run` and the Dockerfile.
site:
	scripts/build-site.sh release target/site

# The debug site used by the browser tests; built once per test run.
site-test:
	scripts/build-site.sh debug target/site-test
