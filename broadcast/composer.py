#!/usr/bin/python3
"""The programme composer: one GStreamer pipeline that decodes the meeting's RTP inputs (sent by
mediasoup PlainTransports to local UDP ports), shows one of them full frame with the banner and
the agenda item drawn over it, mixes the audio inputs, encodes H.264 + AAC once and writes the
outputs fixed at start (MP4 segments, MPEG-TS over local UDP for the live pushers, HLS).

Driven by broadcast/ProgrammeEncoder.ts: the start options are one JSON argument; commands come
as JSON lines on stdin; events go out as JSON lines on stdout. GStreamer rather than FFmpeg
because its aggregators (compositor, audiomixer) keep producing frames when an input is silent or
missing and accept inputs added and removed while running, and text is a property set at any time.
"""
import json
import os
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)

opts = json.loads(sys.argv[1])
W, H, FPS = opts["width"], opts["height"], opts["fps"]
# Inputs arrive with their jitter-buffer delay; the mixers wait this long for each frame.
MIX_LATENCY = 300 * Gst.MSECOND

loop = GLib.MainLoop()
inputs = {}  # id -> {"bin": Gst.Bin, "pad": mixer sink pad, "kind": "video" | "audio"}
shown = None
# Inputs added before the pipeline plays would stay paused: commands wait for PLAYING.
playing = False
waiting = []
open_segments = set()
eos_seen = False
out_lock = threading.Lock()


def emit(event, **fields):
    with out_lock:
        sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
        sys.stdout.flush()


def quote(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


def outputs_description():
    parts = []
    record = opts.get("record")
    if record:
        parts.append(
            # Robust muxing: the index is rewritten every second into space reserved at the
            # start, so a segment cut short by a crash still plays up to its last second.
            "splitmuxsink name=rec async-finalize=true muxer-factory=mp4mux "
            'muxer-properties="properties,reserved-moov-update-period=(guint64)1000000000,'
            f'reserved-max-duration=(guint64){(int(record["segmentSeconds"]) + 30) * Gst.SECOND}" '
            f"max-size-time={int(record['segmentSeconds']) * Gst.SECOND} "
            f'location="{quote(record["location"])}" '
            "vt. ! queue max-size-time=3000000000 max-size-buffers=0 max-size-bytes=0 ! h264parse ! rec.video "
            "at. ! queue max-size-time=3000000000 max-size-buffers=0 max-size-bytes=0 ! aacparse ! rec.audio_0"
        )
    ts = opts.get("mpegtsPort")
    if ts:
        # Pushers (RTMP) read this; a pusher that fails never touches the pipeline.
        parts.append(
            "mpegtsmux name=tsmux alignment=7 ! "
            f"udpsink host=127.0.0.1 port={int(ts)} sync=false async=false "
            "vt. ! queue leaky=downstream max-size-time=2000000000 ! h264parse config-interval=-1 ! tsmux. "
            "at. ! queue leaky=downstream max-size-time=2000000000 ! aacparse ! tsmux."
        )
    hls = opts.get("hls")
    if hls:
        parts.append(
            f'hlssink2 name=hls target-duration={int(hls["segmentSeconds"])} '
            f'playlist-length={int(hls["playlistLength"])} max-files={int(hls["playlistLength"]) + 3} '
            f'location="{quote(hls["dir"])}/seg%05d.ts" '
            f'playlist-location="{quote(hls["dir"])}/index.m3u8" '
            "vt. ! queue leaky=downstream max-size-time=2000000000 ! h264parse config-interval=-1 ! hls.video "
            "at. ! queue leaky=downstream max-size-time=2000000000 ! aacparse ! hls.audio"
        )
    if not parts:
        parts.append("vt. ! queue ! fakesink at. ! queue ! fakesink")
    return " ".join(parts)


def main_description():
    key_int = FPS * 2
    return (
        f"compositor name=comp background=black latency={MIX_LATENCY} "
        f"! video/x-raw,width={W},height={H},framerate={FPS}/1 "
        '! textoverlay name=banner valignment=top halignment=center shaded-background=true '
        f'font-desc="Noto Sans Bold {max(10, H // 30)}" wrap-mode=wordchar text="" '
        '! textoverlay name=lower valignment=bottom halignment=left shaded-background=true '
        f'font-desc="Noto Sans {max(9, H // 38)}" wrap-mode=wordchar text="" '
        "! videoconvert ! video/x-raw,format=I420 "
        f'! x264enc tune=zerolatency speed-preset={opts["preset"]} bitrate={int(opts["videoKbps"])} '
        f"key-int-max={key_int} threads={int(opts.get('threads', 0))} "
        # Each output parses for itself: MP4 wants avc, MPEG-TS and HLS byte-stream.
        "! video/x-h264,profile=main,stream-format=byte-stream,alignment=au ! tee name=vt "
        f"videotestsrc is-live=true pattern=black ! video/x-raw,width={W},height={H},framerate={FPS}/1 "
        "! comp.sink_0 "
        f"audiomixer name=amix latency={MIX_LATENCY} ! audio/x-raw,rate=48000,channels=2 "
        f'! audioconvert ! avenc_aac bitrate={int(opts["audioKbps"]) * 1000} ! tee name=at '
        "audiotestsrc is-live=true wave=silence ! audio/x-raw,rate=48000,channels=2 ! amix.sink_0 "
        + outputs_description()
    )


pipeline = Gst.parse_launch(main_description())
comp = pipeline.get_by_name("comp")
amix = pipeline.get_by_name("amix")


def set_text(name, text):
    pipeline.get_by_name(name).set_property("text", GLib.markup_escape_text(text or ""))


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
            "! audio/x-raw,rate=48000,channels=2 ! queue max-size-time=500000000"
        )
    decode = {
        "VP8": "rtpvp8depay ! vp8dec",
        "VP9": "rtpvp9depay ! vp9dec",
        "H264": "rtph264depay ! h264parse ! avdec_h264",
    }[codec]
    # No scaling here: the compositor scales only the shown input (pads at alpha 0 are skipped).
    return src + f"! {decode} ! queue max-size-time=500000000"


def add_input(cmd):
    remove_input(cmd["id"])
    branch = Gst.parse_bin_from_description(input_description(cmd), True)
    pipeline.add(branch)
    mixer = amix if cmd["kind"] == "audio" else comp
    pad = mixer.request_pad_simple("sink_%u")
    if cmd["kind"] == "video":
        pad.set_property("alpha", 0.0)
        pad.set_property("zorder", 1)
        pad.set_property("width", W)
        pad.set_property("height", H)
        pad.set_property("sizing-policy", "keep-aspect-ratio")
    branch.get_static_pad("src").link(pad)
    branch.sync_state_with_parent()
    inputs[cmd["id"]] = {"bin": branch, "pad": pad, "kind": cmd["kind"]}
    if cmd["kind"] == "video":
        apply_shown()
    emit("inputAdded", id=cmd["id"])


def remove_input(input_id):
    entry = inputs.pop(input_id, None)
    if not entry:
        return
    branch, pad = entry["bin"], entry["pad"]
    branch.set_state(Gst.State.NULL)
    src = branch.get_static_pad("src")
    src.unlink(pad)
    (amix if entry["kind"] == "audio" else comp).release_request_pad(pad)
    pipeline.remove(branch)
    emit("inputRemoved", id=input_id)


def apply_shown():
    for input_id, entry in inputs.items():
        if entry["kind"] == "video":
            entry["pad"].set_property("alpha", 1.0 if input_id == shown else 0.0)
            entry["pad"].set_property("zorder", 2 if input_id == shown else 1)


def handle(cmd):
    global shown
    op = cmd.get("cmd")
    if op == "add":
        add_input(cmd)
    elif op == "remove":
        remove_input(cmd["id"])
    elif op == "show":
        shown = cmd.get("id")
        apply_shown()
    elif op == "text":
        if "banner" in cmd:
            set_text("banner", cmd["banner"])
        if "lower" in cmd:
            set_text("lower", cmd["lower"])
    elif op == "stop":
        # EOS finalizes the open MP4 segment before the process exits.
        pipeline.send_event(Gst.Event.new_eos())
        GLib.timeout_add_seconds(5, lambda: loop.quit())
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
    if t == Gst.MessageType.EOS:
        # The last segment is finalized in the background (async-finalize): wait for it.
        global eos_seen
        eos_seen = True
        if not open_segments:
            loop.quit()
    elif t == Gst.MessageType.ERROR:
        err, debug = msg.parse_error()
        emit("error", message=str(err), source=msg.src.get_path_string(), debug=debug or "")
        loop.quit()
    elif t == Gst.MessageType.LATENCY:
        pipeline.recalculate_latency()
    elif t == Gst.MessageType.ELEMENT:
        s = msg.get_structure()
        # hlssink2 runs a splitmuxsink of its own: only the recording's segments are reported.
        if (
            s
            and msg.src.get_name() == "rec"
            and s.get_name() in ("splitmuxsink-fragment-opened", "splitmuxsink-fragment-closed")
        ):
            location = s.get_string("location")
            if s.get_name().endswith("opened"):
                open_segments.add(location)
            else:
                open_segments.discard(location)
                if eos_seen and not open_segments:
                    loop.quit()
            emit(
                "segmentOpened" if s.get_name().endswith("opened") else "segmentClosed",
                location=s.get_string("location"),
                runningTimeMs=s.get_value("running-time") // Gst.MSECOND,
            )
    elif t == Gst.MessageType.STATE_CHANGED and msg.src == pipeline:
        _old, new, _pending = msg.parse_state_changed()
        if new == Gst.State.PLAYING and not playing:
            playing = True
            emit("playing", pid=os.getpid())
            for cmd in waiting:
                safe_handle(cmd)
            waiting.clear()


bus = pipeline.get_bus()
bus.add_signal_watch()
bus.connect("message", on_message)
set_text("banner", opts.get("banner", ""))
set_text("lower", opts.get("lower", ""))
pipeline.set_state(Gst.State.PLAYING)
threading.Thread(target=read_commands, daemon=True).start()
loop.run()
pipeline.set_state(Gst.State.NULL)
emit("stopped")
