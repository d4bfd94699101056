"""Turn a run's evaluation episode into files people can keep: the GIF as recorded, or an H.264 MP4.

Browsers and slide decks play H.264 in an MP4 container everywhere (MP4V does not play in browsers);
PyAV's wheels carry libx264, so no system ffmpeg is needed.
"""

from __future__ import annotations

import io

import av
import numpy as np
from PIL import Image, ImageSequence


def gif_frames(gif: bytes) -> tuple[list[np.ndarray], float]:
    """The RGB frames of an animated GIF and its frame rate."""
    with Image.open(io.BytesIO(gif)) as image:
        duration_ms = image.info.get("duration", 40) or 40
        frames = [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)]
    return frames, 1000.0 / duration_ms


def gif_comment(gif: bytes) -> str:
    """The text stored in a GIF's comment extension ("" if none): the playground says there when a clip was played."""
    with Image.open(io.BytesIO(gif)) as image:
        comment = image.info.get("comment", b"")
    return comment.decode("utf-8", "replace") if isinstance(comment, bytes) else str(comment)


def gif_to_mp4(gif: bytes) -> bytes:
    """Re-encode an animated GIF as an H.264 MP4 (yuv420p, even dimensions, as players require).

    The GIF's comment (which evaluation episode, played at which training step) becomes the MP4's ``comment``.
    """
    frames, fps = gif_frames(gif)
    comment = gif_comment(gif)
    if not frames:
        raise ValueError("the GIF has no frames")
    height, width = (frames[0].shape[0] // 2) * 2, (frames[0].shape[1] // 2) * 2
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        if comment:
            container.metadata["comment"] = comment
        stream = container.add_stream("libx264", rate=max(1, round(fps)))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for frame in frames:
            video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[:height, :width]), format="rgb24")
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()
