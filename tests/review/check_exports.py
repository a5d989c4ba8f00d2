"""Reads Astro Identity's exports with the reviewers' own tools and compares them to the plan.

    check_exports.py MANIFEST.json

The manifest lists checks, each {"kind", "file", "expected"}:
    terraform-aws   expected {"trust": {...}, "providers": [...], "managed": [...], "inline": {...}, "imported": [...]}
    terraform-gcp   expected [{"resource", "role", "member", "condition"}, ...]
    gcloud          expected as terraform-gcp
    cloudformation  expected {"trust": {...}, "providers": [...]}

Terraform is parsed by python-hcl2, CloudFormation linted by cfn-lint and read with its own
YAML loader, gcloud lines split by shlex (a POSIX shell lexer) and their flags read as gcloud
reads them. Prints "ok N" and exits 0 when everything matches; otherwise names the file and
what differs, and exits 1.
"""

import json
import shlex
import sys
from pathlib import Path

import hcl2


CURRENT = {"file": None}


def fail(message):
    print(f"MISMATCH in {CURRENT['file']}: {message}", file=sys.stderr)
    sys.exit(1)


def unquote(value):
    """python-hcl2 keeps string literals quoted and escaped: decode them as HCL does."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return json.loads(value).replace("$${", "${").replace("%%{", "%{")
    return value


def hcl_value(value):
    if isinstance(value, dict):
        return {unquote(k): hcl_value(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [hcl_value(v) for v in value]
    return unquote(value)


def jsonencode_argument(expression):
    """`${jsonencode(<object>)}` → the object, parsed by HCL again."""
    prefix, suffix = "${jsonencode(", ")}"
    if not (expression.startswith(prefix) and expression.endswith(suffix)):
        fail(f"not a jsonencode(...) expression: {expression[:80]}")
    parsed = hcl2.loads("value = " + expression[len(prefix):-len(suffix)])
    return hcl_value(parsed["value"])


def resources(tree, kind):
    out = []
    for block in tree.get("resource", []):
        for key, named in block.items():
            if unquote(key) != kind:
                continue
            for name, body in named.items():
                out.append((unquote(name), body))
    return out


def check_terraform_aws(path, expected):
    tree = hcl2.load(open(path))
    roles = resources(tree, "aws_iam_role")
    if len(roles) != 1:
        fail(f"{len(roles)} aws_iam_role resources, expected 1")
    name, role = roles[0]
    trust = jsonencode_argument(role["assume_role_policy"])
    if trust != expected["trust"]:
        fail(f"trust policy differs:\n{json.dumps(trust, indent=1)}\n!=\n{json.dumps(expected['trust'], indent=1)}")
    providers = sorted(unquote(body["url"]).removeprefix("https://") for _, body in resources(tree, "aws_iam_openid_connect_provider"))
    if providers != sorted(expected.get("providers", [])):
        fail(f"providers {providers} != {expected.get('providers')}")
    managed = sorted(unquote(b["policy_arn"]) for _, b in resources(tree, "aws_iam_role_policy_attachment"))
    if managed != sorted(expected.get("managed", [])):
        fail(f"managed policies {managed} != {expected.get('managed')}")
    inline = {unquote(b["name"]): jsonencode_argument(b["policy"]) for _, b in resources(tree, "aws_iam_role_policy")}
    if inline != expected.get("inline", {}):
        fail(f"inline policies {inline} != {expected.get('inline')}")
    imports = [hcl_value(block) for block in tree.get("import", [])]
    if expected.get("imported") is not None:
        ids = sorted(i["id"] for i in imports)
        if ids != sorted(expected["imported"]):
            fail(f"imports {ids} != {expected['imported']}")


def check_terraform_gcp(path, expected):
    tree = hcl2.load(open(path))
    got = []
    for kind, scope in (("google_project_iam_member", "project"), ("google_service_account_iam_member", "service_account_id")):
        for _, body in resources(tree, kind):
            body = hcl_value(body)
            resource = body[scope]
            if scope == "service_account_id":
                resource = "serviceAccount:" + resource.rsplit("/", 1)[-1]
            else:
                resource = "project:" + resource
            condition = body.get("condition")
            if isinstance(condition, list):
                condition = condition[0] if condition else None
            got.append({"resource": resource, "role": body["role"], "member": body["member"],
                        "condition": normal_condition(condition)})
    compare_grants(got, expected)


def normal_condition(condition):
    if not condition:
        return None
    return {k: condition[k] for k in ("title", "description", "expression") if condition.get(k) is not None}


def compare_grants(got, expected):
    key = lambda g: json.dumps(g, sort_keys=True)
    expected = [dict(g, condition=normal_condition(g.get("condition"))) for g in expected]
    if sorted(map(key, got)) != sorted(map(key, expected)):
        fail(f"grants differ:\n{json.dumps(got, indent=1)}\n!=\n{json.dumps(expected, indent=1)}")


def gcloud_condition(value):
    """--condition as gcloud reads it: KEY=VALUE pairs split at `,`, or at D for `^D^…`."""
    if value == "None":
        return None
    delimiter = ","
    if value.startswith("^"):
        end = value.index("^", 1)
        delimiter, value = value[1:end], value[end + 1:]
    pairs = dict(part.split("=", 1) for part in value.split(delimiter))
    return pairs


def check_gcloud(path, expected):
    got = []
    for line in Path(path).read_text().splitlines():
        if not line.startswith("gcloud "):
            continue
        words = shlex.split(line)
        flags = dict(w[2:].split("=", 1) for w in words if w.startswith("--") and "=" in w)
        positional = [w for w in words[1:] if not w.startswith("--")]
        if positional[:2] == ["projects", "add-iam-policy-binding"]:
            resource = "project:" + positional[2]
        elif positional[:3] == ["iam", "service-accounts", "add-iam-policy-binding"]:
            resource = "serviceAccount:" + positional[3]
        else:
            fail(f"unexpected command: {line}")
        if "condition" not in flags:
            fail(f"no --condition (gcloud would prompt on a policy with conditions): {line}")
        got.append({"resource": resource, "role": flags["role"], "member": flags["member"],
                    "condition": normal_condition(gcloud_condition(flags["condition"]))})
    compare_grants(got, expected)


def check_cloudformation(path, expected):
    from cfnlint.api import lint_all

    text = Path(path).read_text()
    # E3530 judges the trust policy's own principals against cfn-lint's schema; the corpus
    # holds real policies it rejects (an `iam::…:assumed-role` ARN) that IAM accepts, so a
    # check may allow it for a document that was not ours.
    allowed = set(expected.get("allowedRules", []))
    errors = [m for m in lint_all(text) if m.rule.id.startswith("E") and m.rule.id not in allowed]
    if errors:
        fail("cfn-lint found errors:\n" + "\n".join(str(m) for m in errors))
    from cfnlint.decode import decode_str
    template, matches = decode_str(text)
    if matches:
        fail(f"cfn-lint could not read it: {matches}")
    roles = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    trust = json.loads(json.dumps(roles[0]["Properties"]["AssumeRolePolicyDocument"]))
    if trust != expected["trust"]:
        fail(f"trust policy differs:\n{json.dumps(trust, indent=1)}\n!=\n{json.dumps(expected['trust'], indent=1)}")
    providers = sorted(r["Properties"]["Url"].removeprefix("https://")
                       for r in template["Resources"].values() if r["Type"] == "AWS::IAM::OIDCProvider")
    if providers != sorted(expected.get("providers", [])):
        fail(f"providers {providers} != {expected.get('providers')}")


CHECKS = {
    "terraform-aws": check_terraform_aws,
    "terraform-gcp": check_terraform_gcp,
    "gcloud": check_gcloud,
    "cloudformation": check_cloudformation,
}


def main():
    manifest = json.loads(Path(sys.argv[1]).read_text())
    for check in manifest:
        CURRENT["file"] = check["file"]
        if check["kind"] not in CHECKS:
            fail(f"unknown kind {check['kind']}")
        CHECKS[check["kind"]](check["file"], check["expected"])
    print(f"ok {len(manifest)}")


if __name__ == "__main__":
    main()
