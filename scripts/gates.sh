#!/bin/bash
# gates.sh TREE : walk the series (both queues, if the base has a second)
# patch by patch in a builder worktree and run the linux-mm gates on each:
# it builds (bisectable), checkpatch --strict,
# and no new W=1, sparse or coccicheck reports in the C files it touches,
# compared with the same files at the base. WB_GATES=build keeps only the first
# gate (the 6.12 backport in make check). The test kernels of the base, of
# the first queue (series) and of both (noise) fall out of the walk
# ($OUT/kernels/test-*.bzImage).
set -uo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$(realpath "$1")
wt=$tree-wt obj=$OUT/obj/test out=$OUT/gates kernels=$OUT/kernels
frags=$TEST_FRAGS WB_GATES=${WB_GATES:-all}
base=$(cat "$tree.base")
mkdir -p "$out" "$kernels"
# The key names the kernels of the last walk whose every build passed: it
# goes before anything here can fail, and comes back only with such a walk.
had_key=$(cat "$kernels/test.key" 2>/dev/null)
rm -f "$kernels/test.key"
[ -d "$wt" ] || git -C "$tree" worktree add -q --detach "$wt" "$base"
# checkpatch runs spdxcheck.py with "python3": Debian's, which has ply and git.
# Both queues when there is a second (branch noise on lru-drain): the walk
# publishes test-series at the first's tip and test-noise at the second's.
tip=$(tip_of "$tree") first=$(git -C "$tree" rev-parse lru-drain)
mapfile -t commits < <(git -C "$tree" rev-list --reverse "$base..$tip")
mapfile -t files < <(git -C "$tree" diff --name-only "$base" "$tip" -- '*.c' | grep -v '^tools/')

# The walk is slow and depends only on these (and on its own code): replay
# it when they are unchanged.
key=$( (echo "$WB_GATES"; git -C "$tree" rev-parse "$base" "$first^{tree}" "$tip^{tree}"
	cat $frags "$QUEUE_DIR"/0*.patch ${QUEUE2_DIR:+"$QUEUE2_DIR"/0*.patch} "$0" "$top/scripts/fastpath.sh") |
	sha256sum | cut -c1-16)
if [ -f "$out/walk-$key" ] && [ "$had_key" = "$key" ]; then
	echo "$key" >"$kernels/test.key"
	tee -a "$WB_RESULTS" <"$out/walk-$key"
	grep -q '^FAIL' "$out/walk-$key" && exit 1
	exit 0
fi
WB_RESULTS_ALL=$WB_RESULTS WB_RESULTS=$out/walk.tmp
rm -f "$WB_RESULTS" "$kernels"/test-{base,series,noise}.bzImage

# W=1, sparse and coccicheck build single objects in an object directory of
# their own with the same .config, so that their flags never make the test
# kernel's objects rebuild, nor the other way round.
chk=$obj-check cc=gcc
command -v ccache >/dev/null && cc="ccache gcc" && export CCACHE_BASEDIR=${tree%/*} CCACHE_DEPEND=1
kmake() { make -s -C "$wt" O="$chk" ARCH=x86_64 CC="$cc" "$@" 2>&1; }
# A sparse the kernel accepts: with one it rejects, C=2 checks nothing.
if [ "$WB_GATES" != build ]; then
	SPARSE=$("$top/scripts/sparse.sh") || { fail "gate sparse: a sparse that knows __typeof_unqual__"; exit 1; }
fi
# Reports of one kind on one file, without line numbers, so that moved code
# does not count as new. Cached by the file's blob: unchanged files are free.
cache_of() { # kind file [rev]
	local blob
	blob=$(git -C "$wt" rev-parse "${3:-HEAD}:$2" 2>/dev/null) && echo "$out/$1.$blob"
}
keep() { # cache [dir] : the reports on stdin, as compared; paths relative to dir
	grep -E 'warning|error|WARNING|ERROR|failed' | grep -v 'be a metavariable' |
		sed -E "s|${2:-$wt}/||; s|:[0-9]+(:[0-9]+(-[0-9]+)?)?:|:|" | sort >"$1.tmp"
	# only a finished run is cached: an interrupted one leaves no answer
	mv "$1.tmp" "$1"
}
reports() { # kind file [rev] : w1 and sparse of the checked out file only
	local kind=$1 f=$2 rev=${3:-HEAD} cache
	cache=$(cache_of "$kind" "$f" "$rev") || return 0
	if [ ! -f "$cache" ]; then
		local o; o=$(object_of "$wt" "$f")
		case $kind in
		w1) touch "$wt/$f"; kmake W=1 "$o" | keep "$cache" ;;
		sparse) kmake C=2 CHECK="$SPARSE" "$o" | keep "$cache" ;;
		cocci) cocci "$rev:$f" ;;
		esac
	fi
	cat "$cache"
}

# coccicheck on the given versions of files (REV:FILE), those not yet
# cached. kbuild's C=2 runs coccicheck on one object, its semantic patches
# one after another, and spatch spends most of a run starting up (about 1.2
# of 1.5 s for one semantic patch on mm/folio.c). So record how kbuild calls
# its checker once, then run coccicheck with one semantic patch per process
# on every core, as its own "make coccicheck" does for a directory, each on
# every version of every file of the walk at once: each version is a copy
# of its directory at its commit (for its local includes), and spatch's
# --file-groups keeps every file a group of its own, so no rule matched in
# one file enables another in the next. Same patches, same options.
cocci() { # rev:file...
	local rec item f o cache blob todo=() srcs=()
	rec=$(mktemp -d "$out/cocci.XXXXXX")
	for item; do
		f=${item#*:}
		cache=$(cache_of cocci "$f" "${item%%:*}") && [ ! -f "$cache" ] || continue
		blob=${cache##*.}
		[ -d "$rec/$blob" ] && continue
		o=$(object_of "$wt" "$f")
		mkdir -p "$rec/$blob"
		git -C "$wt" archive "${item%%:*}" -- "${o%/*}" | tar -x -C "$rec/$blob"
		printf '%s\n\n' "$rec/$blob/${o%.o}.c" >>"$rec/groups"
		todo+=("$blob"); srcs+=("$f")
	done
	[ ${#todo[@]} = 0 ] && { rm -rf "$rec"; return; }
	RECORD_DIR=$rec kmake C=2 CHECK="$top/scripts/record-check.sh" "$(object_of "$wt" "${srcs[0]}")" >/dev/null
	if [ ! -s "$rec/args" ]; then
		echo "error: coccicheck was not run on ${srcs[*]}" >"$rec/out"
	else
		grep -v '^declare -[a-z]*r' "$rec/env" >"$rec/env.sh"
		# the file kbuild named is replaced by the groups (an empty last argument)
		grep -l 'virtual[[:space:]]\+report' $(find "$wt/scripts/coccinelle" -name '*.cocci' | sort) |
			xargs -P "$(nproc)" -I{} bash -c '. "$0/env.sh"; cd "$(cat "$0/cwd")" &&
				eval "COCCI={} MODE=report SPFLAGS=\"--file-groups $0/groups\" $1 $(cat "$0/args") \"\""' \
				"$rec" "$wt/scripts/coccicheck" >"$rec/out" 2>&1
	fi
	# A report names its copy; any other line (an error) goes to every file.
	for blob in "${todo[@]}"; do
		{ grep -F "$rec/$blob/" "$rec/out"; grep -vF "$rec/" "$rec/out"; } | keep "$out/cocci.$blob" "$rec/$blob"
	done
	rm -rf "$rec"
}

build() { # rev name
	git -C "$wt" checkout -q -f --detach "$1" &&
		"$top/scripts/build-kernel.sh" "$wt" "$obj" $frags >/dev/null || return
	[ "$WB_GATES" = build ] && return
	mkdir -p "$chk" && { cmp -s "$obj/.config" "$chk/.config" || cp "$obj/.config" "$chk/.config"; } &&
		kmake olddefconfig prepare >/dev/null
}

# Only a kernel that built is published, and the key only when every patch
# built: no later target boots an image of another tree.
status "gates: building the base test kernel"
check "gate build   base" build "$base" base && cp "$obj/arch/x86/boot/bzImage" "$kernels/test-base.bzImage"
built=$?
[ "$WB_GATES" = build ] && files=()
sparse_runs() { # the kernel's checker-valid.sh once failed here and not by hand: say why
	local o; o=$(kmake C=2 CHECK="$SPARSE" "$(object_of "$wt" "$1")")
	grep -q "not available or not up to date" <<<"$o" || return 0
	echo "$o" | head -5; echo "checker-valid.sh: $(cd "$wt" && sh scripts/checker-valid.sh "$SPARSE" -m64 2>&1)"
	return 1
}
[ ${#files[@]} -gt 0 ] && check "gate sparse runs (the kernel accepts this sparse)" sparse_runs "${files[0]}"
for f in "${files[@]}"; do
	for kind in w1 sparse; do reports $kind "$f" >"$out/base.$kind.${f//\//_}"; done
done

new_reports() { # kind rev file... : what the files have at rev and not at the base
	local kind=$1 rev=$2 f; shift 2
	for f; do
		touch "$out/base.$kind.${f//\//_}"	# a file the base does not have
		reports "$kind" "$f" "$rev" | comm -13 "$out/base.$kind.${f//\//_}" -
	done
}
gate() { # kind name rev file...
	local new files=${*:4}; new=$(new_reports "$1" "$3" "${@:4}")
	if [ -z "$new" ]; then
		pass "gate $1 $2 (${files:-no C files})"
	else
		fail "gate $1 $2"; printf '%s\n' "$new" | sed 's/^/    /'
	fi
}

# A Fixes: tag names an upstream commit, which a tree made from a Debian
# tarball has no history to find; a KSRC= tree has, and checks it.
cp_ignore=; [ -f "$tree.upstream" ] || cp_ignore="--ignore UNKNOWN_COMMIT_ID"
n=0 versions=() touched_by=() queue=$QUEUE_DIR m=0
for f in "${files[@]}"; do versions+=("$base:$f"); done
for c in "${commits[@]}"; do
	n=$((n + 1)) m=$((m + 1))
	# NNNN: the patch's number in the walk; its file is numbered in its queue
	name=$(printf '%04d' $n)
	patch=$(ls "$queue"/$(printf '%04d' $m)-*.patch 2>/dev/null | head -n1)
	subject=$(git -C "$tree" log -1 --format=%s "$c")
	# Nothing the kernel build reads changed: its build is the last one.
	status "gates: patch $name of ${#commits[@]}: building"
	if [ -z "$(git -C "$tree" diff --name-only "$c^" "$c" -- . ':!tools' ':!Documentation' ':!MAINTAINERS')" ]; then
		check "gate build      $name $subject (no kernel file changed)" git -C "$wt" checkout -q -f --detach "$c"
	else
		check "gate build      $name $subject" build "$c" || built=1
	fi
	if [ "$c" = "$first" ] && [ "$tip" != lru-drain ]; then
		[ $built = 0 ] && cp "$obj/arch/x86/boot/bzImage" "$kernels/test-series.bzImage"
		# the first queue's objects of what the second changes: fastpath.sh
		rm -rf "$out/series-obj"
		for f in $(git -C "$tree" diff --name-only "$first" "$tip" -- '*.c' | grep -v '^tools/'); do
			o=$(object_of "$wt" "$f") && mkdir -p "$out/series-obj/${o%/*}" && cp "$obj/$o" "$out/series-obj/$o"
		done
		queue=$QUEUE2_DIR m=0
	fi
	status "gates: patch $name of ${#commits[@]}: checkpatch, W=1, sparse"
	[ "$WB_GATES" = build ] && continue
	if [ -n "$patch" ] && out_cp=$(cd "$wt" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict -q $cp_ignore "$patch" 2>&1) && [ -z "$out_cp" ]; then
		pass "gate checkpatch $name"
	else
		fail "gate checkpatch $name"; printf '%s\n' "$out_cp" | head -20 | sed 's/^/    /'
	fi
	mapfile -t touched < <(git -C "$tree" diff --name-only "$c^" "$c" -- '*.c' | grep -v '^tools/')
	gate w1 "$name" "$c" "${touched[@]}"
	gate sparse "$name" "$c" "${touched[@]}"
	for f in "${touched[@]}"; do versions+=("$c:$f"); done
	touched_by[n]="${touched[*]}"
done
# coccicheck reads the files, not the build: all versions in one run.
if [ "$WB_GATES" != build ]; then
	status "gates: coccicheck of every patch"
	cocci "${versions[@]}"
	for f in "${files[@]}"; do reports cocci "$f" "$base" >"$out/base.cocci.${f//\//_}"; done
	for n in "${!touched_by[@]}"; do
		gate cocci "$(printf '%04d' "$n")" "${commits[n - 1]}" ${touched_by[n]}
	done
fi
if [ $built = 0 ]; then
	cp "$obj/arch/x86/boot/bzImage" "$kernels/test-$([ "$tip" = lru-drain ] && echo series || echo noise).bzImage"
	if [ "$tip" != lru-drain ] && [ "$WB_GATES" != build ]; then
		status "gates: fast paths"
		"$top/scripts/fastpath.sh" "$out/series-obj" "$obj" || wb_failed=1
	fi
	echo "$key" >"$kernels/test.key"
else
	echo "error: a build failed: no series test kernel published" >&2
fi
cat "$WB_RESULTS" >>"$WB_RESULTS_ALL"
mv "$WB_RESULTS" "$out/walk-$key"
