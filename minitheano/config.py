"""Global settings: default float type, device, compile mode (overridable by environment)."""
import os
import shutil


class Config:
    """Settings read once from the environment; assign attributes to change them at run time."""

    def __init__(self):
        self.floatX = os.environ.get("MINITHEANO_FLOATX", "float32")
        self.device = os.environ.get("MINITHEANO_DEVICE", "cpu")
        # FAST_RUN applies every rewrite; FAST_COMPILE applies none (see minitheano.rewrites).
        self.mode = os.environ.get("MINITHEANO_MODE", "FAST_RUN")
        # The C++ compiler that builds elementwise chains for the CPU (kernels.native); '' for none.
        self.cxx = os.environ.get("MINITHEANO_CXX", shutil.which("g++") or "")
        self.compiledir = os.environ.get("MINITHEANO_COMPILEDIR", "~/.cache/minitheano/compiled")

    def __repr__(self):
        return (f"Config(floatX={self.floatX!r}, device={self.device!r}, mode={self.mode!r}, "
                f"cxx={self.cxx!r}, compiledir={self.compiledir!r})")


config = Config()
