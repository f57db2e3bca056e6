using System.Buffers;
using System.IO.Compression;

namespace TypedKafka.Protocol;

/// <summary>gzip (RFC 1952) through System.IO.Compression; concatenated gzip members are accepted, as Java's GZIPInputStream does.</summary>
internal static class GzipCodec
{
    public static unsafe int Decompress(ReadOnlySpan<byte> source, ref byte[]? buffer, int max, long position)
    {
        if (source.IsEmpty) return 0; // what GZipStream writes for no input
        fixed (byte* p = source)
        {
            using var input = new UnmanagedMemoryStream(p, source.Length);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);

            // Kafka's gzip ratios on JSON-like data are typically 4-10x.
            KafkaCompression.EnsureCapacity(ref buffer, 0, (int)Math.Min(max, Math.Max(4096L, source.Length * 4L)));
            int capacity = Math.Min(buffer.Length, max);
            int written = 0;
            while (true)
            {
                if (written == capacity)
                {
                    if (capacity >= max)
                    {
                        // Full at the limit: any further byte means the limit is exceeded.
                        Span<byte> probe = stackalloc byte[1];
                        if (gzip.Read(probe) > 0) KafkaCompression.ThrowLimitExceeded(CompressionCodec.Gzip, max, position);
                        return written;
                    }

                    KafkaCompression.EnsureCapacity(ref buffer, written, KafkaCompression.NextCapacity(capacity, max));
                    capacity = Math.Min(buffer.Length, max);
                }

                int n = gzip.Read(buffer, written, capacity - written);
                if (n == 0) return written;
                written += n;
            }
        }
    }

    public static int Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(source);
        }

        destination.Write(output.GetBuffer().AsSpan(0, (int)output.Length));
        return (int)output.Length;
    }
}
