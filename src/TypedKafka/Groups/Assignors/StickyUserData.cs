using System.Buffers.Binary;
using TypedKafka.Protocol;

namespace TypedKafka.Groups.Assignors;

/// <summary>
/// The user data formats of the sticky assignors, byte-compatible with the Java client (neither has a version
/// prefix).
/// </summary>
/// <remarks>
/// <para><c>sticky</c> (KIP-54, generation added by KIP-341) sends <c>StickyAssignorUserData</c> v1: an array of
/// (topic STRING, partitions ARRAY of INT32) holding the member's last assignment, then the INT32 generation of that
/// assignment. v0 is the same without the generation; a reader tries v1 first, then v0.</para>
/// <para><c>cooperative-sticky</c> sends only the INT32 generation, for leaders that read subscriptions older than
/// v2 (which carry the generation themselves).</para>
/// </remarks>
internal static class StickyUserData
{
    /// <summary>Encodes a <c>sticky</c> member's last assignment and its generation (v1), topics and partitions sorted.</summary>
    public static byte[] Encode(IEnumerable<TopicPartition> partitions, int generation)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var byTopic = new SortedDictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var tp in partitions)
        {
            if (!byTopic.TryGetValue(tp.Topic, out var list)) byTopic.Add(tp.Topic, list = new List<int>());
            list.Add(tp.Partition);
        }
        int size = 4 + 4;
        foreach (var (topic, list) in byTopic)
        {
            list.Sort();
            size += KafkaWriter.SizeOfString(topic, false) + 4 + 4 * list.Count;
        }
        var buffer = new byte[size];
        var writer = new KafkaWriter(buffer);
        writer.WriteInt32(byTopic.Count);
        foreach (var (topic, list) in byTopic)
        {
            writer.WriteString(topic);
            writer.WriteInt32(list.Count);
            foreach (int partition in list) writer.WriteInt32(partition);
        }
        writer.WriteInt32(generation);
        return buffer;
    }

    /// <summary>
    /// Decodes <c>sticky</c> user data (v1, or v0 when no generation follows the partitions; bytes after the
    /// generation, from a newer writer, are ignored).
    /// </summary>
    /// <param name="data">The user data.</param>
    /// <param name="partitions">The member's last assignment.</param>
    /// <param name="generation">Its generation, or <see cref="MemberSubscription.NoGeneration"/> for v0.</param>
    /// <returns>False when the bytes are not sticky user data.</returns>
    public static bool TryDecode(ReadOnlyMemory<byte> data, out List<TopicPartition> partitions, out int generation)
    {
        partitions = new List<TopicPartition>();
        generation = MemberSubscription.NoGeneration;
        try
        {
            var reader = new KafkaReader(data);
            int topics = reader.ReadArrayLength(6);
            for (int i = 0; i < topics; i++)
            {
                string topic = reader.ReadString();
                int count = reader.ReadArrayLength(4);
                for (int j = 0; j < count; j++) partitions.Add(new TopicPartition(topic, reader.ReadInt32()));
            }
            if (reader.Remaining >= 4) generation = reader.ReadInt32();
            return true;
        }
        catch (KafkaProtocolException)
        {
            partitions.Clear();
            return false;
        }
    }

    /// <summary>Encodes <c>cooperative-sticky</c> user data: the generation alone.</summary>
    public static byte[] EncodeGeneration(int generation)
    {
        var buffer = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buffer, generation);
        return buffer;
    }

    /// <summary>
    /// Reads the generation a <c>cooperative-sticky</c> member put into its user data: the leading INT32 of the
    /// Java format, or the generation of <c>sticky</c>-format data (which some clients send for both assignors).
    /// </summary>
    /// <returns>The generation, or <see cref="MemberSubscription.NoGeneration"/> when the data holds none.</returns>
    public static int DecodeGeneration(ReadOnlyMemory<byte>? data)
    {
        if (data is not { } bytes || bytes.Length < 4) return MemberSubscription.NoGeneration;
        // Sticky-format data is at least 8 bytes, so the 4 bytes of the Java cooperative format never parse as it.
        if (bytes.Length > 4 && TryDecode(bytes, out _, out int stickyGeneration)) return stickyGeneration;
        return BinaryPrimitives.ReadInt32BigEndian(bytes.Span);
    }
}
