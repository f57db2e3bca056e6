using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TypedKafka.Hosting;

/// <summary>
/// Runs the handlers of one consumer group: one <see cref="KafkaConsumer{TKey, TValue}"/> subscribed to the group's
/// topics, reading record spans (no <c>ConsumerRecord</c> per record), dispatching each record to the generated invoker
/// in partition order, and committing offsets only after the handlers succeeded (at-least-once).
/// </summary>
/// <remarks>
/// One task per group runs <see cref="RunAsync"/>; the rebalance listener callbacks run on that task too (inside
/// <c>PollBatchAsync</c>), so <c>_processed</c> needs no lock.
/// </remarks>
internal sealed class GroupWorker : IConsumerRebalanceListener
{
    private readonly string _groupId;
    private readonly string? _catalogGroup;
    private readonly IReadOnlyDictionary<string, TopicRoute> _routes;
    private readonly TypedKafkaOptions _options;
    private readonly IServiceProvider _services;
    private readonly TypedKafkaReadiness _readiness;
    private readonly ILogger _log;
    private readonly Dictionary<TopicPartition, long> _processed = [];
    private readonly Dictionary<TopicPartition, long> _sent = [];
    private readonly MessageContext _context = new();
    private byte[] _keyBuffer = new byte[256];
    private KafkaConsumer<Ignore, Ignore>? _consumer;

    public GroupWorker(string groupId, string? catalogGroup, IReadOnlyDictionary<string, TopicRoute> routes, TypedKafkaOptions options,
        IServiceProvider services, TypedKafkaReadiness readiness, ILogger log)
    {
        _groupId = groupId;
        _catalogGroup = catalogGroup;
        _routes = routes;
        _options = options;
        _services = services;
        _readiness = readiness;
        _log = log;
    }

    public string GroupId => _groupId;

    public async Task RunAsync(CancellationToken stopping)
    {
        _readiness.Report(new(_groupId, false, [], null));
        var consumerOptions = _options.Consumer.Clone();
        consumerOptions.GroupId = _groupId;
        consumerOptions.EnableAutoCommit = false;
        consumerOptions.Topics = [];
        consumerOptions.LoggerFactory ??= _services.GetService<ILoggerFactory>();
        await using var consumer = new KafkaConsumer<Ignore, Ignore>(consumerOptions);
        _consumer = consumer;
        consumer.Subscribe(_routes.Keys, this);
        _log.LogInformation("TypedKafka group {Group} subscribed to {Topics}", _groupId, string.Join(", ", _routes.Keys));
        var lastCommit = Stopwatch.GetTimestamp();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                ConsumerBatch? batch;
                try
                {
                    batch = await consumer.PollBatchAsync(TimeSpan.FromMilliseconds(500), stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    break;
                }
                if (batch is not null)
                {
                    var stop = await ProcessAsync(batch, stopping).ConfigureAwait(false);
                    if (stop) return;
                }
                if (Stopwatch.GetElapsedTime(lastCommit) >= _options.CommitInterval)
                {
                    CommitInBackground(consumer);
                    lastCommit = Stopwatch.GetTimestamp();
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            _log.LogCritical(e, "TypedKafka group {Group} stopped: {Error}", _groupId, e.Message);
            _readiness.Report(new(_groupId, false, consumer.Assignment, e));
            throw;
        }
        finally
        {
            await ShutDownAsync(consumer).ConfigureAwait(false);
            _consumer = null;
        }
    }

    /// <summary>Handles the records of one batch. Returns true when the group must stop (a payload that cannot be
    /// deserialized under <see cref="DeserializationErrorPolicy.Stop"/>).</summary>
    private async Task<bool> ProcessAsync(ConsumerBatch batch, CancellationToken stopping)
    {
        var partition = batch.Partition;
        if (!_routes.TryGetValue(partition.Topic, out var route)) return false;
        await using var scope = _services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var failures = 0;
        while (true)
        {
            ValueTask handled;
            long offset;
            try
            {
                if (!Dispatch(batch, route, services, stopping, out handled, out offset)) break;
            }
            catch (RecordDeserializationException e)
            {
                if (route.OnDeserializationError == DeserializationErrorPolicy.Skip)
                {
                    _log.LogWarning("Skipping {Topic}-{Partition}@{Offset} in group {Group}: {Error}", e.Topic, e.Partition, e.Offset, _groupId, e.Message);
                    _processed[partition] = e.Offset + 1;
                    continue;
                }
                batch.Rewind(e.Offset);
                _log.LogCritical("Stopping group {Group} at {Topic}-{Partition}@{Offset}: the payload cannot be deserialized and the handler's policy is Stop. {Error}",
                    _groupId, e.Topic, e.Partition, e.Offset, e.Message);
                _readiness.Report(new(_groupId, false, _consumer?.Assignment ?? new HashSet<TopicPartition>(), e));
                return true;
            }

            try
            {
                if (!handled.IsCompletedSuccessfully) await handled.ConfigureAwait(false);
                _processed[partition] = offset + 1;
                failures = 0;
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                // At-least-once: the record is handled again after a pause; its offset is not committed meanwhile.
                failures++;
                var pause = Backoff(failures);
                _log.LogError(e, "Handler for {Topic}-{Partition}@{Offset} in group {Group} failed (attempt {Attempt}); retrying in {Pause} ms",
                    partition.Topic, partition.Partition, offset, _groupId, failures, pause.TotalMilliseconds);
                batch.Rewind(offset);
                try
                {
                    await Task.Delay(pause, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
            catch (OperationCanceledException)
            {
                // Shutting down while the handler was cancelled: the record is not processed.
                batch.Rewind(offset);
                return false;
            }
        }

        await FlushBatchesAsync(route, partition, services, stopping).ConfigureAwait(false);
        return false;
    }

    /// <summary>Reads the next record and starts its handlers (deserialization happens here, synchronously).</summary>
    private bool Dispatch(ConsumerBatch batch, TopicRoute route, IServiceProvider services, CancellationToken stopping, out ValueTask handled, out long offset)
    {
        if (!batch.TryReadNext(out var record))
        {
            handled = default;
            offset = -1;
            return false;
        }
        offset = record.Offset;
        var key = record.Key;
        if (key.Length > _keyBuffer.Length) _keyBuffer = new byte[Math.Max(key.Length, _keyBuffer.Length * 2)];
        key.CopyTo(_keyBuffer);
        _context.Set(batch.Partition.Topic, batch.Partition.Partition, record.Offset, record.Timestamp,
            ConsumerBatch.CopyHeaders(record), _keyBuffer.AsMemory(0, key.Length), _groupId);
        foreach (var buffer in route.Batches)
        {
            buffer.Buffer.Add(record.Key, record.IsKeyNull, record.Value, record.IsValueNull, _context);
        }
        try
        {
            handled = route.Invoker is { } invoker
                ? invoker(record.Key, record.IsKeyNull, record.Value, record.IsValueNull, _context, services, stopping)
                : ValueTask.CompletedTask;
        }
        catch (Exception e) when (e is not RecordDeserializationException)
        {
            // A synchronous handler threw: handled like an asynchronous failure (retried on the same record).
            handled = ValueTask.FromException(e);
        }
        return true;
    }

    private async Task FlushBatchesAsync(TopicRoute route, TopicPartition partition, IServiceProvider services, CancellationToken stopping)
    {
        foreach (var (buffer, _) in route.Batches)
        {
            if (buffer.Count == 0) continue;
            var failures = 0;
            while (true)
            {
                try
                {
                    await buffer.InvokeAsync(_context, services, stopping).ConfigureAwait(false);
                    buffer.Clear();
                    break;
                }
                catch (Exception e) when (!stopping.IsCancellationRequested)
                {
                    failures++;
                    _log.LogError(e, "Batch handler for {Partition} in group {Group} failed (attempt {Attempt})", partition, _groupId, failures);
                    await Task.Delay(Backoff(failures), stopping).ConfigureAwait(false);
                }
            }
        }
    }

    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(_options.HandlerRetryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 20)), _options.MaxHandlerRetryBackoff.TotalMilliseconds));

    /// <summary>The processed offsets (of <paramref name="only"/> when given) not yet sent in a commit, or all of them
    /// with <paramref name="includeSent"/>: before a revocation and at shutdown, where a commit sent in the background
    /// may still be queued or fail after this point, everything processed is committed again and awaited (commits
    /// complete in order, so this one lands last).</summary>
    private Dictionary<TopicPartition, OffsetAndMetadata> Pending(IEnumerable<TopicPartition>? only = null, bool includeSent = false)
    {
        var offsets = new Dictionary<TopicPartition, OffsetAndMetadata>();
        lock (_sent)
        {
            foreach (var (partition, offset) in _processed)
            {
                if (only is not null && !only.Contains(partition)) continue;
                if (!includeSent && _sent.TryGetValue(partition, out var sent) && sent == offset) continue;
                offsets[partition] = new OffsetAndMetadata(offset);
                _sent[partition] = offset;
            }
        }
        return offsets;
    }

    private void CommitInBackground(KafkaConsumer<Ignore, Ignore> consumer)
    {
        var offsets = Pending();
        if (offsets.Count == 0) return;
        consumer.CommitInBackground(offsets, (_, error) =>
        {
            if (error is null) return;
            _log.LogWarning("Commit for group {Group} failed: {Error}; it is repeated with the next commit", _groupId, error.Message);
            lock (_sent)
            {
                foreach (var (partition, offset) in offsets)
                {
                    if (_sent.TryGetValue(partition, out var sent) && sent == offset.Offset) _sent.Remove(partition);
                }
            }
        });
    }

    private void Forget(IEnumerable<TopicPartition> partitions)
    {
        lock (_sent)
        {
            foreach (var partition in partitions)
            {
                _processed.Remove(partition);
                _sent.Remove(partition);
            }
        }
    }

    private async Task ShutDownAsync(KafkaConsumer<Ignore, Ignore> consumer)
    {
        using var timeout = new CancellationTokenSource(_options.ShutdownTimeout);
        try
        {
            var offsets = Pending(includeSent: true);
            if (offsets.Count > 0) await consumer.CommitAsync(offsets, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.LogWarning("Final commit for group {Group} failed: {Error}", _groupId, e.Message);
        }
        await consumer.CloseAsync(autoCommit: false, _options.ShutdownTimeout).ConfigureAwait(false);
        _readiness.Report(new(_groupId, false, [], null));
        _log.LogInformation("TypedKafka group {Group} stopped", _groupId);
    }

    public async ValueTask OnPartitionsRevokedAsync(IReadOnlyCollection<TopicPartition> revoked, CancellationToken cancellationToken)
    {
        var offsets = Pending(revoked, includeSent: true);
        if (offsets.Count > 0 && _consumer is { } consumer)
        {
            try
            {
                await consumer.CommitAsync(offsets, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is KafkaException)
            {
                _log.LogWarning("Commit before revoking {Partitions} in group {Group} failed: {Error}", string.Join(", ", revoked), _groupId, e.Message);
            }
        }
        Forget(revoked);
        Report();
    }

    public ValueTask OnPartitionsAssignedAsync(IReadOnlyCollection<TopicPartition> assigned, CancellationToken cancellationToken)
    {
        Report();
        return ValueTask.CompletedTask;
    }

    public ValueTask OnPartitionsLostAsync(IReadOnlyCollection<TopicPartition> lost, CancellationToken cancellationToken)
    {
        // Another member may own them already: their processed offsets must not be committed.
        Forget(lost);
        Report();
        return ValueTask.CompletedTask;
    }

    private void Report() => _readiness.Report(new(_groupId, true, _consumer?.Assignment ?? new HashSet<TopicPartition>(), null));

}

/// <summary>What runs for one topic of a group: the generated record invoker (all record handlers of the topic) and
/// the batch handlers' buffers.</summary>
internal sealed record TopicRoute(
    string Topic,
    KafkaRecordInvoker? Invoker,
    IReadOnlyList<(KafkaBatchBuffer Buffer, KafkaHandlerDescriptor Descriptor)> Batches,
    DeserializationErrorPolicy OnDeserializationError);
