"""`tf.data.FixedLengthRecordDataset`: each file's bytes after `header_bytes` and
before `footer_bytes`, cut into `record_bytes`-long scalar strings (the file read
through GZIP or ZLIB when compressed); TF's errors, raised when iterating."""
from __future__ import annotations

from jaxtape._src.framework.errors import InternalError, InvalidArgumentError
from jaxtape._src.framework.exports import export
from jaxtape._src.data.sources import _FileDataset, _TensorSliceDataset
from jaxtape._src.data.structure import to_host
from jaxtape._src.framework.strings import bytes_array
from jaxtape._src.ops import io_records

_WHERE = ("Error in user-defined function passed to FlatMapDataset:0 transformation with "
          "iterator: Iterator::Root::Prefetch::FlatMap: ")
_NODE = "\n\t [[{{node FixedLengthRecordDatasetV2}}]] [Op:IteratorGetNext] name: "


def _int(value, default=0) -> int:
    return default if value is None else int(to_host(value))


@export("data.FixedLengthRecordDataset")
class FixedLengthRecordDatasetV2(_FileDataset):
    """Fixed-length records from one or more binary files."""

    def __init__(self, filenames, record_bytes, header_bytes=None, footer_bytes=None,
                 buffer_size=None, compression_type=None, num_parallel_reads=None, name=None):
        self._sizes = (_int(record_bytes), _int(header_bytes), _int(footer_bytes),
                       _int(buffer_size, 256 * 1024))
        if compression_type is not None and not isinstance(compression_type, (str, bytes)):
            compression_type = bytes_array(to_host(compression_type)).reshape(-1)[0]
        if isinstance(compression_type, bytes):
            compression_type = compression_type.decode()
        self._bad_compression = compression_type not in (None, "", "GZIP", "ZLIB")
        super().__init__(filenames, None,
                         "" if self._bad_compression else (compression_type or ""))
        if num_parallel_reads and len(self._files) > 1:  # TF's interleave of the files
            self._interleaved = _TensorSliceDataset(bytes_array(self._files)).interleave(
                lambda f: FixedLengthRecordDatasetV2(f, record_bytes, header_bytes, footer_bytes,
                                                     buffer_size, compression_type),
                cycle_length=int(num_parallel_reads), block_length=1)

    def _check(self):
        record, header, footer, buffer = self._sizes
        for ok, text in ((record > 0, "`record_bytes` must be > 0"),
                         (header >= 0, "`header_bytes` must be >= 0"),
                         (footer >= 0, "`footer_bytes` must be >= 0"),
                         (buffer >= 0, "`buffer_size` must be >= 0"),
                         (not self._bad_compression, "Unsupported compression_type.")):
            if not ok:
                raise InvalidArgumentError(None, None, _WHERE + text + _NODE)

    def _iter(self):
        self._check()
        yield from super()._iter()

    def _read(self, path):
        record, header, footer, _ = self._sizes
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            raise io_records._not_found(path, "IteratorGetNext") from None
        with f:
            data = io_records.Stream(f, self._compression).read(1 << 62) \
                if self._compression else f.read()
        if len(data) < header + footer:
            raise InternalError(None, None, 'Iterator "Iterator::Root::Prefetch::FlatMap[0]::'
                                'FixedLengthRecordV2" returned `OutOfRange`. This indicates an '
                                "implementation error as `OutOfRange` errors are not expected "
                                "to be returned here. Original message: Read less bytes than "
                                "requested [Op:IteratorGetNext] name: ")
        body = len(data) - header - footer
        if body % record:
            raise InvalidArgumentError(None, None, f"Excluding the header ({header} bytes) and "
                                       f"footer ({footer} bytes), input file \"{path}\" has "
                                       f"body length {body} bytes, which is not an exact "
                                       f"multiple of the record length ({record} bytes). "
                                       "[Op:IteratorGetNext] name: ")
        for start in range(header, header + body, record):
            yield data[start:start + record]
