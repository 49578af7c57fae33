"""The emulator's default time scale, in a module of its own: the package, its CLI and the server all read it."""

# One emulated second per 500 real ones: a whole deployment (about 30 Azure minutes on its critical path)
# runs in a few seconds, which keeps tests and the embedded target quick.
DEFAULT_TIME_SCALE = 0.002
