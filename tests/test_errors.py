"""Every KerasMigrateError is a value that survives pickling, and a process pool: a worker's
error reaches the caller as the same class with the same file, message and extra attributes."""

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

import kerasmigrate.cli  # noqa: F401  (imports every module that defines an error class)
from kerasmigrate.errors import KerasMigrateError, MappingError, UnknownClassError
from kerasmigrate.keras3_targets import TargetError
from kerasmigrate.passes.keras3_releases import Finding

FINDING = Finding("model/dense", "sparkle", 3, "no such argument", "3.6.0", "refuse")

# The errors whose constructor takes more than (path, message); every other one is built as
# cls("model.h5", "a message").
ARGUMENTS = {
    UnknownClassError: ("model.h5", {"FancyDense": ["model/dense"]}),
    MappingError: ("mapping.toml", "a message", 7),
    TargetError: ("model.h5", "3.3.3", [FINDING]),
}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


ERROR_CLASSES = sorted({KerasMigrateError, *_subclasses(KerasMigrateError)}, key=lambda c: c.__qualname__)


def _build(cls, extended=False):
    error = cls(*ARGUMENTS.get(cls, ("model.h5", "a message")))
    return error.extended("; and more") if extended else error


def _raise(cls, extended):
    raise _build(cls, extended=extended)


def _state(error):
    return type(error), str(error), error.args, error.to_dict(), vars(error)


@pytest.fixture(scope="module")
def pool():
    # spawn: the worker is a fresh interpreter, so nothing reaches the parent but the pickle
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


def test_every_error_class_is_covered():
    names = {cls.__name__ for cls in ERROR_CLASSES}
    assert {"KerasMigrateError", "UnknownClassError", "MappingError", "TargetError", "RepairRefused"} <= names


@pytest.mark.parametrize("extended", [False, True], ids=["built", "extended"])
@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_pickles(cls, extended):
    error = _build(cls, extended=extended)
    assert _state(pickle.loads(pickle.dumps(error))) == _state(error)


@pytest.mark.parametrize("extended", [False, True], ids=["built", "extended"])
@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_crosses_a_process_pool(pool, cls, extended):
    expected = _build(cls, extended=extended)
    with pytest.raises(cls) as caught:
        pool.submit(_raise, cls, extended).result()
    assert _state(caught.value) == _state(expected)
    assert caught.value.path == expected.path and caught.value.message == expected.message


def test_located_names_a_file_once():
    error = KerasMigrateError(None, "a message")
    located = pickle.loads(pickle.dumps(error.located("model.h5")))
    assert (located.path, str(located), error.path) == ("model.h5", "model.h5: a message", None)
    assert located.located("other.h5") is located
