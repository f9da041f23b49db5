#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Smoke test of the comparison benchmark (not a measurement): runs
# compare.sh --smoke (20,000 getppid calls, 1 round, untraced, floor,
# sysstream and strace) on the binaries Bazel built and checks the report's
# table: a header row, one row per tracer, numbers where numbers belong.
#
# Args: compare.sh sysstream floor_hook load_loop spawn count_records
# Needs root (BPF, ptrace); skips with a message otherwise.
set -euo pipefail

fail() {
  echo "bench_smoke_test: FAIL: $*" >&2
  exit 1
}

[[ $# -eq 6 ]] || fail "usage: $0 compare.sh sysstream floor_hook load_loop spawn count_records"
compare="$1"
shift
if [[ "$(id -u)" -ne 0 ]]; then
  echo "bench_smoke_test: SKIPPED: needs root (BPF and ptrace)"
  exit 0
fi
command -v strace >/dev/null || fail "strace is not installed (tools/setup.sh installs it)"

tmp="${TEST_TMPDIR:-$(mktemp -d)}"
bin="${tmp}/bin"
out="${tmp}/results"
mkdir -p "${bin}" "${out}"
for f in "$@"; do
  [[ -x "${f}" ]] || fail "missing binary ${f}"
  ln -sf "$(cd "$(dirname "${f}")" && pwd -P)/$(basename "${f}")" "${bin}/$(basename "${f}")"
done

start=${SECONDS}
rc=0
bash "${compare}" --smoke --bin-dir "${bin}" --out-dir "${out}" \
  >"${tmp}/stdout" 2>"${tmp}/stderr" || rc=$?
cat "${tmp}/stderr" >&2
[[ ${rc} -eq 0 ]] || fail "compare.sh --smoke exited ${rc}"
elapsed=$((SECONDS - start))
(( elapsed < 60 )) || fail "compare.sh --smoke took ${elapsed} s (limit 60 s)"

shopt -s nullglob
reports=("${out}"/compare-*.md)
[[ ${#reports[@]} -eq 1 ]] || fail "expected one report in ${out}, found ${#reports[@]}"
report="${reports[0]}"
cmp -s <(tail -n +3 "${report}") "${tmp}/stdout" ||
  fail "the printed report differs from ${report}"

# The getppid table: header, separator, then one row per tracer.
header='| tracer | ns/call | × untraced | × floor | overhead ns/event | captured / made | lost (reported) | tracer CPU s | workload sys s | tracer peak RSS MiB |'
grep -qxF -- "${header}" "${report}" || fail "no table header row: ${header}"
table="$(awk -v h="${header}" '$0 == h {on = 1; next} on && /^\|/ {print; next} on {exit}' "${report}")"
sep="$(sed -n 1p <<<"${table}")"
[[ "${sep}" == '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|' ]] ||
  fail "bad separator row: ${sep}"
rows="$(sed -n '2,$p' <<<"${table}")"
[[ "$(wc -l <<<"${rows}")" -eq 4 ]] || fail "expected 4 tracer rows, got:
${rows}"

num='[0-9][0-9,]*(\.[0-9]+)?'
i=0
for tracer in untraced floor sysstream strace; do
  i=$((i + 1))
  row="$(sed -n "${i}p" <<<"${rows}")"
  IFS='|' read -r -a cells <<<"${row}"
  # cells[0] is empty (leading '|'); 10 columns follow.
  [[ ${#cells[@]} -eq 11 ]] || fail "${tracer}: expected 10 columns: ${row}"
  for c in "${!cells[@]}"; do cells[c]="$(sed 's/^ *//; s/ *$//' <<<"${cells[c]}")"; done
  [[ "${cells[1]}" == "${tracer}" ]] || fail "row ${i} is '${cells[1]}', expected ${tracer}"
  for c in 2 3 4; do
    [[ "${cells[c]}" =~ ^${num}$ ]] || fail "${tracer}: column ${c} not a number: '${cells[c]}'"
  done
  [[ "${cells[3]}" == "1.00" || "${tracer}" != untraced ]] ||
    fail "untraced × untraced is '${cells[3]}', not 1.00"
  if [[ "${tracer}" == sysstream || "${tracer}" == strace ]]; then
    [[ "${cells[5]}" =~ ^-?${num}$ ]] || fail "${tracer}: overhead not a number: '${cells[5]}'"
    [[ "${cells[6]}" == "20,000 / 20,000" ]] ||
      fail "${tracer}: captured / made is '${cells[6]}', expected 20,000 / 20,000"
    [[ "${cells[7]}" == "0" ]] || fail "${tracer}: lost is '${cells[7]}'"
    for c in 8 9 10; do
      [[ "${cells[c]}" =~ ^${num}$ ]] || fail "${tracer}: column ${c} not a number: '${cells[c]}'"
    done
  fi
done
grep -q '^| sysstream/floor ≤ 1.25, zero lost, every call captured | .* | \*\*\(NOT \)\?MET\*\* |$' "${report}" ||
  fail "no verdict row for the floor target"
grep -q '^| ≥ 50× faster than strace | .* | \*\*\(NOT \)\?MET\*\* |$' "${report}" ||
  fail "no verdict row for the strace target"
echo "bench_smoke_test: PASS (${elapsed} s): $(grep -c '' "${report}") report lines, 4 tracers"
