using TypedKafka.Protocol;

namespace TypedKafka.Groups.Assignors;

/// <summary>
/// Encodes and decodes the classic consumer protocol's blobs, byte-compatible with the Java client: the subscription
/// a member sends as JoinGroup protocol metadata and the assignment the leader sends through SyncGroup. Both are an
/// int16 version followed by the versioned struct.
/// </summary>
/// <remarks>
/// <para>Subscription v0 carries topics and user data; v1 adds owned partitions (KIP-429), v2 the generation
/// (KIP-792) and v3 the rack (KIP-881). Assignment v0..v3 share one layout (partitions and user data).</para>
/// <para>A peer's newer version is read as <see cref="HighestVersion"/> and the fields appended after it are
/// ignored, as the Java client does; a negative version and malformed or truncated bytes throw
/// <see cref="KafkaProtocolException"/>.</para>
/// </remarks>
internal static class ConsumerProtocol
{
    /// <summary>The JoinGroup protocol type of consumer groups.</summary>
    public const string ProtocolType = "consumer";

    /// <summary>The highest subscription and assignment version known here, and the one encoded by default
    /// (what the Java client 3.x sends).</summary>
    public const short HighestVersion = ConsumerProtocolSubscription.HighestSupportedVersion;

    /// <summary>
    /// Encodes a subscription as the Java client does: topics sorted, owned partitions sorted and grouped by topic,
    /// the generation and rack written when the version carries them (an empty rack is written as null).
    /// </summary>
    /// <remarks>The group instance id is not part of the subscription and is not written. Fields the chosen version
    /// does not carry are dropped.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is not 0..<see cref="HighestVersion"/>.</exception>
    public static byte[] EncodeSubscription(MemberSubscription subscription, short version = HighestVersion)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        CheckVersion(version);
        var topics = new List<string>(subscription.Topics);
        topics.Sort(StringComparer.Ordinal);
        var message = new ConsumerProtocolSubscription
        {
            Topics = topics,
            UserData = subscription.UserData,
            GenerationId = subscription.GenerationId,
            RackId = string.IsNullOrEmpty(subscription.RackId) ? null : subscription.RackId,
        };
        foreach (var (topic, partitions) in GroupByTopic(subscription.OwnedPartitions, sort: true))
        {
            message.OwnedPartitions.Add(new ConsumerProtocolSubscription.TopicPartition { Topic = topic, Partitions = partitions });
        }
        return message.Serialize(version);
    }

    /// <summary>Decodes a member's subscription metadata.</summary>
    /// <param name="data">The version-prefixed bytes.</param>
    /// <param name="groupInstanceId">The member's group instance id as JoinGroup reported it, or null.</param>
    /// <returns>The subscription; its user data is a copy, so <paramref name="data"/> may be reused afterwards.</returns>
    /// <exception cref="KafkaProtocolException">The bytes are malformed or truncated, or the version is negative.</exception>
    public static MemberSubscription DecodeSubscription(ReadOnlyMemory<byte> data, string? groupInstanceId = null) =>
        DecodeSubscription(data, groupInstanceId, out _);

    /// <summary>Decodes a member's subscription metadata and reports the version it was read as (a newer peer
    /// version reads as <see cref="HighestVersion"/>).</summary>
    /// <exception cref="KafkaProtocolException">The bytes are malformed or truncated, or the version is negative.</exception>
    public static MemberSubscription DecodeSubscription(ReadOnlyMemory<byte> data, string? groupInstanceId, out short version)
    {
        var message = ConsumerProtocolSubscription.Deserialize(data, out version);
        var owned = new List<TopicPartition>();
        foreach (var entry in message.OwnedPartitions)
        {
            foreach (int partition in entry.Partitions) owned.Add(new TopicPartition(entry.Topic, partition));
        }
        return new MemberSubscription(message.Topics)
        {
            OwnedPartitions = owned,
            GenerationId = message.GenerationId < 0 ? MemberSubscription.NoGeneration : message.GenerationId,
            RackId = string.IsNullOrEmpty(message.RackId) ? null : message.RackId,
            GroupInstanceId = groupInstanceId,
            UserData = Copy(message.UserData),
        };
    }

    /// <summary>Encodes an assignment: partitions grouped by topic in order of first appearance, then the user data.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is not 0..<see cref="HighestVersion"/>.</exception>
    public static byte[] EncodeAssignment(IEnumerable<TopicPartition> partitions, ReadOnlyMemory<byte>? userData = null, short version = HighestVersion)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        CheckVersion(version);
        var message = new ConsumerProtocolAssignment { UserData = userData };
        foreach (var (topic, list) in GroupByTopic(partitions, sort: false))
        {
            message.AssignedPartitions.Add(new ConsumerProtocolAssignment.TopicPartition { Topic = topic, Partitions = list });
        }
        return message.Serialize(version);
    }

    /// <summary>Decodes the assignment a member received in SyncGroup.</summary>
    /// <returns>The assignment; its user data is a copy, so <paramref name="data"/> may be reused afterwards.</returns>
    /// <exception cref="KafkaProtocolException">The bytes are malformed or truncated, or the version is negative.</exception>
    public static MemberAssignment DecodeAssignment(ReadOnlyMemory<byte> data) => DecodeAssignment(data, out _);

    /// <summary>Decodes an assignment and reports the version it was read as.</summary>
    /// <exception cref="KafkaProtocolException">The bytes are malformed or truncated, or the version is negative.</exception>
    public static MemberAssignment DecodeAssignment(ReadOnlyMemory<byte> data, out short version)
    {
        var message = ConsumerProtocolAssignment.Deserialize(data, out version);
        var partitions = new List<TopicPartition>();
        foreach (var entry in message.AssignedPartitions)
        {
            foreach (int partition in entry.Partitions) partitions.Add(new TopicPartition(entry.Topic, partition));
        }
        return new MemberAssignment(partitions, Copy(message.UserData));
    }

    /// <summary>Copies user data out of the (possibly pooled) input; null stays null.</summary>
    /// <remarks>Written without <c>?:</c>: <c>null</c> converts to <see cref="ReadOnlyMemory{T}"/> through its array
    /// operator, which would turn a null result into empty user data.</remarks>
    private static ReadOnlyMemory<byte>? Copy(ReadOnlyMemory<byte>? data)
    {
        if (data is not { } bytes) return null;
        return bytes.ToArray();
    }

    private static void CheckVersion(short version)
    {
        if (version < ConsumerProtocolSubscription.LowestSupportedVersion || version > HighestVersion)
        {
            throw new ArgumentOutOfRangeException(nameof(version), version,
                $"The consumer protocol versions are {ConsumerProtocolSubscription.LowestSupportedVersion} to {HighestVersion}.");
        }
    }

    /// <summary>Groups partitions by topic, keeping topics in first-appearance order (or sorting topics and
    /// partitions when <paramref name="sort"/>).</summary>
    private static List<(string Topic, List<int> Partitions)> GroupByTopic(IEnumerable<TopicPartition> partitions, bool sort)
    {
        var groups = new List<(string Topic, List<int> Partitions)>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var tp in partitions)
        {
            if (!index.TryGetValue(tp.Topic, out int i))
            {
                i = groups.Count;
                index.Add(tp.Topic, i);
                groups.Add((tp.Topic, new List<int>()));
            }
            groups[i].Partitions.Add(tp.Partition);
        }
        if (sort)
        {
            groups.Sort((a, b) => string.CompareOrdinal(a.Topic, b.Topic));
            foreach (var group in groups) group.Partitions.Sort();
        }
        return groups;
    }
}
