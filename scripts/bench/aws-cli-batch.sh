#!/usr/bin/env bash
# The batch change as a user would script it with the AWS CLI: for each Deployment, read the
# role's trust policy, add the Deployment's ARN to the statement's AWS principal with jq, and
# write the policy back. `make bench` times it against `astro-identity-cli aws apply`.
# Input on stdin: one "ROLE ARN" pair per line. Uses the `aws` on PATH and the AWS_* variables.
set -euo pipefail
while read -r role arn; do
  doc=$(aws iam get-role --role-name "$role" --query Role.AssumeRolePolicyDocument --output json)
  new=$(jq -c --arg arn "$arn" \
    '.Statement[0].Principal.AWS |= ([.] | flatten | if index([$arn]) then . else . + [$arn] end)' \
    <<<"$doc")
  aws iam update-assume-role-policy --role-name "$role" --policy-document "$new"
done
