"""TensorFlow's error classes (`tf.errors.*`), with TF's base-class layout."""
from __future__ import annotations

from jaxtape._src.framework.exports import export


class OpError(Exception):
    """An op failed; carries the op's name, as TensorFlow's errors do."""

    def __init__(self, node_def=None, op=None, message="", *args):
        super().__init__(message)
        self.node_def = node_def
        self.op = op
        self.message = message
        self.error_code = type(self)._code

    _code = 2

    def __str__(self):
        return self.message


def _error(name, code, doc):
    return type(name, (OpError,), {"_code": code, "__doc__": doc})


CancelledError = _error("CancelledError", 1, "An operation was cancelled.")
UnknownError = _error("UnknownError", 2, "An unknown error.")
InvalidArgumentError = _error("InvalidArgumentError", 3, "An argument had an invalid value.")
DeadlineExceededError = _error("DeadlineExceededError", 4, "A deadline expired.")
NotFoundError = _error("NotFoundError", 5, "Something requested was not found.")
AlreadyExistsError = _error("AlreadyExistsError", 6, "Something already exists.")
PermissionDeniedError = _error("PermissionDeniedError", 7, "Permission was denied.")
ResourceExhaustedError = _error("ResourceExhaustedError", 8, "A resource ran out.")
FailedPreconditionError = _error("FailedPreconditionError", 9, "The system is not in a state to run this.")
AbortedError = _error("AbortedError", 10, "The operation was aborted.")
OutOfRangeError = _error("OutOfRangeError", 11, "Iterated or indexed past the valid range.")
UnimplementedError = _error("UnimplementedError", 12, "The operation is not implemented.")
InternalError = _error("InternalError", 13, "An internal invariant broke.")
UnavailableError = _error("UnavailableError", 14, "A service is unavailable.")
DataLossError = _error("DataLossError", 15, "Data was lost or corrupted.")
UnauthenticatedError = _error("UnauthenticatedError", 16, "Credentials are missing.")


def invalid_argument(message: str, op: str | None = None) -> InvalidArgumentError:
    """An InvalidArgumentError whose text ends like TensorFlow's eager errors."""
    suffix = f" [Op:{op}] name: " if op else ""
    return InvalidArgumentError(None, None, message + suffix)


class NotImplementedInJaxtape(AttributeError, NotImplementedError):
    """A TensorFlow name jaxtape does not provide.

    It is an AttributeError so that `hasattr(tf, name)` and feature probes in
    ported code answer False, and a NotImplementedError so that it reads as
    what it is.
    """


@export("errors.OperatorNotAllowedInGraphError")
class OperatorNotAllowedInGraphError(TypeError):
    """A traced tensor was used where Python needs a concrete value (`if t:`)."""


BOOL_MESSAGE = (
    "Using a symbolic `tf.Tensor` as a Python `bool` is not allowed. You can attempt the "
    "following resolutions to the problem: If you are running in Graph mode, use Eager execution "
    "mode or decorate this function with @tf.function. If you are using AutoGraph, you can try "
    "decorating this function with @tf.function. If that does not work, then you may be using an "
    "unsupported feature or your source code may not be visible to AutoGraph. See "
    "https://github.com/tensorflow/tensorflow/blob/master/tensorflow/python/autograph/g3doc/"
    "reference/limitations.md#access-to-source-code for more information.")
