"""A strict stand-in for cupy on machines without a GPU (``MINITHEANO_DEVICE=strict``).

Arrays "on the device" are numpy arrays behind a wall: ``ndarray`` here refuses every implicit
conversion to the host as cupy does (``numpy.asarray(a)``, numpy functions and ufuncs applied
to it, arithmetic with a numpy array), so the GPU path can be tested in CI. It is stricter than
cupy in one way: ``float()``, ``int()``, ``bool()``, ``operator.index()`` and ``format()`` of a
device array raise too, where cupy allows them on one element at the cost of a device
synchronisation; library code fetches host values explicitly (``backend.to_host``, ``.get()``,
``.item()``, ``.tolist()``). ``MINITHEANO_STRICT_SYNC=allow`` (or ``strict.allow_sync = True``)
lets them through as cupy does, to tell what would fail on a GPU from what only synchronises.
cupy-only APIs (``ElementwiseKernel``, ``RawKernel``, ``fuse``) are absent, so code that needs them
must check for them.
"""
import numbers
import os
import sys
import types

import numpy

allow_sync = os.environ.get("MINITHEANO_STRICT_SYNC", "raise") == "allow"

IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct "
            "a NumPy array explicitly (minitheano: backend.to_host).")
SYNC = ("{} of a device array: cupy would synchronise the device here; the strict backend refuses "
        "it so that library code says where values cross to the host (backend.to_host(x), x.item()).")

# numpy names cupy 14 does not have (dir(numpy) - dir(cupy)), and ndarray attributes it lacks or means
# otherwise (``data`` is a device pointer in cupy).
_NOT_IN_CUPY = set("""
    False_ ScalarType True_ asmatrix block bmat busday_count busday_offset busdaycalendar bytes_ char character
    clongdouble complex256 core ctypeslib datetime64 datetime_as_string datetime_data dtypes einsum_path emath
    errstate f2py flexible float128 frompyfunc fromregex geomspace get_include getbufsize geterr geterrcall
    histogram_bin_edges info insert is_busday isnat little_endian longdouble ma matrix matvec memmap
    nanpercentile nanquantile ndenumerate nditer nested_iters object_ polyder polydiv polyint rec recarray record
    sctypeDict setbufsize seterr seterrcall show_runtime spacing str_ strings test timedelta64 typecodes unstack
    vecdot vecmat void""".split())
_NDARRAY_NOT_IN_CUPY = {"ctypes", "getfield", "resize", "setfield", "setflags", "to_device", "data", "flat"}
_SCALARS = (numbers.Number, numpy.generic)


class ndarray:
    """A device array: a numpy array that does not convert to the host by itself."""

    __slots__ = ("_a",)
    __array_ufunc__ = None  # numpy ufuncs and ndarray operators refuse it (TypeError / NotImplemented)
    __hash__ = None

    def __init__(self, array):
        if not isinstance(array, numpy.ndarray):
            raise TypeError(f"strict.ndarray wraps a numpy.ndarray, not {type(array).__name__}")
        self._a = array

    # Crossing to the host: explicit only ---------------------------------------------------

    def get(self, stream=None, order="C", out=None):
        """A numpy copy of this array (cupy's explicit device-to-host transfer)."""
        if out is not None:
            out[...] = self._a
            return out
        return numpy.array(self._a, order=order)

    def set(self, arr, stream=None):
        """Copy the numpy array ``arr`` into this array (host to device)."""
        if not isinstance(arr, numpy.ndarray) or arr.shape != self._a.shape or arr.dtype != self._a.dtype:
            raise ValueError("set: needs a numpy array of the same shape and dtype")
        self._a[...] = arr

    def item(self, *args):
        return self._a.item(*args)

    def tolist(self):
        return self._a.tolist()

    def __array__(self, *args, **kwargs):
        raise TypeError(IMPLICIT)

    def __array_function__(self, func, types, args, kwargs):
        return NotImplemented

    def __bool__(self):
        return bool(self._scalar("bool()"))

    def __float__(self):
        return float(self._scalar("float()"))

    def __int__(self):
        return int(self._scalar("int()"))

    def __complex__(self):
        return complex(self._scalar("complex()"))

    def __index__(self):  # cupy has none: an array is never an index
        raise TypeError(SYNC.format("Use as an index or length"))

    def __format__(self, spec):
        return format(self._scalar(f"format(x, {spec!r})"), spec) if spec else str(self)

    def _scalar(self, what):
        if not allow_sync:
            raise TypeError(SYNC.format(what))
        if self._a.size != 1:
            raise TypeError("only length-1 arrays can be converted to Python scalars")
        return self._a.item()

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    # Attributes cupy arrays share with numpy ------------------------------------------------

    dtype = property(lambda self: self._a.dtype)
    shape = property(lambda self: self._a.shape)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray(self._a.T))
    mT = property(lambda self: ndarray(numpy.swapaxes(self._a, -1, -2)))
    real = property(lambda self: ndarray(self._a.real))
    imag = property(lambda self: ndarray(self._a.imag))
    base = property(lambda self: None if self._a.base is None else _wrap(self._a.base))

    def __getattr__(self, name):
        if name.startswith("__") or name in _NDARRAY_NOT_IN_CUPY:
            raise AttributeError(f"cupy.ndarray has no attribute {name!r} (strict backend)")
        attr = getattr(self._a, name)
        return _function(attr, name) if callable(attr) else _wrap(attr)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (_wrap(self._a[i]) for i in range(len(self._a)))

    def __getitem__(self, index):
        return _wrap(self._a[_index(index)])

    def __setitem__(self, index, value):
        if isinstance(value, numpy.ndarray) and value.ndim:
            raise ValueError("non-scalar numpy.ndarray cannot be used for fill (as in cupy): copy it to the device "
                             "first (xp.asarray) or use .set()")
        self._a[_index(index)] = _operand(value, "setitem")

    def __copy__(self):
        return ndarray(self._a.copy())

    def __deepcopy__(self, memo):
        return ndarray(self._a.copy())

    def __reduce__(self):
        return (ndarray, (self._a,))

    def __dlpack_device__(self):
        raise TypeError("strict arrays have no DLPack device")


def _this_module():
    return sys.modules[__name__]


def _unsupported(value, what):
    return TypeError(f"Unsupported type {type(value)} in {what}: a numpy array cannot meet a device array; "
                     "copy it to the device first (xp.asarray) or fetch the device value (backend.to_host).")


def _operand(value, what, host_ok=False):
    """The numpy array behind ``value`` for a device computation, refusing host arrays as cupy does."""
    if type(value) is ndarray:
        return value._a
    if isinstance(value, numpy.ndarray):
        if host_ok or (what == "setitem" and value.ndim == 0):  # cupy's fill takes a 0-d numpy array
            return value
        raise _unsupported(value, what)
    if isinstance(value, (list, tuple)):
        return type(value)(_operand(v, what, host_ok) for v in value)
    return value


def _index(index):
    # cupy copies numpy and list indices to the device itself; device indices unwrap.
    if isinstance(index, tuple):
        return tuple(_operand(i, "index", host_ok=True) for i in index)
    return _operand(index, "index", host_ok=True)


def _wrap(value):
    """Results stay on the device: arrays wrapped, numpy scalars as 0-d arrays (cupy returns those)."""
    if isinstance(value, numpy.ndarray):
        return ndarray(value)
    if isinstance(value, numpy.generic):
        return ndarray(numpy.asarray(value))
    if isinstance(value, (list, tuple)) and any(isinstance(v, (numpy.ndarray, numpy.generic)) for v in value):
        return type(value)(_wrap(v) for v in value)
    return value


def _function(fn, name, host_ok=False):
    """``fn`` taking and returning device arrays; numpy arrays in its arguments raise (unless ``host_ok``)."""

    def device_fn(*args, **kwargs):
        out = kwargs.get("out")
        args = [_operand(a, name, host_ok) for a in args]
        kwargs = {k: _operand(v, name, host_ok) for k, v in kwargs.items()}
        result = fn(*args, **kwargs)
        if out is not None and result is _operand(out, name):
            return out
        return _wrap(result)

    device_fn.__name__ = device_fn.__qualname__ = name
    device_fn.__doc__ = getattr(fn, "__doc__", None)
    return device_fn


class ufunc:
    """A numpy ufunc on device arrays, with the methods cupy's ufuncs have."""

    def __init__(self, fn):
        self._fn = fn
        self.__name__ = fn.__name__
        self.nin, self.nout, self.nargs = fn.nin, fn.nout, fn.nargs
        self._call = _function(fn, fn.__name__)
        for method in ("at", "reduce", "accumulate", "outer", "reduceat"):
            setattr(self, method, _function(getattr(fn, method), f"{fn.__name__}.{method}"))

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)

    def __repr__(self):
        return f"<strict ufunc '{self.__name__}'>"


def _device_asarray(a, dtype=None, order=None, *, copy=None, blocking=False):
    if type(a) is ndarray:
        return ndarray(a._a.astype(dtype, copy=bool(copy)) if dtype is not None else (a._a.copy() if copy else a._a))
    return ndarray(numpy.array(_operand(a, "asarray", host_ok=True), dtype=dtype, order=order or "K"))


def _device_array(a, dtype=None, copy=True, order="K", subok=False, ndmin=0, blocking=False):
    if type(a) is ndarray and not copy:
        return _device_asarray(a, dtype)
    return ndarray(numpy.array(_operand(a, "array", host_ok=True), dtype=dtype, order=order, ndmin=ndmin))


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    """A numpy array from a device array (or anything numpy takes): cupy's explicit transfer."""
    if type(a) is ndarray:
        return a.get(order=order, out=out)
    return numpy.asarray(a, order=order)


def get_array_module(*args):
    return _this_module() if any(type(a) is ndarray for a in args) else numpy


def _namespace(name, source):
    """A module wrapping ``source``'s callables for device arrays (``random``, ``linalg``, ``fft``)."""
    module = types.ModuleType(f"{__name__}.{name}")
    module.__getattr__ = lambda attr: _attribute(module, source, attr)
    return module


def _attribute(module, source, name):
    if name.startswith("__") or name in _NOT_IN_CUPY:
        raise AttributeError(f"module 'cupy' has no attribute {name!r} (strict backend)")
    obj = getattr(source, name)
    if isinstance(obj, types.ModuleType):  # the submodules cupy has are set below
        raise AttributeError(f"module 'cupy' has no attribute {name!r} (strict backend)")
    if isinstance(obj, numpy.ufunc):
        obj = ufunc(obj)
    elif callable(obj) and not isinstance(obj, type):  # dtypes and scalar types stay numpy's, as in cupy
        obj = _function(obj, name)
    setattr(module, name, obj)
    return obj


def _random():
    """``random``: numpy's legacy and Generator API drawing straight into device arrays."""
    module = _namespace("random", numpy.random)
    module.default_rng = lambda seed=None: _Generator(numpy.random.default_rng(seed))
    module.RandomState = lambda seed=None: _Generator(numpy.random.RandomState(seed))
    return module


class _Generator:
    def __init__(self, rng):
        self._rng = rng

    def __getattr__(self, name):
        return _function(getattr(self._rng, name), name)


random = _random()
linalg = _namespace("linalg", numpy.linalg)
fft = _namespace("fft", numpy.fft)
lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
    as_strided=_function(numpy.lib.stride_tricks.as_strided, "as_strided"),
    sliding_window_view=_function(numpy.lib.stride_tricks.sliding_window_view, "sliding_window_view")))
array = _device_array
asarray = asanyarray = _device_asarray
ndarray.__module__ = __name__


def __getattr__(name):
    """Every other numpy name, wrapped for device arrays on first use (as cupy mirrors numpy)."""
    return _attribute(_this_module(), numpy, name)


def _binary(op):
    def method(self, other):
        if isinstance(other, numpy.ndarray):
            raise _unsupported(other, op)
        if type(other) is not ndarray and not isinstance(other, _SCALARS) and other is not None:
            return NotImplemented
        result = getattr(self._a, op)(_operand(other, op))
        return self if result is self._a else _wrap(result)

    method.__name__ = op
    return method


def _unary(op):
    def method(self):
        return _wrap(getattr(self._a, op)())

    method.__name__ = op
    return method


for _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
            "lshift", "rshift", "divmod"):
    for _form in ("__{}__", "__r{}__", "__i{}__"):
        if _form == "__i{}__" and _op == "divmod":
            continue
        setattr(ndarray, _form.format(_op), _binary(_form.format(_op)))
for _op in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
    setattr(ndarray, _op, _binary(_op))
for _op in ("__neg__", "__pos__", "__abs__", "__invert__"):
    setattr(ndarray, _op, _unary(_op))
del _op, _form
