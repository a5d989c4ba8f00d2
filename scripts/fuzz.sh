#!/usr/bin/env bash
# Fuzzes the domain crate's parsers and merges (the cargo-fuzz targets in fuzz/) for
# SECONDS each, seeded from testdata/corpus/ and fuzz/corpus/. Exits non-zero when a target
# crashes, printing the input that reproduces it.
#
#   scripts/fuzz.sh SECONDS [TARGET...]      (all targets when none is named)
#
# Works on the stable toolchain: cargo-fuzz passes `-Z` flags (sanitizer coverage), which
# RUSTC_BOOTSTRAP=1 unlocks. No sanitizer by default: the domain crate has no `unsafe`,
# and AddressSanitizer made the targets three times slower for nothing to find;
# ASTRO_IDENTITY_FUZZ_SANITIZER=address turns it on (stable's rust-std ships its runtime).
# Installs cargo-fuzz from crates.io when it is missing.
#
# The build and the corpus that grows between runs live outside the clone
# (ASTRO_IDENTITY_FUZZ_TARGET_DIR, ASTRO_IDENTITY_FUZZ_CORPUS); crashes are written to
# fuzz/artifacts/<target>/ (ignored by git). ASTRO_IDENTITY_FUZZ_FRESH=1 starts from the
# seeds alone, in a corpus thrown away afterwards: libFuzzer replays the whole corpus
# before its clock starts, so a grown one would stretch a short run.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-}
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh SECONDS [TARGET...]" >&2
  exit 2
fi
shift
all_targets=(trust_policy iam_policy editors identifiers requirements airflow_spec)
targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")

export CARGO_TARGET_DIR="${ASTRO_IDENTITY_FUZZ_TARGET_DIR:-$HOME/.cache/astro-identity/target-fuzz}"
corpus_root="${ASTRO_IDENTITY_FUZZ_CORPUS:-$HOME/.cache/astro-identity/fuzz-corpus}"
if [ "${ASTRO_IDENTITY_FUZZ_FRESH:-}" = 1 ]; then
  corpus_root=$(mktemp -d)
  trap 'rm -rf "$corpus_root"' EXIT
fi
logs="$CARGO_TARGET_DIR/fuzz-logs"
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "Installing cargo-fuzz from crates.io"
  cargo install cargo-fuzz --locked --version '^0.13'
fi

# Release code with debug assertions (overflow checks). One build of every target first,
# so that each run below starts at once.
build_flags=(--release --debug-assertions --sanitizer "${ASTRO_IDENTITY_FUZZ_SANITIZER:-none}")
start=$(date +%s)
(cd fuzz && cargo fuzz build "${build_flags[@]}")
echo "fuzz: built the targets in $(($(date +%s) - start))s"

seeds_of() {
  case "$1" in
    trust_policy) echo testdata/corpus/aws-trust ;;
    iam_policy) echo testdata/corpus/gcp-policy ;;
    editors) echo testdata/corpus/aws-trust testdata/corpus/gcp-policy ;;
  esac
}

failed=()
mkdir -p "$logs"
for target in "${targets[@]}"; do
  if [[ ! " ${all_targets[*]} " == *" $target "* ]]; then
    echo "fuzz: unknown target $target (targets: ${all_targets[*]})" >&2
    exit 2
  fi
  corpus="$corpus_root/$target"
  mkdir -p "$corpus" "fuzz/artifacts/$target"
  dirs=("$corpus")
  [ -d "fuzz/corpus/$target" ] && dirs+=("$PWD/fuzz/corpus/$target")
  for seed in $(seeds_of "$target"); do dirs+=("$PWD/$seed"); done
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=20000 -print_final_stats=1)
  [ -f "fuzz/dict/$target.dict" ] && options+=(-dict="$PWD/fuzz/dict/$target.dict")
  log="$logs/$target.log"
  before=$(ls "fuzz/artifacts/$target" | wc -l)
  if (cd fuzz && cargo fuzz run "${build_flags[@]}" "$target" "${dirs[@]}" -- "${options[@]}") >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    size=$(ls "$corpus" | wc -l)
    echo "fuzz: $target: ${runs:-?} inputs in ${seconds}s, no crash (corpus: $size files)"
  else
    echo "fuzz: $target FAILED (full log: $log):" >&2
    grep -m1 -A12 -E "panicked at|ERROR: AddressSanitizer|ERROR: libFuzzer|ALARM: working on the last Unit" "$log" >&2 ||
      tail -40 "$log" >&2
    reproducers=$(grep -o 'Test unit written to .*' "$log" | sed 's/Test unit written to //' || true)
    if [ -z "$reproducers" ] && (($(ls "fuzz/artifacts/$target" | wc -l) > before)); then
      reproducers=$(ls -t "fuzz/artifacts/$target" | head -1 | sed "s|^|fuzz/artifacts/$target/|")
    fi
    for reproducer in $reproducers; do
      path="fuzz/${reproducer#./}"
      [ -f "$path" ] || path="$reproducer"
      echo "fuzz: $target: reproducer $path" >&2
      echo "fuzz:   run it again: (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run ${build_flags[*]} $target ${path#fuzz/})" >&2
    done
    failed+=("$target")
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: crashes in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no crash ($(($(date +%s) - start))s in all)"
