#!/usr/bin/env python3
"""Generates the offline AWS catalogs compiled into astro-identity-domain.

    crates/domain/data/aws-actions.json           IAM actions per service prefix
    crates/domain/data/aws-managed-policies.json  AWS-managed policies and their documents

Run it with the Python that has botocore and moto (the test peers' virtualenv):

    ~/.cache/astro-identity/venv/bin/python scripts/gen_aws_catalogs.py          # rewrite
    ~/.cache/astro-identity/venv/bin/python scripts/gen_aws_catalogs.py --check  # compare

Why two sources: botocore's service models name every API operation, which is most of
IAM's actions; but IAM also has actions no API operation is called (s3:ListBucket,
iam:PassRole, lambda:InvokeFunction). AWS's own managed policies, as moto ships them, name
those, so the action catalog is the union of both.

The output is deterministic (sorted, compact, one trailing newline) so that --check can
tell whether the committed files match the installed botocore and moto.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from collections import Counter, defaultdict

import botocore
import moto
from moto.iam.aws_managed_policies import aws_managed_policies_data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(ROOT, "crates", "domain", "data")
ACTIONS_FILE = os.path.join(DATA_DIR, "aws-actions.json")
POLICIES_FILE = os.path.join(DATA_DIR, "aws-managed-policies.json")

# botocore's signing name (or endpoint prefix) where it differs from the IAM action prefix.
PREFIX_OVERRIDES = {
    "monitoring": "cloudwatch",  # CloudWatch signs as `monitoring`; actions are cloudwatch:*
    "email": "ses",  # SES's endpoint prefix
    "tagging": "tag",  # Resource Groups Tagging API: tag:GetResources
    "iotdata": "iot",  # IoT data plane: iot:Publish, iot:GetThingShadow
    "IoTSecuredTunneling": "iot",  # iot:OpenTunnel, iot:DescribeTunnel
    "iot-jobs-data": "iotjobsdata",
    "mturk-requester": "mechanicalturk",
    "cloudcontrolapi": "cloudformation",  # Cloud Control: cloudformation:CreateResource
}

# Signing names whose operations are not IAM actions: API Gateway's IAM actions are HTTP
# verbs (apigateway:GET), execute-api has ManageConnections/Invoke, and the SSO portal is
# called with a bearer token. Their real actions come from the managed policies.
NOT_IAM_ACTIONS = {"apigateway", "execute-api", "awsssoportal"}

# Display names where botocore has only a sub-API's name, or an outdated one.
NAME_OVERRIDES = {
    "aws-marketplace": "AWS Marketplace",
    "es": "Amazon OpenSearch Service",
    "lex": "Amazon Lex",
    "sso": "AWS IAM Identity Center",
    "timestream": "Amazon Timestream",
}

SOURCE = f"botocore {botocore.__version__} + moto {moto.__version__} AWS-managed policies"

# IAM's documented statement element order, used to lay out managed policy documents
# the way people read them (moto stores them with keys sorted alphabetically).
TOP_ORDER = ["Version", "Id", "Statement"]
STATEMENT_ORDER = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
]


def load_model(path: str) -> dict:
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    with gzip.open(path + ".gz", "rt", encoding="utf-8") as f:
        return json.load(f)


def botocore_services() -> dict[str, dict]:
    """IAM prefix -> {"names": [(rank, name)], "actions": set()} from the newest model of
    each botocore service."""
    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    services: dict[str, dict] = defaultdict(lambda: {"names": [], "actions": set()})
    for service in sorted(os.listdir(data)):
        service_dir = os.path.join(data, service)
        if not os.path.isdir(service_dir):
            continue
        versions = sorted(v for v in os.listdir(service_dir) if os.path.isdir(os.path.join(service_dir, v)))
        if not versions:
            continue
        model_path = os.path.join(service_dir, versions[-1], "service-2.json")
        if not (os.path.exists(model_path) or os.path.exists(model_path + ".gz")):
            continue
        model = load_model(model_path)
        metadata = model["metadata"]
        signing = metadata.get("signingName") or metadata["endpointPrefix"]
        if signing in NOT_IAM_ACTIONS:
            continue
        prefix = PREFIX_OVERRIDES.get(signing, signing).lower()
        entry = services[prefix]
        # The model that is the service itself names it best: its directory or endpoint
        # is the prefix (s3 over s3control, sagemaker over sagemaker-runtime).
        rank = (
            service != prefix,
            metadata["endpointPrefix"] != prefix,
            len(metadata["serviceFullName"]),
            metadata["serviceFullName"],
        )
        entry["names"].append((rank, metadata["serviceFullName"]))
        entry["actions"].update(model["operations"].keys())
    return services


def managed_policies() -> dict[str, dict]:
    return json.loads(aws_managed_policies_data)


def statements(document: dict) -> list[dict]:
    statement = document.get("Statement", [])
    return [statement] if isinstance(statement, dict) else statement


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def managed_policy_actions(policies: dict[str, dict]) -> dict[str, Counter]:
    """IAM prefix (lower case) -> Counter of concrete action names as written."""
    actions: dict[str, Counter] = defaultdict(Counter)
    for policy in policies.values():
        for statement in statements(policy["Document"]):
            for key in ("Action", "NotAction"):
                for action in strings(statement.get(key)):
                    prefix, sep, name = action.partition(":")
                    if not sep or not name or "*" in action or "?" in action:
                        continue
                    actions[prefix.lower()][name] += 1
    return actions


def build_actions(policies: dict[str, dict]) -> dict:
    services = botocore_services()
    from_policies = managed_policy_actions(policies)
    catalog = []
    for prefix in sorted(set(services) | set(from_policies)):
        entry = services.get(prefix)
        # IAM action names are case-insensitive: one entry per name, spelled as botocore
        # spells it, else as the managed policies most often do.
        by_lower: dict[str, str] = {}
        if entry:
            for name in sorted(entry["actions"]):
                by_lower.setdefault(name.lower(), name)
        counts = from_policies.get(prefix, Counter())
        for name in sorted(counts, key=lambda n: (-counts[n], n)):
            by_lower.setdefault(name.lower(), name)
        if entry and entry["names"]:
            name = min(entry["names"])[1]
        else:
            name = prefix
        catalog.append(
            {
                "prefix": prefix,
                "name": NAME_OVERRIDES.get(prefix, name),
                "actions": sorted(by_lower.values(), key=lambda a: (a.lower(), a)),
            }
        )
    return {"source": SOURCE, "services": catalog}


def ordered(mapping: dict, order: list[str]) -> dict:
    known = [k for k in order if k in mapping]
    rest = [k for k in mapping if k not in order]
    return {k: mapping[k] for k in known + rest}


def laid_out(document: dict) -> dict:
    document = ordered(document, TOP_ORDER)
    statement = document.get("Statement")
    if isinstance(statement, dict):
        document["Statement"] = ordered(statement, STATEMENT_ORDER)
    elif isinstance(statement, list):
        document["Statement"] = [
            ordered(s, STATEMENT_ORDER) if isinstance(s, dict) else s for s in statement
        ]
    return document


def build_policies(policies: dict[str, dict]) -> list[dict]:
    result = []
    for name in sorted(policies):
        policy = policies[name]
        path = policy.get("Path", "/")
        result.append(
            {
                "name": name,
                "arn": f"arn:aws:iam::aws:policy{path}{name}",
                "path": path,
                "description": policy.get("Description", ""),
                "document": laid_out(policy["Document"]),
            }
        )
    return result


def dump(value) -> bytes:
    return (json.dumps(value, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate in memory and exit 1 if the committed files differ",
    )
    args = parser.parse_args()
    policies = managed_policies()
    outputs = {
        ACTIONS_FILE: dump(build_actions(policies)),
        POLICIES_FILE: dump(build_policies(policies)),
    }
    if args.check:
        stale = []
        for path, content in outputs.items():
            try:
                with open(path, "rb") as f:
                    current = f.read()
            except FileNotFoundError:
                current = None
            if current != content:
                stale.append(os.path.relpath(path, ROOT))
        if stale:
            print(
                f"gen_aws_catalogs: {', '.join(stale)} differ from what {SOURCE} generates; "
                "run scripts/gen_aws_catalogs.py with the venv's Python and commit the result",
                file=sys.stderr,
            )
            return 1
        print(f"gen_aws_catalogs: catalogs match {SOURCE}")
        return 0
    for path, content in outputs.items():
        with open(path, "wb") as f:
            f.write(content)
        print(f"wrote {os.path.relpath(path, ROOT)} ({len(content):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
