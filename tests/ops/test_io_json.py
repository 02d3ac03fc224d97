"""tf.io.decode_json_example against real TensorFlow: the exact binary TF writes (entry
order, unpacked values, duplicates, nulls, number and base64 forms) and which texts
it refuses (TF's messages have randomised spacing: the exception type is compared)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.difftest import same_outcome

F = '{"features": {"feature": {%s}}}'
TEXTS = [
    '{}', '', 'x', '[]', '{} x', ' {"features":{}} ', '{"features": null}', '{"features": 3}',
    '{"foo": 1}', '{"features": {"feature": []}}', '{"features": {"feature": {"a": 1}}}',
    '{"features": {"feature": {"a": {}}}, "features": {"feature": {"b": {}}}}',
    '{"features": {"feature": {"a": {}}, "feature": {"b": {}}}}',
    F % '"z": {"int64List": {"value": ["5", 3, -1]}}, "a": {"bytes_list": {"value": ["YWI=", '
        '"_-8"]}}, "m": {"floatList": {"value": [1.5, "NaN", "-Infinity", 1e30, "2.5"]}}',
    F % '"a": {"floatList": {"value": [1e40]}}',
    F % '"a": {"floatList": {"value": [3.4028235e38, -1.5e-45, 3, "3", "-0", -0.0]}}',
    F % '"a": {"floatList": {"value": ["Infinity", "-inf", "nan", "1e3", 1E2, 0.1]}}',
    F % '"a": {"floatList": {"value": [NaN]}}',
    F % '"a": {"int64List": {"value": [1.5]}}',
    F % '"a": {"int64List": {"value": 5}}',
    F % '"a": {"int64List": {"value": [1e3, "1e3", "5.0", 5.0, "-0"]}}',
    F % '"a": {"int64List": {"value": [9223372036854775807, -9223372036854775808]}}',
    F % '"a": {"int64List": {"value": [9223372036854775808]}}',
    F % '"a": {"int64List": {"value": ["99999999999999999999"]}}',
    F % '"a": {"int64List": {"value": [true]}}',
    F % '"a": {"int64List": {"value": [" 5"]}}',
    F % '"a": {"int64List": {"value": [null, [1, [2]]]}}',
    F % '"a": {"int64List": {"value": [1], "value": [2]}}',
    F % '"a": {"int64List": {"value": 1, "value": [2]}}',
    F % '"a": {"int64List": null}',
    F % '"a": null',
    F % '"a": {}, "b": {"int64List": {}}',
    F % '"a": {"int64List": {"value": [1]}}, "a": {"int64List": {"value": [2]}}',
    F % '"a": {"int64List": {"value": [1]}, "int64_list": {"value": [2]}}',
    F % '"a": {"int64List": {"value": [1]}, "floatList": {"value": [1]}}',
    F % '"a": {"int64List": {"value": [1]}, "foo": 3}',
    F % '"a": {"bytesList": {"value": ["", "YWJj", "YW+/", "YQ"]}}',
    F % '"a": {"bytesList": {"value": ["YQ==YQ=="]}}',
    F % '"a": {"bytesList": {"value": ["!!"]}}',
    F % '"a": {"bytesList": {"value": [5]}}',
    F % '"": {"bytesList": {"value": [""]}}, "\\u00e9": {}',
]


@pytest.mark.parametrize("text", TEXTS)
def test_matches_tf(text):
    same_outcome(lambda tf: tf.io.decode_json_example(text), message=False)


def test_batch_keeps_shape():
    same_outcome(lambda tf: tf.io.decode_json_example(
        tf.constant([['{}', '{"features": {}}'], [TEXTS[13], F % '"q": {}']])))


def test_parses_back_with_parse_example():
    def fn(tf):
        binary = tf.io.decode_json_example([F % '"x": {"floatList": {"value": [1, 2]}}'])
        return tf.io.parse_example(binary, {"x": tf.io.FixedLenFeature([2], tf.float32)})
    same_outcome(fn)


def test_in_dataset_map():
    def fn(tf):
        ds = tf.data.Dataset.from_tensor_slices([TEXTS[13], F % '"q": {}'])
        ds = ds.map(tf.io.decode_json_example)
        return [ds.element_spec.shape.as_list(), list(ds)]
    same_outcome(fn)


def test_in_function_with_constant():
    def fn(tf):
        return tf.function(lambda: tf.strings.length(tf.io.decode_json_example(TEXTS[13])))()
    same_outcome(fn)
