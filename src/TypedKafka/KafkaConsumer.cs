using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using TypedKafka.Consumer;
using TypedKafka.Fetching;
using TypedKafka.Offsets;
using TypedKafka.Protocol;

namespace TypedKafka;

/// <summary>
/// A Kafka consumer, following kafka-python's <c>KafkaConsumer</c> with .NET conventions: assign partitions or subscribe
/// to topics in a group, then poll for records. Fetching runs in the background (the next fetch is in flight while the
/// application processes the previous records); connections, metadata, failover and retries are internal.
/// </summary>
/// <remarks>Not thread-safe, like the original: one logical caller at a time (overlapping polls throw
/// <see cref="InvalidOperationException"/>). Dispose it (or call <see cref="CloseAsync"/>) to leave the group and close
/// connections.</remarks>
public sealed partial class KafkaConsumer<TKey, TValue> : IAsyncDisposable
{
    private readonly ConsumerOptions _options;
    private readonly IDeserializer<TKey> _keyDeserializer;
    private readonly IDeserializer<TValue> _valueDeserializer;
    private readonly ConsumerCore _core;
    private readonly ConsumerBatch _batch;
    private int _callerActive;
    private bool _assigned;

    /// <summary>Creates a consumer. Topics in <see cref="ConsumerOptions.Topics"/> are subscribed at once.</summary>
    /// <exception cref="ArgumentException">An option is invalid (named in the message), or <typeparamref name="TKey"/>/<typeparamref name="TValue"/>
    /// has no built-in deserializer and none was given.</exception>
    public KafkaConsumer(ConsumerOptions options, IDeserializer<TKey>? keyDeserializer = null, IDeserializer<TValue>? valueDeserializer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _keyDeserializer = keyDeserializer ?? Deserializers.Default<TKey>()
            ?? throw new ArgumentException($"No deserializer for the key type {typeof(TKey)}: pass one (built-ins exist for byte[], string, int, long, Guid and Ignore).", nameof(keyDeserializer));
        _valueDeserializer = valueDeserializer ?? Deserializers.Default<TValue>()
            ?? throw new ArgumentException($"No deserializer for the value type {typeof(TValue)}: pass one (built-ins exist for byte[], string, int, long, Guid and Ignore).", nameof(valueDeserializer));
        _options = options;
        ValidateGroupOptions(options);
        _core = new ConsumerCore(options);
        _batch = new ConsumerBatch(_core);
        InitializeGroup();
        if (options.Topics.Count > 0) Subscribe(options.Topics);
    }

    internal ConsumerCore Core => _core;

    // ---------------------------------------------------------------- assignment

    /// <summary>Assigns these partitions manually (no group management); replaces any previous assignment. An empty
    /// list is the same as <see cref="Unsubscribe"/>. New partitions start at their committed offset (with a
    /// <see cref="ConsumerOptions.GroupId"/>) or per <see cref="ConsumerOptions.AutoOffsetReset"/>.</summary>
    /// <exception cref="InvalidOperationException">The consumer has a subscription.</exception>
    public void Assign(IEnumerable<TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ThrowIfClosed();
        var list = partitions.ToList();
        foreach (var p in list)
        {
            if (string.IsNullOrEmpty(p.Topic)) throw new ArgumentException("A partition has no topic name.", nameof(partitions));
            if (p.Partition < 0) throw new ArgumentOutOfRangeException(nameof(partitions), $"Partition {p} has a negative index.");
        }
        if (list.Count == 0)
        {
            Unsubscribe();
            return;
        }
        if (HasSubscription)
            throw new InvalidOperationException("Assign cannot be used while the consumer has a subscription: call Unsubscribe first.");
        CloseOpenBatch();
        _core.SetAssignment(list);
        _assigned = list.Count > 0;
        _core.Start();
    }

    /// <summary>The partitions assigned to this consumer now (by <see cref="Assign"/> or by the group).</summary>
    public IReadOnlySet<TopicPartition> Assignment => _core.Assignment;

    // ---------------------------------------------------------------- polling

    /// <summary>Returns the records fetched for assigned partitions, waiting up to <paramref name="timeout"/> for some.
    /// At most <paramref name="maxRecords"/> (default <see cref="ConsumerOptions.MaxPollRecords"/>); positions advance
    /// past the records returned.</summary>
    /// <exception cref="RecordDeserializationException">A key or value could not be deserialized; records before it
    /// were returned by the previous call and the position is at the bad record (seek past it to continue).</exception>
    /// <exception cref="NoOffsetForPartitionException">A partition has no position and <see cref="ConsumerOptions.AutoOffsetReset"/> is None.</exception>
    /// <exception cref="OffsetOutOfRangeException">The position is out of range and <see cref="ConsumerOptions.AutoOffsetReset"/> is None.</exception>
    public async ValueTask<ConsumerRecords<TKey, TValue>> PollAsync(TimeSpan timeout, int? maxRecords = null, CancellationToken cancellationToken = default)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan) throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must not be negative.");
        if (maxRecords is <= 0) throw new ArgumentOutOfRangeException(nameof(maxRecords), maxRecords, "maxRecords must be positive.");
        EnterCaller();
        try
        {
            CloseOpenBatch();
            var max = maxRecords ?? _options.MaxPollRecords;
            var deadline = Deadline(timeout);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await PollGroupAsync(Remaining(deadline), cancellationToken).ConfigureAwait(false);
                _core.ThrowIfPartitionError();
                var records = Collect(max);
                if (!records.IsEmpty) return records;
                var remaining = Remaining(deadline);
                if (remaining <= TimeSpan.Zero) return ConsumerRecords<TKey, TValue>.Empty;
                await _core.WaitForDataAsync(Min(remaining, GroupPollInterval), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ExitCaller();
        }
    }

    /// <summary>Records one by one, as kafka-python's iterator; ends when <paramref name="cancellationToken"/> is
    /// cancelled, or after <see cref="ConsumerOptions.ConsumerTimeout"/> without records when that is set.</summary>
    public async IAsyncEnumerable<ConsumerRecord<TKey, TValue>> ConsumeAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var idleSince = DateTime.UtcNow;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = TimeSpan.FromSeconds(1);
            if (_options.ConsumerTimeout is { } limit)
            {
                var left = limit - (DateTime.UtcNow - idleSince);
                if (left <= TimeSpan.Zero) yield break;
                wait = Min(wait, left);
            }
            ConsumerRecords<TKey, TValue> records;
            try
            {
                records = await PollAsync(wait, null, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }
            if (records.IsEmpty) continue;
            foreach (var record in records) yield return record;
            idleSince = DateTime.UtcNow;
        }
    }

    /// <summary>
    /// The allocation-free path: the next fetched records of one partition as span views, without building
    /// <see cref="ConsumerRecord{TKey, TValue}"/> objects or running the deserializers. Returns null when nothing
    /// arrived within <paramref name="timeout"/>. The batch is valid until the next call on this consumer; the
    /// partition's position advances past each record read from it.
    /// </summary>
    public async ValueTask<ConsumerBatch?> PollBatchAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan) throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must not be negative.");
        EnterCaller();
        try
        {
            CloseOpenBatch();
            var deadline = Deadline(timeout);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await PollGroupAsync(Remaining(deadline), cancellationToken).ConfigureAwait(false);
                _core.ThrowIfPartitionError();
                if (_core.NextCursor() is { } cursor)
                {
                    _batch.Open(cursor);
                    return _batch;
                }
                var remaining = Remaining(deadline);
                if (remaining <= TimeSpan.Zero) return null;
                await _core.WaitForDataAsync(Min(remaining, GroupPollInterval), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ExitCaller();
        }
    }

    private ConsumerRecords<TKey, TValue> Collect(int max)
    {
        var collected = 0;
        List<KeyValuePair<TopicPartition, IReadOnlyList<ConsumerRecord<TKey, TValue>>>>? result = null;
        while (collected < max && _core.NextCursor() is { } cursor)
        {
            var list = new List<ConsumerRecord<TKey, TValue>>(Math.Min(max - collected, 512));
            (result ??= []).Add(new(cursor.Partition, list));
            try
            {
                while (collected < max && cursor.TryReadNext(out var record))
                {
                    if (!TryBuild(cursor, record, out var built, out var failure))
                    {
                        cursor.Rewind(record.Offset, record.LeaderEpoch >= 0 ? record.LeaderEpoch : null);
                        _core.Complete(cursor);
                        if (collected > 0) return Build(result); // the failure repeats on the next poll
                        throw failure!;
                    }
                    list.Add(built!);
                    collected++;
                }
            }
            catch (KafkaProtocolException)
            {
                _core.Fail(cursor);
                if (collected > 0) return Build(result);
                throw;
            }
            _core.Complete(cursor);
        }
        return result is null ? ConsumerRecords<TKey, TValue>.Empty : Build(result);

        static ConsumerRecords<TKey, TValue> Build(List<KeyValuePair<TopicPartition, IReadOnlyList<ConsumerRecord<TKey, TValue>>>> parts)
        {
            // One partition may appear twice when the rotation came back to it within one poll: merge in order.
            if (parts.Select(p => p.Key).Distinct().Count() != parts.Count)
            {
                parts = [.. parts.GroupBy(p => p.Key).Select(g => new KeyValuePair<TopicPartition, IReadOnlyList<ConsumerRecord<TKey, TValue>>>(
                    g.Key, g.SelectMany(x => x.Value).ToList()))];
            }
            return new ConsumerRecords<TKey, TValue>(parts);
        }
    }

    private bool TryBuild(PartitionCursor cursor, Record record, out ConsumerRecord<TKey, TValue>? built, out RecordDeserializationException? failure)
    {
        var partition = cursor.Partition;
        var headers = ConsumerBatch.CopyHeaders(record);
        TKey key;
        TValue value;
        var isKey = true;
        try
        {
            key = _keyDeserializer.Deserialize(record.Key, record.IsKeyNull, new SerializationContext(partition.Topic, partition.Partition, true, headers));
            isKey = false;
            value = _valueDeserializer.Deserialize(record.Value, record.IsValueNull, new SerializationContext(partition.Topic, partition.Partition, false, headers));
        }
        catch (Exception e)
        {
            failure = new RecordDeserializationException(partition.Topic, partition.Partition, record.Offset, isKey,
                record.IsKeyNull ? null : record.Key.ToArray(), record.IsValueNull ? null : record.Value.ToArray(), e);
            built = null;
            return false;
        }
        built = new ConsumerRecord<TKey, TValue>(
            partition.Topic, partition.Partition, record.Offset, record.Timestamp, record.TimestampType,
            key, value, headers, record.LeaderEpoch >= 0 ? record.LeaderEpoch : null,
            record.IsKeyNull ? -1 : record.Key.Length, record.IsValueNull ? -1 : record.Value.Length);
        failure = null;
        return true;
    }

    // ---------------------------------------------------------------- positions and offsets

    /// <summary>Sets the next offset to read from <paramref name="partition"/>; buffered records are dropped.</summary>
    /// <exception cref="InvalidOperationException">The partition is not assigned.</exception>
    public void Seek(TopicPartition partition, long offset)
    {
        ThrowIfClosed();
        CloseOpenBatch();
        _core.Seek(partition, offset);
    }

    /// <summary>Moves to the log start of the given partitions (all assigned when none given), looked up lazily.</summary>
    /// <exception cref="InvalidOperationException">A given partition is not assigned, or none is given and nothing is
    /// assigned (kafka-python raises AssertionError for both).</exception>
    public void SeekToBeginning(params TopicPartition[] partitions)
    {
        ThrowIfClosed();
        CloseOpenBatch();
        _core.SeekToEnd(partitions ?? [], beginning: true);
    }

    /// <summary>Moves to the log end (the last stable offset under read_committed) of the given partitions (all
    /// assigned when none given), looked up lazily.</summary>
    /// <exception cref="InvalidOperationException">A given partition is not assigned, or none is given and nothing is
    /// assigned (kafka-python raises AssertionError for both).</exception>
    public void SeekToEnd(params TopicPartition[] partitions)
    {
        ThrowIfClosed();
        CloseOpenBatch();
        _core.SeekToEnd(partitions ?? [], beginning: false);
    }

    /// <summary>The next offset that will be read from <paramref name="partition"/>, looking it up (committed offset or
    /// reset) when not yet known.</summary>
    /// <exception cref="InvalidOperationException">The partition is not assigned.</exception>
    /// <exception cref="KafkaTimeoutException">No position within <see cref="ConsumerOptions.RequestTimeout"/>.</exception>
    public async ValueTask<long> PositionAsync(TopicPartition partition, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        CloseOpenBatch();
        var deadline = DateTime.UtcNow + _options.RequestTimeout;
        while (true)
        {
            var signal = _core.NextSignal;
            if (_core.TryGetPosition(partition) is long position) return position;
            _core.Start();
            _core.Wake();
            var remaining = Remaining(deadline);
            if (remaining <= TimeSpan.Zero)
                throw new KafkaTimeoutException($"No position for {partition} within {_options.RequestTimeout.TotalSeconds:0.###} s.");
            await PollGroupAsync(TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            await Task.WhenAny(signal, Task.Delay(Min(remaining, TimeSpan.FromMilliseconds(200)), cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Stops fetching from these partitions until <see cref="Resume"/>; records already fetched are kept.</summary>
    public void Pause(params TopicPartition[] partitions)
    {
        ThrowIfClosed();
        CloseOpenBatch();
        _core.Pause(partitions ?? [], paused: true);
    }

    /// <summary>Fetches again from partitions stopped by <see cref="Pause"/>.</summary>
    public void Resume(params TopicPartition[] partitions)
    {
        ThrowIfClosed();
        _core.Pause(partitions ?? [], paused: false);
    }

    /// <summary>The partitions currently paused by <see cref="Pause"/>.</summary>
    public IReadOnlySet<TopicPartition> Paused() => _core.Paused();

    /// <summary>The partition's high watermark from the last fetch answer, or null before one.</summary>
    public long? Highwater(TopicPartition partition) => _core.Highwater(partition);

    /// <summary>The first offset of each partition (its log start).</summary>
    public async Task<IReadOnlyDictionary<TopicPartition, long>> BeginningOffsetsAsync(IEnumerable<TopicPartition> partitions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ThrowIfClosed();
        var results = await _core.Offsets.ListAsync(partitions.Distinct().ToDictionary(p => p, _ => OffsetLookup.Earliest), _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return results.ToDictionary(r => r.Key, r => r.Value.Offset);
    }

    /// <summary>The end offset of each partition: the high watermark, or the last stable offset under read_committed.</summary>
    public async Task<IReadOnlyDictionary<TopicPartition, long>> EndOffsetsAsync(IEnumerable<TopicPartition> partitions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ThrowIfClosed();
        var results = await _core.Offsets.ListAsync(partitions.Distinct().ToDictionary(p => p, _ => OffsetLookup.Latest), _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return results.ToDictionary(r => r.Key, r => r.Value.Offset);
    }

    /// <summary>For each partition, the earliest offset whose timestamp is at or after the given one (milliseconds since
    /// the Unix epoch), or null when there is none.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A timestamp is negative.</exception>
    public async Task<IReadOnlyDictionary<TopicPartition, OffsetAndTimestamp?>> OffsetsForTimesAsync(IReadOnlyDictionary<TopicPartition, long> timestamps, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(timestamps);
        ThrowIfClosed();
        foreach (var (partition, timestamp) in timestamps)
        {
            if (timestamp < 0) throw new ArgumentOutOfRangeException(nameof(timestamps), timestamp, $"The timestamp for {partition} is negative.");
        }
        var results = await _core.Offsets.ListAsync(timestamps, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return timestamps.Keys.ToDictionary(p => p, p =>
            results.TryGetValue(p, out var r) && r.Offset >= 0 ? new OffsetAndTimestamp(r.Offset, r.Timestamp, r.LeaderEpoch) : (OffsetAndTimestamp?)null);
    }

    // ---------------------------------------------------------------- cluster

    /// <summary>The partition ids of <paramref name="topic"/>, or null when the topic does not exist.</summary>
    public async Task<IReadOnlySet<int>?> PartitionsForTopicAsync(string topic, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ThrowIfClosed();
        var view = await WithRetryAsync(ct => _core.Metadata.FetchTopicsAsync([topic], ct), cancellationToken).ConfigureAwait(false);
        return view.Topics.TryGetValue(topic, out var t) ? t.Partitions.Select(p => p.Partition).ToHashSet() : null;
    }

    /// <summary>The topics the cluster has (internal topics left out when <see cref="ConsumerOptions.ExcludeInternalTopics"/>).</summary>
    public async Task<IReadOnlySet<string>> TopicsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        var view = await WithRetryAsync(ct => _core.Metadata.FetchAllTopicsAsync(ct), cancellationToken).ConfigureAwait(false);
        return view.Topics.Values.Where(t => !(_options.ExcludeInternalTopics && t.IsInternal)).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
    }

    private async Task<T> WithRetryAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + _options.RequestTimeout;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is KafkaConnectionException or KafkaTimeoutException && DateTime.UtcNow + _options.RetryBackoff < deadline)
            {
                _core.Log.LogInformation("Metadata request failed (attempt {Attempt}): {Error}", attempt, e.Message);
                await Task.Delay(_core.Pool.Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>group → name → value: records and bytes consumed (totals and rates), fetch latency, records lag per
    /// partition, requests in flight, open connections. The same figures are on the <c>TypedKafka</c> meter.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Metrics() => _core.MetricsCollector.Snapshot();

    /// <summary>True when a connection to one of the bootstrap servers is open.</summary>
    public bool BootstrapConnected() => _core.Pool.BootstrapConnected();

    // ---------------------------------------------------------------- closing

    /// <summary>Commits (when <paramref name="autoCommit"/> and <see cref="ConsumerOptions.EnableAutoCommit"/> are set
    /// and the consumer has a group), leaves the group, cancels fetches and closes connections, returning within
    /// <paramref name="timeout"/> (default 30 s) even when a rebalance listener or a broker takes longer: what is left
    /// then finishes in the background. Idempotent.</summary>
    public async ValueTask CloseAsync(bool autoCommit = true, TimeSpan? timeout = null)
    {
        if (_core.IsClosed) return;
        CloseOpenBatch();
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        if (limit < TimeSpan.Zero) limit = TimeSpan.Zero;
        var deadline = Deadline(limit);
        try
        {
            await CloseGroupAsync(autoCommit, limit).ConfigureAwait(false);
        }
        finally
        {
            var dispose = _core.DisposeAsync().AsTask();
            try
            {
                await dispose.WaitAsync(Remaining(deadline)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _core.Log.LogWarning("Closing the consumer took longer than {Timeout} ms; its fetches and connections close in the background.", (long)limit.TotalMilliseconds);
            }
        }
    }

    /// <summary>Same as <see cref="CloseAsync"/> with its defaults (commits when auto-commit is on, then leaves the group).</summary>
    public ValueTask DisposeAsync() => CloseAsync();

    // ---------------------------------------------------------------- helpers

    private void CloseOpenBatch() => _batch.Close();

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(_core.IsClosed, this);

    private void EnterCaller()
    {
        ThrowIfClosed();
        if (Interlocked.CompareExchange(ref _callerActive, 1, 0) != 0)
            throw new InvalidOperationException("KafkaConsumer is not thread-safe: a poll is already running on this consumer. Use one caller at a time.");
    }

    private void ExitCaller() => Volatile.Write(ref _callerActive, 0);

    /// <summary>The deadline for a timeout; an infinite timeout is a year away (long enough, and safe for timers).</summary>
    private static DateTime Deadline(TimeSpan timeout) =>
        DateTime.UtcNow + (timeout == Timeout.InfiniteTimeSpan ? TimeSpan.FromDays(365) : timeout);

    private static TimeSpan Remaining(DateTime deadline) =>
        deadline - DateTime.UtcNow is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
