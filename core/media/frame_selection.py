"""Which frames of an input a command works on: ``--frames`` ('all' or '0,5,9') and ``--every N``."""
from __future__ import annotations

from core.errors import StudioError


def parse_frames(text: str, count: int, every: int = 1) -> list[int]:
    """Frame indices chosen by ``text`` ('all' or comma-separated indices such as '0,5,9') out of
    ``count`` frames, then every ``every``-th of them.

    returns: sorted, unique indices in 0..count-1.
    raises: StudioError naming the option when ``text`` is not a list of frames in range or
        ``every`` is below 1.
    """
    if every < 1:
        raise StudioError(f"--every must be 1 or more, not {every}.")
    if text.strip().lower() == "all":
        indices = list(range(count))
    else:
        try:
            indices = [int(t) for t in text.split(",") if t.strip()]
        except ValueError:
            raise StudioError(f"--frames '{text}' is not 'all' or a comma-separated list of "
                              "frame numbers such as 0,5,9.") from None
        bad = [i for i in indices if not 0 <= i < count]
        if bad or not indices:
            raise StudioError(f"--frames {text}: the input has frames 0..{count - 1}; "
                              "choose frames in that range.")
        indices = sorted(set(indices))
    return indices[::every]
