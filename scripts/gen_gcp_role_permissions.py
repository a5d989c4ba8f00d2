#!/usr/bin/env python3
"""Regenerates crates/domain/data/gcp-role-permissions.txt, the offline role -> permissions
data, from a checkout of the public iann0036/iam-dataset repository (MIT; its gcp/roles/*.json
are `gcloud iam roles describe` output). Usage:

    scripts/gen_gcp_role_permissions.py PATH/TO/iam-dataset

Format (compact: 2,400 roles hold about 14,000 permissions, owner alone 13,500):
    every permission, one per line, sorted
    an empty line
    one line per role: the role name, then a tab and the hexadecimal line number (0-based)
    of each of its permissions, tab-separated
"""

import json
import sys
from pathlib import Path


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    roles = {}
    for path in sorted(Path(sys.argv[1], "gcp", "roles").glob("*.json")):
        role = json.loads(path.read_text(encoding="utf-8"))
        roles[role["name"]] = sorted(role.get("includedPermissions", []))
    permissions = sorted({p for ps in roles.values() for p in ps})
    index = {p: i for i, p in enumerate(permissions)}
    lines = ["\t".join([name] + [format(index[p], "x") for p in ps]) for name, ps in sorted(roles.items())]
    out = Path(__file__).resolve().parent.parent / "crates/domain/data/gcp-role-permissions.txt"
    out.write_text("\n".join(permissions) + "\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(roles)} roles, {len(permissions)} permissions -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
