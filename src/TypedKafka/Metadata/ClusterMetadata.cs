using TypedKafka.Connections;
using TypedKafka.Protocol;

namespace TypedKafka.Metadata;

/// <summary>An immutable view of the cluster as of one Metadata response: brokers, topics, partitions and leaders.</summary>
internal sealed class ClusterMetadata
{
    public static ClusterMetadata Empty { get; } = new(new Dictionary<int, BrokerEndpoint>(), new Dictionary<string, TopicMetadata>(), null, 0);

    public ClusterMetadata(IReadOnlyDictionary<int, BrokerEndpoint> brokers, IReadOnlyDictionary<string, TopicMetadata> topics, string? clusterId, long version)
    {
        Brokers = brokers;
        Topics = topics;
        ClusterId = clusterId;
        Version = version;
    }

    public IReadOnlyDictionary<int, BrokerEndpoint> Brokers { get; }

    public IReadOnlyDictionary<string, TopicMetadata> Topics { get; }

    public string? ClusterId { get; }

    /// <summary>Increases with every refresh, so that waiters can tell a newer view from the one they saw.</summary>
    public long Version { get; }

    /// <summary>The partition's current leader, or null when unknown or leaderless.</summary>
    public BrokerEndpoint? LeaderFor(TopicPartition partition) =>
        Topics.TryGetValue(partition.Topic, out var topic)
        && (uint)partition.Partition < (uint)topic.Partitions.Count
        && topic.Partitions[partition.Partition] is { LeaderId: >= 0 } p
        && Brokers.TryGetValue(p.LeaderId, out var broker)
            ? broker
            : null;

    public PartitionMetadata? PartitionFor(TopicPartition partition) =>
        Topics.TryGetValue(partition.Topic, out var topic) && (uint)partition.Partition < (uint)topic.Partitions.Count
            ? topic.Partitions[partition.Partition]
            : null;

    /// <summary>Builds a view from a Metadata response. A response for only some topics is merged over <paramref name="previous"/>.</summary>
    public static ClusterMetadata From(MetadataResponse response, ClusterMetadata previous, bool allTopics)
    {
        var brokers = new Dictionary<int, BrokerEndpoint>();
        foreach (var b in response.Brokers) brokers[b.NodeId] = new BrokerEndpoint(b.NodeId, b.Host, b.Port, b.Rack);

        var topics = allTopics ? new Dictionary<string, TopicMetadata>() : new Dictionary<string, TopicMetadata>(previous.Topics);
        foreach (var t in response.Topics)
        {
            if (t.Name is null) continue;
            var error = (ErrorCode)t.ErrorCode;
            if (error is ErrorCode.UnknownTopicOrPartition or ErrorCode.InvalidTopicException)
            {
                topics.Remove(t.Name);
                continue;
            }
            // Partitions are indexed by id; a response may list them in any order, and a gap (a partition the
            // broker did not describe) stays leaderless until the next refresh.
            var count = t.Partitions.Count == 0 ? 0 : t.Partitions.Max(p => p.PartitionIndex) + 1;
            var partitions = new PartitionMetadata[count];
            for (var i = 0; i < count; i++) partitions[i] = new PartitionMetadata(i, -1, -1, ErrorCode.LeaderNotAvailable);
            foreach (var p in t.Partitions)
            {
                if (p.PartitionIndex < 0) continue;
                partitions[p.PartitionIndex] = new PartitionMetadata(p.PartitionIndex, p.LeaderId, p.LeaderEpoch, (ErrorCode)p.ErrorCode);
            }
            topics[t.Name] = new TopicMetadata(t.Name, t.TopicId, t.IsInternal, error, partitions);
        }
        return new ClusterMetadata(brokers, topics, response.ClusterId, previous.Version + 1);
    }
}

/// <summary>One topic: its id (KIP-516, zero when the broker has none), whether it is internal, and its partitions by id.</summary>
internal sealed record TopicMetadata(string Name, KafkaUuid TopicId, bool IsInternal, ErrorCode Error, IReadOnlyList<PartitionMetadata> Partitions);

/// <summary>One partition: its leader (-1 when none) and the leader epoch (-1 when the broker does not send it).</summary>
internal sealed record PartitionMetadata(int Partition, int LeaderId, int LeaderEpoch, ErrorCode Error);
