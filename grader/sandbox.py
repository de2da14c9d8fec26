"""Run a learner's kernel in a bubblewrap sandbox, and prove afterwards that nothing outside it changed.

Only the kernel runs inside: nbgrader, its executor (nbclient), the gradebook
and the scoring stay in the trusted grader process, which talks to the kernel
over unix sockets in a folder shared with the sandbox. Inside, the kernel
runs as a fresh unprivileged uid with no capabilities, in its own mount, pid,
ipc, uts and network namespaces; it sees read-only the system, the Python
environment, minitheano and the MNIST cache, and writes only to a fresh
home folder holding the notebook. Memory, processes, CPU time, file size and
open files are limited, and when the kernel exits its pid namespace ends,
which kills everything it started.
"""
import hashlib
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Unicode

from grader.common import ROOT, GraderError, env_int

PACKAGE = "bubblewrap"
HOME = "/home/student"
_UIDS = itertools.count()
# System folders the interpreter and its libraries read; /etc only for a few harmless files.
_SYSTEM = ["/usr", "/opt/conda"] if Path("/opt/conda").is_dir() else ["/usr"]
_ETC = ["/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group",
        "/etc/fonts", "/etc/ssl/certs", "/etc/alternatives", "/etc/matplotlibrc"]


def bwrap():
    """Path of the bwrap command, or None."""
    return shutil.which("bwrap")


def require():
    """Raise GraderError naming the package to install when the sandbox tool is missing or unusable."""
    if not bwrap():
        raise GraderError(f"grading runs learner code in a sandbox and needs `bwrap`: install the "
                          f"'{PACKAGE}' package (e.g. apt-get install {PACKAGE}), or pass --unsandboxed "
                          "to grade without isolation (only for code you trust)")
    if os.geteuid() != 0:
        raise GraderError("the sandbox is built as root (bwrap) and drops to a fresh uid (setpriv): run the "
                          "grader as root, or pass --unsandboxed to grade without isolation")
    for tool in ("/usr/bin/setpriv", "/usr/bin/prlimit"):
        if not Path(tool).is_file():
            raise GraderError(f"the sandbox needs {tool}: install the 'util-linux' package")


def limits():
    """Resource limits of one sandboxed kernel, from GRADER_SANDBOX_* variables."""
    return {"as": env_int("GRADER_SANDBOX_MEMORY_MB", 4096) * 2 ** 20,
            "nproc": env_int("GRADER_SANDBOX_NPROC", 128),
            "cpu": env_int("GRADER_SANDBOX_CPU_S", 1800),
            "fsize": env_int("GRADER_SANDBOX_FILE_MB", 256) * 2 ** 20,
            "nofile": 512, "core": 0}


def allow_list():
    """Folders the kernel may read: the Python installation and environment, minitheano, MNIST cache."""
    import minitheano

    paths = {sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parent.parent),
             str(Path(minitheano.__file__).resolve().parent)}
    return sorted(p for p in paths if Path(p).is_dir() and not any(p.startswith(s + "/") for s in _SYSTEM))


def data_dir():
    """The MNIST cache folder when there is one (bound read-only)."""
    from minitheano.datasets import DATA_ENV, DEFAULT_DATA_DIR

    folder = Path(os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR).expanduser()
    return folder if folder.is_dir() else None


def _parents(path):
    parts = Path(path).parts
    return ["/" + "/".join(parts[1:i]) for i in range(2, len(parts))]


def command(argv, home, shared, uid, env):
    """The bwrap command line that runs `argv` sandboxed.

    home: folder outside, writable by `uid`, seen inside as HOME; shared: folder
    bound at its own path (the kernel's connection file and sockets).
    """
    cmd = [bwrap(), "--unshare-pid", "--unshare-ipc", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    for folder in _SYSTEM:
        cmd += ["--ro-bind", folder, folder]
    for name in ("bin", "lib", "lib64", "sbin"):
        if Path("/" + name).is_symlink():
            cmd += ["--symlink", os.readlink("/" + name), "/" + name]
        elif Path("/" + name).is_dir():
            cmd += ["--ro-bind", "/" + name, "/" + name]
    for path in _ETC:
        if Path(path).exists():
            cmd += ["--ro-bind", path, path]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    made = set()
    data = data_dir()
    binds = [(p, p, "--ro-bind") for p in allow_list()] + ([(str(data), str(data), "--ro-bind")] if data else [])
    binds += [(str(shared), str(shared), "--bind"), (str(home), HOME, "--bind")]
    for source, dest, kind in binds:
        for parent in _parents(dest):
            if parent not in made and parent != "/tmp" and parent not in _SYSTEM:
                made.add(parent)
                cmd += ["--perms", "0755", "--dir", parent]
        cmd += [kind, source, dest]
    cmd += ["--chdir", HOME, "--clearenv"]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    lim = limits()
    cmd += ["--", "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
            "/usr/bin/prlimit", *[f"--{name}={value}" for name, value in lim.items()], "--"]
    return cmd + list(argv)


def kernel_env(data):
    """The scrubbed environment of the kernel: nothing of the grader's, only what the notebook needs."""
    from minitheano import course
    from minitheano.datasets import DATA_ENV

    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": HOME, "LANG": "C.UTF-8",
           "TMPDIR": "/tmp", "PYTHONSAFEPATH": "1", "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
           "MPLCONFIGDIR": "/tmp/matplotlib", "IPYTHONDIR": "/tmp/ipython", "JUPYTER_CONFIG_DIR": "/tmp/jupyter",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "COURSE_MODE": course.mode()}
    if data:
        env[DATA_ENV] = str(data)
    return env


def fresh_uid():
    """A uid no other sandbox of this machine uses at the same time (its own process budget, no signals)."""
    return 200_000 + (os.getpid() % 4000) * 100 + next(_UIDS) % 100


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in the sandbox and listens on unix sockets.

    `notebook` (config) is copied into the sandbox home, which holds nothing else.
    """

    notebook = Unicode("", help="the notebook being executed, copied into the sandbox home").tag(config=True)

    async def _async_pre_start_kernel(self, **kw):
        self._box = Path(tempfile.mkdtemp(prefix="grader-sandbox-"))
        self._home, self._shared = self._box / "home", self._box / "kernel"
        self._uid = fresh_uid()
        for folder in (self._home, self._shared):
            folder.mkdir()
            os.chown(folder, self._uid, self._uid)
        os.chmod(self._box, 0o711)
        if self.notebook:
            target = self._home / Path(self.notebook).name
            shutil.copyfile(self.notebook, target)
            os.chown(target, self._uid, self._uid)
        self.transport, self.ip = "ipc", str(self._shared / "k")
        self.connection_file = str(self._shared / "kernel.json")
        kw["cwd"] = str(self._box)
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL  # the kernel's own fds: never the grader's terminal
        return await super()._async_pre_start_kernel(**kw)

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        os.chown(self.connection_file, self._uid, self._uid)

    def format_kernel_cmd(self, extra_arguments=None):
        argv = super().format_kernel_cmd(extra_arguments)
        argv[0] = sys.executable
        if argv[1:2] != ["-P"]:
            argv.insert(1, "-P")
        return command(argv, self._home, self._shared, self._uid, kernel_env(data_dir()))

    def cleanup_resources(self, restart=False):
        super().cleanup_resources(restart=restart)
        if not restart and getattr(self, "_box", None):
            shutil.rmtree(self._box, ignore_errors=True)


# --- integrity: what the kernel must not be able to change -------------------

def tree_digests(folders):
    """{relative path: sha256} of every file under the given folders (symlinks by target)."""
    digests = {}
    for folder in folders:
        folder = Path(folder)
        if not folder.exists():
            continue
        for path in sorted(folder.rglob("*")):
            if "__pycache__" in path.parts or "_work" in path.parts:
                continue
            key = str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
            if path.is_symlink():
                digests[key] = "symlink:" + os.readlink(path)
            elif path.is_file():
                digests[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def changed(before, after):
    """Paths added, removed or modified between two tree_digests."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
