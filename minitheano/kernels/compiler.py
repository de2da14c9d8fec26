"""Building C++ into a shared library with the compiler ``config.cxx``, cached in
``config.compiledir`` under a hash of the code, the compiler, its flags and the processor.

A build starts in the background when it is first asked for, so the kernels of one function compile
side by side; ``Build.library()`` waits for it. A compiler that fails warns once, with its message,
and every build then answers None: the caller runs its numpy plan instead.
"""
import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import threading
import warnings
from pathlib import Path

from ..config import config

FLAGS = ["-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math",
         "-shared", "-fPIC"]
_failed = {}  # compiler command -> its error message
_pending = []
_builds = {}  # (code, compiler, compiledir) -> its Build: a kernel asked for twice is built once


def build(code, contract=False):
    """The Build of ``code`` (started now unless this process has one already); ``contract``: a*b+c
    may become one fused multiply-add (faster, rounded once: not numpy's values to the bit)."""
    asked = (code, config.cxx, config.compiledir, contract)
    if asked not in _builds:
        flags = [f if f != "-ffp-contract=off" or not contract else "-ffp-contract=fast" for f in FLAGS]
        key = hashlib.sha1("\n".join([code, config.cxx, *flags, _processor()]).encode()).hexdigest()
        path = Path(config.compiledir).expanduser() / f"kernel_{key[:24]}.so"
        _builds[asked] = (next((b for b in _builds.values() if b.path == path), None)
                          or Build(code, config.cxx, path, flags))
    return _builds[asked]


class Build:
    """The library compiled from ``code``: loaded from the compiledir, or being compiled there."""

    def __init__(self, code, command, path, flags):
        self.command, self.path, self.directory = command, path, path.parent
        self.process = self.tmp = None
        self._library = False
        self._lock = threading.Lock()
        if not self.path.exists() and self.command not in _failed:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                self.tmp = tempfile.mkdtemp(dir=self.directory)
                (Path(self.tmp) / "kernel.cpp").write_text(code)
                self.process = subprocess.Popen([*self.command.split(), *flags, "-o", "kernel.so", "kernel.cpp"],
                                                cwd=self.tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                                text=True)
                _pending.append(self)
            except OSError as error:
                self._fail(error)

    def library(self):
        """The loaded ctypes library, or None where it could not be built."""
        with self._lock:
            if self._library is False:
                self._library = self._finish()
            return self._library

    def _finish(self):
        library = None
        try:
            if self.process is not None:
                message, _ = self.process.communicate(timeout=300)
                if self.process.returncode:
                    raise OSError(message.strip() or f"exit status {self.process.returncode}")
                os.replace(Path(self.tmp) / "kernel.so", self.path)
            if self.path.exists():
                library = ctypes.CDLL(str(self.path))
        except (OSError, subprocess.SubprocessError) as error:
            self._fail(error)
        finally:
            if self.process is not None and self.process.poll() is None:
                self.process.kill()  # past the timeout
            self.process = None
            if self.tmp is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)
                self.tmp = None
            if self in _pending:
                _pending.remove(self)
        return library

    def _fail(self, error):
        if self.command not in _failed:
            _failed[self.command] = str(error)
            warnings.warn(f"minitheano could not compile its kernels with {self.command!r} in "
                          f"{self.directory}: {str(error)[:400]}. They run as numpy code instead "
                          "(MINITHEANO_CXX='' stops it trying).", RuntimeWarning, stacklevel=3)


def finish():
    """Wait for the builds under way (a compiled function calls this before its first call)."""
    for build in list(_pending):
        build.library()


@functools.lru_cache(maxsize=None)
def _processor():
    """What -march=native compiles for (a compiledir in a shared home may be read by another machine)."""
    try:
        with open("/proc/cpuinfo") as info:
            lines = [line for line in info if line.startswith(("model name", "flags"))][:2]
    except OSError:
        lines = []
    return platform.machine() + "".join(lines) + platform.processor()
