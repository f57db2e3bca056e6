using System.Diagnostics;
using TypedKafka.Connections;
using TypedKafka.Metadata;
using TypedKafka.Protocol;

namespace TypedKafka.Producing;

/// <summary>
/// The producer's engine, independent of key and value types: the record accumulator (per-partition batches, appended
/// to by <c>ProduceAsync</c> callers) and the sender loop (<c>ProducerCore.Sender.cs</c>) that drains closed batches
/// into Produce requests, one per leader broker, and settles their answers. See <c>docs/DESIGN.md</c>, "Producer".
/// </summary>
/// <remarks>Thread-safe. One lock, <c>_gate</c>, guards every queue, batch and counter; it is never held across an
/// await, nor while records are compressed, sent or completed.</remarks>
internal sealed partial class ProducerCore : IAsyncDisposable
{
    private readonly ProducerOptions _options;
    private readonly ConnectionPool _pool;
    private readonly MetadataManager _metadata;
    private readonly ProducerMetrics _metrics;
    private readonly object _gate = new();
    private readonly Dictionary<string, TopicQueues> _topics = new(StringComparer.Ordinal);
    private readonly SenderSignal _signal = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<TaskCompletionSource> _flushWaiters = [];
    private readonly List<TaskCompletionSource> _spaceWaiters = [];
    private readonly Task _sender;
    private readonly CompressionCodec _codec;

    // The producer's own pools: ArrayPool.Shared keeps few arrays per size and per core, fewer than the batches a
    // producer has buffered and in flight, so it allocated a new batch buffer for most batches.
    private readonly System.Buffers.ArrayPool<byte> _bufferPool;
    private readonly System.Buffers.ArrayPool<RecordCompletion> _completionArrays;
    private long _nextBatchId;
    private long _pendingRecords;
    private long _bufferedBytes;
    private int _flushing;
    private bool _closed;
    private bool _stopped;
    private Exception? _fatal;

    public ProducerCore(ProducerOptions options)
    {
        _options = options;
        var connectionOptions = options.ToConnectionOptions();
        _pool = new ConnectionPool(connectionOptions);
        _metadata = new MetadataManager(_pool, connectionOptions);
        _metrics = new ProducerMetrics(options.EffectiveClientId);
        _codec = (CompressionCodec)(byte)options.CompressionType;
        // As many arrays per size as BufferMemory holds batches, as Java's BufferPool keeps buffer.memory.
        var arraysPerSize = (int)Math.Clamp(options.BufferMemory / Math.Max(1024, options.BatchSize) + 64, 64, 8192);
        _bufferPool = System.Buffers.ArrayPool<byte>.Create(Math.Max(options.MaxRequestSize * 2, 1 << 20), arraysPerSize);
        _completionArrays = System.Buffers.ArrayPool<RecordCompletion>.Create(PooledRecordBatchWriter.MaxRecords, arraysPerSize);
        _sender = Task.Run(RunSenderAsync);
    }

    public ProducerOptions Options => _options;

    internal ProducerMetrics Metrics => _metrics;

    internal MetadataManager Metadata => _metadata;

    /// <summary>The producer id and epoch in use (-1 before InitProducerId or without idempotence).</summary>
    internal (long ProducerId, short Epoch) ProducerIdAndEpoch
    {
        get
        {
            lock (_gate) return (_producerId, _epoch);
        }
    }

    /// <summary>Records accepted and not yet acknowledged or failed.</summary>
    internal long PendingRecords => Interlocked.Read(ref _pendingRecords);

    private string Name => $"KafkaProducer '{_options.EffectiveClientId}'";

    /// <summary>
    /// Appends one serialized record. Returns a ValueTask completed by the sender once the broker acknowledged it.
    /// The spans are copied before this returns. When the topic's metadata is not known yet, or buffer memory is full,
    /// or records are already waiting for either, the record is copied into a FIFO of blocked records and appended
    /// once its wait is over (at most <see cref="ProducerOptions.MaxBlock"/>), behind every record accepted before it,
    /// so that waiting never reorders records.
    /// </summary>
    public ValueTask<DeliveryResult> Append(string topic, int? partition, ReadOnlySpan<byte> key, bool keyIsNull,
        ReadOnlySpan<byte> value, bool valueIsNull, int headerCount, ReadOnlySpan<byte> headers, long timestamp, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<DeliveryResult>(cancellationToken);
        var maxSize = PooledRecordBatchWriter.MaxRecordSize(keyIsNull ? -1 : key.Length, valueIsNull ? -1 : value.Length, headerCount, headers.Length)
            + PooledRecordBatchWriter.HeaderSize;
        if (maxSize > _options.MaxRequestSize || maxSize > _options.BufferMemory)
        {
            return ValueTask.FromException<DeliveryResult>(new RecordTooLargeException(topic, partition ?? -1, maxSize,
                $"A record of {maxSize} bytes (as a batch of one) for topic '{topic}' is larger than ProducerOptions.MaxRequestSize " +
                $"({_options.MaxRequestSize}) or BufferMemory ({_options.BufferMemory})."));
        }

        BlockedRecord blocked;
        lock (_gate)
        {
            if (_closed) return ValueTask.FromException<DeliveryResult>(Closed());
            if (_fatal is not null) return ValueTask.FromException<DeliveryResult>(_fatal);
            if (_blocked.Count == 0
                && _topics.TryGetValue(topic, out var queues)
                && (partition is null || (uint)partition.Value < (uint)queues.Partitions.Length)
                && _bufferedBytes + maxSize <= _options.BufferMemory)
            {
                var completion = RecordCompletion.Rent();
                AppendLocked(queues, partition, key, keyIsNull, value, valueIsNull, headerCount, headers, timestamp, completion);
                return completion.Task;
            }
            blocked = new BlockedRecord(topic, partition, keyIsNull ? null : key.ToArray(), valueIsNull ? null : value.ToArray(), headerCount,
                headers.ToArray(), timestamp, maxSize, Stopwatch.GetTimestamp(), RecordCompletion.Rent());
            _blocked.Enqueue(blocked);
            WantTopic(topic);
            if (!_unblocking)
            {
                _unblocking = true;
                _ = Task.Run(UnblockAsync);
            }
        }
        var task = blocked.Completion.Task;
        if (cancellationToken.CanBeCanceled)
        {
            blocked.Cancellation = cancellationToken.UnsafeRegister(static (state, token) =>
            {
                var (core, record) = ((ProducerCore, BlockedRecord))state!;
                core.CancelBlocked(record, token);
            }, (this, blocked));
        }
        return task;
    }

    private readonly Queue<BlockedRecord> _blocked = new();
    private bool _unblocking;

    /// <summary>A record waiting for its topic's metadata or for buffer space; its bytes are copies.</summary>
    private sealed class BlockedRecord(string topic, int? partition, byte[]? key, byte[]? value, int headerCount, byte[] headers,
        long timestamp, int maxSize, long since, RecordCompletion completion)
    {
        public string Topic { get; } = topic;
        public int? Partition { get; } = partition;
        public byte[]? Key { get; } = key;
        public byte[]? Value { get; } = value;
        public int HeaderCount { get; } = headerCount;
        public byte[] Headers { get; } = headers;
        public long Timestamp { get; } = timestamp;
        public int MaxSize { get; } = maxSize;
        public long Since { get; } = since;
        public RecordCompletion Completion { get; } = completion;
        public bool Settled;
        public CancellationTokenRegistration Cancellation;
    }

    private void CancelBlocked(BlockedRecord record, CancellationToken token)
    {
        lock (_gate)
        {
            if (record.Settled) return;
            record.Settled = true; // skipped by the unblocker
        }
        record.Completion.SetException(new OperationCanceledException(token));
    }

    /// <summary>Appends blocked records in order, each once its topic is known (and its partition exists) and buffer
    /// space is free, or fails it once it waited MaxBlock.</summary>
    private async Task UnblockAsync()
    {
        while (true)
        {
            BlockedRecord head;
            lock (_gate)
            {
                while (_blocked.Count > 0 && _blocked.Peek().Settled) _blocked.Dequeue();
                if (_blocked.Count == 0)
                {
                    _unblocking = false;
                    CheckFlushedLocked();
                    return;
                }
                head = _blocked.Peek();
            }
            Exception? error = null;
            try
            {
                await WaitUntilAppendableAsync(head).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                error = e;
            }
            var appended = false;
            lock (_gate)
            {
                _blocked.Dequeue();
                if (!head.Settled)
                {
                    head.Settled = true;
                    if (error is null)
                    {
                        error = _stopped ? Closed() : _fatal;
                        if (error is null)
                        {
                            AppendLocked(_topics[head.Topic], head.Partition, head.Key, head.Key is null, head.Value, head.Value is null,
                                head.HeaderCount, head.Headers, head.Timestamp, head.Completion);
                            appended = true;
                        }
                    }
                }
                else
                {
                    error = null; // cancelled meanwhile: already completed
                }
            }
            head.Cancellation.Dispose();
            if (!appended && error is not null) head.Completion.SetException(error);
            lock (_gate) CheckFlushedLocked();
        }
    }

    private async Task WaitUntilAppendableAsync(BlockedRecord record)
    {
        var remaining = _options.MaxBlock - Stopwatch.GetElapsedTime(record.Since);
        using var blocked = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        blocked.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        var refreshed = false;
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_stopped || _fatal is not null || record.Settled) return;
                _topics.TryGetValue(record.Topic, out var queues);
                if (queues is not null && record.Partition is int p && (uint)p >= (uint)queues.Partitions.Length && refreshed)
                {
                    throw new UnknownTopicOrPartitionException(record.Topic, p,
                        $"Partition {p} of topic '{record.Topic}' does not exist: the topic has {queues.Partitions.Length} partitions (0 to {queues.Partitions.Length - 1}).");
                }
                if (queues is not null && (record.Partition is null || (uint)record.Partition.Value < (uint)queues.Partitions.Length))
                {
                    if (_bufferedBytes + record.MaxSize <= _options.BufferMemory || _bufferedBytes == 0) return;
                    var space = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _spaceWaiters.Add(space);
                    wait = space.Task;
                }
                else
                {
                    wait = Task.CompletedTask;
                }
            }
            try
            {
                if (!wait.IsCompleted)
                {
                    await wait.WaitAsync(blocked.Token).ConfigureAwait(false);
                    continue;
                }
                await EnsureTopicAsync(record.Topic, blocked.Token).ConfigureAwait(false);
                refreshed = true;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                throw new KafkaTimeoutException($"{Name} was closed while this record for '{record.Topic}' waited for the topic's metadata or for buffer space; it was not sent.");
            }
            catch (OperationCanceledException)
            {
                var waited = Stopwatch.GetElapsedTime(record.Since).TotalSeconds;
                lock (_gate)
                {
                    if (!_topics.ContainsKey(record.Topic))
                    {
                        throw new UnknownTopicOrPartitionException(record.Topic, null,
                            $"Topic '{record.Topic}' is not in the cluster's metadata after waiting {waited:0.###} s (ProducerOptions.MaxBlock " +
                            $"{_options.MaxBlock.TotalSeconds:0.###} s); it does not exist or has no partitions yet" +
                            (_options.AllowAutoCreateTopics ? "." : ", and AllowAutoCreateTopics is false."));
                    }
                }
                throw new KafkaTimeoutException(
                    $"{Name} could not take a record for '{record.Topic}' within MaxBlock ({_options.MaxBlock.TotalSeconds:0.###} s): " +
                    $"BufferMemory ({_options.BufferMemory} bytes) stayed full of records waiting to be acknowledged.");
            }
        }
    }

    /// <summary>Waits for metadata naming <paramref name="topic"/> (adding it to the wanted topics) and makes its queues.</summary>
    private async Task EnsureTopicAsync(string topic, CancellationToken cancellationToken)
    {
        lock (_gate) WantTopic(topic);
        while (true)
        {
            ClusterMetadata view;
            try
            {
                view = await _metadata.RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaException) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_options.RetryBackoff, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (view.Topics.TryGetValue(topic, out var metadata))
            {
                if (metadata.Error is ErrorCode.TopicAuthorizationFailed)
                    throw new KafkaAuthorizationException($"Not authorized to write to topic '{topic}' (TOPIC_AUTHORIZATION_FAILED in its metadata).");
                if (metadata.Partitions.Count > 0)
                {
                    lock (_gate) UpdateTopicsLocked(view);
                    return;
                }
            }
            await Task.Delay(_options.RetryBackoff, cancellationToken).ConfigureAwait(false);
        }
    }

    private void WantTopic(string topic)
    {
        var wanted = new HashSet<string>(_topics.Keys, StringComparer.Ordinal) { topic };
        foreach (var t in _pendingTopics) wanted.Add(t);
        _pendingTopics.Add(topic);
        _metadata.SetWantedTopics(wanted);
    }

    private readonly HashSet<string> _pendingTopics = new(StringComparer.Ordinal);

    /// <summary>Makes or grows the queues of every wanted topic the view describes (partitions are only ever added).</summary>
    private void UpdateTopicsLocked(ClusterMetadata view)
    {
        foreach (var (name, metadata) in view.Topics)
        {
            if (metadata.Partitions.Count == 0) continue;
            if (_topics.TryGetValue(name, out var queues))
            {
                if (metadata.Partitions.Count > queues.Partitions.Length)
                {
                    var grown = new PartitionQueue[metadata.Partitions.Count];
                    Array.Copy(queues.Partitions, grown, queues.Partitions.Length);
                    for (var i = queues.Partitions.Length; i < grown.Length; i++) grown[i] = new PartitionQueue(new TopicPartition(name, i));
                    queues.Partitions = grown;
                }
            }
            else if (_pendingTopics.Contains(name))
            {
                var partitions = new PartitionQueue[metadata.Partitions.Count];
                for (var i = 0; i < partitions.Length; i++) partitions[i] = new PartitionQueue(new TopicPartition(name, i));
                _topics[name] = new TopicQueues(name, partitions);
            }
        }
    }

    private void AppendLocked(TopicQueues queues, int? explicitPartition, ReadOnlySpan<byte> key, bool keyIsNull,
        ReadOnlySpan<byte> value, bool valueIsNull, int headerCount, ReadOnlySpan<byte> headers, long timestamp, RecordCompletion completion)
    {
        int partition;
        if (explicitPartition is int p)
        {
            partition = p;
        }
        else if (!keyIsNull)
        {
            partition = DefaultPartitioner.Partition(key, queues.Partitions.Length);
        }
        else
        {
            if (queues.StickyPartition < 0 || queues.StickyPartition >= queues.Partitions.Length)
                queues.StickyPartition = PickStickyPartition(queues);
            partition = queues.StickyPartition;
        }

        var queue = queues.Partitions[partition];
        var batch = queue.Open;
        var keyLength = keyIsNull ? -1 : key.Length;
        var valueLength = valueIsNull ? -1 : value.Length;
        var signal = false;
        if (batch is not null && batch.Count > 0
            && (batch.Writer.SizeInBytes + batch.Writer.SizeOfNext(timestamp, keyLength, valueLength, headerCount, headers.Length) > _options.BatchSize
                || batch.Count >= PooledRecordBatchWriter.MaxRecords))
        {
            CloseOpenBatch(queues, queue);
            batch = null;
        }
        if (batch is null)
        {
            var size = PooledRecordBatchWriter.MaxRecordSize(keyLength, valueLength, headerCount, headers.Length) + PooledRecordBatchWriter.HeaderSize;
            batch = new ProducerBatch(queue, ++_nextBatchId, Math.Max(size, Math.Min(_options.BatchSize, 1 << 20)), _options.DeliveryTimeout,
                _bufferPool, _completionArrays);
            queue.Open = batch;
            signal = true; // the sender must learn when this batch's linger ends
        }

        var written = batch.Writer.Append(timestamp, key, keyIsNull, value, valueIsNull, headerCount, headers);
        completion.Timestamp = timestamp;
        batch.Add(completion);
        batch.BufferedBytes += written;
        _bufferedBytes += written;
        _pendingRecords++;
        if (batch.Writer.SizeInBytes >= _options.BatchSize)
        {
            CloseOpenBatch(queues, queue);
            signal = true;
        }
        if (signal) _signal.Set();
    }

    /// <summary>KIP-480: a random partition, preferring one with a leader, kept until its batch closes.</summary>
    private int PickStickyPartition(TopicQueues queues)
    {
        var view = _metadata.Current;
        var count = queues.Partitions.Length;
        var start = Random.Shared.Next(count);
        for (var i = 0; i < count; i++)
        {
            var candidate = (start + i) % count;
            if (view.LeaderFor(queues.Partitions[candidate].Partition) is not null) return candidate;
        }
        return start;
    }

    /// <summary>Closes the open batch of <paramref name="queue"/> and moves the sticky partition on when it was this one.</summary>
    private static void CloseOpenBatch(TopicQueues? queues, PartitionQueue queue)
    {
        if (queue.Open is not { } open) return;
        open.Closed = true;
        queue.Ready.Enqueue(open);
        queue.Open = null;
        if (queues is not null && queues.StickyPartition == queue.Partition.Partition) queues.StickyPartition = -1;
    }

    /// <summary>Completes once every record accepted before the call (and any accepted meanwhile) is acknowledged or
    /// failed; batches still lingering are sent at once.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_pendingRecords == 0 && _blocked.Count == 0) return;
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushWaiters.Add(waiter);
            _flushing++;
        }
        _signal.Set();
        try
        {
            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _flushing--;
                _flushWaiters.Remove(waiter);
            }
        }
    }

    /// <summary>Bookkeeping once a batch is settled (under the lock): buffer space and flush waiters.</summary>
    private void SettledLocked(ProducerBatch batch)
    {
        _pendingRecords -= batch.Count;
        _bufferedBytes -= batch.BufferedBytes;
        if (_spaceWaiters.Count > 0)
        {
            foreach (var w in _spaceWaiters) w.TrySetResult();
            _spaceWaiters.Clear();
        }
        CheckFlushedLocked();
    }

    private void CheckFlushedLocked()
    {
        if (_pendingRecords == 0 && _blocked.Count == 0)
        {
            foreach (var w in _flushWaiters) w.TrySetResult();
        }
    }

    private ObjectDisposedException Closed() =>
        new(Name, $"{Name} is closed (disposed); it accepts no more records.");

    /// <summary>Refuses new records, sends what is buffered within <see cref="ProducerOptions.CloseTimeout"/>, fails the
    /// rest with <see cref="KafkaTimeoutException"/>, then stops the sender and closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_closed) return;
            _closed = true;
        }
        try
        {
            using var timeout = new CancellationTokenSource(_options.CloseTimeout);
            await FlushAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Reported below: what is still pending fails with a clear reason.
        }
        lock (_gate) _stopped = true;
        _stopping.Cancel();
        _signal.Set();
        try
        {
            await _sender.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        List<ProducerBatch> abandoned = [];
        lock (_gate)
        {
            foreach (var queues in _topics.Values)
            {
                foreach (var queue in queues.Partitions)
                {
                    if (queue.Open is { } open) abandoned.Add(open);
                    abandoned.AddRange(queue.Failed);
                    abandoned.AddRange(queue.Ready);
                    abandoned.AddRange(queue.InFlight);
                    queue.Open = null;
                    queue.Failed.Clear();
                    queue.Ready.Clear();
                    queue.InFlight.Clear();
                }
            }
            foreach (var b in abandoned) SettledLocked(b);
            foreach (var w in _spaceWaiters) w.TrySetException(Closed());
            _spaceWaiters.Clear();
        }
        var error = new KafkaTimeoutException(
            $"{Name} was closed before these records were acknowledged within CloseTimeout ({_options.CloseTimeout.TotalSeconds:0.###} s); " +
            "those sent may or may not have been written.");
        foreach (var b in abandoned) b.Fail(error);
        await _pool.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
        _stopping.Dispose();
    }

    /// <summary>A wake-up for the sender loop: set by appenders (new or full batch), answers, flushes and close.</summary>
    private sealed class SenderSignal
    {
        private readonly object _lock = new();
        private TaskCompletionSource? _waiter;
        private bool _set;

        public void Set()
        {
            TaskCompletionSource? waiter;
            lock (_lock)
            {
                if (_set) return;
                _set = true;
                waiter = _waiter;
                _waiter = null;
            }
            waiter?.TrySetResult();
        }

        public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            TaskCompletionSource waiter;
            lock (_lock)
            {
                if (_set)
                {
                    _set = false;
                    return;
                }
                waiter = _waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            if (timeout > TimeSpan.Zero)
            {
                using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var delay = Task.Delay(timeout, cancel.Token);
                await Task.WhenAny(waiter.Task, delay).ConfigureAwait(false);
                cancel.Cancel();
            }
            lock (_lock)
            {
                _set = false;
                if (ReferenceEquals(_waiter, waiter)) _waiter = null;
            }
        }
    }
}
