using System.Buffers.Binary;

namespace TypedKafka.Protocol;

/// <summary>
/// The consumer protocol's metadata (JoinGroup protocol metadata) and assignment (SyncGroup) blobs are
/// an int16 version followed by the struct, byte-compatible with the Java client's ConsumerProtocol.
/// </summary>
/// <remarks>
/// A member may send a newer version than we know: newer versions only append fields, so (like the Java
/// client) anything above our highest version is read as our highest version and the tail is ignored.
/// </remarks>
public sealed partial class ConsumerProtocolSubscription
{
    public byte[] Serialize(short version) => ConsumerProtocolBlob.Serialize(this, version);

    public static ConsumerProtocolSubscription Deserialize(ReadOnlyMemory<byte> data) => Deserialize(data, out _);

    public static ConsumerProtocolSubscription Deserialize(ReadOnlyMemory<byte> data, out short version)
    {
        var reader = new KafkaReader(data);
        version = ConsumerProtocolBlob.ReadVersion(ref reader, LowestSupportedVersion, HighestSupportedVersion);
        return Read(ref reader, version);
    }
}

public sealed partial class ConsumerProtocolAssignment
{
    public byte[] Serialize(short version) => ConsumerProtocolBlob.Serialize(this, version);

    public static ConsumerProtocolAssignment Deserialize(ReadOnlyMemory<byte> data) => Deserialize(data, out _);

    public static ConsumerProtocolAssignment Deserialize(ReadOnlyMemory<byte> data, out short version)
    {
        var reader = new KafkaReader(data);
        version = ConsumerProtocolBlob.ReadVersion(ref reader, LowestSupportedVersion, HighestSupportedVersion);
        return Read(ref reader, version);
    }
}

internal static class ConsumerProtocolBlob
{
    public static byte[] Serialize(IKafkaMessage message, short version)
    {
        var buffer = new byte[2 + message.ComputeSize(version)];
        BinaryPrimitives.WriteInt16BigEndian(buffer, version);
        var writer = new KafkaWriter(buffer.AsSpan(2));
        message.Write(ref writer, version);
        return buffer;
    }

    public static short ReadVersion(ref KafkaReader reader, short lowest, short highest)
    {
        int start = reader.Position;
        short version = reader.ReadInt16();
        if (version < lowest) ProtocolThrow.Malformed($"Consumer protocol version {version} is invalid", -1, version, start);
        return Math.Min(version, highest);
    }
}
