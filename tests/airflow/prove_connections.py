#!/usr/bin/env python3
"""Prove, with Airflow's own code, that every connection format Astro Identity renders
means exactly the intended connection: the right conn_type, exactly the intended extra,
and no host, login, password, schema or port.

Run from the repository root (the Amazon provider pulls in Airflow itself; no metadata
database is needed):

    python3 -m venv /root/.cache/astro-identity/airflow-venv
    /root/.cache/astro-identity/airflow-venv/bin/pip install apache-airflow-providers-amazon
    cargo run -q -p astro-identity-domain --example airflow_formats > /tmp/airflow-formats.json
    /root/.cache/astro-identity/airflow-venv/bin/python tests/airflow/prove_connections.py /tmp/airflow-formats.json

Airflow 2 works the same way (its REST check uses the /api/v1 schema instead):

    python3 -m venv /root/.cache/astro-identity/airflow2-venv
    /root/.cache/astro-identity/airflow2-venv/bin/pip install 'apache-airflow==2.11.*' apache-airflow-providers-amazon

With moto (`moto_server -p PORT`) also assume each AWS role through the Amazon provider's
own hook, as a task would (the script creates the roles in moto):

    MOTO_URL=http://127.0.0.1:PORT .../python tests/airflow/prove_connections.py /tmp/airflow-formats.json

Input (argv[1]): a JSON list of
    {"conn_id": ..., "env_var": "AIRFLOW_CONN_...", "expect": {"conn_type": ..., "extra": {...}},
     "formats": {"ui": ..., "env-json": ..., "env-uri": ..., "cli": ..., "yaml": ..., "rest": ..., "astro": ...}}
Prints one line per check and a closing "N passed, M failed"; exits 1 when any check fails.
The Google provider is not installed (2 GB): tests/airflow/check_google_keys.py checks its keys.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import os
import shlex
import sys
import tempfile
import traceback
import warnings

# Before Airflow is imported: a throw-away home, quiet logs, no examples.
_HOME = tempfile.mkdtemp(prefix="airflow-prove-")
os.environ.setdefault("AIRFLOW_HOME", _HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "ERROR")
warnings.simplefilter("ignore")

import yaml  # noqa: E402  (Airflow depends on PyYAML)
from airflow.cli.cli_parser import get_parser  # noqa: E402
from airflow.cli.commands import connection_command  # noqa: E402
from airflow.models.connection import Connection  # noqa: E402
from airflow.secrets.environment_variables import EnvironmentVariablesBackend  # noqa: E402

try:  # Airflow 3: POST /api/v2/connections validates the body with this pydantic model.
    from airflow.api_fastapi.core_api.datamodels.connections import ConnectionBody
except ImportError:  # Airflow 2: POST /api/v1/connections loads it with a marshmallow schema.
    ConnectionBody = None
    from airflow.api_connexion.schemas.connection_schema import connection_schema
    from airflow.utils import helpers


def rest_connection(body_text: str):
    """The Connection the REST API's create endpoint builds from a body (its own code)."""
    if ConnectionBody is not None:
        body = ConnectionBody.model_validate_json(body_text)
        return Connection(**body.model_dump(by_alias=True)), "via ConnectionBody (POST /api/v2/connections)"
    data = connection_schema.load(json.loads(body_text))
    helpers.validate_key(data["conn_id"], max_length=200)
    return Connection(**data), "via connection_schema (POST /api/v1/connections)"

# Connection types whose provider is not installed here; check_google_keys.py checks the
# label against the provider's hook_name.
KNOWN_LABELS = {"Google Cloud": "google_cloud_platform"}

# Where Astro's EKS clusters mount the web identity token (absent on this machine).
EKS_TOKEN_FILE = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"

PASSED = 0
FAILED = 0


def report(ok: bool, conn_id: str, check: str, detail: str = "") -> None:
    global PASSED, FAILED
    if ok:
        PASSED += 1
    else:
        FAILED += 1
    print(f"{'ok  ' if ok else 'FAIL'} {conn_id} {check}{': ' + detail if detail else ''}", flush=True)


def canonical(value) -> str:
    """Exact comparison: types and all (True is not 1 here)."""
    return json.dumps(value, sort_keys=True)


def mismatch(conn, case) -> str | None:
    """Why `conn` is not the intended connection, or None."""
    expect = case["expect"]
    problems = []
    if conn.conn_id != case["conn_id"]:
        problems.append(f"conn_id {conn.conn_id!r}")
    if conn.conn_type != expect["conn_type"]:
        problems.append(f"conn_type {conn.conn_type!r} != {expect['conn_type']!r}")
    if canonical(conn.extra_dejson) != canonical(expect["extra"]):
        problems.append(f"extra {conn.extra_dejson!r} != {expect['extra']!r}")
    for field in ("host", "login", "password", "schema", "port"):
        if getattr(conn, field):
            problems.append(f"{field} is {getattr(conn, field)!r}")
    return "; ".join(problems) or None


@contextlib.contextmanager
def env(name: str, value: str):
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


class _CapturingSession:
    """Stands in for the metadata DB session inside `connections_add`."""

    def __init__(self):
        self.added = []

    def scalar(self, *_args, **_kwargs):
        return None  # no connection with that id exists yet

    def add(self, obj):
        self.added.append(obj)


def cli_add(argv: list[str]):
    """Runs Airflow's own `airflow connections add` (argument parser and command body) and
    returns the Connection it would have stored."""
    if argv[:3] != ["airflow", "connections", "add"]:
        raise AssertionError(f"not an `airflow connections add` command: {argv[:3]}")
    args = get_parser().parse_args(argv[1:])
    session = _CapturingSession()

    @contextlib.contextmanager
    def fake_session():
        yield session

    command = inspect.unwrap(connection_command.connections_add)
    original = connection_command.create_session
    connection_command.create_session = fake_session
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            command(args)
    finally:
        connection_command.create_session = original
    if len(session.added) != 1:
        raise AssertionError(f"connections add stored {len(session.added)} connections")
    return session.added[0]


def astro_cli_command(entry: dict) -> str:
    """The command the Astro CLI runs for one `airflow_settings.yaml` connection
    (settings.AddConnections in astro-cli: values in single quotes, unescaped; conn_uri
    only when no type, host, login, password, schema or port is given; a conn_extra
    mapping only survives as a map[interface{}]interface{}, which current versions never
    produce — so it is treated as dropped here)."""
    command = f"airflow connections add '{entry['conn_id']}' "
    others = 0
    if entry.get("conn_type"):
        command += f"--conn-type '{entry['conn_type']}' "
        others += 1
    extra = entry.get("conn_extra")
    if isinstance(extra, dict):
        raise AssertionError("a conn_extra mapping is dropped by `astro dev object import`")
    if isinstance(extra, str) and extra:
        command += f"--conn-extra '{extra}' "
    for key in ("conn_host", "conn_login", "conn_password", "conn_schema"):
        if entry.get(key):
            command += f"--{key.replace('_', '-')} '{entry[key]}' "
            others += 1
    if entry.get("conn_port"):
        command += f"--conn-port {entry['conn_port']}"
        others += 1
    if entry.get("conn_uri") and others == 0:
        command += f"--conn-uri '{entry['conn_uri']}' "
    return command


def hook_names() -> dict[str, str]:
    from airflow.providers_manager import ProvidersManager

    return {info.hook_name: conn_type for conn_type, info in ProvidersManager().hooks.items() if info}


def parse_format(case: dict, fmt: str, text: str):
    """The Connection Airflow makes of one format, through the code path that format takes."""
    conn_id = case["conn_id"]
    if fmt in ("env-json", "env-uri"):
        if fmt == "env-json" and not text.startswith("{"):
            raise AssertionError("the JSON form must start with '{' for Airflow to read it as JSON")
        env_var = case.get("env_var") or "AIRFLOW_CONN_" + conn_id.upper()
        with env(env_var, text):
            conn = EnvironmentVariablesBackend().get_connection(conn_id)
        if conn is None:
            raise AssertionError(f"Airflow found no connection {conn_id!r} in {env_var}")
        return conn, f"via {env_var}"
    if fmt == "cli":
        return cli_add(shlex.split(text)), "via `airflow connections add`"
    if fmt == "yaml":
        data = yaml.safe_load(text)
        entries = data["airflow"]["connections"]
        if len(entries) != 1 or entries[0].get("conn_id") != conn_id:
            raise AssertionError(f"expected one connection {conn_id!r}, got {entries!r}")
        return cli_add(shlex.split(astro_cli_command(entries[0]))), "via the Astro CLI's `connections add`"
    if fmt == "rest":
        if not isinstance(json.loads(text).get("extra"), str):
            raise AssertionError("extra must be a JSON string in the REST body")
        return rest_connection(text)
    if fmt == "astro":
        body = json.loads(text)
        expected_keys = ["objectKey", "objectType", "scope", "scopeEntityId", "connection"]
        if list(body) != expected_keys:
            raise AssertionError(f"keys {list(body)} != {expected_keys}")
        if body["objectKey"] != conn_id or body["objectType"] != "CONNECTION":
            raise AssertionError(f"objectKey/objectType {body['objectKey']!r}/{body['objectType']!r}")
        if body["scope"] not in ("DEPLOYMENT", "WORKSPACE") or not body["scopeEntityId"]:
            raise AssertionError(f"scope {body['scope']!r} {body['scopeEntityId']!r}")
        connection = body["connection"]
        if not isinstance(connection.get("extra"), dict):
            raise AssertionError("connection.extra must be an object in the Astro body")
        conn = Connection(conn_id=conn_id, conn_type=connection["type"], extra=json.dumps(connection["extra"]))
        return conn, f"scope {body['scope']} {body['scopeEntityId']}"
    if fmt == "ui":
        lines = text.split("\n")
        prefixes = ["Connection Id: ", "Connection Type: ", "Extra: "]
        if len(lines) != 3 or not all(line.startswith(p) for line, p in zip(lines, prefixes)):
            raise AssertionError(f"expected the three lines {prefixes}, got {lines!r}")
        form_id, label, extra = (line[len(p) :] for line, p in zip(lines, prefixes))
        names = hook_names()
        conn_type = names.get(label) or KNOWN_LABELS.get(label)
        if conn_type is None:
            raise AssertionError(f"no provider hook is named {label!r}")
        source = "provider hook_name" if label in names else "label checked by check_google_keys.py"
        # The Airflow 3 UI sends its form to the REST API; Airflow 2's form stores the same fields.
        conn, _ = rest_connection(json.dumps({"connection_id": form_id, "conn_type": conn_type, "extra": extra}))
        return conn, f"{label!r} = {conn_type} ({source})"
    raise AssertionError(f"unknown format {fmt!r}")


def prove_formats(case: dict) -> None:
    for fmt, text in case["formats"].items():
        try:
            conn, how = parse_format(case, fmt, text)
            problem = mismatch(conn, case)
            report(problem is None, case["conn_id"], fmt, problem or how)
        except (Exception, SystemExit) as error:  # noqa: BLE001 - every failure is a finding
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            report(False, case["conn_id"], fmt, detail)


def prove_with_moto(case: dict, moto_url: str) -> None:
    """Assume the role through AwsBaseHook, as a task would, against moto."""
    import boto3
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    extra = case["expect"]["extra"]
    if "role_arn" not in extra:
        prove_own_identity(case)
        return
    role_arn = extra["role_arn"]
    account = role_arn.split(":")[4]
    resource = role_arn.split(":", 5)[5][len("role/") :]
    path, _, name = resource.rpartition("/")
    iam = boto3.client("iam", endpoint_url=moto_url, region_name="us-east-1")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName=name, Path=f"/{path}/" if path else "/", AssumeRolePolicyDocument=json.dumps(trust))
    expected_prefix = f"arn:aws:sts::{account}:assumed-role/{name}/"
    env_var = case.get("env_var") or "AIRFLOW_CONN_" + case["conn_id"].upper()

    forms = [(fmt, case["formats"][fmt]) for fmt in ("env-json", "env-uri") if fmt in case["formats"]]
    note = ""
    if extra.get("assume_role_method") == "assume_role_with_web_identity":
        # The EKS token file does not exist here: the same extra, with only the token file
        # swapped for a dummy token, proves the provider reads every other key as meant.
        token = tempfile.NamedTemporaryFile("w", suffix=".jwt", delete=False)
        token.write("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0.")
        token.close()
        # Swapped by value, not by key name: a misspelt key must still fail here.
        swapped = {key: token.name if value == EKS_TOKEN_FILE else value for key, value in extra.items()}
        forms = [("env-json", json.dumps({"conn_type": "aws", "extra": swapped}))]
        note = " (token file swapped for a dummy token)"
    for fmt, value in forms:
        try:
            with env(env_var, value):
                hook = AwsBaseHook(aws_conn_id=case["conn_id"], client_type="sts")
                arn = hook.get_client_type().get_caller_identity()["Arn"]
            ok = arn.startswith(expected_prefix)
            report(ok, case["conn_id"], f"moto AssumeRole via {fmt}{note}", arn if ok else f"{arn} !~ {expected_prefix}")
        except Exception as error:  # noqa: BLE001
            report(False, case["conn_id"], f"moto AssumeRole via {fmt}{note}", repr(error))


def prove_own_identity(case: dict) -> None:
    """A connection without role_arn (Customer Managed Identity): the hook must use the
    environment's credentials as they are — on Astro the pod's web identity, which is the
    customer's role — and assume nothing."""
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    env_var = case.get("env_var") or "AIRFLOW_CONN_" + case["conn_id"].upper()
    for fmt in ("env-json", "env-uri"):
        try:
            with env(env_var, case["formats"][fmt]):
                hook = AwsBaseHook(aws_conn_id=case["conn_id"], client_type="sts")
                arn = hook.get_client_type().get_caller_identity()["Arn"]
            ok = "assumed-role" not in arn
            report(ok, case["conn_id"], f"moto own identity via {fmt}", arn)
        except Exception as error:  # noqa: BLE001
            report(False, case["conn_id"], f"moto own identity via {fmt}", repr(error))


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    with open(sys.argv[1], encoding="utf-8") as handle:
        cases = json.load(handle)
    import airflow
    from airflow.providers.amazon import __version__ as amazon_version

    print(f"Airflow {airflow.__version__}, apache-airflow-providers-amazon {amazon_version}")
    moto_url = os.environ.get("MOTO_URL")
    if moto_url:
        os.environ["AWS_ENDPOINT_URL"] = moto_url
        os.environ["AWS_ACCESS_KEY_ID"] = "testing"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
        os.environ.pop("AWS_PROFILE", None)
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.pop("AWS_WEB_IDENTITY_TOKEN_FILE", None)  # only the connection may name it
    for case in cases:
        prove_formats(case)
        if moto_url and case["expect"]["conn_type"] == "aws":
            prove_with_moto(case, moto_url)
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
