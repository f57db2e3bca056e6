using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TypedKafka.Connections;
using TypedKafka.Consumer;
using TypedKafka.Metadata;
using TypedKafka.Metrics;
using TypedKafka.Offsets;
using TypedKafka.Protocol;
using static TypedKafka.Consumer.BackgroundTasks;

namespace TypedKafka.Fetching;

/// <summary>
/// The fetcher: one background loop that keeps the cluster view fresh, has the <see cref="PositionResolver"/> find
/// missing positions, and keeps one Fetch in flight per broker for every fetchable partition (prefetching while the
/// caller works through earlier records), with an incremental fetch session (KIP-227) per broker. Answers become
/// <see cref="CompletedFetch"/>es buffered on each <see cref="PartitionState"/> for the caller.
/// </summary>
/// <remarks>Threads: the loop, and the fetch tasks it starts. Partition state is read and written under
/// <see cref="SubscriptionState.Gate"/> (so is the per-broker <see cref="NodeState"/>), never across an await.</remarks>
internal sealed class Fetcher
{
    private readonly ConsumerOptions _options;
    private readonly ILogger _log;
    private readonly SubscriptionState _state;
    private readonly object _gate;
    private readonly Dictionary<TopicPartition, PartitionState> _partitions;
    private readonly List<PartitionState> _order;
    private readonly BackgroundTasks _tasks;
    private readonly CancellationTokenSource _closing;
    private readonly PositionResolver _positions;
    private readonly bool _readCommitted;
    private readonly Dictionary<int, NodeState> _nodes = [];
    private Task? _metadataRefresh;

    public Fetcher(ConsumerOptions options, ILogger log, SubscriptionState state, BackgroundTasks tasks, ConnectionPool pool,
        MetadataManager metadata, ConsumerMetrics metrics, PositionResolver positions)
    {
        _options = options;
        _log = log;
        _state = state;
        _gate = state.Gate;
        _partitions = state.Partitions;
        _order = state.Order;
        _tasks = tasks;
        _closing = tasks.Closing;
        _positions = positions;
        _readCommitted = options.IsolationLevel == IsolationLevel.ReadCommitted;
        Pool = pool;
        Metadata = metadata;
        MetricsCollector = metrics;
    }

    private ConnectionPool Pool { get; }

    private MetadataManager Metadata { get; }

    private ConsumerMetrics MetricsCollector { get; }

    private sealed class NodeState
    {
        public readonly FetchSession Session = new();
        public bool InFlight;
        public long RetryAt;
        public int Failures;
    }

    /// <summary>The background loop: keeps metadata fresh, finds positions, and keeps one Fetch in flight per broker for
    /// every fetchable partition (prefetching while the caller works through earlier records).</summary>
    public async Task RunAsync()
    {
        var closing = _closing.Token;
        while (!closing.IsCancellationRequested)
        {
            var wait = TimeSpan.FromSeconds(1);
            try
            {
                MaybeRefreshMetadata();
                var lookupsDue = _positions.StartLookups();
                wait = StartFetches();
                if (lookupsDue < wait) wait = lookupsDue;
            }
            catch (Exception e) when (!closing.IsCancellationRequested)
            {
                _log.LogWarning(e, "Fetcher loop error; retrying in {Backoff} ms", _options.RetryBackoff.TotalMilliseconds);
                wait = _options.RetryBackoff;
            }
            try
            {
                await _tasks.WaitForWakeAsync(wait, closing).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void MaybeRefreshMetadata()
    {
        lock (_gate)
        {
            if (_state.IsIdleLocked) return;
            if (_metadataRefresh is { IsCompleted: false } || !Metadata.NeedsRefresh) return;
            _metadataRefresh = RefreshMetadataAsync();
        }
        _tasks.Track(_metadataRefresh);
    }

    private async Task RefreshMetadataAsync()
    {
        await Task.Yield();
        try
        {
            await Metadata.RefreshAsync(_closing.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!_closing.IsCancellationRequested)
        {
            _log.LogWarning("Metadata refresh failed: {Error}", e.Message);
            await Task.Delay(_options.RetryBackoff, _closing.Token).ConfigureAwait(false);
        }
        finally
        {
            _tasks.Wake();
        }
    }

    // ---------------------------------------------------------------- fetches

    /// <summary>Completed fetches a partition may hold before it is fetched again: the one being read and the next.
    /// More only holds more response buffers (each keeps its whole pooled frame while any partition in it is unread)
    /// without reading faster; when a slow caller let them pile up, <c>ResponseFrame.Pool</c> ran out and allocated.</summary>
    private const int MaxBufferedFetchesPerPartition = 2;

    /// <summary>Starts a Fetch to every broker that has fetchable partitions and none in flight. Returns how long the
    /// loop may sleep before something (a backoff) expires.</summary>
    private TimeSpan StartFetches()
    {
        var view = Metadata.Current;
        var now = Now();
        var nextDue = long.MaxValue;
        var plans = new Dictionary<int, (BrokerEndpoint Broker, Dictionary<TopicPartition, FetchTarget> Targets)>();
        // Brokers with a partition held back only because its buffer is full: it will want a fetch as soon as the caller
        // drains it, so a fetch of nothing but caught-up partitions (which the broker would hold for FetchMaxWait)
        // must not be in flight then.
        HashSet<int>? heldBack = null;
        lock (_gate)
        {
            long buffered = _order.Sum(s => s.BufferedBytes);
            if (buffered >= _options.FetchMaxBytes) return TimeSpan.FromSeconds(1);
            foreach (var state in _order)
            {
                if (!state.HasPosition || state.Paused || state.FetchInFlight || state.Error is not null) continue;
                if (state.BufferedBytes >= _options.MaxPartitionFetchBytes || state.Buffered.Count >= MaxBufferedFetchesPerPartition)
                {
                    if (TargetFor(state, view, now) is { } holder) (heldBack ??= []).Add(holder.NodeId);
                    continue;
                }
                if (state.RetryAt > now)
                {
                    nextDue = Math.Min(nextDue, state.RetryAt);
                    continue;
                }
                var broker = TargetFor(state, view, now);
                if (broker is null)
                {
                    Metadata.RequestRefresh();
                    continue;
                }
                if (_nodes.TryGetValue(broker.NodeId, out var node) && (node.InFlight || node.RetryAt > now))
                {
                    if (!node.InFlight) nextDue = Math.Min(nextDue, node.RetryAt);
                    continue;
                }
                if (!plans.TryGetValue(broker.NodeId, out var plan))
                    plans[broker.NodeId] = plan = (broker, []);
                var metadata = view.PartitionFor(state.Partition);
                plan.Targets[state.Partition] = new FetchTarget(
                    state.Partition,
                    view.Topics.TryGetValue(state.Partition.Topic, out var topic) ? topic.TopicId : KafkaUuid.Zero,
                    state.FetchPosition,
                    metadata?.LeaderEpoch ?? -1,
                    state.LastFetchedEpoch,
                    _options.MaxPartitionFetchBytes,
                    state,
                    state.Version);
            }

            if (heldBack is not null)
            {
                foreach (var nodeId in heldBack)
                {
                    if (plans.TryGetValue(nodeId, out var plan) && plan.Targets.Values.All(t => t.State.Highwater is long hw && t.FetchOffset >= hw))
                        plans.Remove(nodeId); // sent with the held-back partitions once they drain (Complete wakes the loop)
                }
            }

            foreach (var (nodeId, plan) in plans)
            {
                if (!_nodes.TryGetValue(nodeId, out var node)) _nodes[nodeId] = node = new NodeState();
                node.InFlight = true;
                foreach (var target in plan.Targets.Values) target.State.FetchInFlight = true;
            }
        }

        foreach (var (nodeId, plan) in plans) _tasks.Track(FetchAsync(nodeId, plan.Broker, plan.Targets));
        return UntilDue(nextDue, now);
    }

    /// <summary>Where to fetch a partition from: its preferred read replica (KIP-392) while valid, else its leader.</summary>
    private static BrokerEndpoint? TargetFor(PartitionState state, Metadata.ClusterMetadata view, long now)
    {
        if (state.PreferredReplica >= 0)
        {
            if (state.PreferredReplicaUntil > now && view.Brokers.TryGetValue(state.PreferredReplica, out var replica)) return replica;
            state.PreferredReplica = -1;
        }
        return view.LeaderFor(state.Partition);
    }

    private async Task FetchAsync(int nodeId, BrokerEndpoint broker, Dictionary<TopicPartition, FetchTarget> targets)
    {
        await Task.Yield();
        NodeState node;
        lock (_gate) node = _nodes[nodeId];
        ResponseFrame? frame = null;
        FetchPlan? plan = null;
        var failed = false;
        try
        {
            var connection = await Pool.GetAsync(broker, _closing.Token).ConfigureAwait(false);
            var version = connection.Versions.Pick(ApiKey.Fetch, broker: broker.ToString());
            // Topic ids (v13+) need every topic's id; a broker that gave none (older metadata) is asked by name.
            if (version >= 13 && targets.Values.Any(t => t.TopicId == KafkaUuid.Zero)) version = 12;
            var useSessions = _options.EnableIncrementalFetchSessions && version >= 7;
            plan = node.Session.Prepare(targets, version, useSessions);
            var request = BuildRequest(plan, version);
            var started = Stopwatch.GetTimestamp();
            frame = await connection.SendAsync(request, version, pooled: true, _options.RequestTimeout + _options.FetchMaxWait, _closing.Token).ConfigureAwait(false);
            var response = frame.Decode<FetchResponse>();
            MetricsCollector.OnFetch(Stopwatch.GetElapsedTime(started));
            HandleResponse(node, broker, plan, frame, response, version, useSessions);
            lock (_gate) node.Failures = 0;
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            failed = true;
            var level = e is KafkaConnectionException or KafkaTimeoutException ? LogLevel.Information : LogLevel.Warning;
            _log.Log(level, "Fetch from {Broker} failed: {Error}", broker, e.Message);
            Metadata.RequestRefresh();
            lock (_gate)
            {
                node.Session.Reset();
                node.Failures++;
                node.RetryAt = After(Pool.Backoff(node.Failures) + _options.RetryBackoff);
                foreach (var target in targets.Values)
                {
                    // A replica that cannot be reached is abandoned for the leader (KIP-392).
                    if (target.State.PreferredReplica == nodeId) target.State.PreferredReplica = -1;
                    // No version in common cannot heal by retrying: the application must hear of it. A malformed
                    // answer (KafkaProtocolException) is retried with backoff like a failed connection.
                    if (e is UnsupportedVersionException && target.State.Version == target.Version && target.State.Error is null)
                        target.State.Error = e;
                }
            }
        }
        finally
        {
            frame?.Release();
            lock (_gate)
            {
                node.InFlight = false;
                foreach (var target in targets.Values) target.State.FetchInFlight = false;
                if (failed) _state.SignalDataLocked();
            }
            _tasks.Wake();
        }
    }

    private FetchRequest BuildRequest(FetchPlan plan, short version)
    {
        var request = new FetchRequest
        {
            ReplicaId = -1,
            MaxWaitMs = (int)_options.FetchMaxWait.TotalMilliseconds,
            MinBytes = _options.FetchMinBytes,
            MaxBytes = _options.FetchMaxBytes,
            IsolationLevel = (sbyte)(_readCommitted && version >= 4 ? 1 : 0),
            SessionId = plan.SessionId,
            SessionEpoch = plan.Epoch,
            RackId = _options.ClientRack,
        };
        foreach (var topic in plan.ToSend.GroupBy(t => t.Partition.Topic))
        {
            var fetchTopic = new FetchRequest.FetchTopic { Topic = topic.Key, TopicId = topic.First().TopicId };
            foreach (var target in topic)
            {
                fetchTopic.Partitions.Add(new FetchRequest.FetchPartition
                {
                    Partition = target.Partition.Partition,
                    CurrentLeaderEpoch = target.CurrentLeaderEpoch,
                    FetchOffset = target.FetchOffset,
                    // Only v12+ carries it (KIP-595); older versions reject a non-default value.
                    LastFetchedEpoch = version >= 12 ? target.LastFetchedEpoch : -1,
                    LogStartOffset = -1,
                    PartitionMaxBytes = target.MaxBytes,
                });
            }
            request.Topics.Add(fetchTopic);
        }
        foreach (var topic in plan.Forgotten.GroupBy(t => t.Partition.Topic))
        {
            request.ForgottenTopicsData.Add(new FetchRequest.ForgottenTopic
            {
                Topic = topic.Key,
                TopicId = topic.First().TopicId,
                Partitions = [.. topic.Select(t => t.Partition.Partition)],
            });
        }
        return request;
    }

    private void HandleResponse(NodeState node, BrokerEndpoint broker, FetchPlan plan, ResponseFrame frame, FetchResponse response, short version, bool useSessions)
    {
        var topError = (ErrorCode)response.ErrorCode;
        if (topError != ErrorCode.None)
        {
            lock (_gate)
            {
                node.Session.Reset();
                if (topError is not (ErrorCode.FetchSessionIdNotFound or ErrorCode.InvalidFetchSessionEpoch))
                    node.RetryAt = After(_options.RetryBackoff);
            }
            _log.LogInformation("Fetch from {Broker}: {Error}; starting a new fetch session", broker, ErrorCodes.Describe(topError));
            if (topError is ErrorCode.FetchSessionTopicIdError or ErrorCode.UnknownTopicId) Metadata.RequestRefresh();
            return;
        }

        var topicNames = version >= 13 ? plan.Covered.Values.GroupBy(t => t.TopicId).ToDictionary(g => g.Key, g => g.First().Partition.Topic) : null;
        var refreshMetadata = false;
        lock (_gate)
        {
            if (useSessions) node.Session.OnResponse(response.SessionId);
            var signal = false;
            foreach (var topic in response.Responses)
            {
                string? name = topicNames is null ? topic.Topic : topicNames.GetValueOrDefault(topic.TopicId);
                if (name is null) continue;
                foreach (var data in topic.Partitions)
                {
                    var tp = new TopicPartition(name, data.PartitionIndex);
                    if (!plan.Covered.TryGetValue(tp, out var target)) continue;
                    var state = target.State;
                    if (!_partitions.TryGetValue(tp, out var current) || !ReferenceEquals(current, state)
                        || state.Version != target.Version || state.FetchPosition != target.FetchOffset)
                        continue; // revoked, seeked or reset since the request was made

                    var error = (ErrorCode)data.ErrorCode;
                    if (error == ErrorCode.None)
                    {
                        signal |= Accept(state, target, data, frame, version);
                        continue;
                    }
                    signal |= OnPartitionError(state, target, error, broker, ref refreshMetadata);
                }
            }
            if (signal) _state.SignalDataLocked();
        }
        if (refreshMetadata) Metadata.RequestRefresh();
    }

    /// <summary>Takes one partition's good answer: watermarks, replica preference, divergence, and the records.
    /// Returns true when the caller has something new (records or an error). Called under <c>_gate</c>.</summary>
    private bool Accept(PartitionState state, FetchTarget target, FetchResponse.PartitionData data, ResponseFrame frame, short version)
    {
        if (data.HighWatermark >= 0) state.Highwater = data.HighWatermark;
        if (version >= 4 && data.LastStableOffset >= 0) state.LastStableOffset = data.LastStableOffset;
        if (version >= 11 && data.PreferredReadReplica >= 0 && data.PreferredReadReplica != state.PreferredReplica)
        {
            state.PreferredReplica = data.PreferredReadReplica;
            state.PreferredReplicaUntil = After(_options.MetadataMaxAge);
            _log.LogDebug("{Partition}: fetching from preferred read replica {Replica}", state.Partition, data.PreferredReadReplica);
        }

        if (version >= 12 && data.DivergingEpoch is { EndOffset: >= 0, Epoch: >= 0 } diverging)
        {
            // KIP-320: the log we fetched from was truncated on the leader (leader change, unclean election).
            if (state.HasPosition && diverging.EndOffset >= state.Position)
            {
                // Only data not yet handed out diverges: fetch again from the application's position.
                _log.LogInformation("{Partition}: the leader's log diverges at offset {Offset} (epoch {Epoch}), past the position {Position}; refetching",
                    state.Partition, diverging.EndOffset, diverging.Epoch, state.Position);
                state.SeekTo(state.Position, state.PositionEpoch);
                return false;
            }
            if (_options.AutoOffsetReset == AutoOffsetReset.None)
            {
                state.Invalidate();
                state.Error = new KafkaException(
                    $"Log truncation detected for {state.Partition}: the leader's log diverges at offset {diverging.EndOffset} (epoch {diverging.Epoch}), " +
                    $"before the position {state.Position}; records from {diverging.EndOffset} on were handed out and no longer exist. AutoOffsetReset is None: seek to continue.");
                return true;
            }
            _log.LogWarning("{Partition}: log truncation detected at offset {Offset} (epoch {Epoch}), before the position {Position}; resuming from {Offset}",
                state.Partition, diverging.EndOffset, diverging.Epoch, state.Position, diverging.EndOffset);
            state.SeekTo(diverging.EndOffset, diverging.Epoch);
            return false;
        }

        if (data.Records is not { Length: > 0 } records) return false;
        switch (RecordBatchScanner.Scan(records.Span, out var nextOffset, out var lastEpoch))
        {
            case BatchScanResult.Invalid:
                state.Error = new KafkaProtocolException(
                    $"Malformed record batch header in {state.Partition} at offset {target.FetchOffset}: its length field is invalid. Seek past it to continue.",
                    (short)ApiKey.Fetch, version, 8);
                return true;
            case BatchScanResult.Truncated:
                // No complete batch: before KIP-74 (Fetch v3) a batch larger than the partition limit is never returned whole.
                state.Error = new KafkaException(
                    $"{state.Partition} at offset {target.FetchOffset} has a record batch larger than MaxPartitionFetchBytes ({_options.MaxPartitionFetchBytes}); increase it to read on.");
                return true;
        }
        if (nextOffset <= target.FetchOffset) return false;
        state.FetchPosition = nextOffset;
        if (lastEpoch >= 0) state.LastFetchedEpoch = lastEpoch;
        var fetch = new CompletedFetch(state, state.Version, frame, records,
            _readCommitted ? data.AbortedTransactions : null, version);
        state.Buffered.Enqueue(fetch);
        state.BufferedBytes += fetch.SizeInBytes;
        return !state.Paused;
    }

    /// <summary>Reacts to a partition-level fetch error. Called under <c>_gate</c>.</summary>
    private bool OnPartitionError(PartitionState state, FetchTarget target, ErrorCode error, BrokerEndpoint broker, ref bool refreshMetadata)
    {
        switch (error)
        {
            case ErrorCode.OffsetOutOfRange when state.PreferredReplica == broker.NodeId:
                // A lagging follower: go back to the leader for the same offset instead of resetting (KAFKA-8365).
                state.PreferredReplica = -1;
                return false;

            case ErrorCode.OffsetOutOfRange:
                if (_options.AutoOffsetReset == AutoOffsetReset.None)
                {
                    state.Invalidate();
                    state.Error = new OffsetOutOfRangeException(new Dictionary<TopicPartition, long> { [state.Partition] = target.FetchOffset });
                    return true;
                }
                _log.LogInformation("{Partition}: offset {Offset} is out of range; resetting to the {Reset} offset",
                    state.Partition, target.FetchOffset, _options.AutoOffsetReset);
                state.ResetPosition(_options.AutoOffsetReset, awaitCommitted: false);
                return false;

            case ErrorCode.NotLeaderOrFollower or ErrorCode.ReplicaNotAvailable or ErrorCode.KafkaStorageError
                or ErrorCode.FencedLeaderEpoch or ErrorCode.UnknownLeaderEpoch or ErrorCode.UnknownTopicOrPartition
                or ErrorCode.UnknownTopicId or ErrorCode.InconsistentTopicId or ErrorCode.LeaderNotAvailable
                or ErrorCode.OffsetNotAvailable:
                _log.LogDebug("{Partition}: {Error} from {Broker}; refreshing metadata", state.Partition, ErrorCodes.KafkaName(error), broker);
                state.PreferredReplica = -1;
                state.RetryAt = After(_options.RetryBackoff);
                refreshMetadata = true;
                return false;

            case ErrorCode.TopicAuthorizationFailed:
                state.Error = new KafkaAuthorizationException($"Not authorized to read topic {state.Partition.Topic} (Fetch from {broker}).");
                return true;

            default:
                if (ErrorCodes.IsRetriable(error))
                {
                    state.RetryAt = After(_options.RetryBackoff);
                    return false;
                }
                state.Error = new KafkaBrokerException(error, $"Fetch of {state.Partition} at offset {target.FetchOffset} from {broker} failed: {ErrorCodes.Describe(error)}");
                return true;
        }
    }
}
