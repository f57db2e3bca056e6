using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using TypedKafka.Groups;
using TypedKafka.Protocol;

namespace TypedKafka.Offsets;

/// <summary>Who commits: the generation (classic) or member epoch (KIP-848), the member id and the static instance id.
/// Assign mode with a group commits as generation -1 and member id "" (like the Java client).</summary>
internal readonly record struct CommitIdentity(int GenerationOrEpoch, string MemberId, string? InstanceId)
{
    public static CommitIdentity None { get; } = new(-1, "", null);
}

/// <summary>
/// OffsetCommit and OffsetFetch for one group. Every commit (waited-for, background, automatic) goes through one
/// queue served by one loop, so commits reach the broker in the order they were made and background callbacks run in
/// that order. Retriable errors (coordinator moving or loading, unknown partition, timeouts, a lost connection) are
/// retried with backoff until the commit's deadline; errors that mean the group moved on become
/// <see cref="CommitFailedException"/>.
/// </summary>
/// <remarks>Thread-safe. The loop runs on the thread pool; <c>_gate</c> guards only the tail of the queue.</remarks>
internal sealed class OffsetCommitter : IAsyncDisposable
{
    private readonly ConsumerOptions _options;
    private readonly CoordinatorChannel _channel;
    private readonly ILogger _log;
    private readonly string _groupId;
    private readonly Func<CommitIdentity> _identity;
    private readonly Action<ErrorCode, CommitIdentity> _onGroupError;
    private readonly Channel<CommitWork> _queue = Channel.CreateUnbounded<CommitWork>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closing = new();
    private readonly object _gate = new();
    private readonly Task _loop;
    private Task _tail = Task.CompletedTask;

    /// <param name="options">The consumer's options (retry backoff, request timeout).</param>
    /// <param name="channel">The coordinator connection.</param>
    /// <param name="log">Where failures are logged.</param>
    /// <param name="groupId">The group whose offsets these are.</param>
    /// <param name="identity">Who commits now; throws <see cref="CommitFailedException"/> when the member is not in an
    /// active group although it should be.</param>
    /// <param name="onGroupError">Told about REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID and
    /// FENCED_INSTANCE_ID answers, with the identity that was used, so the membership can react.</param>
    public OffsetCommitter(ConsumerOptions options, CoordinatorChannel channel, ILogger log, string groupId,
        Func<CommitIdentity> identity, Action<ErrorCode, CommitIdentity> onGroupError)
    {
        _options = options;
        _channel = channel;
        _log = log;
        _groupId = groupId;
        _identity = identity;
        _onGroupError = onGroupError;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>How long a commit keeps retrying retriable errors.</summary>
    public TimeSpan DefaultTimeout => _options.RequestTimeout;

    /// <summary>Commits and completes when the broker accepted every offset (after the commits queued before it).</summary>
    public Task CommitAsync(IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> offsets, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var work = Enqueue(offsets, null, timeout ?? DefaultTimeout, cancellationToken);
        return work.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Queues a commit and returns at once; <paramref name="callback"/> runs on the commit loop when it
    /// completes, in the order commits were made.</summary>
    public Task CommitInBackground(IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> offsets,
        Action<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata>, Exception?>? callback, TimeSpan? timeout = null) =>
        Enqueue(offsets, callback, timeout ?? DefaultTimeout, CancellationToken.None).Completion.Task;

    /// <summary>Completes when every commit queued so far has completed (successfully or not).</summary>
    public Task WhenIdleAsync()
    {
        lock (_gate) return _tail;
    }

    private CommitWork Enqueue(IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> offsets,
        Action<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata>, Exception?>? callback, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        foreach (var (tp, om) in offsets)
        {
            ArgumentNullException.ThrowIfNull(om, nameof(offsets));
            if (om.Offset < 0) throw new ArgumentOutOfRangeException(nameof(offsets), om.Offset, $"The offset to commit for {tp} is negative.");
        }
        var copy = new Dictionary<TopicPartition, OffsetAndMetadata>(offsets);
        var work = new CommitWork(copy, callback, timeout, cancellationToken);
        lock (_gate)
        {
            if (_closing.IsCancellationRequested || !_queue.Writer.TryWrite(work))
            {
                var closed = new ObjectDisposedException(nameof(OffsetCommitter), "The consumer is closed; the commit was not sent.");
                work.Completion.TrySetException(closed);
                InvokeCallback(work, closed);
                return work;
            }
            _tail = work.Completion.Task.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return work;
    }

    private async Task RunAsync()
    {
        await foreach (var work in _queue.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            Exception? failure = null;
            try
            {
                if (work.Offsets.Count > 0)
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(work.CancellationToken, _closing.Token);
                    await CommitWithRetriesAsync(work.Offsets, work.Timeout, linked.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_closing.IsCancellationRequested && !work.CancellationToken.IsCancellationRequested)
            {
                failure = new ObjectDisposedException(nameof(OffsetCommitter), "The consumer closed before the commit completed.");
            }
            catch (Exception e)
            {
                failure = e;
            }

            if (failure is null) work.Completion.TrySetResult();
            else if (failure is OperationCanceledException oce) work.Completion.TrySetCanceled(oce.CancellationToken);
            else work.Completion.TrySetException(failure);
            InvokeCallback(work, failure);
        }
    }

    private void InvokeCallback(CommitWork work, Exception? failure)
    {
        if (work.Callback is null) return;
        try
        {
            work.Callback(work.Offsets, failure);
        }
        catch (Exception e)
        {
            _log.LogError(e, "A commit callback of group {Group} threw; it was ignored.", _groupId);
        }
    }

    private async Task CommitWithRetriesAsync(Dictionary<TopicPartition, OffsetAndMetadata> offsets, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var remaining = new Dictionary<TopicPartition, OffsetAndMetadata>(offsets);
        Exception? last = null;
        for (var attempt = 1; ; attempt++)
        {
            var left = timeout - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                throw new KafkaTimeoutException(
                    $"Committing offsets of group '{_groupId}' for {Describe(remaining.Keys)} did not succeed within {timeout.TotalSeconds:0.###} s" +
                    (last is null ? "." : $"; last error: {last.Message}"), last);
            }
            var identity = _identity();
            using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptCts.CancelAfter(left);
            try
            {
                var (response, _, connection) = await _channel.SendAsync<OffsetCommitResponse>(
                    ApiKey.OffsetCommit, v => BuildCommit(v, identity, remaining), attemptCts.Token,
                    timeout: left < _options.RequestTimeout ? left : _options.RequestTimeout).ConfigureAwait(false);
                last = HandleCommitResponse(response, connection, identity, remaining);
                if (remaining.Count == 0) return;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                continue; // the deadline passed during the attempt: report it above
            }
            catch (Exception e) when (CoordinatorChannel.IsTransportFailure(e) && !cancellationToken.IsCancellationRequested)
            {
                last = e;
            }
            catch (KafkaBrokerException e) when (e.IsRetriable || e.ErrorCode == ErrorCode.NotCoordinator)
            {
                last = e; // FindCoordinator kept failing with a retriable error
            }
            _log.LogDebug("Commit of group {Group} attempt {Attempt} failed: {Error}; retrying.", _groupId, attempt, last?.Message);
            var pause = TimeSpan.FromMilliseconds(Math.Min(_options.RetryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 10)), 1000));
            var wait = timeout - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero) await Task.Delay(pause < wait ? pause : wait, cancellationToken).ConfigureAwait(false);
        }
    }

    private OffsetCommitRequest BuildCommit(short version, CommitIdentity identity, Dictionary<TopicPartition, OffsetAndMetadata> offsets)
    {
        var request = new OffsetCommitRequest { GroupId = _groupId };
        if (version >= 1)
        {
            request.GenerationIdOrMemberEpoch = identity.GenerationOrEpoch;
            request.MemberId = identity.MemberId;
        }
        if (version >= 7) request.GroupInstanceId = identity.InstanceId;
        foreach (var topic in offsets.GroupBy(o => o.Key.Topic, StringComparer.Ordinal))
        {
            var entry = new OffsetCommitRequest.OffsetCommitRequestTopic { Name = topic.Key };
            foreach (var (tp, om) in topic.OrderBy(o => o.Key.Partition))
            {
                var partition = new OffsetCommitRequest.OffsetCommitRequestPartition
                {
                    PartitionIndex = tp.Partition,
                    CommittedOffset = om.Offset,
                    CommittedMetadata = om.Metadata ?? "",
                };
                if (version >= 6) partition.CommittedLeaderEpoch = om.LeaderEpoch ?? -1;
                entry.Partitions.Add(partition);
            }
            request.Topics.Add(entry);
        }
        return request;
    }

    /// <summary>Removes the accepted partitions from <paramref name="remaining"/>; throws for errors that retrying
    /// cannot fix; returns the retriable error that kept some partitions, if any.</summary>
    private KafkaBrokerException? HandleCommitResponse(OffsetCommitResponse response, Connections.BrokerConnection connection, CommitIdentity identity, Dictionary<TopicPartition, OffsetAndMetadata> remaining)
    {
        KafkaBrokerException? retriable = null;
        List<string>? unauthorizedTopics = null;
        foreach (var topic in response.Topics)
        {
            foreach (var p in topic.Partitions)
            {
                var tp = new TopicPartition(topic.Name, p.PartitionIndex);
                var error = (ErrorCode)p.ErrorCode;
                switch (error)
                {
                    case ErrorCode.None:
                        remaining.Remove(tp);
                        break;
                    case ErrorCode.CoordinatorNotAvailable or ErrorCode.NotCoordinator:
                        _channel.MarkUnknown(connection, $"OffsetCommit answered {ErrorCodes.KafkaName(error)}");
                        retriable ??= Retriable(error, tp);
                        break;
                    case ErrorCode.CoordinatorLoadInProgress or ErrorCode.UnknownTopicOrPartition or ErrorCode.RequestTimedOut
                        or ErrorCode.StaleMemberEpoch:
                        retriable ??= Retriable(error, tp);
                        break;
                    case ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId:
                        _onGroupError(error, identity);
                        throw new CommitFailedException(
                            $"The commit of group '{_groupId}' for {Describe(remaining.Keys)} failed with {ErrorCodes.KafkaName(error)}: the group " +
                            $"moved on to a new generation (or is rebalancing) since generation {identity.GenerationOrEpoch} of member " +
                            $"'{identity.MemberId}', so its partitions may already belong to another member. Poll to rejoin; the records " +
                            "processed since the last successful commit may be delivered again.");
                    case ErrorCode.FencedInstanceId:
                        _onGroupError(error, identity);
                        throw new KafkaBrokerException(error,
                            $"The commit of group '{_groupId}' failed: another consumer with GroupInstanceId '{identity.InstanceId}' fenced this one (FENCED_INSTANCE_ID).");
                    case ErrorCode.GroupAuthorizationFailed:
                        throw new KafkaAuthorizationException($"Not authorized to commit offsets for group '{_groupId}' (GROUP_AUTHORIZATION_FAILED).");
                    case ErrorCode.TopicAuthorizationFailed:
                        (unauthorizedTopics ??= []).Add(topic.Name);
                        break;
                    default:
                        if (ErrorCodes.IsRetriable(error) && error is not (ErrorCode.FencedLeaderEpoch or ErrorCode.UnknownLeaderEpoch))
                        {
                            retriable ??= Retriable(error, tp);
                            break;
                        }
                        throw new KafkaBrokerException(error,
                            $"The commit of group '{_groupId}' failed for {tp}: {ErrorCodes.KafkaName(error)} ({ErrorCodes.Describe(error)}).");
                }
            }
        }
        if (unauthorizedTopics is not null)
        {
            throw new KafkaAuthorizationException(
                $"Not authorized to commit offsets of topics {string.Join(", ", unauthorizedTopics.Distinct())} for group '{_groupId}' (TOPIC_AUTHORIZATION_FAILED).");
        }
        return retriable;
    }

    private KafkaBrokerException Retriable(ErrorCode error, TopicPartition tp) =>
        new(error, $"OffsetCommit of group '{_groupId}' for {tp}: {ErrorCodes.KafkaName(error)} ({ErrorCodes.Describe(error)})");

    /// <summary>The committed offsets of <paramref name="partitions"/>: null where the group has none.</summary>
    public async Task<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata?>> FetchAsync(IReadOnlyCollection<TopicPartition> partitions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var result = new Dictionary<TopicPartition, OffsetAndMetadata?>();
        if (partitions.Count == 0) return result;
        var wanted = partitions.Distinct().ToList();
        var started = Stopwatch.GetTimestamp();
        var timeout = _options.RequestTimeout;
        Exception? last = null;
        for (var attempt = 1; ; attempt++)
        {
            var left = timeout - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                throw new KafkaTimeoutException(
                    $"Fetching the committed offsets of group '{_groupId}' for {Describe(wanted)} did not succeed within {timeout.TotalSeconds:0.###} s" +
                    (last is null ? "." : $"; last error: {last.Message}"), last);
            }
            using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptCts.CancelAfter(left);
            try
            {
                var (response, version, connection) = await _channel.SendAsync<OffsetFetchResponse>(ApiKey.OffsetFetch, v => BuildFetch(v, wanted), attemptCts.Token).ConfigureAwait(false);
                last = HandleFetchResponse(response, version, connection, wanted, result);
                if (last is null) return result;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                continue;
            }
            catch (Exception e) when (CoordinatorChannel.IsTransportFailure(e) && !cancellationToken.IsCancellationRequested)
            {
                last = e;
            }
            catch (KafkaBrokerException e) when (e.IsRetriable || e.ErrorCode == ErrorCode.NotCoordinator)
            {
                last = e;
            }
            result.Clear();
            var pause = TimeSpan.FromMilliseconds(Math.Min(_options.RetryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 10)), 1000));
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
        }
    }

    private OffsetFetchRequest BuildFetch(short version, List<TopicPartition> partitions)
    {
        var request = new OffsetFetchRequest();
        var byTopic = partitions.GroupBy(p => p.Topic, StringComparer.Ordinal).ToList();
        if (version >= 8)
        {
            var group = new OffsetFetchRequest.OffsetFetchRequestGroup { GroupId = _groupId, Topics = [] };
            foreach (var t in byTopic)
                group.Topics.Add(new OffsetFetchRequest.OffsetFetchRequestTopics { Name = t.Key, PartitionIndexes = [.. t.Select(p => p.Partition)] });
            request.Groups.Add(group);
        }
        else
        {
            request.GroupId = _groupId;
            request.Topics = [];
            foreach (var t in byTopic)
                request.Topics.Add(new OffsetFetchRequest.OffsetFetchRequestTopic { Name = t.Key, PartitionIndexes = [.. t.Select(p => p.Partition)] });
        }
        // KIP-447: wait for pending transactional commits rather than read an offset that is about to change.
        if (version >= 7) request.RequireStable = true;
        return request;
    }

    /// <summary>Fills <paramref name="result"/>; returns a retriable error to retry after, or null when complete.</summary>
    private KafkaBrokerException? HandleFetchResponse(OffsetFetchResponse response, short version, Connections.BrokerConnection connection, List<TopicPartition> wanted, Dictionary<TopicPartition, OffsetAndMetadata?> result)
    {
        ErrorCode topError;
        IEnumerable<(string Topic, int Partition, long Offset, int Epoch, string? Metadata, ErrorCode Error)> entries;
        if (version >= 8)
        {
            var group = response.Groups.FirstOrDefault(g => g.GroupId == _groupId);
            if (group is null) return new KafkaBrokerException(ErrorCode.CoordinatorNotAvailable, $"OffsetFetch v{version} answer did not mention group '{_groupId}'.");
            topError = (ErrorCode)group.ErrorCode;
            entries = group.Topics.SelectMany(t => t.Partitions.Select(p => (t.Name, p.PartitionIndex, p.CommittedOffset, p.CommittedLeaderEpoch, p.Metadata, (ErrorCode)p.ErrorCode)));
        }
        else
        {
            topError = version >= 2 ? (ErrorCode)response.ErrorCode : ErrorCode.None;
            entries = response.Topics.SelectMany(t => t.Partitions.Select(p => (t.Name, p.PartitionIndex, p.CommittedOffset, p.CommittedLeaderEpoch, p.Metadata, (ErrorCode)p.ErrorCode)));
        }

        switch (topError)
        {
            case ErrorCode.None:
                break;
            case ErrorCode.CoordinatorNotAvailable or ErrorCode.NotCoordinator:
                _channel.MarkUnknown(connection, $"OffsetFetch answered {ErrorCodes.KafkaName(topError)}");
                return new KafkaBrokerException(topError, $"OffsetFetch of group '{_groupId}': {ErrorCodes.KafkaName(topError)}");
            case ErrorCode.GroupAuthorizationFailed:
                throw new KafkaAuthorizationException($"Not authorized to read the committed offsets of group '{_groupId}' (GROUP_AUTHORIZATION_FAILED).");
            default:
                if (ErrorCodes.IsRetriable(topError)) return new KafkaBrokerException(topError, $"OffsetFetch of group '{_groupId}': {ErrorCodes.KafkaName(topError)}");
                throw new KafkaBrokerException(topError, $"Fetching the committed offsets of group '{_groupId}' failed: {ErrorCodes.KafkaName(topError)} ({ErrorCodes.Describe(topError)}).");
        }

        KafkaBrokerException? retriable = null;
        foreach (var (topic, partition, offset, epoch, metadata, error) in entries)
        {
            var tp = new TopicPartition(topic, partition);
            switch (error)
            {
                case ErrorCode.None:
                    result[tp] = offset < 0
                        ? null
                        : new OffsetAndMetadata(offset, string.IsNullOrEmpty(metadata) ? null : metadata, epoch < 0 ? null : epoch);
                    break;
                case ErrorCode.TopicAuthorizationFailed:
                    throw new KafkaAuthorizationException($"Not authorized to read the committed offsets of topic '{topic}' for group '{_groupId}' (TOPIC_AUTHORIZATION_FAILED).");
                case ErrorCode.UnknownTopicOrPartition:
                    throw new KafkaBrokerException(error, $"Cannot fetch the committed offset of {tp} for group '{_groupId}': the topic or partition does not exist (UNKNOWN_TOPIC_OR_PARTITION).");
                default:
                    if (ErrorCodes.IsRetriable(error) || error is ErrorCode.UnstableOffsetCommit)
                    {
                        retriable ??= new KafkaBrokerException(error, $"OffsetFetch of group '{_groupId}' for {tp}: {ErrorCodes.KafkaName(error)}");
                        break;
                    }
                    throw new KafkaBrokerException(error, $"Fetching the committed offset of {tp} for group '{_groupId}' failed: {ErrorCodes.KafkaName(error)} ({ErrorCodes.Describe(error)}).");
            }
        }
        if (retriable is not null) return retriable;
        foreach (var tp in wanted) result.TryAdd(tp, null);
        return null;
    }

    private static string Describe(IEnumerable<TopicPartition> partitions)
    {
        var list = partitions.Take(11).ToList();
        return list.Count > 10 ? string.Join(", ", list.Take(10)) + ", ..." : string.Join(", ", list);
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_closing.IsCancellationRequested) return;
            _closing.Cancel();
            _queue.Writer.TryComplete();
        }
        await _loop.ConfigureAwait(false);
        _closing.Dispose();
    }

    private sealed class CommitWork(
        Dictionary<TopicPartition, OffsetAndMetadata> offsets,
        Action<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata>, Exception?>? callback,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        public Dictionary<TopicPartition, OffsetAndMetadata> Offsets { get; } = offsets;

        public Action<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata>, Exception?>? Callback { get; } = callback;

        public TimeSpan Timeout { get; } = timeout;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
