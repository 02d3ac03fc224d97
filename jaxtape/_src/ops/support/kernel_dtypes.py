"""Which dtypes each TF math kernel accepts, and TF's error for the others.

The table is TF's op registry: for each op, the `T` values its kernels take
(in TF's order, as its error message lists them), the op's signature and,
where they differ from plain `attr=T:type,allowed=[{T}]`, its attributes.
TF's op summary (`Op<name=...>`) is derived from them, so each list is
written once. A kernel that does not take a dtype raises TF's
InvalidArgumentError instead of JAX computing anyway.
"""
from __future__ import annotations

from jaxtape._src.framework.messages import dtype_not_allowed, kernel_dtype_name
from jaxtape._src.framework.tensor import Tensor

# Dtype lists and signatures many ops share.
FLOAT = "bfloat16, half, float, double"
FLOAT_COMPLEX = FLOAT + ", complex64, complex128"
INTEGER = "int8, int16, int32, int64, uint8, uint16, uint32, uint64"
REAL_NUMBER = "float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64"
NUMBER = ("float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, "
          "bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64")
UNARY = "x:T -> y:T"
BINARY = "x:T, y:T -> z:T"
REDUCE = "input:T, reduction_indices:Tidx -> output:T"
SEGMENT = "data:T, segment_ids:Tindices, num_segments:Tnumsegments -> output:T"
SCAN = "x:T, axis:Tidx -> out:T"
# Attribute lists: `{T}` stands for the op's allowed dtypes as DT_ names.
PLAIN = "attr=T:type,allowed=[{T}]"
COMMUTATIVE = PLAIN + "; is_commutative=true"
REDUCE_ATTRS = ("attr=keep_dims:bool,default=false; attr=T:type,allowed=[{T}]; "
                "attr=Tidx:type,default=DT_INT32,allowed=[DT_INT32, DT_INT64]")
SEGMENT_ATTRS = ("attr=T:type,allowed=[{T}]; attr=Tindices:type,allowed=[DT_INT32, DT_INT64]; "
                 "attr=Tnumsegments:type,default=DT_INT32,allowed=[DT_INT32, DT_INT64]")
SCAN_ATTRS = ("attr=exclusive:bool,default=false; attr=reverse:bool,default=false; "
              "attr=T:type,allowed=[{T}]; attr=Tidx:type,default=DT_INT32,allowed=[DT_INT32, DT_INT64]")
COMPLEX_PART_ATTRS = ("attr=T:type,default=DT_COMPLEX64,allowed=[{T}]; "
                      "attr=Tout:type,default=DT_FLOAT,allowed=[DT_FLOAT, DT_DOUBLE]")

# op -> (allowed dtypes, signature[, attributes])
KERNELS = {
    "Softplus": ("half, bfloat16, float, double", "features:T -> activations:T"),
    "Relu": (REAL_NUMBER + ", qint8", "features:T -> activations:T"),
    "Elu": ("half, bfloat16, float, double", "features:T -> activations:T"),
    "Selu": ("half, bfloat16, float, double", "features:T -> activations:T"),
    "LeakyRelu": ("half, bfloat16, float, double", "features:T -> activations:T",
        "attr=alpha:float,default=0.2; attr=T:type,default=DT_FLOAT,allowed=[{T}]"),
    "Softmax": ("half, bfloat16, float, double", "logits:T -> softmax:T"),
    "LogSoftmax": ("half, bfloat16, float, double", "logits:T -> logsoftmax:T"),
    "L2Loss": ("half, bfloat16, float, double", "t:T -> output:T"),
    "MatrixDeterminant": ("half, float, double, complex64, complex128", "input:T -> output:T"),
    "Relu6": (REAL_NUMBER, "features:T -> activations:T"),
    "Abs": ("bfloat16, half, float, double, int8, int16, int32, int64", UNARY),
    "Acos": (FLOAT_COMPLEX, UNARY),
    "Acosh": (FLOAT_COMPLEX, UNARY),
    "AddV2": ("bfloat16, half, float, double, uint8, uint16, uint32, uint64, int8, int16, int32, int64, complex64, complex128", BINARY,
        "attr=T:type,allowed=[{T}]; is_commutative=true; is_aggregate=true"),
    "Angle": ("complex64, complex128", "input:T -> output:Tout", COMPLEX_PART_ATTRS),
    "Asin": (FLOAT_COMPLEX, UNARY),
    "Asinh": (FLOAT_COMPLEX, UNARY),
    "Atan": (FLOAT_COMPLEX, UNARY),
    "Atan2": (FLOAT, "y:T, x:T -> z:T"),
    "Atanh": (FLOAT_COMPLEX, UNARY),
    "BesselI0e": (FLOAT, UNARY),
    "BesselI1e": (FLOAT, UNARY),
    "Ceil": (FLOAT, UNARY),
    "Conj": ("complex64, complex128, variant", "input:T -> output:T",
        "attr=T:type,default=DT_COMPLEX64,allowed=[{T}]"),
    "Cos": (FLOAT_COMPLEX, UNARY),
    "Cosh": (FLOAT_COMPLEX, UNARY),
    "Digamma": (FLOAT, UNARY),
    "DivNoNan": ("half, float, bfloat16, double, complex64, complex128", BINARY),
    "Erf": (FLOAT, UNARY),
    "Erfc": (FLOAT, UNARY),
    "Erfinv": (FLOAT, UNARY),
    "Exp": (FLOAT_COMPLEX, UNARY),
    "Expm1": (FLOAT_COMPLEX, UNARY),
    "Floor": (FLOAT, UNARY),
    "FloorDiv": ("bfloat16, half, float, double, uint8, int8, uint16, int16, int32, uint32, uint64, int64, complex64, complex128", BINARY),
    "FloorMod": ("int8, int16, int32, int64, uint8, uint16, uint32, uint64, bfloat16, half, float, double", BINARY),
    "Igamma": (FLOAT, "a:T, x:T -> z:T"),
    "Igammac": (FLOAT, "a:T, x:T -> z:T"),
    "Imag": ("complex64, complex128", "input:T -> output:Tout", COMPLEX_PART_ATTRS),
    "Inv": ("bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128", UNARY),
    "IsFinite": (FLOAT, "x:T -> y:bool"),
    "IsInf": (FLOAT, "x:T -> y:bool"),
    "IsNan": (FLOAT, "x:T -> y:bool"),
    "Lgamma": (FLOAT, UNARY),
    "Log": (FLOAT_COMPLEX, UNARY),
    "Log1p": (FLOAT_COMPLEX, UNARY),
    # The ordered comparisons take real numbers only (Equal/NotEqual take every dtype).
    "Greater": (REAL_NUMBER, "x:T, y:T -> z:bool"),
    "GreaterEqual": (REAL_NUMBER, "x:T, y:T -> z:bool"),
    "Less": (REAL_NUMBER, "x:T, y:T -> z:bool"),
    "LessEqual": (REAL_NUMBER, "x:T, y:T -> z:bool"),
    "Maximum": ("bfloat16, half, float, double, int8, uint8, int16, uint16, int32, uint32, int64, uint64", BINARY),
    "Minimum": ("bfloat16, half, float, double, int8, uint8, int16, uint16, int32, uint32, int64, uint64", BINARY),
    "Mul": ("bfloat16, half, float, double, uint8, int8, uint16, int16, int32, uint32, uint64, int64, complex64, complex128", BINARY,
        COMMUTATIVE),
    "MulNoNan": (FLOAT_COMPLEX, BINARY),
    "Neg": ("bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128", UNARY),
    "Pow": ("bfloat16, float, half, double, int8, int16, int32, int64, complex64, complex128", BINARY),
    "Real": ("complex64, complex128", "input:T -> output:Tout", COMPLEX_PART_ATTRS),
    "RealDiv": ("bfloat16, half, float, double, uint8, int8, uint16, int16, int32, uint32, uint64, int64, complex64, complex128", BINARY),
    "Reciprocal": ("bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128", UNARY),
    "Rint": (FLOAT, UNARY),
    "Round": ("bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128", UNARY),
    "Rsqrt": (FLOAT_COMPLEX, UNARY),
    "Sign": ("bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128", UNARY),
    "Sin": (FLOAT_COMPLEX, UNARY),
    "Sinh": (FLOAT_COMPLEX, UNARY),
    "Sqrt": (FLOAT_COMPLEX, UNARY),
    "Square": ("bfloat16, half, float, double, int8, int16, int32, int64, uint8, uint16, uint32, uint64, complex64, complex128", UNARY),
    "SquaredDifference": ("bfloat16, half, float, double, int32, int64, complex64, complex128", BINARY,
        COMMUTATIVE),
    "Sub": ("bfloat16, half, float, double, uint8, int8, uint16, int16, int32, int64, complex64, complex128, uint32, uint64", BINARY),
    "Tan": (FLOAT_COMPLEX, UNARY),
    "Tanh": (FLOAT_COMPLEX, UNARY),
    "TruncateDiv": ("bfloat16, half, float, double, uint8, int8, uint16, int16, int32, uint32, uint64, int64, complex64, complex128", BINARY),
    "TruncateMod": ("int32, int64, bfloat16, half, float, double", BINARY),
    "Xdivy": ("half, bfloat16, float, double, complex64, complex128", BINARY),
    "Xlog1py": ("half, bfloat16, float, double, complex64, complex128", BINARY),
    "Xlogy": ("half, bfloat16, float, double, complex64, complex128", BINARY),
    "Zeta": ("float, double", "x:T, q:T -> z:T"),
    "Polygamma": ("float, double", "a:T, x:T -> z:T"),
    "Betainc": ("float, double", "a:T, b:T, x:T -> z:T"),
    "Sigmoid": (FLOAT_COMPLEX, UNARY),
    "Sum": (NUMBER, REDUCE, REDUCE_ATTRS),
    "Prod": (NUMBER, REDUCE, REDUCE_ATTRS),
    "Max": ("float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64, qint8, quint8, qint32, qint16, quint16", REDUCE,
        REDUCE_ATTRS),
    "Min": ("float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64, qint8, quint8, qint32, qint16, quint16", REDUCE,
        REDUCE_ATTRS),
    "Mean": (NUMBER, REDUCE, REDUCE_ATTRS),
    "ArgMax": ("float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64, qint8, quint8, qint32, qint16, quint16, bool", "input:T, dimension:Tidx -> output:output_type",
        "attr=T:type,allowed=[{T}]; attr=Tidx:type,default=DT_INT32,allowed=[DT_INT16, DT_INT32, DT_INT64]; attr=output_type:type,default=DT_INT64,allowed=[DT_INT16, DT_UINT16, DT_INT32, DT_INT64]"),
    "ArgMin": ("float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64, qint8, quint8, qint32, qint16, quint16, bool", "input:T, dimension:Tidx -> output:output_type",
        "attr=T:type,allowed=[{T}]; attr=Tidx:type,default=DT_INT32,allowed=[DT_INT32, DT_INT64]; attr=output_type:type,default=DT_INT64,allowed=[DT_INT32, DT_INT64]"),
    "Cumsum": (NUMBER, SCAN, SCAN_ATTRS),
    "Cumprod": (NUMBER, SCAN, SCAN_ATTRS),
    "CumulativeLogsumexp": (FLOAT, SCAN, SCAN_ATTRS),
    "TopKV2": (REAL_NUMBER, "input:T, k:Tk -> values:T, indices:index_type",
        "attr=sorted:bool,default=true; attr=T:type,allowed=[{T}]; attr=Tk:type,default=DT_INT32,allowed=[DT_INT16, DT_INT32, DT_INT64]; attr=index_type:type,default=DT_INT32,allowed=[DT_INT16, DT_INT32, DT_INT64]"),
    "InTopKV2": ("int32, int64", "predictions:float, targets:T, k:T -> precision:bool",
        "attr=T:type,default=DT_INT32,allowed=[{T}]"),
    "Ndtri": (FLOAT, UNARY),
    "BesselI0": (FLOAT, UNARY),
    "BesselI1": (FLOAT, UNARY),
    "BesselJ0": (FLOAT, UNARY),
    "BesselJ1": (FLOAT, UNARY),
    "BesselK0": (FLOAT, UNARY),
    "BesselK0e": (FLOAT, UNARY),
    "BesselK1": (FLOAT, UNARY),
    "BesselK1e": (FLOAT, UNARY),
    "BesselY0": (FLOAT, UNARY),
    "BesselY1": (FLOAT, UNARY),
    "Dawsn": (FLOAT, UNARY),
    "Expint": (FLOAT, UNARY),
    "FresnelCos": (FLOAT, UNARY),
    "FresnelSin": (FLOAT, UNARY),
    "Spence": (FLOAT, UNARY),
    "NextAfter": ("double, float", "x1:T, x2:T -> output:T",
        "attr=T:type,default=DT_FLOAT,allowed=[{T}]"),
    "AddN": ("float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64, variant", "inputs:N*T -> sum:T",
        "attr=N:int,minimum=1; attr=T:type,allowed=[{T}]; is_commutative=true; is_aggregate=true"),
    "SegmentSumV2": (NUMBER, SEGMENT, SEGMENT_ATTRS),
    "SegmentMaxV2": (REAL_NUMBER, SEGMENT, SEGMENT_ATTRS),
    "UnsortedSegmentSum": (NUMBER, SEGMENT,
        "attr=T:type,allowed=[{T}]; attr=Tindices:type,allowed=[DT_INT16, DT_INT32, DT_INT64]; attr=Tnumsegments:type,default=DT_INT32,allowed=[DT_INT32, DT_INT64]"),
    "UnsortedSegmentMax": (REAL_NUMBER, SEGMENT, SEGMENT_ATTRS),
    "UnsortedSegmentMin": (REAL_NUMBER, SEGMENT, SEGMENT_ATTRS),
    "UnsortedSegmentProd": (NUMBER, SEGMENT, SEGMENT_ATTRS),
    "Bincount": ("int32, int64, float, double", "arr:int32, size:int32, weights:T -> bins:T"),
    "DenseBincount": ("int32, int64, float, double", "input:Tidx, size:Tidx, weights:T -> output:T",
        "attr=Tidx:type,allowed=[DT_INT32, DT_INT64]; attr=T:type,allowed=[{T}]; attr=binary_output:bool,default=false"),
    # The bitwise ops behind `&`, `|`, `^`, `~` on integer tensors.
    "BitwiseAnd": (INTEGER, BINARY, COMMUTATIVE),
    "BitwiseOr": (INTEGER, BINARY, COMMUTATIVE),
    "BitwiseXor": (INTEGER, BINARY, COMMUTATIVE),
    "Invert": (INTEGER, UNARY),
    "RGBToHSV": ("half, bfloat16, float, double", "images:T -> output:T", "attr=T:type,default=DT_FLOAT,allowed=[{T}]"),
    "HSVToRGB": ("half, bfloat16, float, double", "images:T -> output:T", "attr=T:type,default=DT_FLOAT,allowed=[{T}]"),
}

# Ops whose registration error is about another attribute than `T` (see
# `reject`): the list is that attribute's, `{T}` marks where the summary has it.
_INDEX_POLICY = 'attr=bad_indices_policy:string,default=""'
_SCATTER = ("int32, int64", "tensor:T, indices:Tindices, updates:T -> output:T",
            "attr=T:type; attr=Tindices:type,allowed=[{T}]; " + _INDEX_POLICY)
_COMPLEX_FFT = ("complex64, complex128", "input:Tcomplex -> output:Tcomplex",
                "attr=Tcomplex:type,default=DT_COMPLEX64,allowed=[{T}]")
ATTR_KERNELS = {
    "OneHot": ("uint8, int8, int32, int64", "indices:TI, depth:int32, on_value:T, off_value:T -> output:T",
        "attr=axis:int,default=-1; attr=T:type; attr=TI:type,default=DT_INT64,allowed=[{T}]"),
    "GatherV2": ("int16, int32, int64", "params:Tparams, indices:Tindices, axis:Taxis -> output:Tparams",
        "attr=batch_dims:int,default=0; attr=Tparams:type; attr=Tindices:type,allowed=[{T}]; "
        "attr=Taxis:type,allowed=[DT_INT32, DT_INT64]"),
    "GatherNd": ("int16, int32, int64", "params:Tparams, indices:Tindices -> output:Tparams",
        "attr=Tparams:type; attr=Tindices:type,allowed=[{T}]; " + _INDEX_POLICY),
    "ScatterNd": ("int16, int32, int64", "indices:Tindices, updates:T, shape:Tindices -> output:T",
        "attr=T:type; attr=Tindices:type,allowed=[{T}]; " + _INDEX_POLICY),
    "TensorScatterUpdate": ("int16, int32, int64, uint16",) + _SCATTER[1:],
    "TensorScatterAdd": _SCATTER,
    "TensorScatterSub": _SCATTER,
    "TensorScatterMax": _SCATTER,
    "TensorScatterMin": _SCATTER,
    "FFT": _COMPLEX_FFT, "IFFT": _COMPLEX_FFT, "FFT2D": _COMPLEX_FFT, "IFFT2D": _COMPLEX_FFT,
    "FFT3D": _COMPLEX_FFT, "IFFT3D": _COMPLEX_FFT,
    "Reshape": ("int32, int64", "tensor:T, shape:Tshape -> output:T",
        "attr=T:type; attr=Tshape:type,default=DT_INT32,allowed=[{T}]"),
}

# The window ops: `T` as above; their padding error quotes the padding list.
_CONV_ATTRS = ('attr=T:type,allowed=[{T}]; attr=strides:list(int); attr=use_cudnn_on_gpu:bool,default=true; '
               'attr=padding:string,allowed=["SAME", "VALID", "EXPLICIT"]; '
               'attr=explicit_paddings:list(int),default=[]; '
               'attr=data_format:string,default="NHWC",allowed=["NHWC", "NCHW"]; '
               'attr=dilations:list(int),default=[1, 1, 1, 1]')
_POOL3D_ATTRS = ('attr=ksize:list(int),min=5; attr=strides:list(int),min=5; '
                 'attr=padding:string,allowed=["SAME", "VALID"]; '
                 'attr=data_format:string,default="NDHWC",allowed=["NDHWC", "NCDHW"]; attr=T:type,allowed=[{T}]')
KERNELS.update({
    "Conv2D": ("half, bfloat16, float, double, int32", "input:T, filter:T -> output:T", _CONV_ATTRS),
    "Conv2DBackpropInput": ("half, bfloat16, float, double, int32",
        "input_sizes:int32, filter:T, out_backprop:T -> output:T", _CONV_ATTRS),
    "DepthwiseConv2dNative": ("half, bfloat16, float, double", "input:T, filter:T -> output:T",
        _CONV_ATTRS.replace("attr=use_cudnn_on_gpu:bool,default=true; ", "")),
    "Conv3D": ("half, bfloat16, float, double", "input:T, filter:T -> output:T",
        'attr=T:type,allowed=[{T}]; attr=strides:list(int),min=5; attr=padding:string,allowed=["SAME", "VALID"]; '
        'attr=data_format:string,default="NDHWC",allowed=["NDHWC", "NCDHW"]; '
        'attr=dilations:list(int),default=[1, 1, 1, 1, 1]'),
    "AvgPool": ("half, bfloat16, float, double", "value:T -> output:T",
        'attr=ksize:list(int),min=4; attr=strides:list(int),min=4; attr=padding:string,allowed=["SAME", "VALID"]; '
        'attr=data_format:string,default="NHWC",allowed=["NHWC", "NCHW"]; attr=T:type,allowed=[{T}]'),
    "MaxPool": ("half, bfloat16, float, double, int32, int64, uint8, int16, int8, uint16, qint8", "input:T -> output:T",
        'attr=T:type,default=DT_FLOAT,allowed=[{T}]; attr=ksize:list(int),min=4; attr=strides:list(int),min=4; '
        'attr=padding:string,allowed=["SAME", "VALID", "EXPLICIT"]; attr=explicit_paddings:list(int),default=[]; '
        'attr=data_format:string,default="NHWC",allowed=["NHWC", "NCHW", "NCHW_VECT_C"]'),
    "AvgPool3D": ("half, bfloat16, float, double", "input:T -> output:T", _POOL3D_ATTRS),
    "MaxPool3D": ("half, bfloat16, float", "input:T -> output:T", _POOL3D_ATTRS),
})


def summary(op: str) -> str:
    """TF's op summary, `Op<name=...; signature=...; attr=...>`, as its errors print it."""
    allowed, signature, *attrs = KERNELS[op] if op in KERNELS else ATTR_KERNELS[op]
    dt_names = ", ".join("DT_" + name.upper() for name in allowed.split(", "))
    attrs = (attrs[0] if attrs else PLAIN).replace("{T}", dt_names)
    return f"Op<name={op}; signature={signature}; {attrs}>"


_accepted: dict = {}


def accepts(op: str, dtype) -> bool:
    key = (op, dtype)
    ok = _accepted.get(key)
    if ok is None:
        ok = _accepted[key] = kernel_dtype_name(dtype) in KERNELS[op][0].split(", ")
    return ok


def check(op: str, *tensors):
    """Raises TF's "not in the list of allowed values" error unless `op` takes the dtype."""
    t = tensors[0]  # its NumPy dtype (a DType hashes slower), from a pending tensor's aval too
    dtype = (t._meta if isinstance(t, Tensor) else t._value).dtype
    if not accepts(op, dtype):
        raise dtype_not_allowed(op, dtype, KERNELS[op][0], summary(op))


def reject(op: str, dtype, attr: str, named: bool = True):
    """TF's registration error for an `ATTR_KERNELS` op given `dtype` for `attr`."""
    return dtype_not_allowed(op, dtype, ATTR_KERNELS[op][0], summary(op), attr, named)


def padding_values(op: str) -> str:
    """The padding names `op` registers, as its error lists them: `"SAME", "VALID"`."""
    attrs = KERNELS[op][2]
    return attrs.split("attr=padding:string,allowed=[", 1)[1].split("]", 1)[0]
