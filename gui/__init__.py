"""The studio's Qt front end: PySide6 window, widgets, workers (core/ holds no Qt)."""
import sys

if sys.version_info < (3, 12):
    # PySide6 6.12.0 returns None from void C++ methods (setText, setPath, QTimer.start, ...)
    # without taking a reference to it. On Python < 3.12, where None is not immortal, each such
    # call lowers None's reference count by one, and after some 50,000 calls (minutes of
    # scrubbing, or a long test run) the interpreter aborts with "Fatal Python error:
    # none_dealloc". Give None a reference count no session can use up, as Python 3.12 does
    # (PEP 683); drop this with Python 3.11 or with a PySide6 that counts right.
    import ctypes

    ctypes.c_ssize_t.from_address(id(None)).value += 1 << 60
