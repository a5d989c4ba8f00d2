#!/usr/bin/env bash
# Installs whatever is missing to build, run and test Astro Identity on Debian/Ubuntu.
# Idempotent: a second run only checks. Used by `make run` and `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential pkg-config libssl-dev curl file   # compilers and -sys crates
  libwebkit2gtk-4.1-dev                              # Tauri's web view on Linux
  webkit2gtk-driver xvfb xdotool imagemagick         # headless window, WebDriver, screenshots
  dbus gnome-keyring libsecret-tools                 # a real Secret Service for the keyring
)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null; then
    echo "error: missing system packages (${missing[*]}) and no apt-get to install them." >&2
    echo "Install the equivalents with your package manager (see README.md)." >&2
    exit 1
  fi
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "Installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if ! command -v tauri-driver >/dev/null && [ ! -x "$cargo_bin/tauri-driver" ]; then
  echo "Installing tauri-driver from crates.io"
  cargo install tauri-driver --locked --version '^2'
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "Installing cargo-nextest from crates.io"
  cargo install cargo-nextest --locked
fi

# Python test peers (moto for IAM/STS), in a virtualenv outside the clone.
venv="${ASTRO_IDENTITY_VENV:-$HOME/.cache/astro-identity/venv}"
if [ ! -x "$venv/bin/moto_server" ]; then
  echo "Installing moto (the AWS IAM/STS test peer) into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'moto[server]>=5,<6'
fi

# npm ci only when the lock file changed since the last install.
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  (cd ui && npm ci --no-fund --no-audit)
fi
