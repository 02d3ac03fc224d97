"""Per-thread recording state: which tapes and accumulators are active.

TensorFlow keeps its tape stack per thread, so a tape opened in one thread
never sees ops run in another. `local.tapes` is read on every op, so it is a
plain list attribute on a `threading.local`, the cheapest lookup Python has.
The stacks change only through `jaxtape._src.tape.stack` (push, remove, hidden).
"""
import threading


class _Local(threading.local):
    def __init__(self):
        self.tapes = []          # active recorders (stack.Recorder), innermost last
        self.accumulators = []   # active ForwardAccumulators, innermost last
        self.tracing = 0         # >0 while tf.function traces a body
        self.tail = None         # a weak reference to this thread's open `deferred.Tail`, or None
        self.scope = ""          # the current name scope, "" or ending in "/" (name_scope.py)
        self.scope_names = None  # while tracing: the trace's scope names in use, lowercased


local = _Local()
