"""Sessions: the observations and fits of one media file, kept in one atomically written file.

    from core.session import Session, save_session, load_session, session_path_for
"""
from core.session.session import Session
from core.session.store import (FORMAT_VERSION, SUFFIX, SessionError, load_session, save_session,
                                session_path_for)

__all__ = ["Session", "SessionError", "save_session", "load_session", "session_path_for",
           "FORMAT_VERSION", "SUFFIX"]
