#!/usr/bin/env bash
# Build mediasoup's C++ worker (mediasoup-worker) from the npm package's own
# sources against Debian 12's libraries, without internet access (only the npm
# registry and the Debian apt repositories are used).
#
# Contract:
#   - Cache dir: ${DIEMCAU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/diemcau}
#   - Binary:    $CACHE/mediasoup-worker/<mediasoup version>-<hash16>/mediasoup-worker
#                where <hash16> is the first 16 hex digits of the sha256 of this
#                script followed by the patch/helper files in
#                scripts/mediasoup-worker/ (*.patch and *.sh, sorted by name).
#   - If the binary exists its absolute path is printed on stdout at once.
#     Otherwise it is built (in a temp dir, moved atomically into the cache)
#     and then its path is printed. stdout carries only that path line; all
#     progress/log output goes to stderr.
#   - Missing Debian packages: the needed `apt-get install` line is printed
#     and the script exits with status 2.
#
# Environment:
#   DIEMCAU_CACHE_DIR   cache directory (see above)
#   JOBS                parallel build jobs (default: nproc)
set -euo pipefail

# Everything is inside main() so that bash parses the whole file before running
# it (editing/updating this file during a build cannot break the build).
main() {

	MEDIASOUP_VERSION="3.19.3"
	MEDIASOUP_TGZ_SHA256="cd8fb43e518a19ad0355117360d9de179d7958d823456f24326736cb3513d31e"
	LIBSRTP_VERSION="2.5.0"
	LIBSRTP_ORIG="libsrtp2_${LIBSRTP_VERSION}.orig.tar.gz"
	LIBSRTP_ORIG_SHA256="8a43ef8e9ae2b665292591af62aa1a4ae41e468b6d98d8258f91478735da4e09"

	SCRIPT_PATH="$(readlink -f "${BASH_SOURCE[0]}")"
	SCRIPT_DIR="$(dirname "$SCRIPT_PATH")"
	PATCH_DIR="$SCRIPT_DIR/mediasoup-worker"

	CACHE_DIR="${DIEMCAU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/diemcau}"
	WORKER_CACHE="$CACHE_DIR/mediasoup-worker"

	log() { printf '[build-mediasoup-worker] %s\n' "$*" >&2; }
	die() { log "ERROR: $*"; exit 1; }

	# Files whose content defines the build (and hence the cache key).
	build_inputs() {
		printf '%s\n' "$SCRIPT_PATH"
		find "$PATCH_DIR" -maxdepth 1 -type f \( -name '*.patch' -o -name '*.sh' \) -print |
			LC_ALL=C sort
	}

	compute_hash() {
		local f
		build_inputs | while IFS= read -r f; do cat "$f"; done | sha256sum | cut -c1-16
	}

	[[ -d "$PATCH_DIR" ]] || die "missing $PATCH_DIR"

	HASH="$(compute_hash)"
	OUT_DIR="$WORKER_CACHE/${MEDIASOUP_VERSION}-${HASH}"
	OUT_BIN="$OUT_DIR/mediasoup-worker"

	# Fast path.
	if [[ -x "$OUT_BIN" ]]; then
		printf '%s\n' "$(readlink -f "$OUT_BIN")"
		exit 0
	fi

	# ---------------------------------------------------------------------------
	# Prerequisites.
	# ---------------------------------------------------------------------------

	# Debian packages needed to build the worker and a static libsrtp 2 (with
	# OpenSSL crypto) from Debian's source package. libsrtp2-dev is NOT needed:
	# Debian's libsrtp2 is built with NSS, which is ~2x slower per packet.
	REQUIRED_PACKAGES=(
		meson
		ninja-build
		pkg-config
		gcc
		g++
		make
		patch
		python3
		libssl-dev
		libuv1-dev
		libusrsctp-dev
		libabsl-dev
		libflatbuffers-dev
		flatbuffers-compiler
	)

	missing=()
	for pkg in "${REQUIRED_PACKAGES[@]}"; do
		status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
		if [[ "$status" != "installed" ]]; then
			missing+=("$pkg")
		fi
	done
	if ((${#missing[@]} > 0)); then
		log "missing Debian packages: ${missing[*]}; install them with:"
		printf 'apt-get install -y %s\n' "${missing[*]}" >&2
		exit 2
	fi

	# ---------------------------------------------------------------------------
	# Locking (concurrent invocations build once).
	# ---------------------------------------------------------------------------

	mkdir -p "$WORKER_CACHE/sources"
	exec 9>"$WORKER_CACHE/.build-${MEDIASOUP_VERSION}-${HASH}.lock"
	if ! flock -n 9; then
		log "another build of ${MEDIASOUP_VERSION}-${HASH} is running, waiting for it..."
		flock 9
	fi
	if [[ -x "$OUT_BIN" ]]; then
		printf '%s\n' "$(readlink -f "$OUT_BIN")"
		exit 0
	fi

	# Leftovers of killed builds of this same version/hash (we hold its lock).
	rm -rf "$WORKER_CACHE/.tmp-build-${MEDIASOUP_VERSION}-${HASH}-"*
	TMP="$(mktemp -d "$WORKER_CACHE/.tmp-build-${MEDIASOUP_VERSION}-${HASH}-XXXXXX")"
	cleanup() { rm -rf "$TMP"; }
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	JOBS="${JOBS:-$(nproc)}"
	START_TS=$(date +%s)
	log "building mediasoup-worker $MEDIASOUP_VERSION ($HASH) in $TMP with $JOBS jobs"

	sha256_ok() { [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$2" ]]; }

	# ---------------------------------------------------------------------------
	# Sources (cached in $WORKER_CACHE/sources).
	# ---------------------------------------------------------------------------

	MEDIASOUP_TGZ="$WORKER_CACHE/sources/mediasoup-${MEDIASOUP_VERSION}.tgz"
	if ! sha256_ok "$MEDIASOUP_TGZ" "$MEDIASOUP_TGZ_SHA256"; then
		log "fetching mediasoup@$MEDIASOUP_VERSION with npm pack"
		command -v npm >/dev/null 2>&1 || die "npm not found in PATH (needed for 'npm pack mediasoup@$MEDIASOUP_VERSION')"
		mkdir -p "$TMP/npm"
		(cd "$TMP/npm" && npm pack "mediasoup@$MEDIASOUP_VERSION" --pack-destination "$TMP/npm" --loglevel=error >&2)
		sha256_ok "$TMP/npm/mediasoup-${MEDIASOUP_VERSION}.tgz" "$MEDIASOUP_TGZ_SHA256" ||
			die "mediasoup-${MEDIASOUP_VERSION}.tgz: unexpected sha256"
		mv -f "$TMP/npm/mediasoup-${MEDIASOUP_VERSION}.tgz" "$MEDIASOUP_TGZ"
	fi

	LIBSRTP_TGZ="$WORKER_CACHE/sources/$LIBSRTP_ORIG"
	if ! sha256_ok "$LIBSRTP_TGZ" "$LIBSRTP_ORIG_SHA256"; then
		log "fetching Debian's libsrtp2 source package with apt-get source (private deb-src lists)"
		command -v apt-get >/dev/null 2>&1 || die "apt-get not found (needed to fetch Debian's libsrtp2 source)"
		apt_dir="$TMP/apt"
		mkdir -p "$apt_dir/sources.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/dl"
		# Mirror the system's deb entries as deb-src entries, without touching the
		# system's apt configuration.
		n=0
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[[ -f "$f" ]] || continue
			n=$((n + 1))
			sed -n -E 's/^[[:space:]]*deb[[:space:]]+/deb-src /p' "$f" >"$apt_dir/sources.d/src-$n.list"
		done
		for f in /etc/apt/sources.list.d/*.sources; do
			[[ -f "$f" ]] || continue
			n=$((n + 1))
			sed -E 's/^(Types:.*[[:space:]])deb([[:space:]]|$)/\1deb-src\2/; s/^Types:[[:space:]]*deb([[:space:]]|$)/Types: deb-src\1/' \
				"$f" >"$apt_dir/sources.d/src-$n.sources"
		done
		apt_opts=(
			-o "Dir::Etc::SourceList=/dev/null"
			-o "Dir::Etc::SourceParts=$apt_dir/sources.d"
			-o "Dir::State::Lists=$apt_dir/lists"
			-o "Dir::Cache=$apt_dir/cache"
			-o "Debug::NoLocking=1"
		)
		if [[ "$(id -u)" == 0 ]]; then
			apt_opts+=(-o "APT::Sandbox::User=root")
		fi
		apt-get "${apt_opts[@]}" update >&2 ||
			log "warning: 'apt-get update' for deb-src reported errors (trying anyway)"
		(cd "$apt_dir/dl" && apt-get "${apt_opts[@]}" source --download-only "libsrtp2" >&2) ||
			die "could not download Debian's libsrtp2 source package"
		sha256_ok "$apt_dir/dl/$LIBSRTP_ORIG" "$LIBSRTP_ORIG_SHA256" ||
			die "$LIBSRTP_ORIG missing or with unexpected sha256 (Debian's libsrtp2 is no longer $LIBSRTP_VERSION?)"
		mv -f "$apt_dir/dl/$LIBSRTP_ORIG" "$LIBSRTP_TGZ"
	fi

	# ---------------------------------------------------------------------------
	# libsrtp 2 (static, PIC, OpenSSL crypto) into a private prefix.
	# ---------------------------------------------------------------------------

	log "building libsrtp $LIBSRTP_VERSION (static, OpenSSL crypto)"
	SRTP_PREFIX="$TMP/srtp-prefix"
	mkdir -p "$TMP/libsrtp"
	tar -xzf "$LIBSRTP_TGZ" -C "$TMP/libsrtp" --strip-components=1
	# (Chained with &&: set -e does not apply inside a subshell followed by ||.)
	(
		cd "$TMP/libsrtp" &&
			CFLAGS="-O2 -fPIC" ./configure --enable-openssl --prefix="$SRTP_PREFIX" >&2 &&
			make -j"$JOBS" libsrtp2.a >&2 &&
			make install >&2
	) || die "libsrtp build failed"
	[[ -f "$SRTP_PREFIX/lib/libsrtp2.a" && -f "$SRTP_PREFIX/lib/pkgconfig/libsrtp2.pc" ]] ||
		die "libsrtp install incomplete"

	# ---------------------------------------------------------------------------
	# mediasoup worker.
	# ---------------------------------------------------------------------------

	log "extracting mediasoup worker sources and applying patches"
	mkdir -p "$TMP/mediasoup"
	tar -xzf "$MEDIASOUP_TGZ" -C "$TMP/mediasoup"
	WORKER_SRC="$TMP/mediasoup/package/worker"
	[[ -f "$WORKER_SRC/meson.build" ]] || die "unexpected package layout (no package/worker/meson.build)"
	while IFS= read -r p; do
		log "applying $(basename "$p")"
		patch -d "$WORKER_SRC" -p1 --forward --batch --no-backup-if-mismatch <"$p" >&2 ||
			die "patch $(basename "$p") failed"
	done < <(find "$PATCH_DIR" -maxdepth 1 -type f -name '*.patch' -print | LC_ALL=C sort)

	log "configuring (meson)"
	PKG_CONFIG_PATH="$SRTP_PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" \
		meson setup \
		--wrap-mode=nodownload \
		--buildtype release \
		-Db_ndebug=true \
		-Dms_disable_liburing=true \
		"$TMP/build" "$WORKER_SRC" >&2 || die "meson setup failed"

	log "compiling (ninja -j$JOBS), this takes several minutes"
	ninja -C "$TMP/build" -j"$JOBS" mediasoup-worker >&2 || die "ninja build failed"

	BIN="$TMP/build/mediasoup-worker"
	[[ -x "$BIN" ]] || die "no mediasoup-worker binary produced"

	# Sanity checks: libsrtp must be the static OpenSSL build, not Debian's .so.
	# (Command output is captured first: with pipefail, `cmd | grep -q` can fail
	# through SIGPIPE.)
	local ldd_out nm_out
	ldd_out="$(ldd "$BIN")" || die "ldd failed on the binary"
	if [[ "$ldd_out" == *libsrtp* ]]; then
		die "mediasoup-worker is dynamically linked against a libsrtp shared library"
	fi
	grep -qa "libsrtp2 $LIBSRTP_VERSION" "$BIN" || die "libsrtp $LIBSRTP_VERSION not found in the binary"
	nm_out="$(nm "$BIN")" || die "nm failed on the binary"
	[[ "$nm_out" == *srtp_aes_gcm_128_openssl* ]] || die "libsrtp in the binary is not the OpenSSL build"

	# ---------------------------------------------------------------------------
	# Atomic install into the cache.
	# ---------------------------------------------------------------------------

	STAGE="$TMP/out"
	mkdir -p "$STAGE"
	cp "$BIN" "$STAGE/mediasoup-worker"
	chmod 0755 "$STAGE/mediasoup-worker"
	{
		echo "mediasoup=$MEDIASOUP_VERSION"
		echo "hash=$HASH"
		echo "libsrtp=$LIBSRTP_VERSION (static, openssl)"
		echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "build_seconds=$(($(date +%s) - START_TS))"
	} >"$STAGE/BUILD-INFO"

	if [[ -e "$OUT_DIR" && ! -x "$OUT_BIN" ]]; then
		# Leftover without a binary (should not happen): replace it.
		rm -rf "$OUT_DIR"
	fi
	if ! mv -T "$STAGE" "$OUT_DIR" 2>/dev/null; then
		[[ -x "$OUT_BIN" ]] || die "could not move the binary into $OUT_DIR"
	fi

	log "done in $(($(date +%s) - START_TS))s: $OUT_BIN"
	printf '%s\n' "$(readlink -f "$OUT_BIN")"
}

main "$@"
