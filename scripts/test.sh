#!/usr/bin/env bash
# Run the project's tests: lint, sanity, units, molecule, integration.
# `scripts/test.sh STAGE...` runs only the named stages.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
venv=${OOO_VENV:-$top/.venv}
export PATH="$venv/bin:$PATH"
export ANSIBLE_CONFIG="$top/ansible.cfg"
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(lint sanity units molecule integration)

declare -A outcome times
failed=0

collection_copy() {
  # ansible-test needs the collection under ansible_collections/NS/NAME.
  local dest="$top/.work/ansible_collections/ooo/lifecycle"
  rm -rf "$dest"
  mkdir -p "$dest"
  git ls-files -z --cached --others --exclude-standard | grep -zv '^\.ci/' | xargs -0 cp --parents -t "$dest"
  # A repository of its own, so ansible-test lists the copy's files, not the outer checkout's.
  (cd "$dest" && git init -q && git add -A) >&2
  echo "$dest"
}

# tests/budget.txt: each stage's allowance in seconds on the lab machine; a stage that passes but takes more than
# 125% of it fails, loudly: the suite must fit CI's limit, and a slower test is a change to look at.
budget_of() { awk -v s="$1" '$1 == s":" {print $2}' "$top/tests/budget.txt"; }

run_stage() {
  local name=$1; shift
  echo "=== $name"
  local start=$SECONDS
  if "$@"; then outcome[$name]="passed"; else outcome[$name]="FAILED"; fi
  local took=$((SECONDS - start)) allowed
  allowed=$(budget_of "$name")
  times[$name]="${took}s of ${allowed:-?}s"
  if [ "${outcome[$name]}" = passed ] && [ -n "$allowed" ] && [ $((took * 100)) -gt $((allowed * 125)) ]; then
    outcome[$name]="FAILED (over budget: ${took}s, more than 125% of its ${allowed}s in tests/budget.txt)"
  fi
  [ "${outcome[$name]}" = passed ] || failed=$((failed + 1))
  echo "=== $name: ${outcome[$name]} in ${took}s"
}

# The layout rules (tests/layout: no role reads another role's private variable; every role has an argument spec that
# ansible-doc renders) are part of lint.
lint() { ansible-lint --offline && python -m pytest -q -p no:cacheprovider tests/layout; }
sanity() {
  local dest; dest=$(collection_copy)
  (cd "$dest" && ansible-test sanity --venv --python 3.11 --color no)
}
units() {
  local dest; dest=$(collection_copy)
  (cd "$dest" && ansible-test units --venv --python 3.11 --color no)
}
# The molecule scenario converges the lab with the main playbook (lab.yml, the overcloud deployed from nothing) and
# proves a second run changes nothing; its log is kept, and the integration stage then reuses that lab and log
# instead of running lab.yml again (OOO_LAB_READY, OOO_LAB_LOG: tests/integration/conftest.py).
molecule_log="$top/.work/molecule.log"
molecule_stage() {
  mkdir -p "$top/.work"
  molecule test --all 2>&1 | tee "$molecule_log"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 0 ]; then export OOO_LAB_READY=1 OOO_LAB_LOG="$molecule_log"; fi
  return "$rc"
}
# The integration stage. On the lab molecule converged (OOO_LAB_READY=1) it runs in three phases: the overcloud's
# scenario tests alone (the rolling update counts failed requests through the VIP); then two pytests side by side,
# the tests of Ironic, the BMC and the machines' networks (most of their time is spent waiting for Ironic and the
# machines, so the golden image, multi-cloud and secrets tests run with them) and those that use only the undercloud's
# APIs and this host's podman (integration_beside; the two take about as long); then the tests
# that kill, stop and restart the undercloud's services (the fault suite, then the service tests), alone; last, the overcloud deployed from nothing again through a
# failed step and its resume (test_lab_restored.py), so that the suite leaves the lab as the lab run made it. Without a
# converged lab, one pytest runs everything in order (its first test brings the lab up; conftest.py orders them).
integration_first=(test_overcloud_deploy.py test_listeners.py test_overcloud_scale.py test_overcloud_update.py test_overcloud_upgrade.py
                   test_validations.py)
integration_beside=(test_bad_input.py test_container_startup.py test_heat_stack.py test_image.py test_modules.py test_plan.py
                    test_undercloud.py)
integration_last=(test_faults.py test_undercloud_service.py)
integration_final=(test_lab_restored.py)
integration() {
  local pytest=(python -m pytest -p no:cacheprovider -v --durations=30)
  if [ "${OOO_LAB_READY:-}" != 1 ] && [ "${outcome[molecule]:-}" = FAILED ]; then
    # Molecule failed (its reason is printed again before the summary): the lab is brought up here, once, so that the
    # phases below still run side by side; run one after the other, the suite would take half as long again.
    echo "--- integration 0/4: molecule failed; the lab brought up by lab.yml first"
    if ansible-playbook -v playbooks/lab.yml 2>&1 | tee "$top/.work/lab.log"; then
      export OOO_LAB_READY=1 OOO_LAB_LOG="$top/.work/lab.log"
    fi
  fi
  if [ "${OOO_LAB_READY:-}" != 1 ]; then "${pytest[@]}" tests/integration; return; fi
  local dir=tests/integration first=() beside=() rest=() last=() final=() path name rc=0
  for path in "$dir"/test_*.py; do
    name=$(basename "$path")
    if [[ " ${integration_first[*]} " == *" $name "* ]]; then first+=("$path")
    elif [[ " ${integration_beside[*]} " == *" $name "* ]]; then beside+=("$path")
    elif [[ " ${integration_last[*]} " == *" $name "* ]]; then last+=("$path")
    elif [[ " ${integration_final[*]} " == *" $name "* ]]; then final+=("$path")
    else rest+=("$path"); fi
  done
  echo "--- integration 1/4: the overcloud's scenario tests"
  "${pytest[@]}" "${first[@]}" || rc=1
  echo "--- integration 2/4: the lab's other tests, and beside them (their output follows) ${integration_beside[*]}"
  "${pytest[@]}" "${beside[@]}" > "$top/.work/integration-beside.log" 2>&1 &
  local beside_pid=$!
  "${pytest[@]}" "${rest[@]}" || rc=1
  wait "$beside_pid" || rc=1
  echo "--- integration 2/4, beside: ${integration_beside[*]}"
  cat "$top/.work/integration-beside.log"
  echo "--- integration 3/4: faults injected; the undercloud's services stopped and restarted"
  "${pytest[@]}" "${last[@]}" || rc=1
  echo "--- integration 4/4: the overcloud deployed from nothing again, through a failed step and its resume"
  "${pytest[@]}" "${final[@]}" || rc=1
  return $rc
}

# The static stages (lint, sanity, units) share nothing with the lab: when molecule runs too, they run beside it (most
# of molecule's time is spent waiting for Ironic and the machines), and their output is printed after it.
static_bg=()
if [[ " ${stages[*]} " == *" molecule "* ]]; then
  for stage in "${stages[@]}"; do
    case $stage in lint|sanity|units) static_bg+=("$stage") ;; esac
  done
fi
static_pid=
if [ ${#static_bg[@]} -gt 0 ]; then
  mkdir -p "$top/.work"
  echo "=== ${static_bg[*]}: beside molecule (their output follows molecule's)"
  (
    for stage in "${static_bg[@]}"; do
      run_stage "$stage" "$stage"
      printf '%s\n%s\n' "${outcome[$stage]}" "${times[$stage]}" > "$top/.work/$stage.result"
    done
  ) > "$top/.work/static.log" 2>&1 &
  static_pid=$!
fi

collect_static() {
  [ -n "$static_pid" ] || return 0
  wait "$static_pid"
  static_pid=
  cat "$top/.work/static.log"
  local stage
  for stage in "${static_bg[@]}"; do
    if [ -f "$top/.work/$stage.result" ]; then
      { read -r outcome[$stage]; read -r times[$stage]; } < "$top/.work/$stage.result"
    else
      outcome[$stage]="FAILED (no result)"; times[$stage]="?"
    fi
    [ "${outcome[$stage]}" = passed ] || failed=$((failed + 1))
  done
}

for stage in "${stages[@]}"; do
  if [[ " ${static_bg[*]} " == *" $stage "* ]]; then continue; fi
  case $stage in
    lint) run_stage lint lint ;;
    sanity) run_stage sanity sanity ;;
    units) run_stage units units ;;
    molecule) run_stage molecule molecule_stage; collect_static ;;
    integration) run_stage integration integration ;;
    *) echo "unknown stage $stage (lint sanity units molecule integration)"; exit 2 ;;
  esac
done
collect_static

# CI shows only the end of the output: a failed molecule's last failures (an ignored one may come before the one that
# stopped it) are repeated here, each cut to one line, without molecule's border.
if [ -n "${outcome[molecule]:-}" ] && [ "${outcome[molecule]}" != passed ] && [ -f "$molecule_log" ]; then
  echo
  echo "=== molecule's last failures"
  sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^[[:space:]]*│[[:space:]]*//' "$molecule_log" \
    | grep -E '^(fatal|failed): \[|^CRITICAL|^ERROR' | tail -6 | cut -c1-400
fi

echo
echo "=== summary"
passed=0
for stage in "${stages[@]}"; do
  echo "  $stage: ${outcome[$stage]} (${times[$stage]})"
  [ "${outcome[$stage]}" = passed ] && passed=$((passed + 1))
done
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
