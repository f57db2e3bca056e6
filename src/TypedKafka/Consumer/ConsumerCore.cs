using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TypedKafka.Connections;
using TypedKafka.Fetching;
using TypedKafka.Groups;
using TypedKafka.Metadata;
using TypedKafka.Metrics;
using TypedKafka.Offsets;
using TypedKafka.Protocol;

namespace TypedKafka.Consumer;

/// <summary>
/// The untyped engine under <see cref="KafkaConsumer{TKey, TValue}"/>: the assignment and per-partition positions, the
/// background fetcher, position lookups, and the caller-side draining of fetched records as spans. Typed records are
/// built by the consumer on top; the framework reads the spans directly.
/// </summary>
/// <remarks>
/// <para>It owns and wires the parts: the <see cref="SubscriptionState"/> (assignment and partition states), the
/// <see cref="Fetcher"/> (its loop and fetches), the <see cref="PositionResolver"/> (committed offset or reset), the
/// connection pool, the cluster view and the metrics.</para>
/// <para>Threads: the caller (poll, seek, assign...), one background loop (<see cref="Fetcher.RunAsync"/>) that plans
/// fetches and position lookups, and the tasks those start (one Fetch in flight per broker, lookups). All partition
/// state is guarded by <see cref="SubscriptionState.Gate"/> (<c>_gate</c> here), which is never held across an await;
/// the caller publishes positions under it when it finishes with a fetch's records.</para>
/// </remarks>
internal sealed class ConsumerCore : IAsyncDisposable, IGroupMember
{
    private readonly ConsumerOptions _options;
    private readonly ILogger _log;
    private readonly SubscriptionState _state = new();
    private readonly object _gate;
    private readonly Dictionary<TopicPartition, PartitionState> _partitions;
    private readonly List<PartitionState> _order;
    private int _rotation;
    private readonly BackgroundTasks _tasks = new();
    private readonly PositionResolver _positions;
    private readonly Fetcher _fetcher;
    private readonly RecordReadOptions _readOptions;
    private readonly bool _readCommitted;
    private Task? _loop;
    private int _closed;

    public ConsumerCore(ConsumerOptions options)
    {
        _options = options;
        _log = options.LoggerFactory?.CreateLogger("TypedKafka.Consumer") ?? NullLogger.Instance;
        _gate = _state.Gate;
        _partitions = _state.Partitions;
        _order = _state.Order;
        Pool = new ConnectionPool(options);
        Metadata = new MetadataManager(Pool, options);
        Offsets = new OffsetLookup(Metadata, options);
        _readCommitted = options.IsolationLevel == IsolationLevel.ReadCommitted;
        _readOptions = new RecordReadOptions
        {
            CheckCrcs = options.CheckCrcs,
            MaxDecompressedBytes = (int)Math.Min(int.MaxValue, Math.Max(64L * 1024 * 1024, 4L * Math.Max(options.FetchMaxBytes, options.MaxPartitionFetchBytes))),
        };
        MetricsCollector = new ConsumerMetrics(options.ClientId, Lags, () => Pool.InFlightCount, () => Pool.OpenCount);
        _positions = new PositionResolver(options, _log, _state, _tasks, Offsets);
        _fetcher = new Fetcher(options, _log, _state, _tasks, Pool, Metadata, MetricsCollector, _positions);
    }

    public ConnectionPool Pool { get; }

    public MetadataManager Metadata { get; }

    public OffsetLookup Offsets { get; }

    public ConsumerMetrics MetricsCollector { get; }

    public ILogger Log => _log;

    public ConsumerOptions Options => _options;

    /// <summary>Set when the consumer has a group: positions of new partitions come from committed offsets first.</summary>
    public Func<IReadOnlyCollection<TopicPartition>, CancellationToken, Task<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata?>>>? CommittedLookup
    {
        get => _positions.CommittedLookup;
        set => _positions.CommittedLookup = value;
    }

    /// <summary>Test seam: runs on the fetcher loop right after position lookups were planned and before their tasks
    /// start (<see cref="PositionResolver.LookupsPlanned"/>).</summary>
    internal Action? LookupsPlanned
    {
        get => _positions.LookupsPlanned;
        set => _positions.LookupsPlanned = value;
    }

    // ---------------------------------------------------------------- assignment

    public IReadOnlySet<TopicPartition> Assignment
    {
        get { lock (_gate) return new HashSet<TopicPartition>(_partitions.Keys); }
    }

    /// <summary>Replaces the assignment (assign mode). New partitions start without a position.</summary>
    public void SetAssignment(IReadOnlyCollection<TopicPartition> partitions)
    {
        lock (_gate)
        {
            var wanted = new HashSet<TopicPartition>(partitions);
            RemoveLocked([.. _partitions.Keys.Where(p => !wanted.Contains(p))]);
            AddLocked(wanted.Where(p => !_partitions.ContainsKey(p)).ToList());
            UpdateWantedTopicsLocked();
        }
        Wake();
    }

    public void AddPartitions(IReadOnlyCollection<TopicPartition> partitions)
    {
        lock (_gate)
        {
            AddLocked([.. partitions.Where(p => !_partitions.ContainsKey(p))]);
            UpdateWantedTopicsLocked();
        }
        Wake();
    }

    public void RemovePartitions(IReadOnlyCollection<TopicPartition> partitions)
    {
        lock (_gate)
        {
            RemoveLocked(partitions);
            UpdateWantedTopicsLocked();
        }
        Wake();
    }

    public void SetSubscribedTopics(IReadOnlyCollection<string> topics, bool allTopics)
    {
        lock (_gate)
        {
            _state.SubscribedTopics.Clear();
            _state.SubscribedTopics.UnionWith(topics);
            _state.SubscribeAll = allTopics;
            UpdateWantedTopicsLocked();
        }
        Wake();
    }

    private void AddLocked(IReadOnlyCollection<TopicPartition> partitions) =>
        _state.AddLocked(partitions, _options.AutoOffsetReset, awaitCommitted: CommittedLookup is not null);

    private void RemoveLocked(IReadOnlyCollection<TopicPartition> partitions) => _state.RemoveLocked(partitions);

    private void UpdateWantedTopicsLocked() =>
        Metadata.SetWantedTopics(_partitions.Keys.Select(p => p.Topic).Concat(_state.SubscribedTopics).Distinct(), _state.SubscribeAll);

    private PartitionState StateFor(TopicPartition partition, string operation) => _state.StateFor(partition, operation);

    // ---------------------------------------------------------------- positions

    public void Seek(TopicPartition partition, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_gate) StateFor(partition, "Seek").SeekTo(offset);
        Wake();
    }

    /// <summary>Seeks to the log start or end, lazily (as kafka-python): the next fetch looks the offset up.</summary>
    public void SeekToEnd(IReadOnlyCollection<TopicPartition> partitions, bool beginning)
    {
        lock (_gate)
        {
            if (partitions.Count == 0 && _order.Count == 0)
                throw new InvalidOperationException($"{(beginning ? "SeekToBeginning" : "SeekToEnd")}: no partitions are assigned.");
            var states = partitions.Count == 0 ? [.. _order] : partitions.Select(p => StateFor(p, beginning ? "SeekToBeginning" : "SeekToEnd")).ToList();
            foreach (var state in states) state.ResetPosition(beginning ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest, awaitCommitted: false);
        }
        Wake();
    }

    /// <summary>The position, or null while it is being looked up (errors for the partition are thrown).</summary>
    public long? TryGetPosition(TopicPartition partition)
    {
        lock (_gate)
        {
            var state = StateFor(partition, "PositionAsync");
            if (state.Error is { } error) Rethrow(error);
            return state.HasPosition ? state.Position : null;
        }
    }

    public long? Highwater(TopicPartition partition)
    {
        lock (_gate) return StateFor(partition, "Highwater").Highwater;
    }

    public void Pause(IReadOnlyCollection<TopicPartition> partitions, bool paused)
    {
        lock (_gate)
        {
            var states = partitions.Select(p => StateFor(p, paused ? "Pause" : "Resume")).ToList();
            foreach (var state in states) state.Paused = paused;
            // Records kept while paused are there at once: a poll waiting on another thread must see them.
            if (!paused && states.Any(s => s.Buffered.Count > 0)) SignalDataLocked();
        }
        Wake();
    }

    public IReadOnlySet<TopicPartition> Paused()
    {
        lock (_gate) return new HashSet<TopicPartition>(_order.Where(s => s.Paused).Select(s => s.Partition));
    }

    public IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> ConsumedOffsets()
    {
        lock (_gate)
        {
            return _order.Where(s => s.HasPosition)
                .ToDictionary(s => s.Partition, s => new OffsetAndMetadata(s.Position, null, s.PositionEpoch));
        }
    }

    private IEnumerable<(TopicPartition Partition, long Lag)> Lags()
    {
        lock (_gate)
        {
            return [.. _order.Where(s => s.Highwater is not null && s.HasPosition)
                .Select(s => (s.Partition, Math.Max(0, (_readCommitted ? s.LastStableOffset ?? s.Highwater!.Value : s.Highwater!.Value) - s.Position)))];
        }
    }

    // ---------------------------------------------------------------- caller side: draining fetched records

    /// <summary>Throws the first error recorded for an assigned partition (no offset, out of range, not authorized...).</summary>
    public void ThrowIfPartitionError()
    {
        lock (_gate)
        {
            List<TopicPartition>? noOffset = null;
            foreach (var state in _order)
            {
                if (state.Error is NoOffsetForPartitionException) (noOffset ??= []).Add(state.Partition);
            }
            if (noOffset is not null) throw new NoOffsetForPartitionException(noOffset);
            foreach (var state in _order)
            {
                if (state.Error is { } error) Rethrow(error);
            }
        }
    }

    /// <summary>The next partition (in rotation) with fetched records for the application, or null when none.</summary>
    public PartitionCursor? NextCursor()
    {
        lock (_gate)
        {
            var count = _order.Count;
            for (var i = 0; i < count; i++)
            {
                var index = (_rotation + i) % count;
                var state = _order[index];
                if (state.Paused || state.Error is not null) continue;
                while (state.Buffered.TryPeek(out var head))
                {
                    if (head.Version != state.Version || !state.HasPosition)
                    {
                        state.Buffered.Dequeue();
                        state.BufferedBytes -= head.SizeInBytes;
                        head.Dispose();
                        continue;
                    }
                    _rotation = index + 1;
                    return head.Cursor ??= new PartitionCursor(head, _readOptions, _readCommitted, state.Position, state.PositionEpoch);
                }
            }
            return null;
        }
    }

    /// <summary>The application is done with <paramref name="cursor"/> for now: publishes its position and, when it
    /// has read everything, drops the fetch (making room for the next).</summary>
    public void Complete(PartitionCursor cursor)
    {
        var (records, bytes) = cursor.TakeCounts();
        MetricsCollector.OnConsumed(records, bytes);
        var wake = false;
        lock (_gate)
        {
            if (!_partitions.TryGetValue(cursor.Partition, out var state) || !state.Buffered.TryPeek(out var head) || head.Cursor != cursor)
                return; // revoked or seeked meanwhile: the fetch was already dropped
            state.Position = cursor.Position;
            state.PositionEpoch = cursor.PositionEpoch;
            if (cursor.IsExhausted)
            {
                state.Buffered.Dequeue();
                state.BufferedBytes -= head.SizeInBytes;
                head.Dispose();
                wake = true;
            }
        }
        if (wake) Wake();
    }

    /// <summary>Reading <paramref name="cursor"/> hit corrupt data: keep the position before it and fetch it again, so
    /// the error repeats until the application seeks past it.</summary>
    public void Fail(PartitionCursor cursor)
    {
        MetricsCollector.OnConsumed(cursor.TakeCounts().Records, 0);
        lock (_gate)
        {
            if (!_partitions.TryGetValue(cursor.Partition, out var state) || !state.Buffered.TryPeek(out var head) || head.Cursor != cursor)
                return;
            state.SeekTo(cursor.Position, cursor.PositionEpoch);
            state.RetryAt = Stopwatch.GetTimestamp() + (long)(_options.RetryBackoff.TotalSeconds * Stopwatch.Frequency);
        }
        Wake();
    }

    /// <summary>Waits until some partition has records or an error for the caller, or <paramref name="timeout"/> passes.</summary>
    public async ValueTask WaitForDataAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task signal;
        lock (_gate)
        {
            if (_order.Any(s => (!s.Paused && s.Buffered.Count > 0) || s.Error is not null)) return;
            signal = _state.DataSignalLocked;
        }
        Wake();
        if (timeout <= TimeSpan.Zero) return;
        using var delay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _tasks.Closing.Token);
        var timer = Task.Delay(timeout, delay.Token);
        await Task.WhenAny(signal, timer).ConfigureAwait(false);
        delay.Cancel();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Tells a waiting caller that data, an error or a new position arrived. Called under <c>_gate</c>.</summary>
    private void SignalDataLocked() => _state.SignalDataLocked();

    /// <summary>Completes when the next data/position signal fires (for PositionAsync).</summary>
    public Task NextSignal
    {
        get { lock (_gate) return _state.DataSignalLocked; }
    }

    /// <summary>Throws a stored partition error again (it repeats on every poll until the application seeks): the same
    /// exception object, since its type is the contract, with the current call's stack appended.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Rethrow(Exception error) => System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);

    // ---------------------------------------------------------------- lifecycle

    /// <summary>Starts the background loop (idempotent).</summary>
    public void Start()
    {
        lock (_gate) _loop ??= Task.Run(_fetcher.RunAsync);
    }

    public void Wake() => _tasks.Wake();

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        _tasks.Closing.Cancel();
        Task? loop;
        lock (_gate) loop = _loop;
        if (loop is not null)
        {
            try { await loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        await _tasks.WaitAllAsync().ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var state in _order) state.Invalidate();
            SignalDataLocked();
        }
        await Pool.DisposeAsync().ConfigureAwait(false);
        MetricsCollector.Dispose();
    }
}
