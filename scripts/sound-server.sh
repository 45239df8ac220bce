#!/bin/sh
# Start (idempotently) a PulseAudio server with virtual devices for tests:
#   spk       null sink, the program's speaker (record it from spk.monitor)
#   mic_feed  null sink, play the simulated user into it
#   mic       source remapped from mic_feed.monitor, the program's microphone
# Usage: sound-server.sh [--echo [VOLUME%] [PREFIX]] [--no-echo [PREFIX]]
#                        [--card PREFIX] [--drop-card PREFIX] [--stop]
#   --echo       loop the speaker's monitor back into the mic feed, quieter
#                (default 55%, about -16 dB), to simulate echo
#   --no-echo    remove that loopback
#   --card P     add a private set of devices P_spk, P_feed, P_mic (tests that
#                may run beside other sessions on the same server use these)
#   --drop-card P  remove them again
# With PREFIX, --echo/--no-echo act on P_spk/P_feed instead of spk/mic_feed.
set -eu

wait_ready() {
    i=0
    until pactl info >/dev/null 2>&1; do
        i=$((i + 1))
        [ "$i" -gt 100 ] && { echo "sound-server: PulseAudio did not start" >&2; exit 1; }
        sleep 0.1
    done
}

has_sink() { pactl list short sinks | cut -f2 | grep -qx "$1"; }
has_source() { pactl list short sources | cut -f2 | grep -qx "$1"; }

keep_alive() {  # sink
    # An idle null sink renders in 2-second ticks: a stream that starts then
    # waits up to 2 s for its first pull (a real sound card starts at once).
    # A silent low-latency loopback keeps each virtual sink ticking like a
    # real one. It adds only zeros to what the sink's monitor records.
    has_source silence || pactl load-module module-null-source source_name=silence >/dev/null
    pactl list short modules | awk -F'\t' -v s="source=silence sink=$1 " \
        '$2=="module-loopback" && index($3 " ", s) {f=1} END {exit !f}' || \
        pactl load-module module-loopback source=silence sink="$1" latency_msec=20 \
            source_dont_move=true sink_dont_move=true >/dev/null
}

add_set() {  # speaker sink, feed sink, microphone source
    has_sink "$1" || pactl load-module module-null-sink sink_name="$1" >/dev/null
    has_sink "$2" || pactl load-module module-null-sink sink_name="$2" >/dev/null
    has_source "$3" || pactl load-module module-remap-source source_name="$3" master="$2.monitor" >/dev/null
    keep_alive "$1"
    keep_alive "$2"
    ticking "$1"
    ticking "$2"
}

ticking() {  # wait (at most 3 s) until the sink renders in short ticks
    timeout 3 parec --device="$1.monitor" --latency-msec=10 --raw 2>/dev/null \
        | head -c 3200 >/dev/null || true
}

start() {
    if ! pactl info >/dev/null 2>&1; then
        # As root PulseAudio warns that it is not meant to; it works (see DESIGN.md).
        pulseaudio -D -n --exit-idle-time=-1 --disallow-exit \
            --load=module-native-protocol-unix \
            --load="module-null-sink sink_name=spk" \
            --load="module-null-sink sink_name=mic_feed" \
            --load="module-remap-source source_name=mic master=mic_feed.monitor" \
            --log-target=stderr >/dev/null 2>&1 || true
        wait_ready
    fi
    # A server started elsewhere may lack our devices: add the missing ones.
    add_set spk mic_feed mic
    pactl set-default-sink spk
    pactl set-default-source mic
}

no_echo() {  # $1 speaker sink
    for id in $(pactl list short modules | awk -F'\t' -v s="source=$1.monitor " \
            '$2=="module-loopback" && index($3 " ", s) {print $1}'); do
        pactl unload-module "$id" 2>/dev/null || true
    done
}

add_echo() {  # volume%, speaker sink, feed sink
    no_echo "$2"
    id=$(pactl load-module module-loopback source="$2.monitor" sink="$3" latency_msec=30 \
        source_dont_move=true sink_dont_move=true)
    # Make the echo quieter than the user: scale the loopback's sink input.
    input=$(pactl list sink-inputs | awk -v m="$id" '/^Sink Input #/ {n=substr($3,2)} /Owner Module:/ && $3==m {print n}')
    for s in $input; do pactl set-sink-input-volume "$s" "$1%"; done
}

drop_card() {
    no_echo "$1_spk"
    for id in $(pactl list short modules | awk -F'\t' -v a="sink=$1_spk " -v b="sink=$1_feed " \
            '$2=="module-loopback" && (index($3 " ", a) || index($3 " ", b)) {print $1}'); do
        pactl unload-module "$id" 2>/dev/null || true
    done
    for name in "$1_mic" "$1_feed" "$1_spk"; do
        for id in $(pactl list short modules | awk -F'\t' -v n="$name" \
                '$3 ~ ("(sink|source)_name=" n "( |$)") {print $1}'); do
            pactl unload-module "$id" 2>/dev/null || true
        done
    done
}

start
case "${1:-}" in
    --echo)
        if [ -n "${3:-}" ]; then add_echo "${2:-55}" "$3_spk" "$3_feed"
        else add_echo "${2:-55}" spk mic_feed; fi ;;
    --no-echo)
        if [ -n "${2:-}" ]; then no_echo "$2_spk"; else no_echo spk; fi ;;
    --card) [ -n "${2:-}" ] || { echo "usage: $0 --card PREFIX" >&2; exit 2; }
        add_set "$2_spk" "$2_feed" "$2_mic" ;;
    --drop-card) [ -n "${2:-}" ] || { echo "usage: $0 --drop-card PREFIX" >&2; exit 2; }
        drop_card "$2" ;;
    --stop) pactl exit 2>/dev/null || pulseaudio -k 2>/dev/null || true ;;
    "") ;;
    *) echo "usage: $0 [--echo [VOLUME%] [PREFIX]] [--no-echo [PREFIX]] [--card P] [--drop-card P] [--stop]" >&2
       exit 2 ;;
esac
