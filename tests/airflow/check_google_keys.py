#!/usr/bin/env python3
"""Check, against the Google provider's own source, that the GCP connection Astro Identity
renders is what the provider reads: conn_type `google_cloud_platform`, UI label
`Google Cloud`, and every extra key we emit (`project`, `impersonation_chain`) read by
GoogleBaseHook through `_get_field`.

The provider installs ~2 GB of Google client libraries, so it is not installed: its wheel
is downloaded (no dependencies) and read with `ast`; the provider's `get_field` helper is
executed on our extras.

Run from the repository root, with any Python that has pip:

    python3 tests/airflow/check_google_keys.py /root/.cache/astro-identity/google-wheel [FORMATS_JSON]

argv[1]: a cache directory for the wheel (created when missing; reused offline when it
already holds a wheel and `--offline` is given as argv[3]).
argv[2] (optional): the JSON that `cargo run -p astro-identity-domain --example
airflow_formats` prints; every google_cloud_platform case in it is checked key by key.
Env GOOGLE_PROVIDER_SPEC pins a version (default: the newest release).
Prints one line per check and a closing "N passed, M failed"; exits 1 when any fails.
"""

from __future__ import annotations

import ast
import glob
import json
import os
import re
import subprocess
import sys
import zipfile

BASE_GOOGLE = "airflow/providers/google/common/hooks/base_google.py"
PROVIDER_INFO = "airflow/providers/google/get_provider_info.py"

PASSED = 0
FAILED = 0


def report(ok: bool, check: str, detail: str = "") -> None:
    global PASSED, FAILED
    if ok:
        PASSED += 1
    else:
        FAILED += 1
    print(f"{'ok  ' if ok else 'FAIL'} {check}{': ' + detail if detail else ''}", flush=True)


def download(cache: str, offline: bool) -> str:
    os.makedirs(cache, exist_ok=True)
    spec = os.environ.get("GOOGLE_PROVIDER_SPEC", "apache-airflow-providers-google")
    if not offline:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", spec, "-d", cache],
            check=True,
        )
    wheels = glob.glob(os.path.join(cache, "apache_airflow_providers_google-*.whl"))
    if not wheels:
        raise SystemExit(f"no apache-airflow-providers-google wheel in {cache}")

    def version(path: str) -> tuple:
        text = os.path.basename(path).split("-")[1]
        return tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.]", text))

    if "==" in spec:
        wanted = spec.split("==", 1)[1]
        wheels = [w for w in wheels if os.path.basename(w).split("-")[1] == wanted] or wheels
    return max(wheels, key=version)


def class_attributes(tree: ast.Module, class_name: str) -> dict[str, object]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            values = {}
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
                    for target in statement.targets:
                        if isinstance(target, ast.Name):
                            values[target.id] = statement.value.value
            return values
    return {}


def fields_read(tree: ast.Module) -> set[str]:
    """Every literal key passed to `self._get_field(...)`."""
    keys = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "_get_field"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            keys.add(node.args[0].value)
    return keys


def provider_get_field(tree: ast.Module):
    """The provider's module-level `get_field(extras, name)`, compiled on its own."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "get_field":
            module = ast.Module(body=[node], type_ignores=[])
            namespace: dict = {}
            exec(compile(ast.fix_missing_locations(module), BASE_GOOGLE, "exec"), namespace)  # noqa: S102
            return namespace["get_field"]
    return None


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    offline = len(sys.argv) > 3 and sys.argv[3] == "--offline"
    wheel = download(sys.argv[1], offline)
    version = os.path.basename(wheel).split("-")[1]
    print(f"apache-airflow-providers-google {version} ({os.path.basename(wheel)})")
    with zipfile.ZipFile(wheel) as archive:
        base_google = archive.read(BASE_GOOGLE).decode("utf-8")
        provider_info = archive.read(PROVIDER_INFO).decode("utf-8")
    tree = ast.parse(base_google)

    attributes = class_attributes(tree, "GoogleBaseHook")
    report(attributes.get("conn_type") == "google_cloud_platform", "GoogleBaseHook.conn_type", repr(attributes.get("conn_type")))
    report(attributes.get("hook_name") == "Google Cloud", "GoogleBaseHook.hook_name (UI label)", repr(attributes.get("hook_name")))
    # The connection-types entry: {"hook-class-name": ..., "hook-name": ..., "connection-type": ...}.
    registered = re.search(
        r'\{\s*"hook-class-name":\s*"airflow\.providers\.google\.common\.hooks\.base_google\.GoogleBaseHook",'
        r'[^{}]*"connection-type":\s*"google_cloud_platform"',
        provider_info,
    )
    report(bool(registered), "get_provider_info registers google_cloud_platform → GoogleBaseHook")

    read = fields_read(tree)
    for key in ("project", "impersonation_chain"):
        report(key in read, f"GoogleBaseHook reads extra {key!r} via _get_field")

    # What the Airflow 2 form calls the fields (it hides Extra for this connection type).
    for key, label in (("project", "Project Id"), ("impersonation_chain", "Impersonation Chain")):
        found = re.search(rf'"{key}":\s*StringField\(\s*lazy_gettext\("([^"]+)"\)', base_google)
        report(bool(found) and found.group(1) == label, f"form field {key!r} is labelled {label!r}",
               repr(found.group(1)) if found else "not found")

    get_field = provider_get_field(tree)
    report(get_field is not None, "provider defines get_field(extras, name)")

    if len(sys.argv) > 2 and get_field is not None:
        with open(sys.argv[2], encoding="utf-8") as handle:
            cases = [c for c in json.load(handle) if c["expect"]["conn_type"] == "google_cloud_platform"]
        for case in cases:
            extra = case["expect"]["extra"]
            for key, value in extra.items():
                ok = key in read and get_field(extra, key) == value
                report(ok, f"{case['conn_id']} extra {key!r}", "read as emitted" if ok else "not read by the provider")
            label = case.get("conn_type_label")
            if label is not None:
                report(label == attributes.get("hook_name"), f"{case['conn_id']} UI label", repr(label))
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
