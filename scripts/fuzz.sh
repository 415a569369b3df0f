#!/usr/bin/env bash
# Run every fuzz target for a bounded time (FUZZ_SECONDS each, default 30);
# a crash fails the run and leaves its input under the target's artifacts/.
# Installs cargo-fuzz when missing; the sanitizer build needs nightly
# features, which RUSTC_BOOTSTRAP=1 enables on the stable toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-30}
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install --quiet --debug cargo-fuzz --version 0.13.2 --locked
fi
for dir in integrations/calendar/fuzz integrations/chat/fuzz; do
  for target in "$dir"/fuzz_targets/*.rs; do
    name=$(basename "$target" .rs)
    echo "-- fuzz $dir $name for ${secs}s"
    (cd "$dir" && RUSTC_BOOTSTRAP=1 cargo fuzz run "$name" -- -max_total_time="$secs" 2>&1 | tail -n 2)
  done
done
echo "fuzz: every target ran ${secs}s without a crash"
