"""Global settings: default float type, device, compile mode (overridable by environment)."""
import os


class Config:
    """Settings read once from the environment; assign attributes to change them at run time."""

    def __init__(self):
        self.floatX = os.environ.get("MINITHEANO_FLOATX", "float32")
        self.device = os.environ.get("MINITHEANO_DEVICE", "cpu")
        # FAST_RUN applies every rewrite; FAST_COMPILE applies none (see minitheano.rewrites).
        self.mode = os.environ.get("MINITHEANO_MODE", "FAST_RUN")

    def __repr__(self):
        return f"Config(floatX={self.floatX!r}, device={self.device!r}, mode={self.mode!r})"


config = Config()
