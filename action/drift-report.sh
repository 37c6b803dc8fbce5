#!/usr/bin/env bash
# The drift job's report, one per drifted list (the action's input on-drift; called by run.sh):
#   issue         open one GitHub issue per drifted list, or update the open one (found by its exact title);
#   pull-request  open one pull request per drifted list that adopts the web UI's values with
#                 `tatango-iac pull --list NAME` (branch tatango-drift/<list>, updated each night); a list pull
#                 cannot adopt (missing from the account, a disabled webhook, a changed ${SECRET}) gets an issue.
# Usage: drift-report.sh MODE DRIFT_JSON OUT_DIR PATH... (gh authenticated; for pull requests, a pushable checkout)
set -uo pipefail

mode="$1" drift_json="$2" out="$3"
shift 3
paths=("$@")
repo="${GITHUB_REPOSITORY:?the drift report needs GITHUB_REPOSITORY}"
base="${TATANGO_BASE:-${GITHUB_REF_NAME:-main}}"
run_url="${GITHUB_SERVER_URL:-https://github.com}/$repo/actions/runs/${GITHUB_RUN_ID:-0}"
py="$(dirname "$(command -v tatango-iac)")/python"  # the tool's own interpreter: JSON without jq
failed=0

drifted_lists() {  # NUL-separated: a list name may hold any character
  "$py" -c 'import json, sys
for name in json.load(open(sys.argv[1]))["drift"]["lists"]:
    sys.stdout.write(name + "\0")' "$drift_json"
}

open_issue_number() {  # the open issue whose title is exactly $1, if any
  gh issue list --repo "$repo" --state open --search "tatango drift in:title" --limit 200 --json number,title \
    > "$out/issues.json" || return 1
  "$py" -c 'import json, sys
found = [i["number"] for i in json.load(open(sys.argv[1])) if i["title"] == sys.argv[2]]
print(found[0] if found else "")' "$out/issues.json" "$1"
}

body_for() {  # $1 list name, $2 file to write, $3 extra text (may be empty)
  {
    echo "<!-- tatango-iac drift report -->"
    tatango-iac show --drift --list "$1" --format markdown "$drift_json"
    [ -n "$3" ] && printf '\n%s\n' "$3"
    echo
    echo "Resolve it either way: apply the configuration (git wins), or take the live values into the YAML with"
    echo "\`tatango-iac pull --list NAME PATH\` (the account wins). Found by the nightly drift check: $run_url"
  } > "$2"
}

report_issue() {  # $1 list name, $2 extra text
  local title="tatango drift: list \"$1\"" number
  body_for "$1" "$out/issue.md" "$2"
  number="$(open_issue_number "$title")" || { echo "::error::could not list the issues of $repo" >&2; return 1; }
  if [ -n "$number" ]; then
    gh issue edit "$number" --repo "$repo" --body-file "$out/issue.md" >&2 && echo "updated issue #$number: $title"
  else
    gh issue create --repo "$repo" --title "$title" --body-file "$out/issue.md" >&2 && echo "opened an issue: $title"
  fi
}

report_pull_request() {  # $1 list name
  local name="$1" slug branch start adopted log="$out/pull.log"
  slug="$(printf '%s' "$name" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9' '-' | tr -s '-' | sed 's/^-//; s/-$//' | cut -c1-60)"
  branch="tatango-drift/${slug:-list}"
  start="$(git rev-parse HEAD)"
  git checkout -q -B "$branch" "$start" || return 1
  tatango-iac pull --list "$name" "${paths[@]}" > "$log" 2>&1
  adopted=$?
  if [ "$adopted" -ne 0 ] || git diff --quiet -- "${paths[@]}"; then
    git checkout -q -- "${paths[@]}" 2>/dev/null
    git checkout -q --detach "$start"
    report_issue "$name" "$(printf 'tatango-iac pull could not adopt this change:\n\n```\n%s\n```' "$(cat "$log")")"
    return
  fi
  git add -A -- "${paths[@]}" &&
    git -c user.name="github-actions[bot]" -c user.email="41898233+github-actions[bot]@users.noreply.github.com" \
      commit -q -m "Adopt the web UI's changes to list \"$name\" (tatango-iac pull)" &&
    git push -q --force origin "$branch" || { git checkout -q --detach "$start"; return 1; }
  git checkout -q --detach "$start"
  body_for "$name" "$out/pr.md" "$(printf 'This pull request takes the live values into the files with `tatango-iac pull --list`; merging it makes git match the account (the next plan has nothing to apply for this list).\n\n```\n%s\n```' "$(cat "$log")")"
  local number
  number="$(gh pr list --repo "$repo" --head "$branch" --state open --json number --jq '.[0].number // empty')" ||
    return 1
  if [ -n "$number" ]; then
    gh pr edit "$number" --repo "$repo" --body-file "$out/pr.md" >&2 && echo "updated pull request #$number ($branch)"
  else
    gh pr create --repo "$repo" --base "$base" --head "$branch" --title "Adopt the web UI's changes to list \"$name\"" \
      --body-file "$out/pr.md" >&2 && echo "opened a pull request from $branch"
  fi
}

while IFS= read -r -d '' name; do
  case "$mode" in
    issue) report_issue "$name" "" || failed=1 ;;
    pull-request) report_pull_request "$name" || failed=1 ;;
    *) echo "::error::on-drift must be fail, issue or pull-request, not '$mode'" >&2; exit 1 ;;
  esac
done < <(drifted_lists)
exit "$failed"
