"""`tf.strings.to_hash_bucket_fast` / `to_hash_bucket` / `to_hash_bucket_strong`: each
string's hash mod the bucket count, as TF's: FarmHash's Fingerprint64 (also the
out-of-vocabulary buckets of `tf.lookup` tables), TF's legacy MurmurHash64A, and
SipHash-2-4 under a key.

Fingerprint64 is farmhash's `farmhashna::Hash64` (a CityHash descendant), written
here from its published algorithm: short strings mix their first and last words,
longer ones run 64-byte blocks through two 32-byte weak hashes. Arithmetic is
modulo 2**64.
"""
from __future__ import annotations

import struct

import numpy as np

from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import op_error
from jaxtape._src.ops.strings.host import as_string_tensor

_M = (1 << 64) - 1
K0, K1, K2 = 0xC3A5C85C97CB3127, 0xB492B66FBE98F273, 0x9AE16A3B2F90404F


def _u64(s: bytes, i: int) -> int:
    return struct.unpack_from("<Q", s, i)[0]


def _u32(s: bytes, i: int) -> int:
    return struct.unpack_from("<I", s, i)[0]


def _rot(v: int, shift: int) -> int:
    return ((v >> shift) | (v << (64 - shift))) & _M if shift else v


def _shift_mix(v: int) -> int:
    return v ^ (v >> 47)


def _len16(u: int, v: int, mul: int) -> int:
    a = ((u ^ v) * mul) & _M
    a ^= a >> 47
    b = ((v ^ a) * mul) & _M
    b ^= b >> 47
    return (b * mul) & _M


def _len0to16(s: bytes) -> int:
    n = len(s)
    if n >= 8:
        mul = K2 + n * 2
        a = (_u64(s, 0) + K2) & _M
        b = _u64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & _M
        d = ((_rot(a, 25) + b) * mul) & _M
        return _len16(c, d, mul)
    if n >= 4:
        mul = K2 + n * 2
        return _len16(n + (_u32(s, 0) << 3), _u32(s, n - 4), mul)
    if n:
        y = s[0] + (s[n >> 1] << 8)
        z = n + (s[n - 1] << 2)
        return (_shift_mix(((y * K2) ^ (z * K0)) & _M) * K2) & _M
    return K2


def _ends(s: bytes, n: int, mul: int, first: int) -> tuple[int, int, int, int]:
    """The first two and last two words, scaled as the 17-64 byte hashes scale them."""
    return ((_u64(s, 0) * first) & _M, _u64(s, 8), (_u64(s, n - 8) * mul) & _M,
            (_u64(s, n - 16) * K2) & _M)


def _len17to32(s: bytes) -> int:
    n = len(s)
    mul = K2 + n * 2
    a, b, c, d = _ends(s, n, mul, K1)
    return _len16((_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M,
                  (a + _rot((b + K2) & _M, 18) + c) & _M, mul)


def _len33to64(s: bytes) -> int:
    n = len(s)
    mul = K2 + n * 2
    a, b, c, d = _ends(s, n, mul, K2)
    y = (_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M
    z = _len16(y, (a + _rot((b + K2) & _M, 18) + c) & _M, mul)
    e = (_u64(s, 16) * mul) & _M
    f = _u64(s, 24)
    g = ((y + _u64(s, n - 32)) * mul) & _M
    h = ((z + _u64(s, n - 24)) * mul) & _M
    return _len16((_rot((e + f) & _M, 43) + _rot(g, 30) + h) & _M,
                  (e + _rot((f + a) & _M, 18) + g) & _M, mul)


def _weak32(s: bytes, i: int, a: int, b: int) -> tuple[int, int]:
    w, x, y, z = _u64(s, i), _u64(s, i + 8), _u64(s, i + 16), _u64(s, i + 24)
    a = (a + w) & _M
    b = _rot((b + a + z) & _M, 21)
    c = a
    a = (a + x + y) & _M
    b = (b + _rot(a, 44)) & _M
    return (a + z) & _M, (b + c) & _M


def fingerprint64(s: bytes) -> int:
    n = len(s)
    if n <= 16:
        return _len0to16(s)
    if n <= 32:
        return _len17to32(s)
    if n <= 64:
        return _len33to64(s)
    seed = 81
    x = seed
    y = (seed * K1 + 113) & _M
    z = (_shift_mix((y * K2 + 113) & _M) * K2) & _M
    v0 = v1 = w0 = w1 = 0
    x = (x * K2 + _u64(s, 0)) & _M
    end = ((n - 1) // 64) * 64
    last = end + ((n - 1) & 63) - 63
    i = 0
    while True:
        x = (_rot((x + y + v0 + _u64(s, i + 8)) & _M, 37) * K1) & _M
        y = (_rot((y + v1 + _u64(s, i + 48)) & _M, 42) * K1) & _M
        x ^= w1
        y = (y + v0 + _u64(s, i + 40)) & _M
        z = (_rot((z + w0) & _M, 33) * K1) & _M
        v0, v1 = _weak32(s, i, (v1 * K1) & _M, (x + w0) & _M)
        w0, w1 = _weak32(s, i + 32, (z + w1) & _M, (y + _u64(s, i + 16)) & _M)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = K1 + ((z & 0xFF) << 1)
    i = last
    w0 = (w0 + ((n - 1) & 63)) & _M
    v0 = (v0 + w0) & _M
    w0 = (w0 + v0) & _M
    x = (_rot((x + y + v0 + _u64(s, i + 8)) & _M, 37) * mul) & _M
    y = (_rot((y + v1 + _u64(s, i + 48)) & _M, 42) * mul) & _M
    x ^= (w1 * 9) & _M
    y = (y + v0 * 9 + _u64(s, i + 40)) & _M
    z = (_rot((z + w0) & _M, 33) * mul) & _M
    v0, v1 = _weak32(s, i, (v1 * mul) & _M, (x + w0) & _M)
    w0, w1 = _weak32(s, i + 32, (z + w1) & _M, (y + _u64(s, i + 16)) & _M)
    z, x = x, z
    return _len16((_len16(v0, w0, mul) + _shift_mix(y) * K0 + z) & _M,
                  (_len16(v1, w1, mul) + x) & _M, mul)


def _murmur64(s: bytes, seed: int = 0xDECAFCAFFE) -> int:
    """TF's legacy `Hash64` (a MurmurHash64A), behind `to_hash_bucket`."""
    m, r = 0xC6A4A7935BD1E995, 47
    n = len(s)
    h = (seed ^ (n * m)) & _M
    whole = n - n % 8
    for i in range(0, whole, 8):
        k = (_u64(s, i) * m) & _M
        k ^= k >> r
        k = (k * m) & _M
        h = ((h ^ k) * m) & _M
    if n % 8:
        for j in range(n % 8 - 1, -1, -1):
            h ^= s[whole + j] << (8 * j)
        h = (h * m) & _M
    h ^= h >> r
    h = (h * m) & _M
    return h ^ (h >> r)


def _sip_round(v0, v1, v2, v3):
    v0 = (v0 + v1) & _M
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & _M
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & _M
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & _M
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def _rotl(v: int, shift: int) -> int:
    return ((v << shift) | (v >> (64 - shift))) & _M


def siphash24(s: bytes, k0: int, k1: int) -> int:
    """SipHash-2-4 with the 128-bit key (k0, k1), behind `to_hash_bucket_strong`."""
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573
    n = len(s)
    whole = n - n % 8
    for i in range(0, whole, 8):
        m = _u64(s, i)
        v3 ^= m
        v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
        v0 ^= m
    last = (n & 0xFF) << 56
    for j, byte in enumerate(s[whole:]):
        last |= byte << (8 * j)
    v3 ^= last
    v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
    v0 ^= last
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def buckets(values: np.ndarray, num_buckets: int, hash_fn=None) -> np.ndarray:
    """`hash_fn` (Fingerprint64) mod `num_buckets` of each string of an object array."""
    hash_fn = hash_fn or fingerprint64
    out = np.empty(values.shape, np.int64)
    for i in np.ndindex(values.shape):
        out[i] = hash_fn(values[i]) % num_buckets
    return out


def _count(num_buckets, op: str, signature: str) -> int:
    count = int(np.asarray(convert_to_tensor(num_buckets)))
    if count < 1:
        raise op_error(f"Value for attr 'num_buckets' of {count} must be at least minimum 1\n\t; "
                       f"NodeDef: {{{{node {op}}}}}; Op<name={op}; {signature}>", op, named=False)
    return count


@export("strings.to_hash_bucket_fast", "compat.v1.string_to_hash_bucket_fast")
def to_hash_bucket_fast(input, num_buckets, name=None):  # noqa: A002 - TF's argument name
    count = _count(num_buckets, "StringToHashBucketFast",
                   "signature=input:string -> output:int64; attr=num_buckets:int,min=1")
    return convert_to_tensor(buckets(as_string_tensor(input)._value, count))


@export("strings.to_hash_bucket", "compat.v1.string_to_hash_bucket")
def to_hash_bucket(input, num_buckets, name=None):  # noqa: A002 - TF's argument name
    """TF's legacy (MurmurHash64A) buckets; TF advises `to_hash_bucket_fast`."""
    count = _count(num_buckets, "StringToHashBucket",
                   "signature=string_tensor:string -> output:int64; attr=num_buckets:int,min=1")
    return convert_to_tensor(buckets(as_string_tensor(input)._value, count, _murmur64))


@export("strings.to_hash_bucket_strong", "compat.v1.string_to_hash_bucket_strong")
def to_hash_bucket_strong(input, num_buckets, key, name=None):  # noqa: A002 - TF's argument name
    """SipHash-2-4 buckets under a secret 128-bit `key` (two integers)."""
    count = _count(num_buckets, "StringToHashBucketStrong",
                   "signature=input:string -> output:int64; attr=num_buckets:int,min=1; "
                   "attr=key:list(int)")
    k0, k1 = (int(k) & _M for k in key)
    return convert_to_tensor(buckets(as_string_tensor(input)._value, count,
                                     lambda s: siphash24(s, k0, k1)))
