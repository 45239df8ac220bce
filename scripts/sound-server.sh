#!/bin/sh
# Start (idempotently) a PulseAudio server with virtual devices for tests:
#   spk       null sink, the program's speaker (record it from spk.monitor)
#   mic_feed  null sink, play the simulated user into it
#   mic       source remapped from mic_feed.monitor, the program's microphone
# Usage: sound-server.sh [--echo [VOLUME%]] [--no-echo] [--stop]
#   --echo     loop spk.monitor back into mic_feed (quieter) to simulate echo
#   --no-echo  remove that loopback
set -eu

wait_ready() {
    i=0
    until pactl info >/dev/null 2>&1; do
        i=$((i + 1))
        [ "$i" -gt 100 ] && { echo "sound-server: PulseAudio did not start" >&2; exit 1; }
        sleep 0.1
    done
}

start() {
    if pactl info >/dev/null 2>&1; then
        :  # already running
    else
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
    pactl list short sinks | grep -q '	spk	' || pactl load-module module-null-sink sink_name=spk >/dev/null
    pactl list short sinks | grep -q '	mic_feed	' || pactl load-module module-null-sink sink_name=mic_feed >/dev/null
    pactl list short sources | grep -q '	mic	' || \
        pactl load-module module-remap-source source_name=mic master=mic_feed.monitor >/dev/null
    pactl set-default-sink spk
    pactl set-default-source mic
}

echo_ids() {
    pactl list short modules | awk -F'\t' '$2=="module-loopback" && $3 ~ /source=spk.monitor/ {print $1}'
}

no_echo() {
    for id in $(echo_ids); do pactl unload-module "$id" 2>/dev/null || true; done
}

add_echo() {
    vol="${1:-55}"
    no_echo
    id=$(pactl load-module module-loopback source=spk.monitor sink=mic_feed latency_msec=30 \
        source_dont_move=true sink_dont_move=true)
    # Make the echo quieter than the user: scale the loopback's sink input.
    input=$(pactl list sink-inputs | awk -v m="$id" '/^Sink Input #/ {n=substr($3,2)} /Owner Module:/ && $3==m {print n}')
    for s in $input; do pactl set-sink-input-volume "$s" "${vol}%"; done
}

start
case "${1:-}" in
    --echo) add_echo "${2:-55}" ;;
    --no-echo) no_echo ;;
    --stop) pactl exit 2>/dev/null || pulseaudio -k 2>/dev/null || true ;;
    "") ;;
    *) echo "usage: $0 [--echo [VOLUME%]] [--no-echo] [--stop]" >&2; exit 2 ;;
esac
