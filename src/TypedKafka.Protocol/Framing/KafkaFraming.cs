using System.Buffers;
using System.Buffers.Binary;

namespace TypedKafka.Protocol;

/// <summary>
/// Frame boundaries on a byte stream: every Kafka request and response is an int32 big-endian size
/// followed by that many bytes.
/// </summary>
public static class KafkaFraming
{
    /// <summary>Length of the size prefix.</summary>
    public const int SizePrefixLength = 4;

    /// <summary>
    /// Slices one complete frame (without its size prefix) off the front of <paramref name="buffer"/>.
    /// Returns false when more bytes are needed; <paramref name="buffer"/> is then unchanged. A size
    /// prefix that is negative or above <paramref name="maxFrameSize"/> throws as soon as the four
    /// prefix bytes are present, so a corrupt or hostile peer cannot make the caller buffer a huge frame.
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameSize, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < SizePrefixLength) return false;

        int size;
        var first = buffer.FirstSpan;
        if (first.Length >= SizePrefixLength)
        {
            size = BinaryPrimitives.ReadInt32BigEndian(first);
        }
        else
        {
            // The prefix straddles segments (a partial TCP read): gather it.
            Span<byte> prefix = stackalloc byte[SizePrefixLength];
            buffer.Slice(0, SizePrefixLength).CopyTo(prefix);
            size = BinaryPrimitives.ReadInt32BigEndian(prefix);
        }

        if (size < 0 || size > maxFrameSize)
        {
            throw new KafkaProtocolException(
                $"Frame size {size} is outside the allowed range 0 to {maxFrameSize}; the stream is corrupt or not speaking the Kafka protocol " +
                "(e.g. a TLS or HTTP endpoint)", position: 0);
        }

        if (buffer.Length - SizePrefixLength < size) return false;
        frame = buffer.Slice(SizePrefixLength, size);
        buffer = buffer.Slice(frame.End);
        return true;
    }

    /// <summary>Reads the correlation id, the first field of every response header, without decoding the rest.</summary>
    public static int PeekCorrelationId(ReadOnlySequence<byte> frame)
    {
        if (frame.Length < 4) throw new KafkaProtocolException($"Response frame of {frame.Length} byte(s) is too short for a correlation id", position: 0);
        Span<byte> id = stackalloc byte[4];
        frame.Slice(0, 4).CopyTo(id);
        return BinaryPrimitives.ReadInt32BigEndian(id);
    }
}
