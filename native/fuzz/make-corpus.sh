#!/usr/bin/env bash
# Rebuilds the seed corpus in corpus/ (committed, ~100 KB; excluded from the npm package) from
# clips of the shared data with sox: short real speech in every WAV layout the decoder reads, and
# resampler inputs (rate pair + flags + float32 samples, the layout resample_fuzz.cpp reads).
#   native/fuzz/make-corpus.sh [path/to/shared/data]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${1:-$here/../../../shared/data}"
command -v sox >/dev/null || { echo "make-corpus: sox is required" >&2; exit 1; }
fda="$data/fda-ue/rl001.wav"
rav="$data/ravdess-48k/$(ls "$data/ravdess-48k" | grep '\.wav$' | sort | head -1)"
for f in "$fda" "$rav"; do [ -f "$f" ] || { echo "make-corpus: missing $f" >&2; exit 1; }; done

wav="$here/corpus/wav"
res="$here/corpus/resample"
rm -rf "$wav" "$res"
mkdir -p "$wav" "$res"

# name  source  rate  channels  sox encoding options  (0.06 s from 0.5 s in: speech, not silence)
while read -r name src rate ch enc; do
  sox "$src" -r "$rate" -c "$ch" ${enc//,/ } "$wav/$name.wav" trim 0.5 0.06
done <<LIST
s16-16k-mono   $fda 16000 1 -b,16,-e,signed-integer
u8-8k-mono     $fda 8000  1 -b,8,-e,unsigned-integer
s24-48k-stereo $rav 48000 2 -b,24,-e,signed-integer
s32-44k-mono   $rav 44100 1 -b,32,-e,signed-integer
f32-22k-mono   $fda 22050 1 -b,32,-e,floating-point
f64-16k-mono   $fda 16000 1 -b,64,-e,floating-point
alaw-8k-mono   $fda 8000  1 -e,a-law
mulaw-8k-mono  $fda 8000  1 -e,u-law
s16-48k-quad   $rav 48000 4 -b,16,-e,signed-integer
s16-20k-native $fda 20000 1 -b,16,-e,signed-integer
LIST
# WAVE_FORMAT_EXTENSIBLE (sox writes it for more than 2 channels or more than 16 bits).
sox "$rav" -r 32000 -c 3 -b 24 "$wav/ext-s24-32k-3ch.wav" trim 0.5 0.03
# An unsupported codec (IMA ADPCM) and a streaming writer's header (data size 0xFFFFFFFF).
sox "$fda" -r 8000 -e ima-adpcm "$wav/ima-adpcm-8k.wav" trim 0.5 0.06
cp "$wav/s16-16k-mono.wav" "$wav/s16-streaming.wav"
printf '\xff\xff\xff\xff' | dd of="$wav/s16-streaming.wav" bs=1 seek=40 conv=notrunc status=none

# Resampler inputs: little-endian u32 'from', u32 'to' (both mapped into the fuzzer's rate
# range by rate_from: value - 1000 here gives that rate), one flags byte (channels - 1 in the
# low 3 bits, mono in bit 3), then float32 samples.
le32() { local v=$(($1 - 1000)); printf "\\x$(printf %02x $((v & 255)))\\x$(printf %02x $(((v >> 8) & 255)))\\x$(printf %02x $(((v >> 16) & 255)))\\x$(printf %02x $(((v >> 24) & 255)))"; }
while read -r from to ch mono; do
  flags=$(( (ch - 1) | (mono << 3) ))
  { le32 "$from"; le32 "$to"; printf "\\x$(printf %02x $flags)"; sox "$fda" -r "$from" -c "$ch" -t f32 - trim 0.5 0.02; } > "$res/$from-$to-c$ch-m$mono.bin"
done <<LIST
48000 16000 1 0
44100 16000 2 1
16000 48000 1 0
22050 16000 2 0
8000 16000 1 0
20000 16000 1 0
32000 44100 3 1
96000 16000 1 0
LIST
du -sh "$here/corpus"
