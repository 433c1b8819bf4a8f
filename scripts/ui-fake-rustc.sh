#!/usr/bin/env bash
# Shows that the UI test fails (does not skip) in CI on a compiler other than the pinned 1.95:
# a wrapper `rustc` forwards every call to the real compiler but reports version 1.96.0 for
# `--version`, cargo builds with it (RUSTC), and `CI=true cargo test --test ui` must FAIL.
# Exits 0 when the UI test failed with the pinned-compiler message, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
real="$(rustup which rustc)"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cat >"$dir/rustc" <<WRAP
#!/bin/sh
if [ "\$1" = "--version" ] && [ "\$#" = 1 ]; then echo 'rustc 1.96.0 (0000000 2026-05-28)'; exit 0; fi
exec "$real" "\$@"
WRAP
chmod +x "$dir/rustc"
if out="$(RUSTC="$dir/rustc" CI=true cargo test --test ui -- ui --exact 2>&1)"; then
    echo "$out"
    echo "FAIL: the UI test passed on a compiler reporting 1.96 with CI set" >&2
    exit 1
fi
if grep -q "pinned to \`rustc 1.95.x\`" <<<"$out" && grep -q "rustc 1.96.0" <<<"$out"; then
    grep -E "pinned to|test result" <<<"$out"
    echo "ok: with a fake rustc 1.96 and CI=true the UI test fails"
else
    echo "$out"
    echo "FAIL: the UI test failed, but not with the pinned-compiler message" >&2
    exit 1
fi
