"""Errors the user can act on. Their message is a full sentence that says what to do."""


class StudioError(Exception):
    """Base of every error whose message is meant for the user as it is."""


class MediaError(StudioError):
    """A file or folder could not be read as an image, a video or a frame folder."""


class MissingAssetError(StudioError):
    """A model file the feature needs is missing or unreadable."""


class Cancelled(StudioError):
    """The user cancelled a running job; partial results have been kept."""
