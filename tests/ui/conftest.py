"""Qt widget tests run without a display."""
import gc
import os
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def no_thread_left_running():
    """Every test ends with no QThread and no new Python thread still running."""
    from PySide6.QtCore import QThread
    from shiboken6 import isValid

    before = set(threading.enumerate())
    yield
    gc.collect()
    qthreads = [t for t in gc.get_objects() if isinstance(t, QThread) and isValid(t) and t.isRunning()]
    # A QThread that asked Python for its current thread stays listed as a "dummy" thread after it has
    # ended; QThreads are checked above.
    threads = [t for t in threading.enumerate() if t not in before and t.is_alive()
               and not isinstance(t, threading._DummyThread)]
    assert not qthreads, f"QThreads left running: {[t.objectName() for t in qthreads]}"
    assert not threads, f"threads left running: {[t.name for t in threads]}"
