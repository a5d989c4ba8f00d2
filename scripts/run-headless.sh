#!/usr/bin/env bash
# Starts the app in a private Xvfb + D-Bus session (with an unlocked keyring), waits for its
# window, saves a screenshot and exits. `make run` uses it when there is no display.
# Usage: run-headless.sh APP_BINARY OUTPUT_PNG
set -euo pipefail
app=$1 out=$2
mkdir -p "$(dirname "$out")"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export NO_AT_BRIDGE=1 XDG_DATA_HOME=$scratch/data XDG_CACHE_HOME=$scratch/cache XDG_RUNTIME_DIR=$scratch/run
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" sh -c '
  printf %s astro | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  "$0" & pid=$!
  tries=0
  until wid=$(xdotool search --onlyvisible --name "^Astro Identity$" 2>/dev/null | head -1) && [ -n "$wid" ]; do
    tries=$((tries + 1)); [ $tries -lt 300 ] || { echo "the window never appeared" >&2; kill $pid; exit 1; }
    sleep 0.1
  done
  # The window maps before the web view paints: retry until the picture has content.
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    sleep 1.5
    import -window "$wid" "$1"
    [ "$(identify -format %k "$1")" -gt 20 ] && break
  done
  kill $pid' "$app" "$out"
echo "Screenshot of the running app: $out"
