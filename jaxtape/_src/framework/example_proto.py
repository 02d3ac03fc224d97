"""The protobuf classes of `tf.train.Example` and its parts (`train/example.py`
exports them; `tf.io.parse_example` reads with them).

Real protobuf messages (`SerializeToString`, `FromString`, text printing,
`==`), built at first use from the fields of TF's `feature.proto` and
`example.proto`, in a descriptor pool of jaxtape's own so real TensorFlow
can be imported beside jaxtape (its pool holds the same full names).
protobuf is the `records` extra.
"""
from __future__ import annotations

import functools

EXTRA = "pip install 'jaxtape[records]'"

# (message, [(field, number, label, type, message type)]); the proto3 fields of
# TF's two files. Labels: "1" optional, "r" repeated; types by protobuf's names.
FEATURE = [
    ("BytesList", [("value", 1, "r", "bytes", None)]),
    ("FloatList", [("value", 1, "r", "float", None)]),
    ("Int64List", [("value", 1, "r", "int64", None)]),
    ("Feature", [("bytes_list", 1, "1", "message", "BytesList"),
                 ("float_list", 2, "1", "message", "FloatList"),
                 ("int64_list", 3, "1", "message", "Int64List")]),
    ("Features", [("feature", 1, "map", "Feature", None)]),
    ("FeatureList", [("feature", 1, "r", "message", "Feature")]),
    ("FeatureLists", [("feature_list", 1, "map", "FeatureList", None)]),
]
EXAMPLE = [
    ("Example", [("features", 1, "1", "message", "Features")]),
    ("SequenceExample", [("context", 1, "1", "message", "Features"),
                         ("feature_lists", 2, "1", "message", "FeatureLists")]),
]


def _protobuf():
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError as e:
        raise ImportError(f"tf.train.Example and TFRecord parsing need protobuf: {EXTRA}") from e
    return descriptor_pb2, descriptor_pool, message_factory


def _file(pb2, name: str, messages, dependency=None):
    f = pb2.FileDescriptorProto(name=f"tensorflow/core/example/{name}.proto",
                                package="tensorflow", syntax="proto3")
    if dependency:
        f.dependency.append(dependency)
    F = pb2.FieldDescriptorProto
    for message, fields in messages:
        m = f.message_type.add(name=message)
        for field, number, label, kind, target in fields:
            if label == "map":  # map<string, kind>: a repeated nested entry message
                entry = m.nested_type.add(name=field.title().replace("_", "") + "Entry")
                entry.options.map_entry = True
                entry.field.add(name="key", number=1, label=F.LABEL_OPTIONAL, type=F.TYPE_STRING)
                entry.field.add(name="value", number=2, label=F.LABEL_OPTIONAL,
                                type=F.TYPE_MESSAGE, type_name=f".tensorflow.{kind}")
                m.field.add(name=field, number=number, label=F.LABEL_REPEATED,
                            type=F.TYPE_MESSAGE,
                            type_name=f".tensorflow.{message}.{entry.name}")
                continue
            spec = m.field.add(name=field, number=number,
                               label=F.LABEL_REPEATED if label == "r" else F.LABEL_OPTIONAL,
                               type=getattr(F, f"TYPE_{kind.upper()}"))
            if target:
                spec.type_name = f".tensorflow.{target}"
            if message == "Feature":
                spec.oneof_index = 0
        if message == "Feature":
            m.oneof_decl.add(name="kind")
    return f


@functools.cache
def classes() -> dict:
    pb2, descriptor_pool, message_factory = _protobuf()
    pool = descriptor_pool.DescriptorPool()
    feature = _file(pb2, "feature", FEATURE)
    pool.Add(feature)
    pool.Add(_file(pb2, "example", EXAMPLE, feature.name))
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"tensorflow.{name}"))
            for name, _ in FEATURE + EXAMPLE}
