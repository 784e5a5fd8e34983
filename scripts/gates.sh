#!/bin/bash
# gates.sh TREE : walk the series patch by patch in a builder worktree and
# run the linux-mm gates on each: it builds (bisectable), checkpatch --strict,
# and no new W=1, sparse or coccicheck reports in the C files it touches,
# compared with the same files at the base. GATES=build keeps only the first
# gate (the 6.12 backport in make check). The test kernels of the base and of
# the whole series fall out of the walk ($OUT/kernels/test-*.bzImage).
set -uo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$(realpath "$1")
wt=$tree-wt obj=$OUT/obj/test out=$OUT/gates kernels=$OUT/kernels
frags=$TEST_FRAGS GATES=${GATES:-all}
base=$(cat "$tree.base")
mkdir -p "$out" "$kernels"
[ -d "$wt" ] || git -C "$tree" worktree add -q --detach "$wt" "$base"
# checkpatch runs spdxcheck.py with "python3": Debian's, which has ply and git.
mapfile -t commits < <(git -C "$tree" rev-list --reverse "$base..lru-drain")
mapfile -t files < <(git -C "$tree" diff --name-only "$base" lru-drain -- '*.c' | grep -v '^tools/')

# The walk is slow and depends only on these: replay it when they are unchanged.
key=$( (echo "$GATES"; git -C "$tree" rev-parse "$base" "lru-drain^{tree}"; cat $frags "$top/$QUEUE"/0*.patch) | sha256sum | cut -c1-16)
if [ -f "$out/walk-$key" ] && [ "$(cat "$kernels/test.key" 2>/dev/null)" = "$key" ]; then
	tee -a "$RESULTS" <"$out/walk-$key"
	exit 0
fi
RESULTS_ALL=$RESULTS RESULTS=$out/walk.tmp
rm -f "$RESULTS" "$kernels/test.key" "$kernels"/test-{base,series}.bzImage

# W=1, sparse and coccicheck build single objects in an object directory of
# their own with the same .config, so that their flags never make the test
# kernel's objects rebuild, nor the other way round.
chk=$obj-check cc=gcc
command -v ccache >/dev/null && cc="ccache gcc" && export CCACHE_BASEDIR=${tree%/*}
kmake() { make -s -C "$wt" O="$chk" ARCH=x86_64 CC="$cc" "$@" 2>&1; }
# Reports of one kind on one file, without line numbers, so that moved code
# does not count as new. Cached by the file's blob: unchanged files are free.
cache_of() { # kind file
	local blob
	blob=$(git -C "$wt" rev-parse "HEAD:$2" 2>/dev/null) && echo "$out/$1.$blob"
}
keep() { # cache : the reports on stdin, as compared
	grep -E 'warning|error|WARNING|ERROR|failed' | grep -v 'be a metavariable' |
		sed -E "s|$wt/||; s|:[0-9]+(:[0-9]+(-[0-9]+)?)?:|:|" | sort >"$1.tmp"
	# only a finished run is cached: an interrupted one leaves no answer
	mv "$1.tmp" "$1"
}
reports() { # kind file
	local kind=$1 f=$2 cache
	cache=$(cache_of "$kind" "$f") || return 0
	if [ ! -f "$cache" ]; then
		local o; o=$(object_of "$wt" "$f")
		case $kind in
		w1) touch "$wt/$f"; kmake W=1 "$o" | keep "$cache" ;;
		sparse) kmake C=2 "$o" | keep "$cache" ;;
		cocci) cocci "$f" ;;
		esac
	fi
	cat "$cache"
}

# coccicheck on the given files, those not yet cached. kbuild's C=2 runs
# coccicheck on one object, its semantic patches one after another, and
# spatch spends most of a run starting up (about 1.2 of 1.5 s for one
# semantic patch on mm/folio.c). So record how kbuild calls its checker
# once, then run coccicheck with one semantic patch per process on every
# core, as its own "make coccicheck" does for a directory, each on all the
# files at once: spatch's --file-groups keeps every file a group of its own,
# so no rule matched in one file enables another in the next. Same patches,
# same options.
cocci() { # file...
	local rec f o i=0 objs=() todo=()
	for f; do
		[ -f "$(cache_of cocci "$f")" ] || [ -z "$(cache_of cocci "$f")" ] && continue
		todo+=("$f"); objs+=("$(object_of "$wt" "$f")")
	done
	[ ${#todo[@]} = 0 ] && return
	rec=$(mktemp -d "$out/cocci.XXXXXX")
	for o in "${objs[@]}"; do printf '%s\n\n' "$wt/${o%.o}.c"; done >"$rec/groups"
	RECORD_DIR=$rec kmake C=2 CHECK="$top/scripts/record-check.sh" "${objs[0]}" >/dev/null
	if [ ! -s "$rec/args" ]; then
		echo "error: coccicheck was not run on ${objs[*]}" >"$rec/out"
	else
		grep -v '^declare -[a-z]*r' "$rec/env" >"$rec/env.sh"
		# the file kbuild named is replaced by the groups (an empty last argument)
		grep -l 'virtual[[:space:]]\+report' $(find "$wt/scripts/coccinelle" -name '*.cocci' | sort) |
			xargs -P "$(nproc)" -I{} bash -c '. "$0/env.sh"; cd "$(cat "$0/cwd")" &&
				eval "COCCI={} MODE=report SPFLAGS=\"--file-groups $0/groups\" $1 $(cat "$0/args") \"\""' \
				"$rec" "$wt/scripts/coccicheck" >"$rec/out" 2>&1
	fi
	# A report names its file; any other line (an error) goes to every file.
	local any; any=$(IFS='|'; echo "${todo[*]}|${objs[*]/%.o/.c}")
	for f in "${todo[@]}"; do
		o=${objs[i]} i=$((i + 1))
		{ grep -E "^($wt/)?($f|${o%.o}.c):" "$rec/out"; grep -vE "^($wt/)?($any):" "$rec/out"; } |
			keep "$(cache_of cocci "$f")"
	done
	rm -rf "$rec"
}

build() { # rev name
	git -C "$wt" checkout -q --detach "$1" &&
		"$top/scripts/build-kernel.sh" "$wt" "$obj" $frags >/dev/null &&
		mkdir -p "$chk" && { cmp -s "$obj/.config" "$chk/.config" || cp "$obj/.config" "$chk/.config"; } &&
		kmake olddefconfig prepare >/dev/null
}

check "gate build   base" build "$base" base
cp "$obj/arch/x86/boot/bzImage" "$kernels/test-base.bzImage" 2>/dev/null
kinds="w1 sparse cocci"
[ "$GATES" = build ] && files=() kinds=
[ -n "$kinds" ] && cocci "${files[@]}"
for f in "${files[@]}"; do
	for kind in $kinds; do reports $kind "$f" >"$out/base.$kind.${f//\//_}"; done
done

n=0
for c in "${commits[@]}"; do
	n=$((n + 1))
	name=$(printf '%04d' $n)
	patch=$(ls "$top/$QUEUE"/$name-*.patch 2>/dev/null | head -n1)
	check "gate build      $name $(git -C "$tree" log -1 --format=%s "$c")" build "$c"
	[ "$GATES" = build ] && continue
	if [ -n "$patch" ] && out_cp=$(cd "$wt" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict -q "$patch" 2>&1) && [ -z "$out_cp" ]; then
		pass "gate checkpatch $name"
	else
		fail "gate checkpatch $name"; printf '%s\n' "$out_cp" | head -20 | sed 's/^/    /'
	fi
	mapfile -t touched < <(git -C "$tree" diff --name-only "$c^" "$c" -- '*.c' | grep -v '^tools/')
	cocci "${touched[@]}"
	for kind in w1 sparse cocci; do
		new=""
		for f in "${touched[@]}"; do
			touch "$out/base.$kind.${f//\//_}"	# a file the base does not have
			new+=$(reports $kind "$f" | comm -13 "$out/base.$kind.${f//\//_}" -)
		done
		if [ -z "$new" ]; then
			pass "gate $kind $name (${touched[*]:-no C files})"
		else
			fail "gate $kind $name"; printf '%s\n' "$new" | sed 's/^/    /'
		fi
	done
done
cp "$obj/arch/x86/boot/bzImage" "$kernels/test-series.bzImage"
echo "$key" >"$kernels/test.key"
cat "$RESULTS" >>"$RESULTS_ALL"
mv "$RESULTS" "$out/walk-$key"
