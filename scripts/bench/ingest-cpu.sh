#!/usr/bin/env bash
# CPU of one RTMP/SRT ingest relay (server/ingest/StreamRelay.ts) per second of stream, pinned to
# one core (taskset, CORE=0 by default): the encoder's H.264 copied (no B-frames) or re-encoded
# (x264 veryfast zerolatency, as the relay does), with AAC → Opus in both; and what a layer
# encoder would cost (the same picture re-encoded as 3 layers, 720p/360p/180p, which the relay
# does not do). The input is a pre-encoded file read at its own pace (-re), so the figure is the
# relay's work only. Usage: scripts/bench/ingest-cpu.sh [WxH] [kbps] [seconds]
set -euo pipefail
size=${1:-1280x720}
kbps=${2:-2500}
secs=${3:-15}
core=${CORE:-0}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ffmpeg -hide_banner -loglevel error -f lavfi -i "testsrc2=size=$size:rate=30" -f lavfi \
  -i sine=frequency=440:sample_rate=48000 -t "$secs" -c:v libx264 -preset veryfast -bf 2 \
  -g 60 -b:v "${kbps}k" -c:a aac -b:a 128k "$dir/in.ts"

cpu() { # user+sys seconds of one FFmpeg run on one core
  /usr/bin/time -f '%U %S' -o "$dir/t" taskset -c "$core" ffmpeg -hide_banner -loglevel error \
    -nostdin -re -i "$dir/in.ts" "$@" -map 0:a:0 -c:a libopus -ar 48000 -ac 2 -b:a 96k -vn \
    -f null - >/dev/null 2>&1
  awk '{ printf "%.2f", $1 + $2 }' "$dir/t"
}
x264() { # one x264 zerolatency output at $1 kbps
  echo -c:v libx264 -preset veryfast -tune zerolatency -profile:v baseline -pix_fmt yuv420p \
    -g 30 -b:v "$1k" -maxrate "$1k" -bufsize "$1k" -an -f null -
}
copy=$(cpu -map 0:v:0 -c:v copy -bsf:v h264_mp4toannexb -an -f null -)
# shellcheck disable=SC2046
encode=$(cpu -map 0:v:0 $(x264 "$kbps"))
# shellcheck disable=SC2046
layers=$(cpu -filter_complex '[0:v]split=3[a][b][c];[b]scale=640:360[m];[c]scale=320:180[s]' \
  -map '[a]' $(x264 "$kbps") -map '[m]' $(x264 600) -map '[s]' $(x264 200))
echo "ingest relay, $size at ${kbps} kbps, $secs s of stream, core $core (load: $(cut -d' ' -f1 /proc/loadavg))"
awk -v c="$copy" -v e="$encode" -v l="$layers" -v s="$secs" 'BEGIN {
  printf "copy (H.264 as sent) + AAC→Opus: %5.1f %% of a core\n", 100 * c / s
  printf "re-encode (x264 veryfast zerolatency) + AAC→Opus: %5.1f %% of a core\n", 100 * e / s
  printf "3 layers (full/360p/180p, not done by the relay) + AAC→Opus: %5.1f %% of a core\n", 100 * l / s
}'
