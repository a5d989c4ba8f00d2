# The README's two commands are `make run` and `make test`; everything else is a step of theirs.
SHELL := /bin/bash
.DEFAULT_GOAL := run

# A target directory outside the clone, so a fresh clone (and CI) reuses an earlier build.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/astro-identity/target
export CARGO_TERM_COLOR ?= never
APP := $(CARGO_TARGET_DIR)/debug/astro-identity
# The moto venv (scripts/deps.sh) has botocore and moto, the sources of the AWS catalogs.
PYTHON := $(or $(ASTRO_IDENTITY_VENV),$(HOME)/.cache/astro-identity/venv)/bin/python

# Release builds and the installers `make bundle` writes (tauri names them after the product).
RELEASE_APP := $(CARGO_TARGET_DIR)/release/astro-identity
BUNDLE_DIR := $(CARGO_TARGET_DIR)/release/bundle
# The AWS CLI that `make bench` races against and the export tests run (v1 from PyPI, in the
# review tools' venv that scripts/deps.sh makes).
AWS_CLI_VENV := $(or $(ASTRO_IDENTITY_REVIEW_VENV),$(HOME)/.cache/astro-identity/review-venv)

.PHONY: run test deps ui app lint ui-check ui-test rust-test fuzz fuzz-quick bench bench-deps bundle bundle-test bindings catalogs screenshot icons clean

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

# Skipped when ui/dist is newer than every UI source: a rebuilt dist makes cargo re-embed it,
# which costs minutes in a release (LTO) build.
ui: deps
	@if [ -f ui/dist/index.html ] && [ -z "$$(find ui/src ui/index.html ui/package-lock.json ui/vite.config.ts \
	  ui/svelte.config.js ui/tsconfig.json -newer ui/dist/index.html -print -quit)" ]; then \
	  echo "ui/dist is up to date"; else cd ui && npm run build; fi

# The app embeds ui/dist at compile time, so the UI is built first.
app: ui
	cargo build -p astro-identity -p astro-identity-cli

# Clippy compiles the shell, whose generate_context! embeds ui/dist: build the UI first.
lint: ui
	cargo fmt --all --check
	cd fuzz && cargo fmt --check
	cargo clippy --workspace --all-targets -- -D warnings
	python3 scripts/check_module_cycles.py crates/domain/src crates/cloud/src crates/cli/src src-tauri/src
	$(PYTHON) scripts/gen_aws_catalogs.py --check
	$(dir $(PYTHON))actionlint .github/workflows/*.yml

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

## Linux installers (.deb and .rpm) from a release build, with the Tauri CLI of ui/node_modules.
## Run from the repo root: from ui/ the CLI does not find src-tauri.
bundle: ui
	ui/node_modules/.bin/tauri build --bundles deb,rpm
	@echo "Installers:"; ls -l $(BUNDLE_DIR)/deb/*.deb $(BUNDLE_DIR)/rpm/*.rpm

## Installs the .deb here, drives the installed app through WebDriver, uninstalls it and checks
## nothing is left; checks the .rpm's metadata. Needs root or sudo.
bundle-test: bundle
	scripts/bundle-test.sh "$(BUNDLE_DIR)" "$(RELEASE_APP)"

bench-deps: deps
	@command -v jq >/dev/null || { s=""; [ "$$(id -u)" = 0 ] || s=sudo; \
	  $$s env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jq; }

## Speed and size goals, measured in release builds (benchmarks, never timed tests): prints a
## table and writes BENCHMARKS.md.
bench: bench-deps bundle
	cargo build --release -p astro-identity-cli -p tauri-hello-baseline
	mkdir -p target && set -o pipefail && \
	  cargo run --release -p astro-identity-domain --example editor_bench | tee target/editor-bench.txt
	ASTRO_IDENTITY_APP="$(RELEASE_APP)" ASTRO_IDENTITY_CLI="$(CARGO_TARGET_DIR)/release/astro-identity-cli" \
	BENCH_BUNDLE_DIR="$(BUNDLE_DIR)" BENCH_EDITOR_OUTPUT=target/editor-bench.txt \
	BENCH_AWS_CLI="$(AWS_CLI_VENV)/bin/aws" BENCH_PYTHON="$(PYTHON)" BENCH_OUT=BENCHMARKS.md \
	BENCH_HELLO="$(CARGO_TARGET_DIR)/release/tauri-hello-baseline" \
	  cargo run -p astro-identity-tests --example app_bench

## Regenerates the offline AWS action and managed-policy catalogs from botocore and moto.
catalogs: deps
	$(PYTHON) scripts/gen_aws_catalogs.py

## Rewrites ui/src/lib/ipc/bindings.ts from the Rust command signatures.
bindings: ui
	UPDATE_BINDINGS=1 cargo test -p astro-identity --test bindings
	cd ui && npx prettier --check src/lib/ipc/index.ts

## Refreshes README screenshots from the end-to-end tests' captures of the real window.
screenshot: app
	cargo nextest run --test e2e_home --test e2e_export
	cp target/e2e/home.png docs/screenshot-home.png
	cp target/e2e/export-5-saved.png docs/screenshot-export.png

## Regenerates every app icon from icons/source.png.
icons: deps
	icons/make-source.sh
	ui/node_modules/.bin/tauri icon icons/source.png --output icons
	rm -rf icons/android icons/ios

clean:
	rm -rf target ui/dist
