"""When a recording's picture and sound start and end (used by broadcast/composer.py).

The encoded picture and sound reach their tees with different delays (the compositor and the
audio mixer wait for their inputs differently; the video encoder adds its own), so cutting both
at the same moment would give a file whose sound starts and ends some hundreds of milliseconds
after its picture: every segment longer than the time it recorded, the sound off at both ends.
Here the cuts are made on timestamps (running time) instead: the picture starts on a keyframe at
or after the first sound that entered the branch, the sound starts on that keyframe's time, and
both end at the later of the two streams' last timestamps when the stop came.
"""
import threading
import time

from gi.repository import GLib, Gst, GstVideo

# Longest wait for the other stream (a stalled encoder must not hold a recording open).
WAIT_S = 2.0


def running_time(pad, buf):
    event = pad.get_sticky_event(Gst.EventType.SEGMENT, 0)
    if event is None or buf.pts == Gst.CLOCK_TIME_NONE:
        return None
    rt = event.parse_segment().to_running_time(Gst.Format.TIME, buf.pts)
    return None if rt == Gst.CLOCK_TIME_NONE else rt


class RecordTiming:
    """Probes for a recording branch's two tee pads and its sound queue's output."""

    def __init__(self, is_warm, on_ended):
        self.is_warm = is_warm  # the composer's first frames are over
        self.on_ended = on_ended  # (kind) -> detach that tee pad and send EOS into the branch
        self.added_at = time.monotonic()
        self.video_pad = None
        self.first_audio = None
        self.start = None
        self.started = threading.Event()
        self.last = {"video": None, "audio": None}
        self.end = None
        self.ended = {"video": False, "audio": False}
        self.stop_at = None
        self.lock = threading.Lock()

    # -- tee side (each in its tee's streaming thread) --

    def video(self, pad, info):
        buf = info.get_buffer()
        rt = running_time(pad, buf)
        with self.lock:
            if self.ended["video"]:
                return Gst.PadProbeReturn.DROP
            if self.start is None:
                keyframe = not buf.has_flags(Gst.BufferFlags.DELTA_UNIT)
                waited = time.monotonic() - self.added_at > WAIT_S
                after_sound = self.first_audio is not None and rt is not None and rt >= self.first_audio
                if not (self.is_warm() and keyframe and (after_sound or waited)):
                    return Gst.PadProbeReturn.DROP
                self.start = rt if rt is not None else 0
                self.started.set()
            if self.end is not None and rt is not None and rt > self.end:
                return self._reached("video")
            self.last["video"] = rt
            return Gst.PadProbeReturn.OK

    def audio(self, pad, info):
        rt = running_time(pad, info.get_buffer())
        with self.lock:
            if self.ended["audio"]:
                return Gst.PadProbeReturn.DROP
            if self.first_audio is None and rt is not None:
                self.first_audio = rt
                # The picture's first keyframe at this sound's time, not the next natural one
                # (up to a second later). On the main loop, where the video pad is known: the
                # first sound may come while the output is still being linked.
                GLib.idle_add(lambda: force_key_unit(self.video_pad, rt) and False)
            if self.end is not None and rt is not None and rt >= self.end:
                return self._reached("audio")
            self.last["audio"] = rt
            return Gst.PadProbeReturn.OK

    def _reached(self, kind):
        self.ended[kind] = True
        GLib.idle_add(lambda: self.on_ended(kind) and False)
        return Gst.PadProbeReturn.DROP

    # -- branch side: the sound queue's output (its own thread) --

    def audio_out(self, pad, info):
        # Sound from before the first keyframe is not recorded; it waits here (the queue holds
        # it) until the keyframe is chosen.
        if not self.started.is_set():
            self.started.wait(max(0.0, WAIT_S - (time.monotonic() - self.added_at)))
        start = self.start
        if start is None:
            return Gst.PadProbeReturn.DROP
        buf = info.get_buffer()
        rt = running_time(pad, buf)
        length = buf.duration if buf.duration != Gst.CLOCK_TIME_NONE else 0
        if rt is not None and rt + length <= start:
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    # -- the stop (main loop) --

    def abandon(self):
        """Stops a recording that has not started (no keyframe yet): True if it had not."""
        with self.lock:
            if self.start is not None:
                return False
            self.ended = {"video": True, "audio": True}
            self.started.set()
            return True

    def stop(self):
        """Both streams end at the later one's last timestamp: the one ahead stops now, the one
        behind runs on until it reaches that time (or WAIT_S passes)."""
        with self.lock:
            known = [t for t in self.last.values() if t is not None]
            if self.start is None or not known:
                now = [k for k in ("video", "audio") if not self.ended[k]]
                for kind in now:
                    self.ended[kind] = True
            else:
                self.end = max(known)
                now = []
                for kind in ("video", "audio"):
                    last = self.last[kind]
                    if not self.ended[kind] and last is not None and last >= self.end:
                        self.ended[kind] = True
                        now.append(kind)
        for kind in now:
            self.on_ended(kind)

        def late():
            with self.lock:
                left = [k for k in ("video", "audio") if not self.ended[k]]
                for kind in left:
                    self.ended[kind] = True
            for kind in left:
                self.on_ended(kind)
            return False

        GLib.timeout_add(int(WAIT_S * 1000), late)


def force_key_unit(pad, at=Gst.CLOCK_TIME_NONE):
    """Asks for a keyframe (at a running time, or now); `pad` is the encoder's source pad."""
    if pad is not None:
        pad.send_event(GstVideo.video_event_new_upstream_force_key_unit(at, True, 0))
    return True
