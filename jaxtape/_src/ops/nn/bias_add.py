"""`tf.nn.bias_add`: a 1-D bias added along the channel axis."""
from __future__ import annotations

from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.ops.support.args import binary
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import READS_NONE, primitive


@primitive(name="BiasAdd", vjp_reads=READS_NONE)
def _bias_add(x, b, *, channel_axis):
    shape = [1] * x.ndim
    shape[channel_axis] = b.shape[0]
    return x + b.reshape(shape)


@defined("nn.bias_add", primitive=_bias_add)
def bias_add(value, bias, data_format=None, name=None):
    """`value + bias` along the channel axis: the last one, or axis 1 for `NC...`."""
    channels_first = False
    if data_format is not None:
        fmt = str(data_format)
        if fmt.startswith("NC"):
            channels_first = True
        elif not (fmt.startswith("N") and fmt.endswith("C")):
            raise ValueError("`data_format` must be of the form `N...C` or `NC...`. "
                             f"Received: data_format={data_format}")
    x, b = binary(value, bias, "BiasAdd")
    if x.ndim < 2:
        raise op_error(f"Input tensor must be at least 2D: {dims(x._meta.shape)}", "BiasAdd")
    if b.ndim != 1:
        raise op_error(f"Biases must be 1D: {dims(b._meta.shape)}", "BiasAdd")
    # TF's kernel reads NCHW channels from axis 1 only above rank 2 (and its
    # message names the last dimension either way).
    channel_axis = 1 if channels_first and x.ndim > 2 else x.ndim - 1
    if x._meta.shape[channel_axis] != b._meta.shape[0]:
        raise op_error("Must provide as many biases as the last dimension of the input tensor: "
                       f"{dims(b._meta.shape)} vs. {dims(x._meta.shape)}", "BiasAdd")
    return _bias_add(x, b, channel_axis=channel_axis)
