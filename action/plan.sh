#!/usr/bin/env bash
# The step action.yml runs: `resolver plan` with the action's inputs (INPUT_* variables), step
# outputs to $GITHUB_OUTPUT, a Markdown report to $GITHUB_STEP_SUMMARY.
#
# The CLI's exit codes keep their meaning: 0 (every image found) and 3 (build needed) are answers,
# so the step succeeds and build-required says which; 2 (invalid input), 4 (AWS could not answer),
# 5 (a gate: vulnerability, retention or signature) and 1 (a bug) fail the step with that code, so
# an ECR outage never turns into "build everything" or "deploy with pre-built images". The outputs,
# the lock among them, are the CLI's own (--output=github: each value in GitHub's delimited form).
#
# Every input reaches the CLI attached to its option (--region=VALUE): no input, whatever it
# holds, can be read as another option (--endpoint-url=... would send the plan's signed AWS calls
# to that host).
set -uo pipefail

resolver="${RESOLVER:-resolver}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
outputs="${GITHUB_OUTPUT:-/dev/stdout}"

escape() { # a workflow command's message: GitHub reads %, CR and LF as escapes
  local text=${1//%/%25}
  text=${text//$'\r'/%0D}
  printf '%s' "${text//$'\n'/%0A}"
}

fail() { # code, message
  echo "::error title=ECR image plan::$(escape "$2")"
  printf '### Image plan failed (exit %s)\n\n```\n%s\n```\n' "$1" "$2" >>"$summary"
  exit "$1"
}

args=(plan --output=github "--summary-file=$summary")
if [[ -n "${INPUT_TEMPLATE:-}" && -n "${INPUT_SPEC:-}" ]]; then
  fail 2 "give the input template or spec, not both"
elif [[ -n "${INPUT_TEMPLATE:-}" ]]; then
  args+=("--template=$INPUT_TEMPLATE")
elif [[ -n "${INPUT_SPEC:-}" ]]; then
  args+=("--spec=$INPUT_SPEC")
else
  fail 2 "give the input template (a CloudFormation/SAM template) or spec (a properties file)"
fi
[[ -n "${INPUT_RESOURCE:-}" ]] && args+=("--resource=$INPUT_RESOURCE")
[[ -n "${INPUT_CONFIG_FILE:-}" ]] && args+=("--config-file=$INPUT_CONFIG_FILE")
[[ -n "${INPUT_CONFIG_ENV:-}" ]] && args+=("--config-env=$INPUT_CONFIG_ENV")

pairs() { # input, its text, option, what a name looks like (a regex), what that is
  local word
  local -a words
  # Separated by spaces or new lines, as sam deploy --parameter-overrides takes them.
  read -r -d '' -a words <<<"$2"
  for word in "${words[@]}"; do
    [[ $word =~ ^$4= ]] || fail 2 "input $1: '$word' is not Name=Value ($5)"
    args+=("$3=$word")
  done
}
pairs parameter-overrides "${INPUT_PARAMETER_OVERRIDES:-}" --parameter-overrides \
  '[A-Za-z0-9]+' "parameter names are letters and digits, e.g. GitSha=3f9a1c2e"
pairs imports "${INPUT_IMPORTS:-}" --import \
  '[A-Za-z0-9][^=]*' "an export name starts with a letter or digit"
[[ -n "${INPUT_REGION:-}" ]] && args+=("--region=$INPUT_REGION")
[[ -n "${INPUT_ACCOUNT_ID:-}" ]] && args+=("--account-id=$INPUT_ACCOUNT_ID")
[[ -n "${INPUT_ENDPOINT_URL:-}" ]] && args+=("--endpoint-url=$INPUT_ENDPOINT_URL")
[[ -n "${INPUT_WAIT:-}" ]] && args+=("--wait=$INPUT_WAIT")

errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
"$resolver" "${args[@]}" >>"$outputs" 2>"$errors"
code=$?
cat "$errors" >&2
case $code in
  0 | 3) exit 0 ;;
esac
# The CLI's one line ("resolver: ..."), or argparse's ("resolver plan: error: ...", after usage).
message="$(grep -E '^resolver( [a-z]+)?: ' "$errors" | tail -n 1)"
[[ -n "$message" ]] || message="resolver plan exited $code: $(tail -n 1 "$errors")"
fail "$code" "$message"
