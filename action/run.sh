#!/usr/bin/env bash
# The GitHub Action's step (action.yml): run one tatango-iac command and publish what it made.
# Inputs arrive as TATANGO_* environment variables. Outputs go to $GITHUB_OUTPUT, the plan to
# $GITHUB_STEP_SUMMARY (the full plan, where a PR comment may be truncated) and to $TATANGO_OUT; an
# apply's result (each action: verified, applied, uncertain or not applied) to the job summary and
# $TATANGO_OUT/apply.json.
set -uo pipefail

out="${TATANGO_OUT:-${RUNNER_TEMP:-$PWD}/tatango}"
mkdir -p "$out"
# paths and args: one item per line (a YAML block scalar), so a list name or a path may hold spaces and
# a second line is never dropped. Each line is trimmed; blank lines are skipped; nothing is ever
# evaluated by the shell (no word splitting, no globbing, no $(...)).
lines_of() {
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    [ -n "$line" ] && printf '%s\0' "$line"
  done <<< "$1"
}
mapfile -d '' -t paths < <(lines_of "${TATANGO_PATHS:-tatango/}")
mapfile -d '' -t extra < <(lines_of "${TATANGO_ARGS:-}")
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
outputs="${GITHUB_OUTPUT:-/dev/null}"
repo="${GITHUB_REPOSITORY:-}"
pr="${TATANGO_PR:-}"
reviewed_plan=""
reviewed_run=""
artifact_name=""

publish() { echo "$1=$2" >> "$outputs"; }
fail() { echo "::error::$1" >&2; publish exitcode 1; exit 1; }
# A pull-request number reaches gh api paths: only digits, checked before any call.
check_pr() { [[ "$1" =~ ^[1-9][0-9]{0,9}$ ]] || fail "pull-request must be a pull request number (digits), not '$1'"; }
[ -n "$pr" ] && check_pr "$pr"

# apply with reviewed: auto -> the plan reviewed in pull request $pr (a merge of the queue, apply-merges.sh).
# A problem is written to $out/apply.err and returned (1): the caller comments on that pull request.
problem() { printf 'Error: %s\n' "$1" | tee "$out/apply.err" >&2; return 1; }
find_reviewed_plan() {
  local head found run_id run_sha name dir
  reviewed_plan=""
  # Several accounts in one repository: each account's reviewed plan is its own artifact.
  name="tatango-plan-pr-$pr${TATANGO_ARTIFACT_ACCOUNT:+-$TATANGO_ARTIFACT_ACCOUNT}"
  dir="$out/reviewed-$pr"
  head="$(gh api "repos/$repo/pulls/$pr" --jq '.head.sha')" || { problem "could not read pull request #$pr"; return 1; }
  found="$(gh api "repos/$repo/actions/artifacts?name=$name&per_page=1" \
    --jq '.artifacts[0] | "\(.workflow_run.id) \(.workflow_run.head_sha)"')" || { problem "could not list artifacts"; return 1; }
  run_id="${found%% *}"
  run_sha="${found##* }"
  [ -n "$run_id" ] && [ "$run_id" != "null" ] || { problem "no reviewed plan (artifact $name) for #$pr"; return 1; }
  [ "$run_sha" = "$head" ] ||
    { problem "the last plan of #$pr was made for $run_sha, not for its last commit $head"; return 1; }
  rm -rf "$dir"
  gh run download "$run_id" --repo "$repo" --name "$name" --dir "$dir" >&2 ||
    { problem "could not download the reviewed plan of #$pr"; return 1; }
  [ -f "$dir/plan.json" ] || { problem "the reviewed plan of #$pr has no plan.json (the plan failed?)"; return 1; }
  reviewed_plan="$dir/plan.json"
  reviewed_run="$run_id"
  artifact_name="$name"
}

# destroy-label: the destructive actions of a reviewed plan are approved by this label on its pull
# request, read now (at apply time), never by a standing allow-destroy in the workflow. The label only
# ever accompanies --expect: the fresh plan must have exactly the reviewed plan's actions (destructive
# ones included), so it authorises those and no other.
destroy_approved=false
read_destroy_label() {
  local labels
  destroy_approved=false
  labels="$(gh api "repos/$repo/issues/$pr/labels" --jq '.[].name')" ||
    { problem "could not read the labels of pull request #$pr"; return 1; }
  if grep -qxF -- "$TATANGO_DESTROY_LABEL" <<< "$labels"; then destroy_approved=true; fi
}

# The label approves the plan shown when it was added, not later pushes: a push after the label re-plans the
# pull request, and a destructive action of that (reviewed) plan which the labelled plan did not hold, with the
# same digests, is refused before any call, named, with "re-apply the label" (tatango_iac/approval.py).
label_outdated=false
bind_label_to_labelled_plan() {
  local labelled at run
  gh api --paginate "repos/$repo/issues/$pr/events" > "$out/label-events.json" ||
    { problem "could not read the events of pull request #$pr (when was the label added?)"; return 1; }
  labelled="$(python -m tatango_iac.approval label-time "$out/label-events.json" "$TATANGO_DESTROY_LABEL")"
  gh api "repos/$repo/actions/artifacts?name=$artifact_name&per_page=100" > "$out/plans.json" ||
    { problem "could not list the plans of #$pr"; return 1; }
  at="$(python -m tatango_iac.approval plan-at "$out/plans.json" "$labelled")"
  run="${at%% *}"
  [ -n "$run" ] && [ "$run" = "$reviewed_run" ] && return 0  # labelled after the reviewed plan was made
  local approved=""
  rm -rf "$out/approved"
  if [ -n "$run" ]; then
    gh run download "$run" --repo "$repo" --name "$artifact_name" --dir "$out/approved" >&2 ||
      { problem "could not download the plan of #$pr that was labelled"; return 1; }
    approved="$out/approved/plan.json"
  fi
  local missing
  missing="$(python -m tatango_iac.approval unapproved "$reviewed_plan" "$approved")" && return 0
  destroy_approved=false
  label_outdated=true
  local when="at ${labelled:-an unknown time}, before any plan of #$pr was made"
  [ -n "$run" ] && when="at $labelled, to the plan made at ${at#* }; a later push changed the plan"
  {
    echo "Error: the label $TATANGO_DESTROY_LABEL was added to #$pr $when. It approves the destructive"
    echo "actions of the plan it was added to, and these of the reviewed plan were not in it:"
    echo "$missing"
    echo "Nothing was changed. Review the plan comment, then re-apply the label (remove it and add it again)"
    echo "and run the apply workflow again with pull-request: $pr."
  } > "$out/apply.err"
  cat "$out/apply.err" >&2
  rm -f "$out/apply.json"
  return 1  # the caller (apply-merges.sh) comments on the pull request and stops the queue here
}

# Whether the reviewed plan holds destructive actions (the comment then says how to approve them).
reviewed_is_destructive() {
  [ -n "$reviewed_plan" ] && python - "$reviewed_plan" <<'PY'
import json, sys
actions = json.load(open(sys.argv[1])).get("actions") or []
sys.exit(0 if any(isinstance(a, dict) and a.get("destructive") for a in actions) else 1)
PY
}

comment_on_pr() {
  [ -n "$pr" ] && [ -n "$repo" ] || return 0
  {
    echo "### tatango-iac apply did not complete"
    echo
    echo "The merge of this pull request was not applied as reviewed; nothing after the point below was changed."
    echo
    echo '```'
    tail -n 40 "$out/apply.err"
    echo '```'
    if [ "$label_outdated" = true ]; then
      echo
      echo "**The label \`$TATANGO_DESTROY_LABEL\` approved an earlier plan of this pull request.** To approve the"
      echo "destructive actions named above, re-apply the label (remove it and add it again) after reading the"
      echo "plan comment, then run the apply workflow again with pull-request: $pr."
    elif [ -n "${TATANGO_DESTROY_LABEL:-}" ] && [ "$destroy_approved" = false ] && reviewed_is_destructive; then
      echo
      echo "**To approve the destructive actions of the reviewed plan** (listed above): add the label"
      echo "\`$TATANGO_DESTROY_LABEL\` to this pull request, then run the apply workflow again with this pull"
      echo "request's number (Actions, *tatango apply*, *Run workflow*, pull-request: $pr). The label approves"
      echo "exactly the reviewed plan's actions: if the account or the configuration changed since the review,"
      echo "the apply is still refused."
    fi
  } > "$out/apply-comment.md"
  gh pr comment "$pr" --repo "$repo" --body-file "$out/apply-comment.md" >&2 || true
}

# One apply of PATH... with $reviewed_plan (--expect) or without (--auto-approve); its result goes to the
# job summary and the outputs. Returns the tool's exit code.
apply_once() {
  local args=(apply) code
  [ "${TATANGO_ALLOW_DESTROY:-false}" = "true" ] && args+=(--allow-destroy)
  [ "${TATANGO_ALLOW_BULK:-false}" = "true" ] && args+=(--allow-bulk)
  # The label is consulted only for the reviewed plan of a pull request (reviewed: auto).
  [ "$destroy_approved" = true ] && args+=(--allow-destroy)
  if [ -n "$reviewed_plan" ]; then args+=(--expect "$reviewed_plan"); else args+=(--auto-approve); fi
  [ -n "${TATANGO_MAX_TIME:-}" ] && args+=(--max-time "$TATANGO_MAX_TIME")
  # stdout: the result document (one entry per action); stderr: the text for people, kept for a comment.
  rm -f "$out/apply.json"
  tatango-iac "${args[@]}" --format json "${extra[@]}" "$@" > "$out/apply.json" 2> >(tee "$out/apply.err" >&2)
  code=$?
  wait  # for tee
  python -m tatango_iac.cli.apply_summary "$out/apply.json" "$out/apply.err" >> "$summary" ||
    echo "::warning::could not write the apply result to the job summary" >&2
  publish result-json "$out/apply.json"
  # 3: stopped cleanly at --max-time with the rest still to apply: the workflow starts the next run.
  publish partial "$([ "$code" -eq 3 ] && echo true || echo false)"
  publish pull-request "$pr"
  return "$code"
}

publish dir "$out"
on_drift="${TATANGO_ON_DRIFT:-fail}"
reported=1
case "$on_drift" in
  fail | issue | pull-request) ;;
  *) fail "on-drift must be fail, issue or pull-request, not '$on_drift'" ;;
esac
case "${TATANGO_COMMAND:-}" in
  validate)
    tatango-iac validate --format "${TATANGO_FORMAT:-github}" "${extra[@]}" "${paths[@]}"
    code=$?
    ;;
  plan)
    scope=()
    [ -n "${TATANGO_CHANGED_SINCE:-}" ] && scope=(--changed-since "$TATANGO_CHANGED_SINCE")
    rm -f "$out/plan.json" "$out/plan.md" "$out/plan.txt"
    tatango-iac plan --detailed-exitcode --format markdown --out "$out/plan.json" "${scope[@]}" "${extra[@]}" \
      "${paths[@]}" > "$out/plan.md"
    code=$?
    if [ -f "$out/plan.json" ]; then
      tatango-iac show "$out/plan.json" > "$out/plan.txt"
      tatango-iac show --format markdown --full "$out/plan.json" >> "$summary"
    else
      cat "$out/plan.md" >> "$summary"
    fi
    publish plan-json "$out/plan.json"
    publish plan-markdown "$out/plan.md"
    publish plan-text "$out/plan.txt"
    ;;
  apply)
    if [ "${TATANGO_REVIEWED:-}" = auto ]; then
      # Every merged pull request not applied yet, oldest first, each as reviewed (apply-merges.sh).
      source "$(dirname "${BASH_SOURCE[0]}")/apply-merges.sh"
      apply_merges
      code=$?
    else
      [ -n "${TATANGO_REVIEWED:-}" ] && reviewed_plan="$TATANGO_REVIEWED"
      apply_once "${paths[@]}"
      code=$?
      [ "$code" -ne 0 ] && [ "$code" -ne 3 ] && comment_on_pr
    fi
    ;;
  drift)
    tatango-iac plan --detailed-exitcode --drift --out "$out/drift.json" "${extra[@]}" "${paths[@]}" \
      | tee "$out/drift.txt"
    code=${PIPESTATUS[0]}
    { echo '```'; cat "$out/drift.txt"; echo '```'; } >> "$summary"
    [ "$code" -eq 2 ] && echo "::warning::Drift: the live account differs from git (see the job summary)"
    if [ "$code" -eq 2 ] && [ "$on_drift" != fail ]; then  # one issue or pull request per drifted list
      bash "$(dirname "${BASH_SOURCE[0]}")/drift-report.sh" "$on_drift" "$out/drift.json" "$out" "${paths[@]}" \
        | tee "$out/reported.txt"
      reported=${PIPESTATUS[0]}
      { echo; echo '```'; cat "$out/reported.txt"; echo '```'; } >> "$summary"
    fi
    ;;
  doctor)
    tatango-iac doctor "${extra[@]}"
    code=$?
    ;;
  *)
    fail "unknown command '${TATANGO_COMMAND:-}' (validate, plan, apply, drift or doctor)"
    ;;
esac
publish exitcode "$code"
# A plan with changes (2) is what a pull request is for; only an error fails the step. Drift (2) fails
# the nightly job on purpose: that is its alert.
if [ "${TATANGO_COMMAND}" = "plan" ] && [ "$code" -eq 2 ]; then exit 0; fi
# With on-drift issue or pull-request, the issue or pull request of each drifted list is the alert: the job
# succeeds once every one was opened or updated, and fails if one could not be.
if [ "${TATANGO_COMMAND}" = "drift" ] && [ "$code" -eq 2 ] && [ "$on_drift" != fail ]; then exit "$reported"; fi
# A partial apply (3) is not a failure: the apply workflow chains the next run on the partial output.
if [ "${TATANGO_COMMAND}" = "apply" ] && [ "$code" -eq 3 ]; then exit 0; fi
exit "$code"
