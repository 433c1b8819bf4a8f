#!/usr/bin/env bash
# Mutation testing (cargo-mutants) of the modules that carry the promises. Not part of .ci/run:
# it rebuilds a crate per mutant and takes tens of minutes. Results go to target/mutants/<name>/
# (mutants.out/outcomes.json, caught.txt, missed.txt, unviable.txt, timeout.txt); MUTANTS.md
# holds the figures of the last full run.
#
#   scripts/mutants.sh                 # every module below
#   scripts/mutants.sh classify split  # only these
#   MUTANTS_ARGS=--iterate scripts/mutants.sh derive-valid   # resume: skip what a run settled
#
# cargo-mutants copies the source tree once per run (it does not see .gitignore in a git
# worktree), so build output inside the tree would be copied too: `fuzz/target` is refused.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -d fuzz/target ]; then
    echo "remove fuzz/target first (cargo-mutants would copy its build output)" >&2
    exit 2
fi
if ! command -v cargo-mutants >/dev/null; then
    cargo install cargo-mutants --locked
fi
# One build directory for every mutant, so dependencies are built once, apart from the
# developer's own target/ (a mutated build there would force a rebuild of the workspace).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/mutants-build}"
# Results (and, through CARGO_TARGET_DIR, the build) may go outside the tree: MUTANTS_OUT.
out="${MUTANTS_OUT:-$PWD/target/mutants}"
mkdir -p "$out"

# name | files to mutate | package whose tests run | arguments to `cargo test`
#
# emulator-validate runs the emulator's unit tests and its one integration binary (`emulator`),
# whose every import passes through validation; not its doctests, which rustdoc would compile
# again for each mutant and which do not send bodies to validate. spool runs dfinery-core's unit
# tests (the writer thread's own in spool/commit/tests.rs, the spool's in spool/tests.rs).
modules=(
    "split|dfinery-core/src/client/split.rs|dfinery-core|--lib"
    "classify|dfinery-core/src/client/classify.rs|dfinery-core|--lib"
    "emulator-dedup|dfinery-emulator/src/state/mod.rs|dfinery-emulator|--lib"
    "derive-valid|dfinery-derive/src/valid/*.rs|dfinery-derive|--lib"
    "emulator-validate|dfinery-emulator/src/validate/*.rs|dfinery-emulator|--lib --test emulator"
    "spool|dfinery-core/src/tracker/spool/commit.rs|dfinery-core|--lib"
)

want=("$@")
for entry in "${modules[@]}"; do
    IFS='|' read -r name files package test_args <<<"$entry"
    if ((${#want[@]})) && [[ " ${want[*]} " != *" $name "* ]]; then
        continue
    fi
    file_args=()
    for f in $files; do file_args+=(--file "$f"); done
    echo "== $name: ${files} (tests: -p $package $test_args)"
    # shellcheck disable=SC2086
    cargo mutants --no-shuffle -j 1 --timeout 120 --build-timeout 600 ${MUTANTS_ARGS:-} \
        --package "$package" "${file_args[@]}" --output "$out/$name" \
        -- $test_args || true
    for kind in caught missed unviable timeout; do
        printf '%s %s: %s\n' "$name" "$kind" \
            "$(cat "$out/$name/mutants.out/$kind.txt" 2>/dev/null | grep -c . || true)"
    done
done
