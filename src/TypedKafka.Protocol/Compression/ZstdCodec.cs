using System.Buffers;
using System.Numerics;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace TypedKafka.Protocol;

/// <summary>Zstandard (KIP-110) through ZstdSharp's streaming decoder, so that frames without a content size
/// (what Java's zstd-jni stream writes) decode into a growing pooled buffer instead of being decoded twice.</summary>
internal static class ZstdCodec
{
    /// <summary>Kafka's default zstd level (KIP-390).</summary>
    private const int DefaultLevel = 3;

    // A decoding context holds about 100 KiB of tables plus its window; creating one per batch would
    // dominate small batches, so each thread keeps one (as ArrayPool keeps per-thread arrays).
    [ThreadStatic]
    private static Decompressor? t_decompressor;

    public static unsafe int Decompress(ReadOnlySpan<byte> source, ref byte[]? buffer, int max, long position)
    {
        Decompressor decompressor = t_decompressor ??= new Decompressor();
        decompressor.ResetStream(); // a previous call may have stopped mid-frame on an error

        // The window buffer of a streaming decoder is sized by the frame header; a window much larger than
        // the output limit can only serve a bomb, so the limit bounds it too (between 1 MiB and zstd's default 128 MiB).
        int windowLog = Math.Clamp(BitOperations.Log2((uint)max) + 2, 20, 27);
        decompressor.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, windowLog);

        int capacity;
        ulong contentSize;
        fixed (byte* p = source)
        {
            contentSize = Methods.ZSTD_getFrameContentSize(p, (nuint)source.Length);
        }

        if (contentSize < ulong.MaxValue - 1) // neither ZSTD_CONTENTSIZE_UNKNOWN nor ZSTD_CONTENTSIZE_ERROR
        {
            if (contentSize > (ulong)max) KafkaCompression.ThrowLimitExceeded(CompressionCodec.Zstd, max, position);
            capacity = Math.Max(1, (int)contentSize);
        }
        else
        {
            capacity = (int)Math.Min(max, Math.Max(4096L, source.Length * 4L));
        }

        KafkaCompression.EnsureCapacity(ref buffer, 0, capacity);
        capacity = Math.Min(buffer.Length, max);
        int consumed = 0;
        int written = 0;
        Span<byte> probe = stackalloc byte[1];
        while (true)
        {
            if (written == capacity)
            {
                if (capacity >= max)
                {
                    // Full at the limit: one more byte of output means the limit is exceeded.
                    OperationStatus last = decompressor.UnwrapStream(source.Slice(consumed), probe, out int c, out int n);
                    consumed += c;
                    if (n > 0) KafkaCompression.ThrowLimitExceeded(CompressionCodec.Zstd, max, position);
                    if (last == OperationStatus.Done && consumed == source.Length) return written;
                    if (c == 0) KafkaCompression.ThrowCorrupt(CompressionCodec.Zstd, "truncated frame", position);
                    continue;
                }

                KafkaCompression.EnsureCapacity(ref buffer, written, KafkaCompression.NextCapacity(capacity, max));
                capacity = Math.Min(buffer.Length, max);
            }

            OperationStatus status = decompressor.UnwrapStream(source.Slice(consumed), buffer.AsSpan(written, capacity - written), out int read, out int produced);
            consumed += read;
            written += produced;
            switch (status)
            {
                case OperationStatus.Done:
                    if (consumed == source.Length) return written;
                    break; // another frame follows
                case OperationStatus.DestinationTooSmall:
                    break;
                case OperationStatus.NeedMoreData:
                    if (consumed == source.Length && written < capacity) KafkaCompression.ThrowCorrupt(CompressionCodec.Zstd, "truncated frame", position);
                    break;
                default:
                    KafkaCompression.ThrowCorrupt(CompressionCodec.Zstd, status.ToString(), position);
                    break;
            }

            if (read == 0 && produced == 0 && written < capacity) KafkaCompression.ThrowCorrupt(CompressionCodec.Zstd, "decoder made no progress", position);
        }
    }

    public static int Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        using var compressor = new Compressor(DefaultLevel);
        Span<byte> target = destination.GetSpan(Compressor.GetCompressBound(source.Length));
        int n = compressor.Wrap(source, target);
        destination.Advance(n);
        return n;
    }
}
