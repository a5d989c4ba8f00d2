# The README's two commands are `make run` and `make test`; everything else is a step of theirs.
SHELL := /bin/bash
.DEFAULT_GOAL := run

# A target directory outside the clone, so a fresh clone (and CI) reuses an earlier build.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/astro-identity/target
export CARGO_TERM_COLOR ?= never
APP := $(CARGO_TARGET_DIR)/debug/astro-identity
# The moto venv (scripts/deps.sh) has botocore and moto, the sources of the AWS catalogs.
PYTHON := $(or $(ASTRO_IDENTITY_VENV),$(HOME)/.cache/astro-identity/venv)/bin/python

.PHONY: run test deps ui app lint ui-check ui-test rust-test fuzz fuzz-quick bench bindings catalogs screenshot icons clean

## Installs what is missing, builds, and opens the app (headless: saves a screenshot).
run: deps app
	@if [ -n "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
	  exec "$(APP)"; \
	else \
	  echo "No display found: running under Xvfb instead."; \
	  scripts/run-headless.sh "$(APP)" target/run.png; \
	fi

## Installs what is missing and runs every check and test.
test: deps ui lint ui-check ui-test app rust-test fuzz-quick
	@echo "make test: all checks and tests passed"

deps:
	@scripts/deps.sh

ui: deps
	cd ui && npm run build

# The app embeds ui/dist at compile time, so the UI is built first.
app: ui
	cargo build -p astro-identity -p astro-identity-cli

# Clippy compiles the shell, whose generate_context! embeds ui/dist: build the UI first.
lint: ui
	cargo fmt --all --check
	cd fuzz && cargo fmt --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(PYTHON) scripts/gen_aws_catalogs.py --check

ui-check: deps
	cd ui && npm run check && npm run lint && npm run format:check

ui-test: deps
	cd ui && npm test

rust-test: app
	cargo nextest run --workspace --no-fail-fast
	cargo test --doc -p astro-identity-domain

## Fuzzes the domain's parsers and merges, 5 minutes per target (fuzz/, scripts/fuzz.sh).
fuzz:
	scripts/fuzz.sh 300

# The bounded run for `make test`: 15 seconds per target, from the seeds alone.
fuzz-quick:
	ASTRO_IDENTITY_FUZZ_FRESH=1 scripts/fuzz.sh 15

## Speed goals, measured in release builds (benchmarks, never timed tests).
bench: deps
	cargo run --release -p astro-identity-domain --example editor_bench

## Regenerates the offline AWS action and managed-policy catalogs from botocore and moto.
catalogs: deps
	$(PYTHON) scripts/gen_aws_catalogs.py

## Rewrites ui/src/lib/ipc/bindings.ts from the Rust command signatures.
bindings: ui
	UPDATE_BINDINGS=1 cargo test -p astro-identity --test bindings
	cd ui && npx prettier --check src/lib/ipc/index.ts

## Refreshes the README screenshot from the end-to-end test's capture of the real window.
screenshot: app
	cargo nextest run --test e2e_home
	cp target/e2e/home.png docs/screenshot-home.png

## Regenerates every app icon from icons/source.png.
icons: deps
	icons/make-source.sh
	ui/node_modules/.bin/tauri icon icons/source.png --output icons
	rm -rf icons/android icons/ios

clean:
	rm -rf target ui/dist
