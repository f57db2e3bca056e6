using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TypedKafka.Hosting.Engine;

namespace TypedKafka.Hosting;

/// <summary>
/// Runs the handlers of one consumer group: one <see cref="KafkaConsumer{TKey, TValue}"/> subscribed to the group's
/// topics, polled by one loop that never waits for a handler. Each fetched record is copied into an engine-owned chunk,
/// tracked in its partition's offset windows and queued to the processors of its topic, whose workers run the handlers
/// in parallel under each handler's ordering. Commits carry, per partition, the lowest offset not yet completed.
/// </summary>
/// <remarks>
/// <para>The poll loop (<see cref="RunAsync"/>) owns <c>_runs</c> and the consumer; the rebalance listener callbacks run
/// on it too (inside <c>PollBatchAsync</c>). Workers touch only their <see cref="PartitionRun"/> and processors, plus the
/// consumer's thread-safe <c>Resume</c>. <c>_runsGate</c> only makes <c>_runs</c> readable by status snapshots.</para>
/// <para>Backpressure (<see cref="Budget"/>): the poll loop copies a partition's records only within its budget (its
/// fair share of <see cref="TypedKafkaOptions.MaxInFlightRecords"/> always; more from the group's headroom, up to half
/// the maximum); at the first record over budget it rewinds the batch (the consumer keeps the rest) and pauses the
/// partition. Whichever thread completes records resumes a paused partition when its budget allows records again. A partition stuck behind a failing record therefore
/// stays paused while the others go on.</para>
/// </remarks>
internal sealed class GroupEngine : IConsumerRebalanceListener
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);

    private readonly HandlerPlan.Group _group;
    private readonly TypedKafkaOptions _options;
    private readonly TypedKafkaReadiness _readiness;
    private readonly ILogger _log;
    private readonly int _restarts;
    private readonly Dictionary<string, RouteProcessors> _routes = new(StringComparer.Ordinal);
    private readonly Dictionary<TopicPartition, PartitionRun> _runs = [];
    private readonly object _runsGate = new();
    /// <summary>Partitions paused for backpressure: copied on write (pauses are rare, reads are on every completion).</summary>
    private PartitionRun[] _paused = [];
    private readonly ConcurrentDictionary<(TopicPartition Partition, long Offset), TypedKafkaReadiness.FailingRecord> _failing = new();
    private int _inFlight;
    /// <summary>The runs, copied on write (read without a lock by <see cref="Budget"/>, which runs under a run's gate).</summary>
    private PartitionRun[] _runList = [];
    private Exception? _fatal;
    private KafkaConsumer<Ignore, Ignore>? _consumer;
    private volatile bool _closing;
    private readonly Func<PartitionRun, bool> _shouldPause;
    private readonly Action<PartitionRun> _pause;
    private readonly Func<PartitionRun, bool> _mayResume;
    private readonly Action<PartitionRun> _resume;
    private readonly object _pausedGate = new();

    public GroupEngine(HandlerPlan.Group group, TypedKafkaOptions options, IServiceProvider services, TypedKafkaReadiness readiness, ILogger log, int restarts = 0)
    {
        _group = group;
        _options = options;
        Services = services;
        _readiness = readiness;
        _log = log;
        _restarts = restarts;
        _shouldPause = ShouldPause;
        _pause = Pause;
        _mayResume = MayResume;
        _resume = Resume;
        foreach (var (topic, route) in group.Routes)
        {
            var processors = new List<Processor>();
            if (route.Invoker is { } invoker)
                processors.Add(new RecordProcessor(processors.Count, route.RecordHandlerNames, route.Ordering, route.MaxConcurrency, this, invoker, route.OnDeserializationError));
            foreach (var batch in route.BatchHandlers)
                processors.Add(new BatchProcessor(processors.Count, batch, batch.MaxConcurrency > 0 ? batch.MaxConcurrency : int.MaxValue, this, route.OnDeserializationError));
            _routes[topic] = new RouteProcessors(topic, processors);
        }
    }

    public string GroupId => _group.GroupId;

    public IServiceProvider Services { get; }

    /// <summary>The Schema Registry the generated Avro decoders resolve writer schemas through (issue 14); null for none.
    /// Every worker's <see cref="MessageContext"/> carries it.</summary>
    public TypedKafka.SchemaRegistry.ISchemaRegistryClient? SchemaRegistry { get; init; }

    /// <summary>The processors of each topic (tests read their peak concurrency).</summary>
    public IReadOnlyDictionary<string, RouteProcessors> Routes => _routes;

    /// <summary>Records fetched and not yet committable, over every partition.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public bool HasPaused => Volatile.Read(ref _paused).Length > 0;

    /// <summary>The most records in flight seen at once (tests of backpressure).</summary>
    public int PeakInFlight => Volatile.Read(ref _peakInFlight);

    /// <summary>Shutdown began: no record starts any more.</summary>
    public bool ShuttingDown { get; private set; }

    /// <summary>Partitions this engine saw revoked and lost (tests that a member stayed in its group).</summary>
    public int Revocations => Volatile.Read(ref _revocations);

    public int Losses => Volatile.Read(ref _losses);

    private int _peakInFlight;
    private int _revocations;
    private int _losses;

    /// <summary>Runs the group until <paramref name="stopping"/> fires (returns null) or a fatal error (returns it), then
    /// drains, commits and leaves the group.</summary>
    public async Task<Exception?> RunAsync(CancellationToken stopping)
    {
        _readiness.Report(new(GroupId, false, [], null));
        _readiness.Live(GroupId, Snapshot);
        var consumerOptions = _options.Consumer.Clone();
        consumerOptions.GroupId = GroupId;
        consumerOptions.EnableAutoCommit = false;
        consumerOptions.Topics = [];
        consumerOptions.LoggerFactory ??= Services.GetService<ILoggerFactory>();
        Exception? fatal = null;
        var consumer = new KafkaConsumer<Ignore, Ignore>(consumerOptions);
        _consumer = consumer;
        try
        {
            consumer.Subscribe(_routes.Keys, this);
            Log.Subscribed(_log, GroupId, string.Join(", ", _routes.Keys));
            var lastCommit = Stopwatch.GetTimestamp();
            while (!stopping.IsCancellationRequested)
            {
                if (Volatile.Read(ref _fatal) is { } failed)
                {
                    fatal = failed;
                    break;
                }
                ConsumerBatch? batch;
                try
                {
                    batch = await consumer.PollBatchAsync(PollTimeout, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    break;
                }
                if (batch is not null) Ingest(batch);
                if (HasPaused) ResumeDrained();
                if (Stopwatch.GetElapsedTime(lastCommit) >= _options.CommitInterval)
                {
                    CommitInBackground();
                    lastCommit = Stopwatch.GetTimestamp();
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            fatal = e;
        }
        try
        {
            await ShutDownAsync(consumer).ConfigureAwait(false);
        }
        finally
        {
            _readiness.Live(GroupId, null);
            _readiness.Report(new(GroupId, false, [], fatal));
            Log.Stopped(_log, GroupId);
        }
        return fatal;
    }

    // ------------------------------------------------------------------ records in

    private void Ingest(ConsumerBatch batch)
    {
        var partition = batch.Partition;
        if (!_runs.TryGetValue(partition, out var run))
        {
            if (!_routes.TryGetValue(partition.Topic, out var route)) return;
            run = AddRun(partition, route);
        }
        if (run.Draining) return;
        var budget = Budget(run);
        var chunk = RecordChunk.Rent(run, budget);
        var full = false;
        while (batch.TryReadNext(out var record))
        {
            if (budget <= 0)
            {
                batch.Rewind(record.Offset);
                full = true;
                break;
            }
            budget--;
            if (chunk.TryAppend(record)) continue;
            Dispatch(run, chunk);
            chunk = RecordChunk.Rent(run, budget);
            chunk.TryAppend(record); // an empty chunk grows to any record
        }
        if (chunk.Count > 0) Dispatch(run, chunk);
        else chunk.Discard();
        if (!full) run.Advance(batch.Position);
        else run.PauseIf(_shouldPause, _pause);
    }

    /// <summary>
    /// How many records of <paramref name="run"/> the poll loop may copy now. Every partition may always hold its fair
    /// share (the maximum ÷ the assigned partitions), so each has records to work on; beyond it, a partition may use the
    /// group's headroom left after the other partitions' unused shares are set aside, up to its cap (half the maximum
    /// with several partitions, so one stuck partition leaves room to the others). The group therefore never holds more
    /// than <see cref="TypedKafkaOptions.MaxInFlightRecords"/>. The rest stays buffered in the consumer.
    /// </summary>
    private int Budget(PartitionRun run)
    {
        var max = _options.MaxInFlightRecords;
        var runs = Volatile.Read(ref _runList);
        var share = Math.Max(1, max / Math.Max(1, runs.Length));
        var cap = runs.Length > 1 ? Math.Max(share, max / 2) : max;
        var reserve = 0;
        foreach (var other in runs)
        {
            if (other != run) reserve += Math.Max(0, share - other.InFlight);
        }
        var headroom = max - InFlight - reserve;
        var budget = Math.Min(cap - run.InFlight, Math.Max(share - run.InFlight, headroom));
        // No crumbs: a partition that has work waits until it may take a useful number of records at once.
        return budget < MinIngest(share) && run.InFlight > 0 ? 0 : budget;
    }

    /// <summary>The fewest records worth copying into a new chunk for a partition that still has work.</summary>
    private static int MinIngest(int share) => Math.Min(64, Math.Max(1, share / 2));

    private static void Dispatch(PartitionRun run, RecordChunk chunk)
    {
        var processors = run.Route.Processors;
        chunk.Seal(processors.Count);
        run.Track(chunk);
        foreach (var processor in processors) processor.Enqueue(run, chunk);
    }

    private PartitionRun AddRun(TopicPartition partition, RouteProcessors route)
    {
        var run = new PartitionRun(partition, route, this);
        lock (_runsGate)
        {
            _runs[partition] = run;
            Volatile.Write(ref _runList, [.. _runs.Values]);
        }
        return run;
    }

    private void RemoveRuns(IEnumerable<PartitionRun> runs)
    {
        lock (_runsGate)
        {
            foreach (var run in runs)
            {
                if (_runs.TryGetValue(run.Partition, out var current) && current == run) _runs.Remove(run.Partition);
                SetPaused(run, false);
                run.Forget();
                foreach (var key in _failing.Keys.Where(k => k.Partition == run.Partition).ToList()) _failing.TryRemove(key, out _);
            }
            Volatile.Write(ref _runList, [.. _runs.Values]);
        }
    }

    // ------------------------------------------------------------------ backpressure

    public void AddInFlight(int delta)
    {
        if (delta == 0) return;
        var now = Interlocked.Add(ref _inFlight, delta);
        var peak = Volatile.Read(ref _peakInFlight);
        while (now > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peakInFlight, now, peak);
            if (seen == peak) break;
            peak = seen;
        }
    }

    /// <summary>Ingest pauses a partition only when its budget ran out.</summary>
    private static bool ShouldPause(PartitionRun run) => true;

    /// <summary>Resumed exactly when its budget allows records again (so a resumed partition is never paused again by
    /// its next batch without taking any).</summary>
    private bool MayResume(PartitionRun run) => Budget(run) > 0;

    private void Pause(PartitionRun run)
    {
        _consumer!.Pause(run.Partition);
        SetPaused(run, true);
        Log.Paused(_log, GroupId, run.Partition, run.InFlight, InFlight);
    }

    private void Resume(PartitionRun run)
    {
        SetPaused(run, false);
        try
        {
            _consumer?.Resume(run.Partition);
            Log.Resumed(_log, GroupId, run.Partition, InFlight);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            // Closed, or revoked meanwhile: nothing to resume.
        }
    }

    /// <summary>Keeps <c>_paused</c> in step with the runs' flags: called under the run's gate by Pause/Resume (and at
    /// removal); <c>_pausedGate</c> is a leaf lock.</summary>
    private void SetPaused(PartitionRun run, bool paused)
    {
        lock (_pausedGate)
        {
            var current = _paused;
            if (paused == current.Contains(run)) return;
            Volatile.Write(ref _paused, paused ? [.. current, run] : [.. current.Where(r => r != run)]);
        }
    }

    /// <summary>Resumes every paused partition that drained below its cap (any thread).</summary>
    public void ResumeDrained()
    {
        foreach (var run in Volatile.Read(ref _paused))
        {
            run.ResumeIf(_mayResume, _resume);
        }
    }

    // ------------------------------------------------------------------ failures (called by workers)

    /// <summary>Backoff before the next call of a failing record; false when the run stopped meanwhile (the record
    /// stays unfinished).</summary>
    public async ValueTask<bool> RetryPauseAsync(PartitionRun run, long offset, int attempt, string handler, Exception error)
    {
        var key = (run.Partition, offset);
        _failing.AddOrUpdate(key,
            static (k, a) => new TypedKafkaReadiness.FailingRecord(k.Partition, k.Offset, DateTimeOffset.UtcNow, a.attempt, a.error.Message),
            static (_, old, a) => old with { Attempts = a.attempt, Error = a.error.Message },
            (attempt, error));
        var pause = Backoff(attempt);
        Log.HandlerFailed(_log, error, handler, run.Partition.Topic, run.Partition.Partition, offset, GroupId, attempt, pause.TotalMilliseconds);
        try
        {
            await Task.Delay(pause, run.StopToken).ConfigureAwait(false);
            return !run.Draining;
        }
        catch (OperationCanceledException)
        {
            _failing.TryRemove(key, out _);
            return false;
        }
    }

    public void Recovered(TopicPartition partition, long offset, int attempts)
    {
        _failing.TryRemove((partition, offset), out _);
        Log.Recovered(_log, partition.Topic, partition.Partition, offset, GroupId, attempts);
    }

    public void Abandoned(TopicPartition partition, long offset)
    {
        _failing.TryRemove((partition, offset), out _);
        Log.Abandoned(_log, partition.Topic, partition.Partition, offset, GroupId);
    }

    /// <summary>A record that cannot be deserialized: true when it is skipped (completed), false when the group stops before it.</summary>
    public bool Undeserializable(DeserializationErrorPolicy policy, RecordDeserializationException error)
    {
        if (policy == DeserializationErrorPolicy.Skip)
        {
            Log.Skipped(_log, error.Topic, error.Partition, error.Offset, GroupId, error.Message);
            return true;
        }
        Fatal(new KafkaException(
            $"{error.Topic}-{error.Partition}@{error.Offset} cannot be deserialized and the handler's OnDeserializationError is Stop: {error.Message}", error));
        return false;
    }

    /// <summary>Stops the group (the poll loop notices within its poll timeout).</summary>
    public void Fatal(Exception error) => Interlocked.CompareExchange(ref _fatal, error, null);

    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(_options.HandlerRetryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 20)), _options.MaxHandlerRetryBackoff.TotalMilliseconds));

    // ------------------------------------------------------------------ commits

    /// <summary>Committable offsets of <paramref name="runs"/> that moved since last sent (all of them with <paramref name="all"/>).</summary>
    private static Dictionary<TopicPartition, OffsetAndMetadata> Committable(IEnumerable<PartitionRun> runs, bool all)
    {
        var offsets = new Dictionary<TopicPartition, OffsetAndMetadata>();
        foreach (var run in runs)
        {
            var offset = run.Committable;
            if (offset < 0 || (!all && offset == run.LastSent)) continue;
            offsets[run.Partition] = new OffsetAndMetadata(offset);
            run.LastSent = offset;
        }
        return offsets;
    }

    private void CommitInBackground()
    {
        var runs = _runs.Values.ToList();
        var offsets = Committable(runs, all: false);
        if (offsets.Count == 0) return;
        _consumer!.CommitInBackground(offsets, (_, error) =>
        {
            if (error is null) return;
            Log.CommitFailed(_log, GroupId, error.Message);
            foreach (var run in runs)
            {
                if (offsets.TryGetValue(run.Partition, out var sent) && run.LastSent == sent.Offset) run.LastSent = -1;
            }
        });
    }

    /// <summary>Stops starting records of <paramref name="runs"/> and waits for their handlers, at most
    /// <paramref name="timeout"/>; then cancels the tokens of those still running.</summary>
    private async Task DrainAsync(IReadOnlyCollection<PartitionRun> runs, TimeSpan timeout)
    {
        if (runs.Count == 0) return;
        var drained = Task.WhenAll(runs.Select(r => r.DrainAsync()));
        if (await Task.WhenAny(drained, Task.Delay(timeout)).ConfigureAwait(false) == drained) return;
        Log.DrainTimedOut(_log, GroupId, string.Join(", ", runs.Select(r => r.Partition)), timeout.TotalMilliseconds);
        foreach (var run in runs) run.CancelHandlers();
        await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
    }

    private async Task ShutDownAsync(KafkaConsumer<Ignore, Ignore> consumer)
    {
        ShuttingDown = true;
        var deadline = Stopwatch.GetTimestamp();
        var timeout = _options.ShutdownTimeout;
        TimeSpan Remaining() => timeout - Stopwatch.GetElapsedTime(deadline);
        try
        {
            List<PartitionRun> runs;
            lock (_runsGate) runs = [.. _runs.Values];
            // Stop fetching, let in-flight handlers finish (a reserve of the timeout is kept for the commit and the leave).
            foreach (var run in runs)
            {
                if (run.Paused) continue;
                try
                {
                    consumer.Pause(run.Partition);
                }
                catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
                {
                }
            }
            var reserve = TimeSpan.FromTicks(Math.Min(timeout.Ticks / 4, TimeSpan.FromSeconds(5).Ticks));
            await DrainAsync(runs, timeout - reserve).ConfigureAwait(false);
            var offsets = Committable(runs, all: true);
            if (offsets.Count > 0)
            {
                using var commitTimeout = new CancellationTokenSource(Max(Remaining(), TimeSpan.FromSeconds(1)));
                try
                {
                    await consumer.CommitAsync(offsets, commitTimeout.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is KafkaException or OperationCanceledException)
                {
                    Log.FinalCommitFailed(_log, GroupId, e.Message);
                }
            }
            RemoveRuns(runs);
        }
        finally
        {
            // The revocation the close triggers finds nothing left to commit (it would reach a closing coordinator).
            _closing = true;
            await consumer.CloseAsync(autoCommit: false, Max(Remaining(), TimeSpan.FromSeconds(1))).ConfigureAwait(false);
            _consumer = null;
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    // ------------------------------------------------------------------ rebalance listener (poll loop)

    public async ValueTask OnPartitionsRevokedAsync(IReadOnlyCollection<TopicPartition> revoked, CancellationToken cancellationToken)
    {
        var runs = revoked.Select(p => _runs.GetValueOrDefault(p)).OfType<PartitionRun>().ToList();
        Interlocked.Add(ref _revocations, revoked.Count);
        if (_closing || runs.Count == 0)
        {
            RemoveRuns(runs);
            Report();
            return;
        }
        await DrainAsync(runs, _options.ShutdownTimeout).ConfigureAwait(false);
        var offsets = Committable(runs, all: true);
        if (offsets.Count > 0 && _consumer is { } consumer)
        {
            try
            {
                await consumer.CommitAsync(offsets, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is KafkaException or OperationCanceledException)
            {
                Log.RevocationCommitFailed(_log, string.Join(", ", revoked), GroupId, e.Message);
            }
        }
        RemoveRuns(runs);
        Report();
    }

    public ValueTask OnPartitionsAssignedAsync(IReadOnlyCollection<TopicPartition> assigned, CancellationToken cancellationToken)
    {
        foreach (var partition in assigned)
        {
            if (_routes.TryGetValue(partition.Topic, out var route)) AddRun(partition, route);
        }
        Report();
        return ValueTask.CompletedTask;
    }

    public ValueTask OnPartitionsLostAsync(IReadOnlyCollection<TopicPartition> lost, CancellationToken cancellationToken)
    {
        // Another member may own them already: cancel their handlers and commit nothing for them.
        var runs = lost.Select(p => _runs.GetValueOrDefault(p)).OfType<PartitionRun>().ToList();
        Interlocked.Add(ref _losses, lost.Count);
        foreach (var run in runs)
        {
            run.CancelHandlers();
            _ = run.DrainAsync();
        }
        RemoveRuns(runs);
        Report();
        return ValueTask.CompletedTask;
    }

    private void Report() => _readiness.Report(new(GroupId, true, _consumer?.Assignment ?? new HashSet<TopicPartition>(), null) { Restarts = _restarts });

    private TypedKafkaReadiness.GroupStatus Snapshot(TypedKafkaReadiness.GroupStatus reported) => reported with
    {
        RecordsInFlight = InFlight,
        Paused = [.. Volatile.Read(ref _paused).Select(r => r.Partition)],
        OldestFailing = _failing.Values.OrderBy(f => f.Since).FirstOrDefault(),
        Restarts = _restarts,
    };
}

/// <summary>The processors of one topic: the record handlers' (first, when there are any), then one per batch handler.
/// Each has its own offset window in every partition run of the topic.</summary>
internal sealed record RouteProcessors(string Topic, IReadOnlyList<Processor> Processors);
