#!/usr/bin/python3
"""The programme composer: one GStreamer pipeline for a whole live session. It decodes the
meeting's RTP inputs (sent by mediasoup PlainTransports to local UDP ports), shows one of them full
frame with a compact title strip and a lower third, mixes the audio inputs and encodes H.264 + AAC
once. Outputs (MP4 segments, MPEG-TS over local UDP for the live pushers, HLS) are branches of the
encoders' tees, added and removed while it runs: starting or stopping one never touches another.

Driven by broadcast/ProgrammeEncoder.ts: the start options are one JSON argument; commands come
as JSON lines on stdin; events go out as JSON lines on stdout. GStreamer rather than FFmpeg
because its aggregators (compositor, audiomixer) keep producing frames when an input is silent or
missing and accept inputs and outputs added and removed while running.
"""
import faulthandler
import json
import os
import signal
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

from composer_timing import RecordTiming, force_key_unit  # noqa: E402

Gst.init(None)
# The owner sends SIGUSR1 before killing a silent composer: every Python thread's stack goes to
# stderr (written by C, so it works while the main loop is blocked), and the owner logs it.
faulthandler.register(signal.SIGUSR1, all_threads=True)

opts = json.loads(sys.argv[1])
W, H, FPS = opts["width"], opts["height"], opts["fps"]
# Inputs arrive with their jitter-buffer delay; the mixers wait this long for each frame (a frame
# later than that is not drawn: on a busy machine a short wait would flash the card). The picture's
# timestamps stay those of capture, so this delays the outputs, not the timeline.
MIX_LATENCY = 500 * Gst.MSECOND
# A shown input without a decoded frame for this long has vanished: the fallback takes over.
STALE_S = 3.0
# After a switch the previous picture stays (frozen if its source is gone) this long at most
# while the new input decodes its first frame; then the fallback, then the still card.
HOLD_S = 1.5
# The still card under every input: never a black picture.
CARD_RGB = 0xFF1F3A5F

loop = GLib.MainLoop()
inputs = {}  # id -> {"bin", "pad", "kind", "last": monotonic time of its last decoded frame}
wanted = None  # the input the owner wants shown
wanted_since = 0.0
fallback = None  # the main point's camera: shown when the wanted input has no picture
displayed = None  # the input on screen now (None: the still card)
outputs = {}  # id -> {"bin", "kind", "pads": [(tee, tee_pad)], "open": set(), "stopping": bool}
playing = False
waiting = []
stopping = False
out_lock = threading.Lock()
# Encoded buffers that reached the tees: the heartbeat carries them, so the owner can tell a
# composer whose main loop still runs but whose encoders stopped (a stuck streaming thread).
progress = {"video": 0, "audio": 0}
# Longest a branch may take to go to NULL before the composer says it is stuck.
TEARDOWN_S = 5.0
# Longest a recording may take to close its files once stopped (normally well under a second:
# RecordTiming waits at most 2 s for the slower stream, then the muxer writes its index).
RECORD_STOP_S = 8
# Longest a live output's first buffer of one stream waits for the other stream's caps.
CAPS_WAIT_S = 2.0


def emit(event, **fields):
    with out_lock:
        sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
        sys.stdout.flush()


def quote(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


def px(value):
    return max(8, int(round(value)))


# Broadcast layout: the camera full frame; a compact strip at the top with the meeting's name,
# and a lower third (agenda item, speaker) within ~15 % of the height. textoverlay scales its font
# with the picture's width (points at 640 px wide), so the same sizes hold at 360p, 720p, 1080p.
STRIP_PT = 8
LOWER_PT = 10
PAD = px(H * 0.02)


def font_px(points):
    return points * (W / 640) * 96 / 72


LEAKY = "queue leaky=downstream max-size-buffers=2 max-size-time=0 max-size-bytes=0"


def main_description():
    # A keyframe a second: HLS segments close (and the playlist appears) two seconds in.
    key_int = FPS
    return (
        f"compositor name=comp background=black latency={MIX_LATENCY} "
        f"! video/x-raw,format=I420,width={W},height={H},framerate={FPS}/1 "
        # Leaky queues: on a busy machine the picture drops frames here instead of falling
        # behind the clock (which would lose minutes at the outputs' end).
        f"! {LEAKY} ! textoverlay name=strip valignment=top halignment=left line-alignment=left "
        f"xpad={PAD} ypad={PAD} shaded-background=true shading-value=160 wrap-mode=none "
        f'font-desc="Noto Sans Bold {STRIP_PT}" text="" '
        "! textoverlay name=lower valignment=bottom halignment=left line-alignment=left "
        f"xpad={PAD} ypad={PAD} shaded-background=true shading-value=160 wrap-mode=none "
        f'font-desc="Noto Sans {LOWER_PT}" text="" '
        f"! videoconvert ! video/x-raw,format=I420 ! {LEAKY} "
        # Closed while nothing is output: the composer stays warm for the session without
        # paying for the encoder.
        "! valve name=encgate drop=true "
        f'! x264enc name=venc tune=zerolatency speed-preset={opts["preset"]} bitrate={int(opts["videoKbps"])} '
        f"key-int-max={key_int} threads={int(opts.get('threads', 0))} "
        # Byte-stream with SPS/PPS before every keyframe: any output (or another process teeing
        # the programme) can start at any keyframe. MP4 branches parse it to avc themselves.
        "! video/x-h264,profile=main,stream-format=byte-stream,alignment=au "
        "! h264parse config-interval=-1 "
        # Held to byte-stream after the parser too: left open, the parser converts to whatever the
        # first output linked prefers (avc for a recording's MP4), and every MPEG-TS output linked
        # after it (the live out, HLS) is refused (no common format) and never gets a picture.
        "! video/x-h264,stream-format=byte-stream,alignment=au "
        "! tee name=vt allow-not-linked=true "
        f"videotestsrc is-live=true pattern=solid-color foreground-color={CARD_RGB} "
        f"! video/x-raw,width={W},height={H},framerate={FPS}/1 ! comp.sink_0 "
        f"audiomixer name=amix latency={MIX_LATENCY} ! audio/x-raw,rate=48000,channels=2 "
        f'! audioconvert ! avenc_aac bitrate={int(opts["audioKbps"]) * 1000} ! aacparse '
        "! tee name=at allow-not-linked=true "
        "audiotestsrc is-live=true wave=silence ! audio/x-raw,rate=48000,channels=2 ! amix.sink_0"
    )


pipeline = Gst.parse_launch(main_description())
comp = pipeline.get_by_name("comp")
amix = pipeline.get_by_name("amix")
vtee = pipeline.get_by_name("vt")
encgate = pipeline.get_by_name("encgate")
# The first frames of a starting pipeline come before the card: no output takes them.
warm = {"done": False}


def count(kind):
    def probe(_pad, _info):
        progress[kind] += 1
        return Gst.PadProbeReturn.OK

    return probe


vtee.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, count("video"))


def update_gate():
    # Open while an output is fed (one that is stopping may still wait for its last frames).
    fed = any(not o["stopping"] or o.get("attached") for o in outputs.values())
    encgate.set_property("drop", not fed)
atee = pipeline.get_by_name("at")
atee.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, count("audio"))


def fit(text, points):
    """One line that fits the width: Noto Sans averages ~0.6 em a character (bold, capitals)."""
    text = " ".join((text or "").split())
    room = int((W - 4 * PAD) / (font_px(points) * 0.6))
    return text if len(text) <= room else text[: max(1, room - 1)].rstrip() + "…"


def set_text(strip=None, lower=None):
    if strip is not None:
        pipeline.get_by_name("strip").set_property(
            "text", GLib.markup_escape_text(fit(strip, STRIP_PT))
        )
    if lower is not None:
        lines = [fit(line, LOWER_PT) for line in lower.split("\n") if line.strip()][:2]
        pipeline.get_by_name("lower").set_property(
            "text", GLib.markup_escape_text("\n".join(lines))
        )


# ---- inputs -------------------------------------------------------------------------------


def input_description(cmd):
    caps = (
        f'application/x-rtp,media={cmd["kind"]},clock-rate={int(cmd["clockRate"])},'
        f'payload={int(cmd["payloadType"])},encoding-name={cmd["codec"].upper()}'
    )
    src = f'udpsrc address=127.0.0.1 port={int(cmd["port"])} caps="{caps}" ! rtpjitterbuffer latency=100 '
    codec = cmd["codec"].upper()
    if cmd["kind"] == "audio":
        return (
            src + "! rtpopusdepay ! opusdec plc=true ! audioconvert ! audioresample "
            "! audio/x-raw,rate=48000,channels=2 ! queue max-size-time=500000000 leaky=downstream"
        )
    decode = {
        "VP8": "rtpvp8depay wait-for-keyframe=true request-keyframe=true ! vp8dec",
        "VP9": "rtpvp9depay ! vp9dec",
        "H264": "rtph264depay ! h264parse ! avdec_h264",
    }[codec]
    # Scaled here to the programme's size (letterboxed): the mixer's pad never changes caps. A
    # sender's simulcast layer switch (80x45 first, then 320x180, then 640x360) changed them
    # there, and the frame that still had the old size was not drawn while it hid the card
    # beneath: a black frame on air at every switch on a busy machine.
    scale = (
        "videoconvert ! videoscale add-borders=true "
        f"! video/x-raw,format=I420,width={W},height={H},pixel-aspect-ratio=1/1"
    )
    # Leaky: a busy machine drops frames here, never stalls the mix behind a slow decoder.
    return src + f"! {decode} ! {scale} ! queue max-size-time=500000000 leaky=downstream"


input_serial = {"n": 0}


def add_input(cmd):
    remove_input(cmd["id"], now=True)
    branch = Gst.parse_bin_from_description(input_description(cmd), True)
    # Named, so that an error inside it is known as this input's (never the programme's end);
    # numbered, as the previous bin of the same input may still be on its way out.
    input_serial["n"] += 1
    branch.set_name(f"in-{input_serial['n']}-{cmd['id']}")
    pipeline.add(branch)
    mixer = amix if cmd["kind"] == "audio" else comp
    pad = mixer.request_pad_simple("sink_%u")
    entry = {"bin": branch, "pad": pad, "kind": cmd["kind"], "last": 0.0, "removed": False}
    src = branch.get_static_pad("src")
    if cmd["kind"] == "video":
        pad.set_property("alpha", 0.0)
        pad.set_property("zorder", 1)

        def seen(_pad, _info):
            entry["last"] = time.monotonic()
            return Gst.PadProbeReturn.OK

        src.add_probe(Gst.PadProbeType.BUFFER, seen)
    src.link(pad)
    branch.sync_state_with_parent()
    inputs[cmd["id"]] = entry
    emit("inputAdded", id=cmd["id"])


def remove_input(input_id, now=False):
    entry = inputs.get(input_id)
    if not entry:
        return
    if not now and input_id == displayed:
        # Still on screen: its last picture stays until the next one is ready (select()).
        entry["removed"] = True
        return
    inputs.pop(input_id)
    branch, pad = entry["bin"], entry["pad"]
    mixer = amix if entry["kind"] == "audio" else comp
    # To NULL off the main loop (the state change can wait for the mixer to take the branch's
    # last buffer: on the loop, the whole composer went silent and was killed under load), and
    # only then off the mixer, as before (released while its branch still pushed, the mixers
    # were seen to stop).
    branch.set_locked_state(True)

    def detached():
        branch.get_static_pad("src").unlink(pad)
        mixer.release_request_pad(pad)
        pipeline.remove(branch)
        return False

    def teardown():
        branch.set_state(Gst.State.NULL)
        GLib.idle_add(detached)

    threading.Thread(target=teardown, daemon=True).start()
    emit("inputRemoved", id=input_id)


def fresh(input_id, now, within):
    entry = inputs.get(input_id)
    return (
        entry is not None
        and entry["kind"] == "video"
        and entry["last"] > 0
        and now - entry["last"] < within
    )


def alive(input_id, now):
    return fresh(input_id, now, STALE_S) and not inputs[input_id]["removed"]


def select():
    """Which input is on screen: the wanted one once it decodes; meanwhile the previous picture
    while it still flows (for HOLD_S at most); then the main point's camera; then the still card.
    Never black."""
    global displayed
    now = time.monotonic()
    if wanted and alive(wanted, now):
        target = wanted
    elif displayed and now - wanted_since < HOLD_S and fresh(displayed, now, 1.0):
        target = displayed
    elif fallback and alive(fallback, now):
        target = fallback
    elif displayed and fresh(displayed, now, 0.5):
        target = displayed
    else:
        target = None
    if target != displayed:
        previous = displayed
        displayed = target
        for input_id, entry in inputs.items():
            if entry["kind"] == "video":
                entry["pad"].set_property("alpha", 1.0 if input_id == target else 0.0)
                entry["pad"].set_property("zorder", 2 if input_id == target else 1)
        emit("displayed", id=target, wanted=wanted, atMs=int(time.time() * 1000))
        if previous in inputs and inputs[previous]["removed"]:
            remove_input(previous, now=True)
    return True


# ---- outputs ------------------------------------------------------------------------------


def output_description(cmd):
    kind = cmd["kind"]
    vq = "queue max-size-time=3000000000 max-size-buffers=0 max-size-bytes=0"
    if kind == "record":
        seconds = int(cmd["segmentSeconds"])
        return (
            # Finalized in line (async-finalize off): "fragment-closed" comes once the file is
            # whole, so the branch is dropped only then (an async finalize could still be writing
            # the index of a quickly stopped segment when the branch went to NULL).
            "splitmuxsink name=rec async-finalize=false "
            # MP4 that survives a cut: the first second with its moov, then a fragment a second
            # (a crash leaves a file that plays up to its last whole fragment); on EOS the muxer
            # rewrites the index as a plain MP4's. Given here, not set later: the muxer is made
            # when the parser links the first pad.
            'muxer="mp4mux fragment-duration=1000 fragment-mode=first-moov-then-finalise" '
            # Unbuffered: each fragment is on disk once written (filesink keeps 64 KiB, seconds
            # of a low-rate programme, that a crash would lose).
            'sink="filesink buffer-mode=unbuffered" '
            f"max-size-time={seconds * Gst.SECOND} "
            f'location="{quote(cmd["dir"])}/unused-%05d.mp4" '
            f"{vq} name=vin ! h264parse ! rec.video "
            f"{vq} name=ain ! rec.audio_0"
        )
    if kind == "mpegts":
        # Pushers (RTMP) read this; a pusher that fails never touches the pipeline.
        return (
            "mpegtsmux name=tsmux alignment=7 ! "
            f"udpsink host=127.0.0.1 port={int(cmd['port'])} sync=false async=false "
            "queue name=vin leaky=downstream max-size-time=2000000000 ! tsmux. "
            "queue name=ain leaky=downstream max-size-time=2000000000 ! tsmux."
        )
    if kind == "hls":
        length = int(cmd["playlistLength"])
        return (
            f'hlssink2 name=hls target-duration={int(cmd["segmentSeconds"])} '
            f"playlist-length={length} max-files={length + 3} "
            f'location="{quote(cmd["dir"])}/seg{int(cmd.get("startIndex", 0)):05d}-%05d.ts" '
            f'playlist-location="{quote(cmd["dir"])}/index.m3u8" '
            "queue name=vin leaky=downstream max-size-time=2000000000 ! hls.video "
            "queue name=ain leaky=downstream max-size-time=2000000000 ! hls.audio"
        )
    raise ValueError(f"unknown output kind {kind}")


def add_output(cmd):
    out_id = cmd["id"]
    if out_id in outputs:
        return
    branch = Gst.Bin.new(f"out-{out_id}")
    # The branch's sinks change state asynchronously (splitmuxsink at every file it opens): left
    # to the pipeline, each ASYNC_START makes the whole live pipeline lose its state (PLAYING to
    # PAUSED until that sink prerolls). A sink that waits for data that the paused pipeline no
    # longer makes never prerolls: the encoder stopped for every output and the segments never
    # finished (the hang seen in the clean-clone run). The branch handles its own.
    branch.set_property("async-handling", True)
    inner = Gst.parse_bin_from_description(output_description(cmd), False)
    branch.add(inner)
    entry = {
        "bin": branch,
        "kind": cmd["kind"],
        "pads": [],
        "open": set(),
        "opened": False,
        "stopping": False,
        "failed": False,
        "files": [],
    }
    if cmd["kind"] == "record":
        rec = inner.get_by_name("rec")
        state = {"index": int(cmd.get("startIndex", 0))}
        stem = f'{cmd.get("stem", "programme")}-{int(cmd["run"]):06d}'

        def location(_sink, _fragment):
            # Monotonic indexes from the owner (run, segment): names never collide, whatever
            # the clock says or how often the recording is toggled.
            name = f"{stem}-{state['index']:03d}.mp4"
            state["index"] += 1
            entry["files"].append(os.path.join(cmd["dir"], name))
            return entry["files"][-1]

        rec.connect("format-location", location)
        entry["rec"] = rec
    started = {}
    entry["started"] = started

    def gate_video(_pad, info):
        # Each output starts on a keyframe (asked for below): every file decodes from frame one.
        buf = info.get_buffer()
        if "video" not in started and (
            not warm["done"] or buf.has_flags(Gst.BufferFlags.DELTA_UNIT)
        ):
            return Gst.PadProbeReturn.DROP
        started["video"] = True
        return Gst.PadProbeReturn.OK

    def gate_audio(_pad, _info):
        # Sound from the picture's first keyframe on, and from then on always.
        if "video" in started:
            started["audio"] = True
            return Gst.PadProbeReturn.OK
        return Gst.PadProbeReturn.DROP

    if cmd["kind"] != "record":
        # An MPEG-TS muxer (ours, and the one in hlssink2) creates its streams at its first
        # output from the caps its sink pads have then: a pad without caps fails the output
        # ("Could not create handler for stream"). Picture and sound reach the muxer through
        # queues of their own (two threads), so each stream's first buffer waits here (its caps
        # already on the muxer: sticky events go before the buffer) until the other stream's
        # caps are there too, at most CAPS_WAIT_S.
        ends = {
            name: inner.get_by_name(name).get_static_pad("src") for name in ("vin", "ain")
        }

        def caps_on_muxer(name):
            peer = ends[name].get_peer()
            return peer is not None and peer.has_current_caps()

        def both_caps(other):
            def probe(_pad, _info):
                deadline = time.monotonic() + CAPS_WAIT_S
                while not caps_on_muxer(other) and time.monotonic() < deadline:
                    time.sleep(0.005)
                return Gst.PadProbeReturn.REMOVE

            return probe

        ends["vin"].add_probe(Gst.PadProbeType.BUFFER, both_caps("ain"))
        ends["ain"].add_probe(Gst.PadProbeType.BUFFER, both_caps("vin"))

    if cmd["kind"] != "record":
        drained = set()

        def eos_out(_pad, info, name):
            if info.get_event().type == Gst.EventType.EOS:
                drained.add(name)
                if len(drained) == 2:
                    GLib.timeout_add(300, lambda: finish_output(out_id) and False)
            return Gst.PadProbeReturn.OK

        for name in ("vin", "ain"):
            inner.get_by_name(name).get_static_pad("src").add_probe(
                Gst.PadProbeType.EVENT_DOWNSTREAM, eos_out, name
            )

    timing = None
    if cmd["kind"] == "record":
        # A recording's picture and sound start and end on the same timestamps.
        timing = RecordTiming(lambda: warm["done"], lambda kind: detach(out_id, kind))
        entry["timing"] = timing
        gate_video, gate_audio = timing.video, timing.audio
        ain_src = inner.get_by_name("ain").get_static_pad("src")
        ain_src.add_probe(Gst.PadProbeType.BUFFER, timing.audio_out)

    def guarded(gate):
        # A failed branch gets nothing more: a tee stops at the first of its pads that answers
        # anything but OK or NOT_LINKED (and returns that upstream), so one broken branch would
        # starve every output added after it (their pads come later in the tee's list) or stop
        # the encoder. Failed is known from its muxer's error (on_sync_error, in the failing
        # thread) or from what the branch answered this pad's last push (an EOS or FLUSHING with
        # no error posted); it is then removed and the owner adds it again.
        pushed = {"any": False}

        def probe(pad, info):
            if entry["failed"]:
                return Gst.PadProbeReturn.DROP
            # Only once something was pushed here: a new pad's last result reads FLUSHING.
            last = pad.get_last_flow_return() if pushed["any"] else Gst.FlowReturn.OK
            if last not in (Gst.FlowReturn.OK, Gst.FlowReturn.NOT_LINKED):
                if not entry["stopping"]:
                    entry["failed"] = True
                    GLib.idle_add(lambda: branch_broken(out_id, last) and False)
                return Gst.PadProbeReturn.DROP
            verdict = gate(pad, info)
            if verdict == Gst.PadProbeReturn.OK:
                pushed["any"] = True
            return verdict

        return probe

    gate_video, gate_audio = guarded(gate_video), guarded(gate_audio)
    for tee, name, gate in ((vtee, "vin", gate_video), (atee, "ain", gate_audio)):
        sink = inner.get_by_name(name).get_static_pad("sink")
        ghost = Gst.GhostPad.new(f"{name}_sink", sink)
        branch.add_pad(ghost)
        entry["pads"].append((tee, None, ghost, gate))
    pipeline.add(branch)
    branch.sync_state_with_parent()
    linked = []
    for tee, _none, ghost, gate in entry["pads"]:
        tee_pad = tee.request_pad_simple("src_%u")
        tee_pad.add_probe(Gst.PadProbeType.BUFFER, gate)
        result = tee_pad.link(ghost)
        linked.append((tee, tee_pad, ghost, gate))
        if result != Gst.PadLinkReturn.OK:
            # An unlinked tee pad takes buffers without complaint (NOT_LINKED): the output
            # would stay silent forever. Failed now, the owner hears it and adds it again.
            emit("warning", message=f"output {out_id}: {ghost.get_name()} not linked ({result.value_nick})")
            entry["failed"] = True
            GLib.idle_add(lambda: branch_broken(out_id, Gst.FlowReturn.NOT_LINKED) and False)
    entry["pads"] = linked
    entry["attached"] = {"video", "audio"}
    outputs[out_id] = entry
    update_gate()
    # Keyframe requests go straight into the encoder: sent up through the tee, h264parse would
    # drop one while another is pending (HLS asks for one at every segment boundary ahead),
    # and the output would wait for the next natural keyframe, up to a second later.
    encoder_src = pipeline.get_by_name("venc").get_static_pad("src")
    if timing is not None:
        # The keyframe is asked for at the time of the first sound that enters (RecordTiming).
        timing.video_pad = encoder_src
    else:
        # A keyframe now rather than up to a second later.
        force_key_unit(encoder_src)
    emit("outputAdded", id=out_id, kind=cmd["kind"])


def branch_broken(out_id, flow):
    """A branch that answered its tee with an error, an EOS or FLUSHING: removed as a failed
    output (the owner adds it again)."""
    if out_id not in outputs:
        return False
    emit("warning", message=f"output {out_id}: its branch answered {flow.value_nick}")
    remove_output(out_id)
    GLib.idle_add(lambda: finish_output(out_id) and False)
    return False


def detach(out_id, kind, eos=True, then=None):
    """Cuts one stream of an output off its tee, between two buffers, then sends EOS into the
    branch only (the muxer writes its index and closes the file)."""
    entry = outputs.get(out_id)
    if not entry or kind not in entry["attached"]:
        return
    entry["attached"].discard(kind)
    tee, tee_pad, ghost, _gate = entry["pads"][0 if kind == "video" else 1]

    def released():
        if tee_pad.get_parent() is tee:
            tee.release_request_pad(tee_pad)
        # The encoder may idle once nothing is fed.
        update_gate()
        if then is not None:
            then()
        return False

    def cut(pad, _info):
        pad.unlink(ghost)
        if eos:
            ghost.send_event(Gst.Event.new_eos())
        # The tee pad goes back on the main loop.
        GLib.idle_add(released)
        return Gst.PadProbeReturn.REMOVE

    tee_pad.add_probe(Gst.PadProbeType.IDLE, cut)


def remove_output(out_id):
    entry = outputs.get(out_id)
    if not entry:
        # Already gone (it failed on its own): the owner still waits to hear it.
        emit("outputRemoved", id=out_id, kind=None)
        return
    if entry["stopping"]:
        return
    entry["stopping"] = True
    update_gate()
    if "timing" in entry and entry["timing"].abandon():
        discard_output(out_id)
        return
    if "timing" in entry:
        entry["timing"].stop()
    else:
        detach(out_id, "video")
        detach(out_id, "audio")
    if entry["kind"] != "record":
        # Nothing to finalize, but the branch goes to NULL only once the EOS has left both its
        # queues (see add_output): torn down while a queue still pushed into hlssink2, the state
        # change waited forever on a streaming thread blocked inside its splitmuxsink. A branch
        # whose EOS never comes is dropped after 5 s.
        GLib.timeout_add(5000, lambda: finish_output(out_id) and False)
        return

    def never_opened():
        # A keyframe still queued before the EOS may yet open a file: only a recording that
        # opened none after a while is dropped here; the others end at their fragment-closed.
        if not entry["opened"]:
            finish_output(out_id)
        return False

    GLib.timeout_add(5000, never_opened)
    # A stuck muxer must not hold the session: what it wrote is kept (finish_output reports the
    # segments it leaves open), and the owner hears "outputRemoved" within this bound.
    GLib.timeout_add_seconds(RECORD_STOP_S, lambda: finish_output(out_id) and False)


def discard_output(out_id):
    """A recording stopped before its first keyframe holds nothing: its branch goes without an
    EOS and the file its sink opened is deleted (an MP4 with empty tracks is unreadable)."""
    entry = outputs[out_id]
    left = {"n": 2}

    def gone():
        left["n"] -= 1
        if left["n"] > 0:
            return
        finish_output(out_id)
        for path in entry["files"]:
            try:
                os.remove(path)
            except OSError:
                pass
            emit("segmentDropped", output=out_id, location=path)

    detach(out_id, "video", eos=False, then=gone)
    detach(out_id, "audio", eos=False, then=gone)


def finish_output(out_id):
    entry = outputs.get(out_id)
    if entry is not None:
        # Not asked for: it failed (the owner adds it again).
        entry["failed_out"] = not entry["stopping"] or entry["failed"]
    entry = outputs.pop(out_id, None)
    if not entry:
        return False
    # Off the tees first: a branch set to NULL while still linked answers FLUSHING, the tee
    # passes that upstream, the encoder's queue pauses its task and the whole picture stops for
    # every output (seen after an MPEG-TS output failed). Unlinked, the tee gets NOT_LINKED,
    # which it ignores.
    for kind, (tee, tee_pad, ghost, _gate) in zip(("video", "audio"), entry["pads"]):
        if tee_pad is None:
            continue
        if tee_pad.is_linked():
            tee_pad.unlink(ghost)
        if kind in entry.get("attached", ()):
            # Never detached: nothing else will give the tee its pad back.
            tee.release_request_pad(tee_pad)
    entry["attached"] = set()
    update_gate()
    for location in sorted(entry["open"]):
        # Never closed (its muxer stuck or failed): it plays up to its last whole fragment.
        emit("segmentAbandoned", output=out_id, location=location)
    entry["open"].clear()
    branch = entry["bin"]
    # Off the main loop: a branch whose streaming thread is stuck would block the state change
    # and, on the main loop, the whole composer. The pipeline leaves it alone from now on.
    branch.set_locked_state(True)
    done = threading.Event()

    def teardown():
        branch.set_state(Gst.State.NULL)
        done.set()
        GLib.idle_add(lambda: pipeline.remove(branch) and False)

    threading.Thread(target=teardown, daemon=True).start()

    def check():
        if not done.is_set():
            # The owner kills and restarts a composer that says this.
            emit("stuck", message=f"output {out_id} did not stop within {TEARDOWN_S} s")
        return False

    GLib.timeout_add(int(TEARDOWN_S * 1000), check)
    emit("outputRemoved", id=out_id, kind=entry["kind"], failed=entry["failed_out"])
    if stopping and not outputs:
        loop.quit()
    return False


def output_of(element):
    while element is not None:
        name = element.get_name()
        if name.startswith("out-"):
            return name[4:]
        element = element.get_parent()
    return None


def input_of(element):
    while element is not None:
        name = element.get_name()
        if name.startswith("in-"):
            return name.split("-", 2)[2]
        element = element.get_parent()
    return None


def epoch_ms_of(running_time):
    """Wall-clock time (epoch ms) at which a running time was captured."""
    clock = pipeline.get_clock()
    if clock is None:
        return int(time.time() * 1000)
    ahead = clock.get_time() - pipeline.get_base_time() - running_time
    return int(time.time() * 1000 - ahead / Gst.MSECOND)


# ---- commands and events --------------------------------------------------------------------


def handle(cmd):
    global wanted, wanted_since, fallback, stopping
    op = cmd.get("cmd")
    if op == "add":
        add_input(cmd)
    elif op == "remove":
        remove_input(cmd["id"])
    elif op == "show":
        if cmd.get("id") != wanted:
            wanted = cmd.get("id")
            wanted_since = time.monotonic()
        fallback = cmd.get("fallback")
        select()
    elif op == "text":
        set_text(cmd.get("strip"), cmd.get("lower"))
    elif op == "output":
        add_output(cmd)
    elif op == "unoutput":
        remove_output(cmd["id"])
    elif op == "stop":
        # Every output finishes its files before the process exits.
        stopping = True
        if not outputs:
            loop.quit()
        for out_id in list(outputs):
            remove_output(out_id)
        GLib.timeout_add_seconds(RECORD_STOP_S + 2, lambda: loop.quit())
    return False


def read_commands():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
        except ValueError:
            emit("warning", message="bad command line")
            continue
        GLib.idle_add(lambda c=cmd: safe_handle(c))
    # The parent went away: finish the files and leave.
    GLib.idle_add(lambda: safe_handle({"cmd": "stop"}))


def safe_handle(cmd):
    if not playing and cmd.get("cmd") != "stop":
        waiting.append(cmd)
        return False
    try:
        handle(cmd)
    except Exception as err:  # a bad command must not end the programme
        emit("warning", message=f"{cmd.get('cmd')}: {err}")
    return False


def on_message(_bus, msg):
    global playing
    t = msg.type
    if t == Gst.MessageType.ERROR:
        err, debug = msg.parse_error()
        out_id = output_of(msg.src)
        if out_id is not None:
            # One output failing (a full disk, a muxer error) never ends the programme.
            emit("warning", message=f"output {out_id}: {err}")
            entry = outputs.get(out_id)
            if entry:
                entry["failed"] = True
            remove_output(out_id)
            GLib.idle_add(lambda: finish_output(out_id) and False)
            return
        if input_of(msg.src) is not None:
            # An input that fails (a broken stream) leaves the picture to the fallback and the
            # card (select()); the owner adds it again when its producer comes back.
            emit("warning", message=f"input {input_of(msg.src)}: {err}")
            return
        emit("error", message=str(err), source=msg.src.get_path_string(), debug=debug or "")
        loop.quit()
    elif t == Gst.MessageType.LATENCY:
        pipeline.recalculate_latency()
    elif t == Gst.MessageType.ELEMENT:
        s = msg.get_structure()
        # hlssink2 runs a splitmuxsink of its own: only the recordings' segments are reported.
        if (
            s
            and msg.src.get_name() == "rec"
            and s.get_name() in ("splitmuxsink-fragment-opened", "splitmuxsink-fragment-closed")
        ):
            out_id = output_of(msg.src)
            entry = outputs.get(out_id)
            location = s.get_string("location")
            running = s.get_value("running-time")
            opened = s.get_name().endswith("opened")
            if entry is not None:
                if opened:
                    entry["open"].add(location)
                    entry["opened"] = True
                else:
                    entry["open"].discard(location)
            emit(
                "segmentOpened" if opened else "segmentClosed",
                output=out_id,
                location=location,
                runningTimeMs=running // Gst.MSECOND,
                atMs=epoch_ms_of(running),
            )
            if entry is not None and not opened and entry["stopping"] and not entry["open"]:
                GLib.idle_add(lambda: finish_output(out_id) and False)
    elif t == Gst.MessageType.STATE_CHANGED and msg.src == pipeline:
        old, new, _pending = msg.parse_state_changed()
        if playing and not stopping and old == Gst.State.PLAYING and new != Gst.State.PLAYING:
            # Must never happen while it runs (each branch handles its own state changes): the
            # owner counts it, the tests assert none.
            emit("stateLost", state=new.value_nick)
        if new == Gst.State.PLAYING and not playing:
            playing = True

            def warmed():
                warm["done"] = True
                return False

            GLib.timeout_add(500, warmed)
            emit("playing", pid=os.getpid())
            for cmd in waiting:
                safe_handle(cmd)
            waiting.clear()


def on_sync_error(_bus, msg):
    # In the failing element's own thread, before its error return travels upstream.
    out_id = output_of(msg.src)
    entry = outputs.get(out_id) if out_id is not None else None
    if entry is not None:
        entry["failed"] = True


bus = pipeline.get_bus()
bus.add_signal_watch()
bus.connect("message", on_message)
bus.enable_sync_message_emission()
bus.connect("sync-message::error", on_sync_error)
set_text(opts.get("strip", ""), opts.get("lower", ""))
pipeline.set_state(Gst.State.PLAYING)
GLib.timeout_add(50, select)
# A heartbeat from the main loop: the owner restarts a composer whose loop stops (a deadlock).
# It carries the encoders' progress: a loop that runs while the picture stopped (a stuck
# streaming thread) is caught by the owner too.
def levels():
    """Each output's entry queues (ms held): the owner logs them when it judges a stall."""
    found = {}
    for out_id, entry in outputs.items():
        held = {}
        for name in ("vin", "ain"):
            queue = entry["bin"].get_by_name(name)
            if queue is not None:
                held[name] = queue.get_property("current-level-time") // Gst.MSECOND
        held["started"] = sorted(entry.get("started", {}).keys())
        if "timing" in entry:
            held["started"] = ["video"] if entry["timing"].start is not None else []
        found[out_id] = held
    return found


GLib.timeout_add(
    1000,
    lambda: emit(
        "alive",
        video=progress["video"],
        audio=progress["audio"],
        fed=not encgate.get_property("drop"),
        outputs=levels(),
    )
    or True,
)
threading.Thread(target=read_commands, daemon=True).start()
loop.run()
pipeline.set_state(Gst.State.NULL)
emit("stopped")
