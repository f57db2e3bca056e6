using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace TypedKafka.Protocol;

/// <summary>
/// Decompression and compression of record data with Kafka's codecs. Decompression writes into
/// arrays rented from <see cref="ArrayPool{T}.Shared"/> and stops at a size limit, so a small
/// malicious or corrupt input (a "compression bomb") becomes a <see cref="KafkaProtocolException"/>
/// instead of an <see cref="OutOfMemoryException"/>.
/// </summary>
public static class KafkaCompression
{
    /// <summary>The default limit on the decompressed size of one batch: 64 MiB.</summary>
    /// <remarks>Kafka's own defaults cap a batch at about 1 MiB compressed (<c>message.max.bytes</c>),
    /// so 64 MiB allows a 64:1 ratio on the largest batch a default broker accepts.</remarks>
    public const int DefaultMaxDecompressedBytes = 64 * 1024 * 1024;

    /// <summary>
    /// Decompresses <paramref name="compressed"/> into <paramref name="pooledBuffer"/>, which is
    /// rented from (and, when too small, returned to and re-rented from) <see cref="ArrayPool{T}.Shared"/>.
    /// Pass the array from a previous call to reuse it; the caller returns it to the pool when done.
    /// </summary>
    /// <param name="codec">The codec; <see cref="CompressionCodec.None"/> copies.</param>
    /// <param name="compressed">The compressed bytes.</param>
    /// <param name="pooledBuffer">Receives the output; may be replaced by a bigger pooled array.</param>
    /// <param name="maxDecompressedBytes">Output beyond this many bytes is an error.</param>
    /// <param name="position">Reported in exceptions: where <paramref name="compressed"/> starts in the caller's buffer.</param>
    /// <returns>The number of decompressed bytes at the start of <paramref name="pooledBuffer"/>.</returns>
    /// <exception cref="KafkaProtocolException">The data is corrupt or decompresses past the limit.</exception>
    public static int Decompress(CompressionCodec codec, ReadOnlySpan<byte> compressed, [NotNull] ref byte[]? pooledBuffer,
        int maxDecompressedBytes = DefaultMaxDecompressedBytes, long position = -1) =>
        Decompress(codec, compressed, ref pooledBuffer, maxDecompressedBytes, position, Lz4HeaderChecksum.Ignore);

    internal static int Decompress(CompressionCodec codec, ReadOnlySpan<byte> compressed, [NotNull] ref byte[]? pooledBuffer,
        int maxDecompressedBytes, long position, Lz4HeaderChecksum lz4HeaderChecksum)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDecompressedBytes);
        try
        {
            int n = DecompressCore(codec, compressed, ref pooledBuffer, maxDecompressedBytes, position, lz4HeaderChecksum);
            EnsureCapacity(ref pooledBuffer, n, 1); // callers may always return the buffer to the pool
            return n;
        }
        catch (Exception ex) when (ex is not KafkaProtocolException and not OutOfMemoryException)
        {
            // The codec libraries signal corrupt input with a variety of exception types.
            throw new KafkaProtocolException($"{codec} data is corrupt: {ex.Message}", position: position, innerException: ex);
        }
    }

    private static int DecompressCore(CompressionCodec codec, ReadOnlySpan<byte> compressed, ref byte[]? pooledBuffer,
        int maxDecompressedBytes, long position, Lz4HeaderChecksum lz4HeaderChecksum)
    {
        switch (codec)
        {
            case CompressionCodec.None:
                if (compressed.Length > maxDecompressedBytes) ThrowLimitExceeded(codec, maxDecompressedBytes, position);
                EnsureCapacity(ref pooledBuffer, 0, compressed.Length);
                compressed.CopyTo(pooledBuffer);
                return compressed.Length;
            case CompressionCodec.Gzip:
                return GzipCodec.Decompress(compressed, ref pooledBuffer, maxDecompressedBytes, position);
            case CompressionCodec.Snappy:
                return SnappyCodec.Decompress(compressed, ref pooledBuffer, maxDecompressedBytes, position);
            case CompressionCodec.Lz4:
                return Lz4FrameCodec.Decompress(compressed, ref pooledBuffer, maxDecompressedBytes, position, lz4HeaderChecksum);
            case CompressionCodec.Zstd:
                return ZstdCodec.Decompress(compressed, ref pooledBuffer, maxDecompressedBytes, position);
            default:
                throw new KafkaProtocolException($"Unknown compression codec {(int)codec}", position: position);
        }
    }

    /// <summary>Compresses <paramref name="source"/> with <paramref name="codec"/> into <paramref name="destination"/>,
    /// in the framing Kafka's Java producer writes (xerial framing for snappy, the LZ4 frame format for lz4).</summary>
    /// <returns>The number of bytes written.</returns>
    public static int Compress(CompressionCodec codec, ReadOnlySpan<byte> source, IBufferWriter<byte> destination) =>
        Compress(codec, source, destination, kafka3160Lz4HeaderChecksum: false);

    internal static int Compress(CompressionCodec codec, ReadOnlySpan<byte> source, IBufferWriter<byte> destination, bool kafka3160Lz4HeaderChecksum)
    {
        ArgumentNullException.ThrowIfNull(destination);
        switch (codec)
        {
            case CompressionCodec.None:
                destination.Write(source);
                return source.Length;
            case CompressionCodec.Gzip:
                return GzipCodec.Compress(source, destination);
            case CompressionCodec.Snappy:
                return SnappyCodec.Compress(source, destination);
            case CompressionCodec.Lz4:
                return Lz4FrameCodec.Compress(source, destination, kafka3160Lz4HeaderChecksum);
            case CompressionCodec.Zstd:
                return ZstdCodec.Compress(source, destination);
            default:
                throw new ArgumentOutOfRangeException(nameof(codec), codec, "Unknown compression codec");
        }
    }

    /// <summary>Makes <paramref name="buffer"/> hold at least <paramref name="capacity"/> bytes, keeping its first <paramref name="used"/> bytes.</summary>
    internal static void EnsureCapacity([NotNull] ref byte[]? buffer, int used, int capacity)
    {
        if (buffer is not null && buffer.Length >= capacity) return;
        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 256));
        if (buffer is not null)
        {
            buffer.AsSpan(0, used).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(buffer);
        }

        buffer = bigger;
    }

    /// <summary>The next capacity when growing an output buffer of unknown final size: doubling, capped at the limit.</summary>
    internal static int NextCapacity(int current, int max) => (int)Math.Min((long)Math.Max(current, 4096) * 2, max);

    [DoesNotReturn]
    internal static void ThrowLimitExceeded(CompressionCodec codec, int maxDecompressedBytes, long position) =>
        throw new KafkaProtocolException(
            $"{codec} data decompresses to more than the limit of {maxDecompressedBytes} bytes (RecordReadOptions.MaxDecompressedBytes)",
            position: position);

    [DoesNotReturn]
    internal static void ThrowCorrupt(CompressionCodec codec, string detail, long position) =>
        throw new KafkaProtocolException($"{codec} data is corrupt: {detail}", position: position);
}

/// <summary>How to treat the header checksum (HC) byte of an LZ4 frame.</summary>
internal enum Lz4HeaderChecksum
{
    /// <summary>Not checked: the batch CRC already covers the bytes.</summary>
    Ignore,

    /// <summary>Must be the LZ4 frame format's checksum of the frame descriptor.</summary>
    Verify,

    /// <summary>
    /// May also be the checksum Kafka before 0.10 wrote, computed over the magic number too
    /// (KAFKA-3160); magic-0 messages keep that form for compatibility (KIP-57).
    /// </summary>
    VerifyAllowKafka3160,
}
