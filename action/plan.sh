#!/usr/bin/env bash
# The step action.yml runs: `resolver plan` with the action's inputs (INPUT_* variables), step
# outputs to $GITHUB_OUTPUT, a Markdown report to $GITHUB_STEP_SUMMARY.
#
# The CLI's exit codes keep their meaning: 0 (every image found) and 3 (build needed) are answers,
# so the step succeeds and build-required says which; 2 (invalid input), 4 (AWS could not answer),
# 5 (vulnerability gate) and 1 (a bug) fail the step with that code, so an ECR outage never turns
# into "build everything" or "deploy with pre-built images".
set -uo pipefail

resolver="${RESOLVER:-resolver}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
outputs="${GITHUB_OUTPUT:-/dev/stdout}"

fail() { # code, message
  echo "::error title=ECR image plan::$2"
  printf '### Image plan failed (exit %s)\n\n```\n%s\n```\n' "$1" "$2" >>"$summary"
  exit "$1"
}

args=(plan --output github --summary-file "$summary")
if [[ -n "${INPUT_TEMPLATE:-}" && -n "${INPUT_SPEC:-}" ]]; then
  fail 2 "give the input template or spec, not both"
elif [[ -n "${INPUT_TEMPLATE:-}" ]]; then
  args+=(--template "$INPUT_TEMPLATE")
elif [[ -n "${INPUT_SPEC:-}" ]]; then
  args+=(--spec "$INPUT_SPEC")
else
  fail 2 "give the input template (a CloudFormation/SAM template) or spec (a properties file)"
fi
[[ -n "${INPUT_RESOURCE:-}" ]] && args+=(--resource "$INPUT_RESOURCE")
[[ -n "${INPUT_CONFIG_FILE:-}" ]] && args+=(--config-file "$INPUT_CONFIG_FILE")
[[ -n "${INPUT_CONFIG_ENV:-}" ]] && args+=(--config-env "$INPUT_CONFIG_ENV")
# K=V pairs separated by spaces or new lines, as sam deploy --parameter-overrides takes them.
read -r -d '' -a overrides <<<"${INPUT_PARAMETER_OVERRIDES:-}"
((${#overrides[@]})) && args+=(--parameter-overrides "${overrides[@]}")
read -r -d '' -a imports <<<"${INPUT_IMPORTS:-}"
((${#imports[@]})) && args+=(--import "${imports[@]}")
[[ -n "${INPUT_REGION:-}" ]] && args+=(--region "$INPUT_REGION")
[[ -n "${INPUT_ACCOUNT_ID:-}" ]] && args+=(--account-id "$INPUT_ACCOUNT_ID")
[[ -n "${INPUT_ENDPOINT_URL:-}" ]] && args+=(--endpoint-url "$INPUT_ENDPOINT_URL")
[[ -n "${INPUT_WAIT:-}" ]] && args+=(--wait "$INPUT_WAIT")

errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
"$resolver" "${args[@]}" >>"$outputs" 2>"$errors"
code=$?
cat "$errors" >&2
case $code in
  0 | 3) exit 0 ;;
  *) fail "$code" "$(grep '^resolver: ' "$errors" | tail -n 1 || echo "resolver plan exited $code")" ;;
esac
