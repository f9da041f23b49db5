#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Smoke test of the comparison benchmark (not a measurement): runs
# compare.sh --smoke (20,000 getppid calls, 1 round, untraced, floor,
# sysstream and strace) on the binaries Bazel built and checks the report's
# table: a header row, one row per tracer, numbers where numbers belong.
# Then the same for cpu_scaling.sh --quick (1 round of 50,000 calls per
# thread, 1 and, with 2 CPUs or more, 2 pinned threads; a few seconds): one
# row per thread count and variant, everything captured, the verdict rows.
#
# Args: compare.sh sysstream floor_hook load_loop spawn count_records
#       cpu_scaling.sh pinned_loop self_cpu
# Needs root (BPF, ptrace); skips with a message otherwise.
set -euo pipefail

fail() {
  echo "bench_smoke_test: FAIL: $*" >&2
  exit 1
}

[[ $# -eq 9 ]] || fail "usage: $0 compare.sh sysstream floor_hook load_loop spawn count_records cpu_scaling.sh pinned_loop self_cpu"
compare="$1"
cpu_scaling="$7"
set -- "${@:2:5}" "${@:8:2}"
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
echo "bench_smoke_test: compare.sh PASS (${elapsed} s): $(grep -c '' "${report}") report lines, 4 tracers"

# ------------------------------------------------------------ cpu_scaling.sh
out2="${tmp}/results-cpu"
mkdir -p "${out2}"
start=${SECONDS}
rc=0
bash "${cpu_scaling}" --quick --calls 50000 --bin-dir "${bin}" --out-dir "${out2}" \
  >"${tmp}/cpu.stdout" 2>"${tmp}/cpu.stderr" || rc=$?
cat "${tmp}/cpu.stderr" >&2
[[ ${rc} -eq 0 ]] || fail "cpu_scaling.sh --quick exited ${rc}"
elapsed=$((SECONDS - start))
(( elapsed < 30 )) || fail "cpu_scaling.sh --quick took ${elapsed} s (limit 30 s)"
reports=("${out2}"/cpu-scaling-*.md)
[[ ${#reports[@]} -eq 1 ]] || fail "expected one cpu-scaling report in ${out2}, found ${#reports[@]}"
report="${reports[0]}"
[[ -s "${report%.md}.tsv" ]] || fail "no runs file ${report%.md}.tsv"
cmp -s "${report}" <(sed '1d;$d' "${tmp}/cpu.stdout") ||
  fail "the printed cpu-scaling report differs from ${report}"

header='| threads | variant | CPU ns/call | wall ns/call | added ns/event (CPU) | added ns/event (wall) | × 1-thread added | × floor | captured / made | lost | consumer ns/event | consumer net ns/event |'
grep -qxF -- "${header}" "${report}" || fail "no cpu-scaling table header row: ${header}"
table="$(awk -v h="${header}" '$0 == h {on = 1; next} on && /^\|/ {print; next} on {exit}' "${report}")"
[[ "$(sed -n 1p <<<"${table}")" == '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|' ]] ||
  fail "bad cpu-scaling separator row: $(sed -n 1p <<<"${table}")"
rows="$(sed -n '2,$p' <<<"${table}")"
if [[ "$(nproc)" -ge 2 ]]; then thread_counts=(1 2); else thread_counts=(1); fi
[[ "$(wc -l <<<"${rows}")" -eq $(( 3 * ${#thread_counts[@]} )) ]] ||
  fail "expected $(( 3 * ${#thread_counts[@]} )) cpu-scaling rows, got:
${rows}"
i=0
for t in "${thread_counts[@]}"; do
  for variant in untraced 'floor (empty hook)' '**sysstream**'; do
    i=$((i + 1))
    row="$(sed -n "${i}p" <<<"${rows}")"
    IFS='|' read -r -a cells <<<"${row}"
    [[ ${#cells[@]} -eq 13 ]] || fail "cpu-scaling row ${i}: expected 12 columns: ${row}"
    for c in "${!cells[@]}"; do cells[c]="$(sed 's/^ *//; s/ *$//' <<<"${cells[c]}")"; done
    [[ "${cells[1]}" == "${t}" && "${cells[2]}" == "${variant}" ]] ||
      fail "cpu-scaling row ${i} is '${cells[1]} ${cells[2]}', expected '${t} ${variant}'"
    for c in 3 4; do
      [[ "${cells[c]}" =~ ^${num}$ ]] || fail "cpu-scaling ${t} ${variant}: column ${c} not a number: '${cells[c]}'"
    done
    if [[ "${variant}" == '**sysstream**' ]]; then
      made="50,000"
      [[ ${t} -eq 1 ]] || made="100,000"
      [[ "${cells[9]}" == "${made} / ${made}" ]] ||
        fail "cpu-scaling ${t} thread(s): captured / made is '${cells[9]}', expected ${made} / ${made}"
      [[ "${cells[10]}" == 0 ]] || fail "cpu-scaling ${t} thread(s): lost is '${cells[10]}'"
      for c in 5 6 8 11; do
        [[ "${cells[c]}" =~ ^-?${num}$ ]] || fail "cpu-scaling ${t} sysstream: column ${c} not a number: '${cells[c]}'"
      done
    fi
  done
done
for target in '2-thread added cost ≤ 1.25 × the 1-thread one' '1-thread sysstream/floor ≤ 1.10' \
              "consumer CPU per event ≤ the baseline's" 'every call captured, nothing lost'; do
  grep -qF -- "| ${target}" "${report}" || fail "no cpu-scaling verdict row for: ${target}"
done
grep -q '^| every call captured, nothing lost | .* | \*\*MET\*\* |$' "${report}" ||
  fail "cpu-scaling: not every call captured, or some lost"
echo "bench_smoke_test: cpu_scaling.sh PASS (${elapsed} s): ${#thread_counts[@]} thread count(s)"
