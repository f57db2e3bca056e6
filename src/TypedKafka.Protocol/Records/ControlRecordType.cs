using System.Buffers.Binary;

namespace TypedKafka.Protocol;

/// <summary>
/// The type of a control record (KIP-98): the int16 after the int16 version in its key. A consumer
/// reading with isolation level read_committed drops a producer's batches up to its ABORT marker.
/// </summary>
public enum ControlRecordType : short
{
    /// <summary>Not a control record.</summary>
    None = -2,

    /// <summary>A control record whose type this client does not know.</summary>
    Unknown = -1,

    /// <summary>End of an aborted transaction (KIP-98).</summary>
    Abort = 0,

    /// <summary>End of a committed transaction (KIP-98).</summary>
    Commit = 1,

    /// <summary>KRaft metadata log only (KIP-595).</summary>
    LeaderChange = 2,

    /// <summary>KRaft snapshots only (KIP-630).</summary>
    SnapshotHeader = 3,

    /// <summary>KRaft snapshots only (KIP-630).</summary>
    SnapshotFooter = 4,

    /// <summary>KRaft metadata log only (KIP-853).</summary>
    KRaftVersion = 5,

    /// <summary>KRaft metadata log only (KIP-853).</summary>
    KRaftVoters = 6,
}

/// <summary>The key and value layouts of control records.</summary>
public static class ControlRecord
{
    /// <summary>Key size: version int16, type int16.</summary>
    public const int KeySize = 4;

    /// <summary>Parses the type from a control record key, or returns false if the key is shorter than 4 bytes.</summary>
    public static bool TryParseType(ReadOnlySpan<byte> key, out ControlRecordType type)
    {
        if (key.Length < KeySize)
        {
            type = ControlRecordType.Unknown;
            return false;
        }

        // Java logs and carries on for a key version above 0, reading the type anyway; so does this.
        short value = BinaryPrimitives.ReadInt16BigEndian(key.Slice(2));
        type = value is >= 0 and <= (short)ControlRecordType.KRaftVoters ? (ControlRecordType)value : ControlRecordType.Unknown;
        return true;
    }

    /// <summary>Writes a control record key (version 0).</summary>
    public static void WriteKey(Span<byte> destination, ControlRecordType type)
    {
        BinaryPrimitives.WriteInt16BigEndian(destination, 0);
        BinaryPrimitives.WriteInt16BigEndian(destination.Slice(2), (short)type);
    }

    /// <summary>Writes the value of an ABORT or COMMIT marker (EndTransactionMarker v0: version int16, coordinator epoch int32); 6 bytes.</summary>
    public static void WriteEndTransactionMarkerValue(Span<byte> destination, int coordinatorEpoch)
    {
        BinaryPrimitives.WriteInt16BigEndian(destination, 0);
        BinaryPrimitives.WriteInt32BigEndian(destination.Slice(2), coordinatorEpoch);
    }
}
