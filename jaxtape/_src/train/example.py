"""`tf.train.Example`, `Features`, `Feature`, `BytesList`, `FloatList`, `Int64List`,
`FeatureList`, `FeatureLists`, `SequenceExample`: protobuf message classes
(see `framework/example_proto.py`), looked up when first used so importing
jaxtape needs no protobuf."""
from __future__ import annotations

from jaxtape._src.framework import example_proto
from jaxtape._src.framework.exports import export_value


class _Lazy:
    """Stands for a message class until first use, so importing jaxtape needs no protobuf."""

    def __init__(self, name):
        self._name = name

    def _cls(self):
        return example_proto.classes()[self._name]

    def __call__(self, *args, **kwargs):
        return self._cls()(*args, **kwargs)

    def __getattr__(self, attr):
        return getattr(self._cls(), attr)

    def __instancecheck__(self, obj):
        return isinstance(obj, self._cls())

    def __repr__(self):
        module = "example" if self._name in dict(example_proto.EXAMPLE) else "feature"
        return f"<class 'tensorflow.core.example.{module}_pb2.{self._name}'>"


export_value(_Lazy("BytesList"), "train.BytesList")
export_value(_Lazy("FloatList"), "train.FloatList")
export_value(_Lazy("Int64List"), "train.Int64List")
export_value(_Lazy("Feature"), "train.Feature")
export_value(_Lazy("Features"), "train.Features")
export_value(_Lazy("FeatureList"), "train.FeatureList")
export_value(_Lazy("FeatureLists"), "train.FeatureLists")
export_value(_Lazy("Example"), "train.Example")
export_value(_Lazy("SequenceExample"), "train.SequenceExample")
