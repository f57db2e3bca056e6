using TypedKafka.Connections;
using TypedKafka.Metadata;
using TypedKafka.Protocol;

namespace TypedKafka.Offsets;

/// <summary>
/// ListOffsets to each partition's leader: earliest, latest and by-timestamp lookups. Partitions whose leader moved,
/// is unknown or not ready are retried after a metadata refresh with <see cref="ConsumerOptions.RetryBackoff"/> until
/// the deadline; other errors fail the lookup naming the partition.
/// </summary>
internal sealed class OffsetLookup
{
    /// <summary>The ListOffsets timestamp that means "the log start".</summary>
    public const long Earliest = -2;

    /// <summary>The ListOffsets timestamp that means "the log end" (the last stable offset under read_committed).</summary>
    public const long Latest = -1;

    private readonly MetadataManager _metadata;
    private readonly ConsumerOptions _options;

    public OffsetLookup(MetadataManager metadata, ConsumerOptions options)
    {
        _metadata = metadata;
        _options = options;
    }

    /// <summary>One partition's answer: offset -1 when the broker has no such offset (a timestamp past the end).</summary>
    public readonly record struct Result(long Offset, long Timestamp, int? LeaderEpoch);

    /// <summary>Looks up <paramref name="timestamps"/> (or the <see cref="Earliest"/>/<see cref="Latest"/> sentinels) per partition.</summary>
    /// <exception cref="KafkaTimeoutException">Some partitions had no answer before <paramref name="timeout"/>.</exception>
    public async Task<Dictionary<TopicPartition, Result>> ListAsync(IReadOnlyDictionary<TopicPartition, long> timestamps, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var results = new Dictionary<TopicPartition, Result>();
        if (timestamps.Count == 0) return results;
        var remaining = new Dictionary<TopicPartition, long>(timestamps);
        var deadline = DateTime.UtcNow + timeout;
        var attempt = 0;
        Exception? lastError = null;
        while (true)
        {
            var view = _metadata.Current;
            if (remaining.Keys.Any(p => view.LeaderFor(p) is null))
            {
                try
                {
                    view = await _metadata.FetchTopicsAsync([.. remaining.Keys.Select(p => p.Topic).Distinct()], cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is KafkaConnectionException or KafkaTimeoutException)
                {
                    lastError = e;
                }
            }

            var byLeader = remaining.Keys.GroupBy(p => view.LeaderFor(p)).ToList();
            // One request per leader, concurrently; each returns its own answers, merged here (not shared while running).
            var requests = new List<Task<(Dictionary<TopicPartition, Result> Answers, List<TopicPartition> Retry, Exception? Error)>>();
            foreach (var group in byLeader)
            {
                if (group.Key is null)
                {
                    foreach (var p in group)
                    {
                        if (view.Topics.ContainsKey(p.Topic) && view.PartitionFor(p) is null)
                            throw new ArgumentException($"Partition {p} does not exist: topic {p.Topic} has {view.Topics[p.Topic].Partitions.Count} partitions.");
                    }
                    lastError ??= new KafkaException($"No leader known for {string.Join(", ", group)}.");
                    continue;
                }
                requests.Add(SendAsync(group.Key, [.. group], remaining, view, cancellationToken));
            }

            var retry = new HashSet<TopicPartition>();
            foreach (var request in requests)
            {
                var (answers, again, error) = await request.ConfigureAwait(false);
                foreach (var (partition, answer) in answers) results[partition] = answer;
                retry.UnionWith(again);
                if (error is not null) lastError = error;
            }
            foreach (var p in remaining.Keys.Where(p => view.LeaderFor(p) is null)) retry.Add(p);
            foreach (var p in remaining.Keys.ToList())
            {
                if (!retry.Contains(p)) remaining.Remove(p);
            }
            if (remaining.Count == 0) return results;

            _metadata.RequestRefresh();
            attempt++;
            var pause = TimeSpan.FromMilliseconds(Math.Min(_options.RetryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 10)), 1000));
            if (DateTime.UtcNow + pause > deadline)
            {
                throw new KafkaTimeoutException(
                    $"No offsets for {string.Join(", ", remaining.Keys)} within {timeout.TotalSeconds:0.###} s" +
                    (lastError is null ? "." : $": {lastError.Message}"), lastError);
            }
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            try
            {
                await _metadata.RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is KafkaConnectionException or KafkaTimeoutException)
            {
                lastError = e;
            }
        }
    }

    private async Task<(Dictionary<TopicPartition, Result> Answers, List<TopicPartition> Retry, Exception? Error)> SendAsync(
        BrokerEndpoint leader, List<TopicPartition> partitions, IReadOnlyDictionary<TopicPartition, long> timestamps,
        ClusterMetadata view, CancellationToken cancellationToken)
    {
        var results = new Dictionary<TopicPartition, Result>();
        ListOffsetsResponse response;
        short version;
        try
        {
            var connection = await _metadata.Pool.GetAsync(leader, cancellationToken).ConfigureAwait(false);
            version = connection.Versions.Pick(ApiKey.ListOffsets, broker: leader.ToString());
            var request = new ListOffsetsRequest
            {
                ReplicaId = -1,
                // v2+ only (KIP-98); older versions reject a non-default value.
                IsolationLevel = (sbyte)(_options.IsolationLevel == IsolationLevel.ReadCommitted && version >= 2 ? 1 : 0),
                Topics = [.. partitions.GroupBy(p => p.Topic).Select(t => new ListOffsetsRequest.ListOffsetsTopic
                {
                    Name = t.Key,
                    Partitions = [.. t.Select(p => new ListOffsetsRequest.ListOffsetsPartition
                    {
                        PartitionIndex = p.Partition,
                        CurrentLeaderEpoch = view.PartitionFor(p)?.LeaderEpoch ?? -1,
                        Timestamp = timestamps[p],
                        MaxNumOffsets = 1,
                    })],
                })],
            };
            if (version == 0 && partitions.Any(p => timestamps[p] >= 0))
            {
                throw new UnsupportedVersionException(
                    $"{leader} only supports ListOffsets v0, which cannot look up offsets by timestamp (Kafka 0.10.1 or later is needed).",
                    (short)ApiKey.ListOffsets, 0);
            }
            response = await connection.RequestAsync<ListOffsetsResponse>(request, version, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KafkaConnectionException or KafkaTimeoutException)
        {
            return (results, partitions, e);
        }

        var retry = new List<TopicPartition>();
        Exception? error = null;
        var answered = new HashSet<TopicPartition>();
        foreach (var topic in response.Topics)
        {
            foreach (var p in topic.Partitions)
            {
                var tp = new TopicPartition(topic.Name, p.PartitionIndex);
                if (!timestamps.ContainsKey(tp)) continue;
                answered.Add(tp);
                var code = (ErrorCode)p.ErrorCode;
                switch (code)
                {
                    case ErrorCode.None:
                        var offset = version == 0 ? (p.OldStyleOffsets.Count > 0 ? p.OldStyleOffsets[0] : -1) : p.Offset;
                        results[tp] = new Result(offset, version == 0 ? -1 : p.Timestamp, p.LeaderEpoch >= 0 ? p.LeaderEpoch : null);
                        break;
                    case ErrorCode.NotLeaderOrFollower or ErrorCode.UnknownTopicOrPartition or ErrorCode.LeaderNotAvailable
                        or ErrorCode.FencedLeaderEpoch or ErrorCode.UnknownLeaderEpoch or ErrorCode.OffsetNotAvailable
                        or ErrorCode.ReplicaNotAvailable or ErrorCode.KafkaStorageError or ErrorCode.RequestTimedOut:
                        retry.Add(tp);
                        error = new KafkaBrokerException(code, $"ListOffsets for {tp} from {leader}: {ErrorCodes.Describe(code)}");
                        break;
                    case ErrorCode.TopicAuthorizationFailed:
                        throw new KafkaAuthorizationException($"Not authorized to read topic {tp.Topic} (ListOffsets to {leader}).");
                    case ErrorCode.UnsupportedForMessageFormat:
                        // A pre-0.10 message format has no timestamps: Java reports "no offset" for such partitions.
                        results[tp] = new Result(-1, -1, null);
                        break;
                    default:
                        if (ErrorCodes.IsRetriable(code))
                        {
                            retry.Add(tp);
                            error = new KafkaBrokerException(code, $"ListOffsets for {tp} from {leader}: {ErrorCodes.Describe(code)}");
                            break;
                        }
                        throw new KafkaBrokerException(code, $"ListOffsets for {tp} from {leader} failed: {ErrorCodes.Describe(code)}");
                }
            }
        }
        // A broker that leaves partitions out of its answer is asked again.
        retry.AddRange(partitions.Where(p => !answered.Contains(p)));
        return (results, retry, error);
    }
}
