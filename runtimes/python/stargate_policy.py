"""Stargate's policy for agent-written Python: the data the checker enforces.

``stargate_checker.py`` holds the mechanism (parsing, scopes, import
resolution, the walk); this file holds every tunable list. An operator tunes
the policy here and nowhere else. Nothing in this file is ever evaluated
against submitted code: the checker reads these names and compares.

The policy is default deny. Submitted code runs only if every construct in it
is on one of these lists or is ordinary Python (arithmetic, functions,
classes, comprehensions, ...). The container the code runs in is the wall;
this checker is the first gate, and it exists so that the obvious (and many
of the less obvious) ways out of a Python process never reach the wall.

Knobs
=====

``ALLOWED_MODULES``
    Exact dotted module names that may be imported or reached as attributes.
    A package's submodules are NOT implied: ``numpy.linalg`` is listed on its
    own, ``numpy.ctypeslib`` is not, so it is rejected. A module component
    starting with ``_`` is never allowed unless listed (``__future__``).
    Sandbox-local modules (files the agent wrote) are allowed without being
    listed, but only when the name is not a standard-library or installed
    module: the runtime puts the sandbox directory last on ``sys.path``.

``MODULE_ATTRIBUTE_ALLOWLIST``
    For a module listed here, only these attributes may be used or imported
    (``io``: ``BytesIO`` and ``StringIO``, never ``io.open``).

``BANNED_OBJECTS``
    Dotted paths of objects in allowed modules that may not be used, with the
    reason shown to the agent. The checker imports the allowed module in its
    own interpreter (the same image as the runtime) and bans by identity, so a
    re-export (``numpy.lib.npyio.load`` is ``numpy.load``) is caught too.
    A path that does not exist in the installed version is ignored.

``RESTRICTED_CALLABLES``
    Objects that are fine when called directly with ordinary arguments but are
    attribute-copying primitives when given custom arguments
    (``functools.wraps(f, assigned=("__globals__",))``). They may only be
    called directly, without the keyword or positional arguments listed.

``BANNED_BUILTINS``
    Builtin names that may not be used at all (called, aliased, passed,
    decorated with). A function parameter or local variable of the same name
    is fine: inside a function, a local name can never fall back to the
    builtin.

``DYNAMIC_ATTRIBUTE_BUILTINS``
    ``getattr``/``setattr``/``delattr``/``hasattr``: allowed only when called
    directly with a string-literal attribute name that does not start with
    ``_`` and is not banned (``hasattr`` may test any literal name: it only
    returns a bool).

``BANNED_ATTRIBUTES``
    Attribute names banned on any object (``x.gi_frame``, ``x.exec``,
    ``arr.tofile``), each with the reason shown to the agent. Also applied to
    names imported with ``from m import name`` and to string literals given to
    ``getattr`` and friends (after NFKC normalisation).

``INTERNAL_ATTRIBUTES``
    Attribute names that reach interpreter internals (frames, code objects,
    tracebacks, closure cells). Reported under their own rule id.

``PRIVATE_ATTRIBUTES_ALLOWED``
    Underscore names that are public API by convention (``namedtuple._asdict``,
    ``Enum._value_``) and may be used on library classes and modules.

``DUNDER_NAMES_READABLE`` / ``DUNDER_ATTRIBUTES_READABLE``
    Dunder names and attributes that may be read (they only yield strings:
    ``__name__``, ``__doc__``...). Every other ``__x__`` name or attribute is
    rejected: that is how every classic sandbox escape starts
    (``().__class__.__bases__[0].__subclasses__()``).

``SPECIAL_METHODS``
    Dunder methods a class may define (``def __init__``) and that may be
    called as attributes (``super().__init__()``, ``Base.__eq__(self, o)``).
    Deliberately missing: ``__getattr__``/``__getattribute__`` (numpy reads
    ``__array_interface__`` through them, which is raw memory access),
    ``__reduce__``/``__reduce_ex__``/``__getstate__`` (``copy.copy`` turns
    their result into attribute writes), ``__array_interface__``,
    ``__array_struct__``, ``__dlpack__``, ``__instancecheck__``,
    ``__subclasscheck__``, ``__prepare__``, ``__mro_entries__``.

``SPECIAL_METHODS_DEFINE_ONLY``
    Special methods a class may define but code may not call by hand
    (``cp.__set_name__(cls, name)`` would redirect ``cached_property``'s
    writes; ``arr.__setstate__(...)`` feeds raw state to C types).

``GETATTR_SPECIAL_METHODS``
    ``__getattribute__``/``__getattr__``/``__setattr__``/``__delattr__`` may
    be called (``super().__setattr__("x", v)``,
    ``object.__setattr__(self, "x", v)`` in a frozen dataclass) only with a
    literal attribute name, like ``getattr``.

``CLASS_DUNDER_ASSIGNMENTS`` / ``MODULE_DUNDER_ASSIGNMENTS``
    Dunder names that may be bound in a class body (besides
    ``SPECIAL_METHODS``) or at module level. Binding any other dunder name
    anywhere (``__name__ = "__main__"``, ``__builtins__ = ...``,
    ``for __x__ in ...``, ``import m as __x__``) is rejected. ``__slots__``
    and ``__match_args__`` must be literal strings: ``__match_args__`` makes
    ``match`` read attributes by name, so it is held to the ``getattr`` rule.

``MAIN_GUARD_SKIPS_BODY``
    The body of a module-level ``if __name__ == "__main__":`` never runs on
    the platform: the runtime imports the module (so ``__name__`` is the
    module's name), binding any dunder name is rejected everywhere, and
    ``globals()``, ``sys`` and ``__dict__`` are unreachable, so nothing can
    make the test true. Its body is therefore not checked (only dunder
    bindings are, to keep that argument sound), and imports in it are not
    followed: an ordinary script with ``import sys`` / ``sys.argv`` in its
    main block loads. Its ``else`` branch is checked like any code.

``ALLOWED_ENCODING_DECLARATIONS``
    A PEP 263 coding declaration changes how the runtime decodes the file,
    so the checker would read different code than the runtime runs
    (``# coding: utf-7`` hides anything). Only declarations naming UTF-8 are
    accepted; they change nothing.

``DATACLASS_FIELD_CALLABLES`` / ``DATACLASS_DECORATORS``
    ``dataclasses.field(...)`` only as an annotated value in a ``@dataclass``
    body: a Field object in reach would let code rename a field, and the
    name is pasted into the source dataclasses compiles for subclasses.

``REGISTER_ATTRIBUTES`` / ``ANNOTATION_LITERAL_WRAPPERS`` / ``MAX_STRING_ANNOTATION`` / ``MAX_STRING_ANNOTATION_DEPTH``
    ``singledispatch``'s ``register`` evaluates annotations as code (see the
    comment at the knob). String annotations are checked as code; one too
    long or nested too deeply to check is rejected. ``Literal[...]`` and
    ``Annotated[...]`` metadata are exempt only when they are typing's own.

``FORMAT_METHODS``
    ``str.format``/``format_map`` resolve ``{0.attr}`` and ``{0[key]}`` in
    the template at run time. A literal template is checked for traversal;
    a template that is not a literal is rejected when called.

``MAX_REQUEST_BYTES`` / ``MAX_VIOLATIONS``
    One request line is at most 32 MiB; a response carries at most this many
    violations (``"truncated": true`` then says so).

``SLOT_DUNDERS_ALLOWED``
    Dunder names that may appear in ``__slots__`` (``__weakref__``,
    ``__dict__``); any other dunder slot is rejected.

``IMPORT_HINT`` / ``INTERNAL_MESSAGE``
    The sentences appended to banned-import and internal-attribute messages,
    so an agent knows what it may use instead.

Judgement calls
===============
* ``x.__class__`` is rejected (use ``type(x)``), but ``type(x).__name__``,
  ``f.__name__``, ``__doc__``, ``__qualname__``, ``__module__`` and
  ``np.__version__`` may be read: they only yield strings.
* ``type`` and the result of ``type(x)`` may be called, compared, used in
  ``isinstance`` and as ``type(x).name``, but not stored or passed
  (``cls = type(self)`` is rejected; ``type(self)(...)`` is fine): once
  ``type`` is a value, ``t("X", (), {...})`` builds classes whose special
  methods were never checked. ``typing.get_origin`` is banned for the same
  reason (it returns ``type`` for ``Type[int]``).
* Defining ``__getattr__``/``__getattribute__`` is rejected: numpy looks up
  ``__array_interface__`` through them, and that dictionary names a raw
  memory address (verified: arbitrary memory read and write).
* ``Enum("Name", names)`` is allowed only with literal member names that do
  not start with ``_``: the functional API turns names into class attributes,
  dunders included. A member-less Enum subclass may not be used as a value
  (it could be called functionally elsewhere).
* Metaclasses cannot be defined (``class M(type)``) or called; library
  metaclasses may only appear as ``metaclass=...``.
* String annotations are parsed and checked as code (``typing`` evaluates
  them, e.g. through ``functools.singledispatch``), except ``Literal[...]``
  values and ``Annotated[...]`` metadata, which are never evaluated.
* Names bound nowhere in a module are rejected (``undefined-name``): that
  closes any path that injects names into a module's globals.
* ``io`` is allowed for ``BytesIO``/``StringIO`` only; the brief's list did not
  name it but ``Image.open(io.BytesIO(data))`` is how agents decode images.
  ``abc`` and ``numbers`` were added for the same reason (ordinary code).
* ``hasattr`` may test any literal name (it returns only a bool);
  ``getattr``/``setattr``/``delattr`` may not name ``_`` attributes.
* ``memoryview``, ``input``, ``help``, ``breakpoint``, ``exit``/``quit``,
  ``license``/``credits``/``copyright`` are banned; ``dir``, ``id``, ``print`` and ``format(value, spec)`` are fine.
* ``.format`` read on a non-literal is allowed when not called, because
  ``PIL.Image.Image.format`` is an ordinary string attribute. Calling
  ``template.format(...)`` on a non-literal is rejected.
* Library modules and classes are read-only (``LIBRARY_SETTINGS_WRITABLE``
  lists the exceptions, documented settings): ``json.dumps = f``,
  ``del json.x``, ``json.JSONEncoder.default = f`` and item writes into
  library objects (``copy.dispatch_table[C] = r``) are rejected.
* Name-mangled attributes (``obj._Printer__filenames``) are another class's
  private state and are rejected on any object.
* ``x.__class__.__name__`` (``CLASS_NAME_ATTRIBUTES``) is read as
  one expression, the usual ``__repr__``: only a string comes out. The class
  object itself (``x.__class__``) stays unreachable; ``type(x).__name__``
  works too. ``type(None)`` and ``type`` of any literal are ordinary values.
* Attribute names in ``BANNED_ATTRIBUTES`` are refused on every object, the
  module's own classes included (``self.vars``, ``counts.fp``,
  ``report.show()``): the checker cannot tell an object's type, and these
  names reach modules, files and namespaces on library objects. Rename the
  attribute.
* A variable named ``code`` is ordinary (an HTTP status code); code objects
  are unreachable because every attribute leading to one is banned.

Known limits
============
* ``m = s.format`` followed by ``m(x)`` with a template built at run time
  is not detected (see the ``.format`` note above). A format template can
  only read attributes and items and turn the result into a string: it
  cannot call, import or write, so the worst case is reading data already in
  the process. The container is the wall for that.
* Attributes reached through objects returned by library calls are checked
  by name only (``BANNED_ATTRIBUTES``, dunders, internals), not by type; the
  audits in ``tests/test_checker_policy.py`` walk every allowed module and
  class for paths to banned builtins, unlisted modules and private hooks
  that run code, so an image upgrade that opens one fails the tests.
* Reading files through ``PIL.Image.open`` is allowed by design; writing
  (``Image.save`` to a path) is left to the read-only container.

Rule ids
========
``RULES`` maps each rule id the checker reports to its meaning. Tests and
the Go API key on these ids; change a message freely, an id carefully.
"""

RULES = {
    "syntax-error": "the source does not parse",
    "too-complex": "the source nests too deeply to analyse (and to compile)",
    "invalid-source": "the source has NUL bytes or is not valid UTF-8",
    "encoding-declaration": "a PEP 263 coding declaration other than UTF-8",
    "unknown-node": "a syntax node the checker does not know",
    "banned-import": "an import of a module or name that is not allowed or cannot be resolved",
    "banned-name": "a banned builtin (eval, exec, open, ...) used in any way",
    "banned-attribute": "a banned attribute, library function or module reached by attribute",
    "internal-attribute": "an attribute that reaches frames, code objects or tracebacks",
    "dunder-attribute": "reading or writing a __dunder__ attribute",
    "dunder-name": "using a __dunder__ name such as __builtins__",
    "dunder-assignment": "binding a __dunder__ name (assignment, import as, for target, ...)",
    "dunder-definition": "defining a special method or class attribute that is not allowed",
    "private-attribute": "an _underscore attribute of a library module or class",
    "dynamic-attribute": "attribute access by a computed name (getattr & co, __match_args__, functools.wraps)",
    "dynamic-class": "building classes dynamically (3-argument type, metaclasses, Enum functional API)",
    "module-alias": "a module object used as a value instead of as module.attribute",
    "format-traversal": "a format template that reads attributes or items ({0.x}, {0[k]})",
    "dynamic-format": "str.format/format_map with a template that is not a literal",
    "undefined-name": "a name that is bound nowhere and is not a builtin",
}

# --- modules ---------------------------------------------------------------

_STDLIB_ALLOWED = """
__future__ abc array base64 binascii bisect calendar cmath collections
collections.abc copy dataclasses datetime decimal enum fractions functools
hashlib heapq hmac io itertools json json.decoder json.encoder json.scanner
math numbers operator random re statistics string struct textwrap time
typing unicodedata zlib
"""

# Not numpy.core.getlimits: its MachArLike(**kwargs) copies keyword arguments
# into the instance __dict__ (np.finfo/np.iinfo stay reachable as numpy.*).
_NUMPY_ALLOWED = """
numpy numpy.version numpy.typing
numpy.core numpy.core.arrayprint numpy.core.defchararray numpy.core.einsumfunc
numpy.core.fromnumeric numpy.core.function_base
numpy.core.multiarray numpy.core.numeric numpy.core.numerictypes
numpy.core.overrides numpy.core.records numpy.core.shape_base numpy.core.umath
numpy.lib numpy.lib.arraypad numpy.lib.arraysetops numpy.lib.arrayterator
numpy.lib.function_base numpy.lib.histograms numpy.lib.index_tricks
numpy.lib.mixins numpy.lib.nanfunctions numpy.lib.polynomial
numpy.lib.recfunctions numpy.lib.scimath numpy.lib.shape_base
numpy.lib.stride_tricks numpy.lib.twodim_base numpy.lib.type_check
numpy.lib.ufunclike
numpy.linalg numpy.linalg.linalg
numpy.fft numpy.fft.helper
numpy.random numpy.random.bit_generator numpy.random.mtrand
numpy.polynomial numpy.polynomial.chebyshev numpy.polynomial.hermite
numpy.polynomial.hermite_e numpy.polynomial.laguerre numpy.polynomial.legendre
numpy.polynomial.polynomial numpy.polynomial.polyutils
numpy.ma numpy.ma.core numpy.ma.extras
numpy.matrixlib numpy.matrixlib.defmatrix numpy.matlib
"""

# PIL: decoding and pixel work only. Not ImageShow/ImageGrab (run programs),
# ImageMath (eval), ImageFont/ImageCms (parse font/profile files), the format
# plugins (reached through Image.open, never imported directly).
_PIL_ALLOWED = """
PIL PIL.Image PIL.ImageOps PIL.ImageFilter PIL.ImageStat PIL.ImageChops
PIL.ImageColor PIL.ImageDraw PIL.ImageEnhance PIL.ImageFile PIL.ImageSequence
PIL.ImagePalette PIL.ExifTags
"""

ALLOWED_MODULES = frozenset((_STDLIB_ALLOWED + _NUMPY_ALLOWED + _PIL_ALLOWED).split())

MODULE_ATTRIBUTE_ALLOWLIST = {
    # In-memory buffers for Image.open(io.BytesIO(data)) / im.save(buf, "PNG").
    "io": frozenset({"BytesIO", "StringIO", "SEEK_SET", "SEEK_CUR", "SEEK_END", "UnsupportedOperation"}),
}

_FILES = "functions run without a filesystem: take data as arguments and return results"
_PICKLE = "it can unpickle data, which runs arbitrary code"

BANNED_OBJECTS = {
    "numpy.load": "numpy.load reads files and can unpickle; " + _FILES,
    "numpy.save": "numpy.save writes files; " + _FILES,
    "numpy.savez": "numpy.savez writes files; " + _FILES,
    "numpy.savez_compressed": "numpy.savez_compressed writes files; " + _FILES,
    "numpy.savetxt": "numpy.savetxt writes files; " + _FILES,
    "numpy.loadtxt": "numpy.loadtxt reads files; parse the text yourself or use numpy.array",
    "numpy.genfromtxt": "numpy.genfromtxt reads files; parse the text yourself or use numpy.array",
    "numpy.fromfile": "numpy.fromfile reads files; use numpy.frombuffer",
    "numpy.fromregex": "numpy.fromregex reads files",
    "numpy.memmap": "numpy.memmap maps files into memory",
    "numpy.recfromcsv": "numpy.recfromcsv reads files",
    "numpy.recfromtxt": "numpy.recfromtxt reads files",
    "numpy.DataSource": "numpy.DataSource opens files and URLs",
    "numpy.lookfor": "numpy.lookfor imports modules by name",
    "numpy.info": "numpy.info imports modules by name",
    "numpy.source": "numpy.source reads source files",
    "numpy.test": "numpy.test runs the test suite",
    "numpy.Tester": "numpy.Tester runs the test suite",
    "numpy.add_newdoc": "numpy.add_newdoc rewrites docstrings of C objects",
    "numpy.add_docstring": "numpy.add_docstring rewrites docstrings of C objects",
    "numpy.add_newdoc_ufunc": "numpy.add_newdoc_ufunc rewrites docstrings of C objects",
    "numpy.ndarray.tofile": "ndarray.tofile writes files; use arr.tobytes()",
    "numpy.ndarray.dump": "ndarray.dump writes a pickle file; use arr.tobytes()",
    "numpy.ma.load": "numpy.ma.load " + _PICKLE,
    "numpy.ma.loads": "numpy.ma.loads " + _PICKLE,
    "numpy.ma.dump": "numpy.ma.dump writes files",
    "numpy.lib.stride_tricks.as_strided": "as_strided reads and writes memory outside the array; use sliding_window_view",
    "numpy.lib.stride_tricks.DummyArray": "DummyArray builds arrays over arbitrary memory",
    "numpy.core.records.fromfile": "numpy.rec.fromfile reads files",
    "PIL.Image.Image.show": "Image.show runs an external viewer program",
    "operator.attrgetter": "operator.attrgetter reads attributes by computed name; use a lambda",
    "operator.methodcaller": "operator.methodcaller calls methods by computed name; use a lambda",
    "string.Formatter": "string.Formatter resolves attribute paths in templates; use f-strings",
    "typing.get_type_hints": "typing.get_type_hints evaluates string annotations as code",
    "typing.ForwardRef": "typing.ForwardRef compiles and evaluates strings as code",
    "typing.get_origin": "typing.get_origin hands out hidden classes such as type itself",
    "dataclasses.make_dataclass": "make_dataclass creates classes with computed attribute names; write a @dataclass class",
    "enum.global_enum": "enum.global_enum writes into other modules' namespaces",
    "numpy.lib.format.read_array": "numpy.lib.format.read_array " + _PICKLE,
    "numpy.lib.format.open_memmap": "numpy.lib.format.open_memmap maps files into memory",
    # A Field's name is pasted into the source dataclasses compiles for every
    # dataclass that inherits it: a Field object must never be in reach.
    "dataclasses.fields": "Field objects drive dataclasses' code generation; use dataclasses.asdict or the attributes",
    "dataclasses.Field": "Field objects drive dataclasses' code generation; use dataclasses.field in a @dataclass body",
}

# dataclasses.field(...) may only be the value of an annotated assignment
# directly in the body of a class decorated with one of DATACLASS_DECORATORS,
# and the name it binds may not be read in that body: anywhere else its
# result is a Field object in reach (see BANNED_OBJECTS).
DATACLASS_FIELD_CALLABLES = frozenset({"dataclasses.field"})
DATACLASS_DECORATORS = frozenset({"dataclasses.dataclass"})

# functools.singledispatch's .register(func) (and @f.register) evaluates the
# function's annotations with typing.get_type_hints: any string in them runs
# as code. So x.register may only be called or used as a decorator; called
# with one argument, that argument must be a class written out; as a bare
# decorator it must be the innermost one, and the function's annotations
# must be static type expressions (no variables, calls, f-strings, ...).
REGISTER_ATTRIBUTES = frozenset({"register"})

# Library module settings that may be assigned (every other attribute of a
# library module or class is read-only).
LIBRARY_SETTINGS_WRITABLE = frozenset({"PIL.ImageFile.LOAD_TRUNCATED_IMAGES", "PIL.Image.MAX_IMAGE_PIXELS"})

# Subscripts whose arguments typing never evaluates (resolved by identity:
# a local "Literal = list" is not exempt).
ANNOTATION_LITERAL_WRAPPERS = ("typing.Literal", "typing.Annotated")
MAX_STRING_ANNOTATION = 10000  # characters; a longer string annotation is rejected
MAX_STRING_ANNOTATION_DEPTH = 3  # strings inside strings; deeper ones are rejected

RESTRICTED_CALLABLES = {
    # qualified name: (positional arguments allowed, keywords not allowed,
    #                  whether the result must be applied at once)
    # functools.wraps(f) returns a partial whose .keywords dict could be
    # edited to updated=("__globals__",) before it is applied.
    "functools.wraps": (1, ("assigned", "updated"), True),
    "functools.update_wrapper": (2, ("assigned", "updated"), False),
}

# --- builtins -------------------------------------------------------------

_NO_CODE = "functions may not run code built from strings"
BANNED_BUILTINS = {
    "eval": _NO_CODE,
    "exec": _NO_CODE,
    "compile": _NO_CODE,
    "__import__": "import modules with an import statement; only allowed modules can be imported",
    "__build_class__": "define classes with a class statement",
    "__loader__": "the module loader is not reachable",
    "__spec__": "the module spec is not reachable",
    "__builtins__": "the builtins namespace is not reachable",
    "open": _FILES + " (PIL.Image.open may read images)",
    "globals": "namespaces are not reachable by name; use the variables directly",
    "locals": "namespaces are not reachable by name; use the variables directly",
    "vars": "namespaces are not reachable by name; use dataclasses.asdict or explicit attributes",
    "breakpoint": "there is no debugger or terminal",
    "input": "there is no terminal: take data as arguments",
    "help": "help runs a pager program",
    "exit": "raise an exception instead",
    "quit": "raise an exception instead",
    "memoryview": "memoryview is not needed: use bytes, bytearray or numpy.frombuffer",
    # site's _Printer objects: their private file list is read when printed.
    "license": "license/credits/copyright read files when printed",
    "credits": "license/credits/copyright read files when printed",
    "copyright": "license/credits/copyright read files when printed",
}

DYNAMIC_ATTRIBUTE_BUILTINS = frozenset({"getattr", "setattr", "delattr", "hasattr"})

# --- attributes ------------------------------------------------------------

_MODREF = "modules may only be reached through an allowed import"
BANNED_ATTRIBUTES = {
    "eval": _NO_CODE,
    "exec": _NO_CODE,
    "execfile": _NO_CODE,
    "globals": "namespaces are not reachable",
    "locals": "namespaces are not reachable",
    "vars": "namespaces are not reachable",
    "breakpoint": "there is no debugger",
    "getattr": "use attribute syntax",
    "setattr": "use attribute syntax",
    "delattr": "use attribute syntax",
    "builtins": _MODREF,
    "bltns": _MODREF,
    "sys": _MODREF,
    "_sys": _MODREF,
    "os": _MODREF,
    "_os": _MODREF,
    "posix": _MODREF,
    "subprocess": _MODREF,
    "importlib": _MODREF,
    "import_module": _MODREF,
    "ctypes": "ctypes reaches raw memory",
    "_ctypes": "ctypes reaches raw memory",
    "ctypeslib": "ctypes reaches raw memory",
    "pickle": _PICKLE,
    "marshal": _NO_CODE,
    "modules": "the module table is not reachable",
    "environ": "the environment is not reachable",
    "getenv": "the environment is not reachable",
    "system": "functions cannot run programs",
    "popen": "functions cannot run programs",
    "mro": "class hierarchies are not walked at run time; use isinstance",
    "CodeType": _NO_CODE,
    "FunctionType": _NO_CODE,
    "LambdaType": _NO_CODE,
    "FrameType": "frames are not reachable",
    "TracebackType": "tracebacks are not reachable",
    "attrgetter": "operator.attrgetter reads attributes by computed name; use a lambda",
    "methodcaller": "operator.methodcaller calls methods by computed name; use a lambda",
    "Formatter": "string.Formatter resolves attribute paths in templates; use f-strings",
    "get_type_hints": "typing.get_type_hints evaluates string annotations as code",
    "get_origin": "typing.get_origin hands out hidden classes such as type itself",
    "ForwardRef": "typing.ForwardRef evaluates strings as code",
    "make_dataclass": "write a @dataclass class instead",
    "tofile": "writing files is not available; use arr.tobytes()",
    "fromfile": "reading raw files is not available; use numpy.frombuffer",
    "dump": "writing files is not available; use json.dumps or arr.tobytes()",
    "memmap": "memory-mapped files are not available",
    "as_strided": "as_strided reaches memory outside the array; use sliding_window_view",
    "show": "there is no display; return the image data instead",
    "fp": "the image's file handle is not available; use the Image methods",
    "unsafe_ptrs": "raw pointers are not available",
    # functools.cached_property stores into instance.__dict__[attrname]:
    # changing attrname writes any attribute, dunders included.
    "attrname": "cached_property's storage name is fixed by the class statement",
    "global_enum": "enum.global_enum writes into other modules' namespaces",
    "read_array": "numpy.lib.format is not available: it can unpickle",
    "MachArLike": "it copies keyword arguments into attributes; use numpy.finfo",
    "_machar": "use numpy.finfo's public attributes",
    "write_array": "numpy.lib.format is not available: it writes files",
    "open_memmap": "memory-mapped files are not available",
    # Library-private hooks that run code from strings or read any loaded
    # module (enum's functional API backdoors, typing's evaluator, the
    # dataclasses code generator). Reachable on user subclasses, so banned
    # by name, not only on the library class.
    "_create_": "use a class statement to define enums",
    "_convert_": "enum._convert_ reads other modules' globals",
    "_old_convert_": "enum._convert_ reads other modules' globals",
    "_simple_enum": "use a class statement to define enums",
    "_test_simple_enum": "use a class statement to define enums",
    "_evaluate": "typing internals evaluate strings as code",
    "_eval_type": "typing internals evaluate strings as code",
    "_type_check": "typing internals compile strings",
    "_caller": "typing internals read frames",
    "_create_fn": "dataclasses internals run code from strings",
    "_process_class": "dataclasses internals",
    "_set_new_attribute": "dataclasses internals",
    "_get_field": "dataclasses internals",
    "_add_slots": "dataclasses internals",
    "_reconstruct": "copy internals set attributes by computed name",
    "_ufunc_reconstruct": "numpy internals import modules by name",
    "_getdecoder": "PIL internals",
    "_getencoder": "PIL internals",
    "_getframe": "frames are not reachable",
    # copy.dispatch_table is copyreg's: a reducer registered there makes
    # copy.copy set any attribute (dunders included) on the copy.
    "dispatch_table": "the copy/pickle reducer registry is not reachable; define __copy__ or __deepcopy__",
}

_FRAMES = "frames, code objects and tracebacks are not reachable"
INTERNAL_ATTRIBUTES = frozenset({
    "gi_frame", "gi_code", "cr_frame", "cr_code", "cr_origin", "ag_frame", "ag_code",
    "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace", "f_lasti",
    "tb_frame", "tb_next", "tb_lasti", "cell_contents",
    "co_code", "co_consts", "co_names", "co_varnames", "co_filename", "co_name",
    "co_qualname", "co_firstlineno", "co_lnotab", "co_linetable", "co_exceptiontable",
    "co_freevars", "co_cellvars", "co_argcount", "co_posonlyargcount",
    "co_kwonlyargcount", "co_nlocals", "co_stacksize", "co_flags", "co_positions",
    "co_lines",
    "func_globals", "func_code", "func_closure", "im_func", "im_self", "im_class",
})
INTERNAL_MESSAGE = _FRAMES

PRIVATE_ATTRIBUTES_ALLOWED = frozenset({
    "_fields", "_field_defaults", "_asdict", "_replace", "_make",
    "_value_", "_name_", "_missing_", "_generate_next_value_", "_ignore_", "_order_",
})

# --- dunders -----------------------------------------------------------------

DUNDER_NAMES_READABLE = frozenset({
    "__name__", "__doc__", "__all__", "__version__", "__file__", "__debug__", "__author__",
})

DUNDER_ATTRIBUTES_READABLE = frozenset({"__name__", "__qualname__", "__doc__", "__module__", "__version__"})

# x.__class__.<one of these> is allowed as a whole (the usual __repr__):
# only a string comes out, never the class.
CLASS_NAME_ATTRIBUTES = frozenset({"__name__", "__qualname__", "__module__"})

_ARITH = "add sub mul matmul truediv floordiv mod divmod pow lshift rshift and xor or".split()
SPECIAL_METHODS = frozenset(
    [f"__{op}__" for op in _ARITH]
    + [f"__r{op}__" for op in _ARITH]
    + [f"__i{op}__" for op in _ARITH]
    + """
    __new__ __init__ __del__ __repr__ __str__ __bytes__ __format__ __hash__ __bool__
    __lt__ __le__ __eq__ __ne__ __gt__ __ge__
    __neg__ __pos__ __abs__ __invert__ __complex__ __int__ __float__ __index__
    __round__ __trunc__ __floor__ __ceil__
    __len__ __length_hint__ __getitem__ __setitem__ __delitem__ __missing__
    __iter__ __next__ __reversed__ __contains__
    __enter__ __exit__ __aenter__ __aexit__ __aiter__ __anext__ __await__
    __call__ __get__ __set__ __delete__ __set_name__ __setattr__ __delattr__ __dir__
    __init_subclass__ __class_getitem__ __subclasshook__
    __copy__ __deepcopy__ __setstate__ __getnewargs__ __getnewargs_ex__ __sizeof__
    __post_init__ __fspath__
    __array__ __array_ufunc__ __array_function__ __array_priority__
    __array_finalize__ __array_wrap__ __array_prepare__
    """.split()
)

# Definable, but never called by hand: __set_name__ with a computed name
# tells cached_property where to write, __setstate__ feeds raw state to C
# types (numpy dtypes and arrays).
SPECIAL_METHODS_DEFINE_ONLY = frozenset({"__set_name__", "__setstate__", "__getnewargs__", "__getnewargs_ex__"})

GETATTR_SPECIAL_METHODS = frozenset({"__getattribute__", "__getattr__", "__setattr__", "__delattr__"})

CLASS_DUNDER_ASSIGNMENTS = frozenset({"__slots__", "__match_args__", "__hash__", "__doc__"})
# __weakref__ and __dict__ are ordinary slot names.
SLOT_DUNDERS_ALLOWED = frozenset({"__weakref__", "__dict__"})

MODULE_DUNDER_ASSIGNMENTS = frozenset({
    "__all__", "__version__", "__author__", "__doc__", "__license__", "__copyright__",
    "__email__", "__status__", "__credits__", "__maintainer__", "__date__",
})

# --- the rest ------------------------------------------------------------------

MAIN_GUARD_SKIPS_BODY = True

ALLOWED_ENCODING_DECLARATIONS = frozenset({"utf-8"})  # after tokenize's normalisation

FORMAT_METHODS = frozenset({"format", "format_map"})

MAX_REQUEST_BYTES = 32 * 1024 * 1024
MAX_VIOLATIONS = 500

# Shown in banned-import messages.
IMPORT_HINT = (
    "functions run without a filesystem, network or processes; allowed modules are "
    "numpy, PIL.Image (and ImageOps, ImageFilter, ImageStat, ImageChops, ImageColor, "
    "ImageDraw, ImageEnhance, ImageFile, ImageSequence, ImagePalette, ExifTags), "
    "json, re, math, cmath, statistics, decimal, fractions, random, datetime, time, "
    "calendar, collections, itertools, functools, operator, typing, dataclasses, enum, "
    "abc, numbers, copy, heapq, bisect, array, string, textwrap, unicodedata, hashlib, "
    "hmac, base64, binascii, struct, zlib, io (BytesIO/StringIO) and your own sandbox modules"
)
