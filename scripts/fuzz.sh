#!/usr/bin/env bash
# Runs every fuzz target (found with `go test -list '^Fuzz'` in each package
# whose tests define one) for FUZZTIME, one after another: go test fuzzes
# one target per run. An input that makes a target fail is written to the
# package's testdata/fuzz/<target> (commit it with the fix) and fails the run.
#
# A target that fails without writing an input is run once more: Go 1.26's
# fuzz coordinator can report "context deadline exceeded" when -fuzztime
# runs out while a worker is stopping (golang/go#75804, fixed in Go 1.27),
# having found nothing. A second failure fails the run whatever it wrote.
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}

# inputs counts the files in a target's corpus directory (none yet: 0).
inputs() {
	if [ -d "$1/testdata/fuzz/$2" ]; then
		find "$1/testdata/fuzz/$2" -type f | wc -l
	else
		echo 0
	fi
}

for dir in $(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r -n1 dirname | sort -u); do
	for target in $($GO test -list '^Fuzz' "$dir" | grep '^Fuzz' || true); do
		echo "fuzz $dir $target ($FUZZTIME)"
		before=$(inputs "$dir" "$target")
		if $GO test -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" "$dir"; then
			continue
		fi
		if [ "$(inputs "$dir" "$target")" -ne "$before" ]; then
			echo "fuzz $dir $target: failing input written to $dir/testdata/fuzz/$target" >&2
			exit 1
		fi
		echo "fuzz $dir $target: failed without an input (golang/go#75804?); once more" >&2
		$GO test -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" "$dir"
	done
done
