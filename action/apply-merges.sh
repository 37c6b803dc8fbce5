# Sourced by run.sh (apply with reviewed: auto): apply every merged pull request not applied yet, oldest
# first, each one's reviewed plan against the configuration at its own merge commit (apply --expect).
#
# GitHub keeps one pending run per concurrency group and a newer pending run cancels the older one, so
# the run of a merge may never happen: each run therefore catches up every merge since the last applied
# one (`tatango-iac ci pending-merges`, tested in Python). The record is a commit status on each merge
# commit (context tatango-apply[/ACCOUNT]): success once its reviewed plan is in the account. A merge that
# cannot be applied gets a comment on its pull request and the status failure, and the run stops there
# (the later merges build on it: they get a "waiting" comment and status, and the next run tries again).

context="tatango-apply${TATANGO_ARTIFACT_ACCOUNT:+/$TATANGO_ARTIFACT_ACCOUNT}"

# The commit status that records what happened to a merge. Losing it only costs a re-check next run
# (an applied merge is then found "already applied"), so a failure to set it is a warning.
record() {
  gh api --method POST "repos/$repo/statuses/$1" -f state="$2" -f context="$context" -f description="$3" \
    --silent >&2 || echo "::warning::could not record '$2' on $1 (the next run checks it again)" >&2
}

comment_waiting() {  # $1: this pull request, $2: what it waits for
  {
    echo "### tatango-iac apply: waiting"
    echo
    echo "This pull request is merged but **not applied yet**: $2, merged before it, could not be applied"
    echo "(see the comment there), and merges are applied in order. The next apply run tries again from"
    echo "there; to leave that merge out and apply this one, run the apply workflow with pull-request: $1."
  } > "$out/waiting-comment.md"
  gh pr comment "$1" --repo "$repo" --body-file "$out/waiting-comment.md" >&2 || true
}

# The configuration as it was at a merge commit: a detached worktree; each path under it.
merge_paths=()
checkout_merge() {
  local dir="$out/merges/$1" prefix p
  prefix="$(git rev-parse --show-prefix)" || return 1
  rm -rf "$dir"
  git worktree add --quiet --detach "$dir" "$1" >&2 || return 1
  merge_paths=()
  for p in "${paths[@]}"; do
    case "$p" in
      /*) problem "reviewed: auto needs paths relative to the repository, not $p"; return 1 ;;
      *) merge_paths+=("$dir/$prefix$p") ;;
    esac
  done
}

drop_merge() { git worktree remove --force "$out/merges/$1" >&2 2>/dev/null || rm -rf "$out/merges/$1"; }

# One merge of the queue: its reviewed plan, its destroy label, apply --expect at its merge commit.
apply_merge() {
  local sha="$1" code
  echo "::group::#$pr (merge $sha)" >&2
  echo "### #$pr" >> "$summary"
  destroy_approved=false
  label_outdated=false
  find_reviewed_plan || { echo "::endgroup::" >&2; return 1; }
  if [ -n "${TATANGO_DESTROY_LABEL:-}" ]; then
    read_destroy_label || { echo "::endgroup::" >&2; return 1; }
    # The label approves the plan it was added to (run.sh): a later push's destructive actions are refused.
    if [ "$destroy_approved" = true ]; then bind_label_to_labelled_plan || { echo "::endgroup::" >&2; return 1; }; fi
  fi
  checkout_merge "$sha" || { problem "could not check out the merge $sha of #$pr"; drop_merge "$sha"; return 1; }
  apply_once "${merge_paths[@]}"
  code=$?
  drop_merge "$sha"
  echo "::endgroup::" >&2
  return "$code"
}

apply_merges() {
  [ -n "$repo" ] || fail "reviewed: auto needs GITHUB_REPOSITORY"
  local queue=() line sha number state code blocked="" waiting=() start=()
  [ -n "$pr" ] && start=(--pull-request "$pr")
  publish partial false  # outputs the workflow reads, whatever happens below
  publish pull-request "$pr"
  mapfile -t queue < <(tatango-iac ci pending-merges --repository "$repo" --context "$context" "${start[@]}" \
    "${paths[@]}"; echo "exit=$?")
  [ "${queue[-1]}" = "exit=0" ] || fail "could not find the merges to apply (see above)"
  unset 'queue[-1]'
  if [ "${#queue[@]}" -eq 0 ]; then
    echo "Already applied: every merge of the configuration is recorded as applied. Nothing was changed." >&2
    echo "Already applied: every merge is recorded as applied." >> "$summary"
    return 0
  fi
  for line in "${queue[@]}"; do
    IFS=$'\t' read -r sha number state <<< "$line"
    [ "$number" = - ] && number=""
    if [ -n "$blocked" ]; then  # order matters: nothing is applied past a merge that was not
      waiting+=("${number:+#}${number:-$sha}")
      if [ -n "$number" ]; then
        record "$sha" pending "waiting for $blocked"
        [ "$state" != pending ] && comment_waiting "$number" "$blocked"
      fi
      continue
    fi
    if [ -z "$number" ]; then
      problem "no pull request was merged as $sha: there is no reviewed plan to apply" || true
      record "$sha" failure "pushed without a pull request: no reviewed plan"
      blocked="$sha"
      continue
    fi
    pr="$number"
    check_pr "$pr"
    apply_merge "$sha"
    code=$?
    case "$code" in
      0) record "$sha" success "applied #$pr as reviewed" ;;
      3) return 3 ;;  # partial: the workflow starts the next run, which goes on from this merge
      *)
        record "$sha" failure "#$pr was not applied (see its comment)"
        comment_on_pr
        blocked="#$pr"
        ;;
    esac
  done
  [ -z "$blocked" ] && return 0
  echo "::error::$blocked could not be applied${waiting[0]:+; not applied after it: ${waiting[*]}}" >&2
  { echo; echo "**Stopped at $blocked**${waiting[0]:+; waiting behind it: ${waiting[*]}}"; } >> "$summary"
  return 1
}
