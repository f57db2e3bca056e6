using System.Diagnostics;
using TypedKafka.Connections;
using TypedKafka.Protocol;

namespace TypedKafka.Producing;

internal sealed partial class ProducerCore
{
    private readonly Dictionary<int, BrokerSlot> _brokers = [];
    private long _producerId = -1;
    private short _epoch = -1;
    private bool _bumpNeeded;
    private long _metadataVersion = -1;
    private Task? _metadataRefresh;
    private int _initFailures;
    private bool _bumpRefused;

    /// <summary>
    /// One batch in flight per partition (up to MaxInFlightRequestsPerConnection requests per broker, each carrying
    /// other partitions). A broker that checks sequences would refuse a later batch whose predecessor failed, but not
    /// every broker does: librdkafka's mock checks them only for transactional producers, and without idempotence no
    /// broker does. With one batch per partition in flight the order cannot depend on the broker.
    /// </summary>
    private const int MaxInFlightPerPartition = 1;

    /// <summary>The sender loop: keeps the producer id, refreshes metadata, drains ready batches into Produce requests
    /// (one per leader broker, at most <see cref="ProducerOptions.MaxInFlightRequestsPerConnection"/> in flight per
    /// broker), expires batches past their delivery timeout, then sleeps until the next linger deadline or a signal.</summary>
    private async Task RunSenderAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            var wait = TimeSpan.FromMilliseconds(250);
            try
            {
                ObserveMetadata();
                if (_options.EnableIdempotence && NeedsProducerId())
                {
                    if (!await InitProducerIdAsync(stopping).ConfigureAwait(false))
                    {
                        await _signal.WaitAsync(Backoff(++_initFailures), stopping).ConfigureAwait(false);
                        continue;
                    }
                    _initFailures = 0;
                }
                var expired = ExpireBatches();
                foreach (var (batch, error) in expired) batch.Fail(error);
                var requests = Drain(ref wait);
                foreach (var request in requests) Dispatch(request);
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                // Nothing may stop the loop: a failure here is reported on the records it concerns by the handlers,
                // and the loop tries again after a pause.
                _lastLoopError = e;
                wait = _options.RetryBackoff;
            }
            await _signal.WaitAsync(wait, stopping).ConfigureAwait(false);
        }
    }

    private Exception? _lastLoopError;

    /// <summary>The error of the last retried batch (for diagnostics and tests).</summary>
    internal Exception? LastRetryError { get; private set; }

    /// <summary>The last unexpected error of the sender loop (kept for diagnostics and tests).</summary>
    internal Exception? LastLoopError => _lastLoopError;

    private void ObserveMetadata()
    {
        var view = _metadata.Current;
        if (view.Version != _metadataVersion)
        {
            lock (_gate) UpdateTopicsLocked(view);
            _metadataVersion = view.Version;
        }
        if (_metadataRefresh is null && _metadata.NeedsRefresh && (_topics.Count > 0 || _pendingTopics.Count > 0))
        {
            _metadataRefresh = RefreshMetadataAsync();
        }
    }

    private async Task RefreshMetadataAsync()
    {
        try
        {
            await _metadata.RefreshAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KafkaException or OperationCanceledException or ObjectDisposedException)
        {
            // Retried at the next loop that finds metadata stale; records wait meanwhile within their delivery timeout.
            if (!_stopping.IsCancellationRequested) await Task.Delay(_options.RetryBackoff).ConfigureAwait(false);
        }
        finally
        {
            _metadataRefresh = null;
            _signal.Set();
        }
    }

    private bool NeedsProducerId()
    {
        lock (_gate)
        {
            if (_producerId >= 0 && !_bumpNeeded) return false;
            if (_pendingRecords == 0 && _producerId >= 0) return false;
            if (_producerId < 0) return _pendingRecords > 0;
            // KIP-360 bump: only once nothing is in flight and no batch's fate is unknown; until then the loop keeps
            // sending the unresolved batches with their old epoch and sequence (the broker deduplicates them).
            foreach (var queues in _topics.Values)
            {
                foreach (var q in queues.Partitions)
                {
                    if (q.InFlight.Count > 0 || q.Failed.Count > 0) return false;
                    foreach (var b in q.Ready)
                        if (b.Unresolved) return false;
                }
            }
            return true;
        }
    }

    /// <summary>InitProducerId: a new producer id, or (KIP-360, InitProducerId v3+) the same id with the epoch bumped.
    /// After it every partition's sequence restarts at 0 and queued batches are stamped anew.</summary>
    private async Task<bool> InitProducerIdAsync(CancellationToken cancellationToken)
    {
        try
        {
            var view = _metadata.Current;
            var candidates = view.Brokers.Count > 0 ? view.Brokers.Values.ToList() : (IReadOnlyList<BrokerEndpoint>)_pool.Bootstrap;
            var connection = await _pool.GetAnyAsync(candidates, cancellationToken).ConfigureAwait(false);
            var version = connection.Versions.Pick(ApiKey.InitProducerId, broker: connection.Endpoint.ToString());
            long producerId;
            short epoch;
            lock (_gate)
            {
                producerId = _producerId;
                epoch = _epoch;
            }
            var bump = producerId >= 0 && version >= 3 && epoch < short.MaxValue - 1 && !_bumpRefused;
            var request = new InitProducerIdRequest
            {
                TransactionalId = null,
                TransactionTimeoutMs = int.MaxValue,
                ProducerId = bump ? producerId : -1,
                ProducerEpoch = bump ? epoch : (short)-1,
            };
            var response = await connection.RequestAsync<InitProducerIdResponse>(request, version, cancellationToken).ConfigureAwait(false);
            var error = (ErrorCode)response.ErrorCode;
            if (error == ErrorCode.None)
            {
                lock (_gate)
                {
                    _producerId = response.ProducerId;
                    _epoch = response.ProducerEpoch;
                    _bumpNeeded = false;
                    foreach (var queues in _topics.Values)
                    {
                        foreach (var q in queues.Partitions)
                        {
                            q.NextSequence = 0;
                            foreach (var b in q.Ready)
                            {
                                b.BaseSequence = -1;
                                b.SequenceRejections = 0;
                            }
                        }
                    }
                }
                if (bump || producerId >= 0) _metrics.OnEpochBump();
                return true;
            }
            if (bump && !ErrorCodes.IsRetriable(error))
            {
                // A broker that cannot bump the epoch of a non-transactional producer (librdkafka's mock answers
                // INVALID_PRODUCER_ID_MAPPING) still hands out a new producer id, which restarts sequences just as well.
                _bumpRefused = true;
                return false;
            }
            if (error is ErrorCode.ClusterAuthorizationFailed or ErrorCode.TransactionalIdAuthorizationFailed)
            {
                FailEverything(new KafkaAuthorizationException(
                    $"{Name} is not authorized to use idempotence ({ErrorCodes.KafkaName(error)} from InitProducerId at {connection.Endpoint}): " +
                    "the principal needs IDEMPOTENT_WRITE on the cluster, or set EnableIdempotence to false."));
                return true;
            }
            if (!ErrorCodes.IsRetriable(error) && error is not (ErrorCode.CoordinatorLoadInProgress or ErrorCode.ConcurrentTransactions))
            {
                FailEverything(new KafkaBrokerException(error, $"InitProducerId failed at {connection.Endpoint}: {ErrorCodes.KafkaName(error)}: {ErrorCodes.Describe(error)}"));
                return true;
            }
            return false;
        }
        catch (Exception e) when (e is KafkaException && !cancellationToken.IsCancellationRequested)
        {
            if (e is UnsupportedVersionException)
            {
                FailEverything(new KafkaException($"{Name} cannot use idempotence: {e.Message} Set EnableIdempotence to false for this broker.", e));
                return true;
            }
            return false;
        }
    }

    /// <summary>A fatal producer-wide error: every record buffered and every later one fails with it.</summary>
    private void FailEverything(Exception error)
    {
        List<ProducerBatch> failed = [];
        lock (_gate)
        {
            _fatal = error;
            foreach (var queues in _topics.Values)
            {
                foreach (var q in queues.Partitions)
                {
                    if (q.Open is { } open) failed.Add(open);
                    failed.AddRange(q.Ready);
                    failed.AddRange(q.Failed);
                    q.Open = null;
                    q.Ready.Clear();
                    q.Failed.Clear();
                }
            }
            foreach (var b in failed) SettledLocked(b);
        }
        foreach (var b in failed) b.Fail(error);
        _metrics.OnErrors(failed.Sum(b => b.Count));
    }

    /// <summary>Fails batches past their delivery timeout that are not in flight (those end with their request).</summary>
    private List<(ProducerBatch, Exception)> ExpireBatches()
    {
        List<(ProducerBatch, Exception)> expired = [];
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            foreach (var queues in _topics.Values)
            {
                foreach (var q in queues.Partitions)
                {
                    if (q.InFlight.Count > 0 || q.Failed.Count > 0) continue;
                    if (q.Ready.Count == 0 && q.Open is null) continue;
                    if ((q.Ready.Count > 0 ? q.Ready.Peek() : q.Open)!.DeadlineAt > now) continue;
                    if (q.Open is { } open && open.DeadlineAt <= now) CloseOpenBatch(queues, q);
                    while (q.Ready.Count > 0 && q.Ready.Peek().DeadlineAt <= now)
                    {
                        var b = q.Ready.Dequeue();
                        var sent = b.Attempts > 0;
                        var error = new KafkaTimeoutException(
                            $"{b.Count} records for {q.Partition} were not acknowledged within DeliveryTimeout ({_options.DeliveryTimeout.TotalSeconds:0.###} s) " +
                            $"after {b.Attempts} attempts" + (b.LastError is { } last ? $"; last error: {last.Message}" : "") +
                            (b.Unresolved ? " (an attempt got no answer, so they may have been written)." : "."),
                            b.LastError);
                        expired.Add((b, error));
                        SettledLocked(b);
                        // A batch that had a sequence number leaves a gap the broker would refuse: restart sequences.
                        if (sent && _options.EnableIdempotence) _bumpNeeded = true;
                    }
                }
            }
        }
        if (expired.Count > 0) _metrics.OnErrors(expired.Sum(e => e.Item1.Count));
        return expired;
    }

    private sealed record PendingRequest(BrokerSlot Broker, BrokerConnection Connection, List<ProducerBatch> Batches);

    /// <summary>Takes, per leader broker with a free request slot, the head batch of every partition that may send
    /// (closed, or open past its linger, or flushing), assigning sequence numbers in order. Sets <paramref name="wait"/>
    /// to the next linger or retry deadline.</summary>
    private List<PendingRequest> Drain(ref TimeSpan wait)
    {
        List<PendingRequest> requests = [];
        var now = Stopwatch.GetTimestamp();
        var lingerTicks = (long)(_options.Linger.TotalSeconds * Stopwatch.Frequency);
        var view = _metadata.Current;
        Dictionary<int, (BrokerSlot Slot, List<ProducerBatch> Batches, int Bytes)>? building = null;
        var needMetadata = false;
        lock (_gate)
        {
            if (_options.EnableIdempotence && _producerId < 0) return requests;
            var flushing = _flushing > 0 || _closed;
            foreach (var queues in _topics.Values)
            {
                foreach (var q in queues.Partitions)
                {
                    if (q.Failed.Count > 0) continue; // waits for its in-flight batches to settle
                    if (q.Ready.Count == 0)
                    {
                        if (q.Open is not { } open) continue;
                        var due = open.CreatedAt + lingerTicks;
                        if (due > now && !flushing)
                        {
                            wait = Min(wait, Stopwatch.GetElapsedTime(now, due));
                            continue;
                        }
                    }
                    if (q.RetryAt > now)
                    {
                        wait = Min(wait, Stopwatch.GetElapsedTime(now, q.RetryAt));
                        continue;
                    }
                    if (q.InFlight.Count >= MaxInFlightPerPartition) continue;
                    var head = q.Ready.Count > 0 ? q.Ready.Peek() : q.Open!;
                    // Before a bump only partitions holding a batch of unknown fate send (old epoch and sequences), to settle it.
                    if (_bumpNeeded && !AnyUnresolved(q)) continue;
                    if (view.LeaderFor(q.Partition) is not { } leader)
                    {
                        needMetadata = true;
                        continue;
                    }
                    var slot = Slot(leader);
                    if (slot.Connection is not { IsAlive: true } connection)
                    {
                        Connect(slot);
                        continue;
                    }
                    if (slot.InFlight >= _options.MaxInFlightRequestsPerConnection) continue;
                    building ??= [];
                    if (!building.TryGetValue(leader.NodeId, out var entry)) entry = (slot, [], 128);
                    var size = head.Writer.SizeInBytes + q.Partition.Topic.Length + 16;
                    if (entry.Batches.Count > 0 && entry.Bytes + size > _options.MaxRequestSize) continue;
                    if (ReferenceEquals(head, q.Open)) CloseOpenBatch(queues, q);
                    q.Ready.Dequeue();
                    if (_options.EnableIdempotence && head.BaseSequence < 0)
                    {
                        head.BaseSequence = q.NextSequence;
                        q.NextSequence = unchecked(q.NextSequence + head.Count) & int.MaxValue;
                    }
                    head.Attempts++;
                    q.InFlight.Add(head);
                    entry.Batches.Add(head);
                    building[leader.NodeId] = (slot, entry.Batches, entry.Bytes + size);
                }
            }
            if (building is not null)
            {
                foreach (var (slot, batches, _) in building.Values)
                {
                    slot.InFlight++;
                    requests.Add(new PendingRequest(slot, slot.Connection!, batches));
                }
            }
        }
        if (needMetadata) _metadata.RequestRefresh();
        return requests;
    }

    private static bool AnyUnresolved(PartitionQueue q)
    {
        foreach (var b in q.Ready)
            if (b.Unresolved) return true;
        return false;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private BrokerSlot Slot(BrokerEndpoint leader)
    {
        if (!_brokers.TryGetValue(leader.NodeId, out var slot) || slot.Endpoint != leader)
            _brokers[leader.NodeId] = slot = new BrokerSlot(leader);
        return slot;
    }

    /// <summary>Starts (once) getting a connection to the broker; the loop is woken when it is there or failed.</summary>
    private void Connect(BrokerSlot slot)
    {
        if (slot.Connecting is not null) return;
        slot.Connection = null;
        slot.Connecting = ConnectAsync(slot);
    }

    private async Task ConnectAsync(BrokerSlot slot)
    {
        await Task.Yield(); // so that Connecting is set before this can finish
        try
        {
            var connection = await _pool.GetAsync(slot.Endpoint, _stopping.Token).ConfigureAwait(false);
            lock (_gate) slot.Connection = connection;
        }
        catch (Exception e) when (e is KafkaException or OperationCanceledException or ObjectDisposedException)
        {
            // The pool backs off before the next attempt; the leader may also have moved.
            _metadata.RequestRefresh();
        }
        finally
        {
            lock (_gate) slot.Connecting = null;
            _signal.Set();
        }
    }

    /// <summary>Compresses and stamps the batches (outside the lock: the sender loop owns closed batches), builds the
    /// request and hands it to the connection in drain order, which is wire order.</summary>
    private void Dispatch(PendingRequest pending)
    {
        long producerId;
        short epoch;
        lock (_gate)
        {
            producerId = _producerId;
            epoch = _epoch;
        }
        var request = new ProduceRequest
        {
            Acks = (short)_options.Acks,
            TimeoutMs = (int)_options.RequestTimeout.TotalMilliseconds,
        };
        var bytes = 0L;
        foreach (var batch in pending.Batches)
        {
            batch.Writer.Seal(_codec);
            var (pid, ep, seq) = _options.EnableIdempotence ? (producerId, epoch, batch.BaseSequence) : (-1L, (short)-1, -1);
            // An unresolved batch keeps the id, epoch and sequence it was first sent with, so the broker can recognise it.
            if (batch.StampedSequence == int.MinValue || (!batch.Unresolved && (batch.StampedProducerId != pid || batch.StampedEpoch != ep || batch.StampedSequence != seq)))
            {
                batch.Writer.Stamp(pid, ep, seq);
                batch.StampedProducerId = pid;
                batch.StampedEpoch = ep;
                batch.StampedSequence = seq;
            }
            var topic = request.TopicData.Find(t => t.Name == batch.Queue.Partition.Topic);
            if (topic is null) request.TopicData.Add(topic = new ProduceRequest.TopicProduceData { Name = batch.Queue.Partition.Topic });
            topic.PartitionData.Add(new ProduceRequest.PartitionProduceData { Index = batch.Queue.Partition.Partition, Records = batch.Writer.Memory });
            bytes += batch.Writer.SizeInBytes;
        }
        short version;
        Task<ResponseFrame> sent;
        try
        {
            version = pending.Connection.Versions.Pick(ApiKey.Produce, broker: pending.Connection.Endpoint.ToString());
            if (version < 3)
            {
                throw new UnsupportedVersionException(
                    $"{pending.Connection.Endpoint} supports Produce only below v3, which cannot carry record batches (magic 2); TypedKafka's producer needs Kafka 0.11 or newer.",
                    (short)ApiKey.Produce, version);
            }
            sent = pending.Connection.SendAsync(request, version, pooled: false, _options.RequestTimeout, CancellationToken.None);
        }
        catch (Exception e)
        {
            sent = Task.FromException<ResponseFrame>(e);
            version = -1;
        }
        _metrics.OnRequest(bytes);
        _ = CompleteAsync(pending, sent, version);
    }

    private async Task CompleteAsync(PendingRequest pending, Task<ResponseFrame> sent, short version)
    {
        ProduceResponse? response = null;
        Exception? failure = null;
        try
        {
            var frame = await sent.ConfigureAwait(false);
            try
            {
                response = frame.Decode<ProduceResponse>();
            }
            finally
            {
                frame.Release();
            }
        }
        catch (Exception e)
        {
            failure = e;
        }
        List<(ProducerBatch Batch, long BaseOffset, long AppendTime)> succeeded = [];
        List<(ProducerBatch Batch, Exception Error)> failed = [];
        var retried = 0;
        lock (_gate)
        {
            pending.Broker.InFlight--;
            if (failure is not null && !pending.Connection.IsAlive && ReferenceEquals(pending.Broker.Connection, pending.Connection))
                pending.Broker.Connection = null;
            foreach (var batch in pending.Batches)
            {
                var q = batch.Queue;
                if (!q.InFlight.Remove(batch)) continue; // settled meanwhile (close)
                if (failure is not null)
                {
                    // No answer: the broker may or may not have written it.
                    var unsupported = failure is UnsupportedVersionException;
                    if (unsupported)
                    {
                        failed.Add((batch, failure));
                        continue;
                    }
                    batch.Unresolved = true;
                    Retry(batch, failure, ref retried, failed);
                    continue;
                }
                var partition = FindPartition(response!, q.Partition);
                var error = partition is null ? ErrorCode.UnknownServerError : (ErrorCode)partition.ErrorCode;
                Classify(batch, error, partition, ref retried, succeeded, failed);
            }
            foreach (var batch in pending.Batches) RequeueIfSettled(batch.Queue);
            foreach (var (batch, _, _) in succeeded) SettledLocked(batch);
            foreach (var (batch, _) in failed) SettledLocked(batch);
        }
        foreach (var (batch, baseOffset, appendTime) in succeeded)
        {
            _metrics.OnSent(batch.Count);
            batch.Complete(baseOffset, appendTime);
        }
        foreach (var (batch, error) in failed)
        {
            _metrics.OnErrors(batch.Count);
            batch.Fail(error);
        }
        if (retried > 0) _metrics.OnRetries(retried);
        _signal.Set();
    }

    private static ProduceResponse.PartitionProduceResponse? FindPartition(ProduceResponse response, TopicPartition tp)
    {
        foreach (var topic in response.Responses)
        {
            if (topic.Name != tp.Topic) continue;
            foreach (var p in topic.PartitionResponses)
                if (p.Index == tp.Partition) return p;
        }
        return null;
    }

    /// <summary>Decides what a partition's answer means for the batch (under the lock).</summary>
    private void Classify(ProducerBatch batch, ErrorCode error, ProduceResponse.PartitionProduceResponse? partition, ref int retried,
        List<(ProducerBatch, long, long)> succeeded, List<(ProducerBatch, Exception)> failed)
    {
        var q = batch.Queue;
        switch (error)
        {
            case ErrorCode.None:
            case ErrorCode.DuplicateSequenceNumber: // written by an earlier attempt
                batch.Unresolved = false;
                succeeded.Add((batch, partition!.BaseOffset, partition.LogAppendTimeMs));
                return;
            case ErrorCode.OutOfOrderSequenceNumber:
            case ErrorCode.UnknownProducerId:
            case ErrorCode.InvalidProducerEpoch:
            {
                var oldest = q.Failed.Count == 0 && q.InFlight.TrueForAll(b => b.Id > batch.Id);
                if (oldest)
                {
                    // The broker refused the oldest unacknowledged batch, so it did not write it. Once could be a fluke
                    // (an answer raced with a leader change); twice means the broker lost this producer's state (KIP-360):
                    // bump the epoch and restart sequences.
                    batch.Unresolved = false;
                    batch.SequenceRejections++;
                    if (batch.SequenceRejections >= 2 || error == ErrorCode.InvalidProducerEpoch) _bumpNeeded = true;
                }
                // Otherwise an older batch failed and this one's sequence ran ahead: it is retried after it.
                Retry(batch, Broker(error, q, partition), ref retried, failed);
                return;
            }
            case ErrorCode.MessageTooLarge:
            case ErrorCode.RecordListTooLarge:
                batch.Unresolved = false;
                failed.Add((batch, new RecordTooLargeException(q.Partition.Topic, q.Partition.Partition, batch.Writer.SizeInBytes,
                    $"The broker refused a batch of {batch.Count} records ({batch.Writer.SizeInBytes} bytes) for {q.Partition}: " +
                    $"{ErrorCodes.KafkaName(error)} (the topic's max.message.bytes or the broker's message.max.bytes is smaller).")));
                if (_options.EnableIdempotence) _bumpNeeded = true;
                return;
            case ErrorCode.TopicAuthorizationFailed:
            case ErrorCode.ClusterAuthorizationFailed:
                batch.Unresolved = false;
                failed.Add((batch, new KafkaAuthorizationException(
                    $"Not authorized to write to {q.Partition}: {ErrorCodes.KafkaName(error)}" + (partition?.ErrorMessage is { } m ? $" ({m})." : "."))));
                if (_options.EnableIdempotence) _bumpNeeded = true;
                return;
        }
        if (ErrorCodes.IsRetriable(error) || error is ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend)
        {
            if (error is ErrorCode.NotLeaderOrFollower or ErrorCode.LeaderNotAvailable or ErrorCode.UnknownTopicOrPartition
                or ErrorCode.FencedLeaderEpoch or ErrorCode.KafkaStorageError or ErrorCode.NotController)
            {
                _metadata.RequestRefresh();
            }
            // NOT_ENOUGH_REPLICAS_AFTER_APPEND means written but not replicated: the retry is deduplicated by sequence.
            if (error == ErrorCode.NotEnoughReplicasAfterAppend || error == ErrorCode.RequestTimedOut) batch.Unresolved = true;
            Retry(batch, Broker(error, q, partition), ref retried, failed);
            return;
        }
        batch.Unresolved = false;
        failed.Add((batch, Broker(error, q, partition)));
        if (_options.EnableIdempotence) _bumpNeeded = true;
    }

    private static KafkaBrokerException Broker(ErrorCode error, PartitionQueue q, ProduceResponse.PartitionProduceResponse? partition) =>
        new(error, $"Produce to {q.Partition} failed: {ErrorCodes.KafkaName(error)}: " +
            (partition?.ErrorMessage is { Length: > 0 } m ? m : ErrorCodes.Describe(error)));

    /// <summary>Puts the batch aside for a retry, or fails it when retries or its delivery timeout are used up.</summary>
    private void Retry(ProducerBatch batch, Exception error, ref int retried, List<(ProducerBatch, Exception)> failed)
    {
        batch.LastError = error;
        LastRetryError = error;
        var now = Stopwatch.GetTimestamp();
        if (batch.Attempts > _options.Retries || now >= batch.DeadlineAt)
        {
            var why = batch.Attempts > _options.Retries ? $"after {batch.Attempts} attempts (Retries {_options.Retries})" : $"within DeliveryTimeout ({_options.DeliveryTimeout.TotalSeconds:0.###} s)";
            failed.Add((batch, new KafkaTimeoutException(
                $"{batch.Count} records for {batch.Queue.Partition} were not acknowledged {why}; last error: {error.Message}" +
                (batch.Unresolved ? " (an attempt got no answer, so they may have been written)." : "."), error)));
            if (_options.EnableIdempotence) _bumpNeeded = true;
            return;
        }
        retried++;
        batch.Queue.Failed.Add(batch);
        batch.Queue.RetryAt = now + (long)(Backoff(batch.Attempts).TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>Once nothing of the partition is in flight, its failed batches go back to the head of its queue in
    /// sequence order (batch order without idempotence).</summary>
    private static void RequeueIfSettled(PartitionQueue q)
    {
        if (q.InFlight.Count > 0 || q.Failed.Count == 0) return;
        q.Failed.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        var merged = new Queue<ProducerBatch>(q.Failed.Count + q.Ready.Count);
        foreach (var b in q.Failed) merged.Enqueue(b);
        foreach (var b in q.Ready) merged.Enqueue(b);
        q.Failed.Clear();
        q.Ready = merged;
    }

    /// <summary>RetryBackoff × 2^(attempt−1), capped at RetryBackoffMax, ±20% jitter.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var ms = Math.Min(_options.RetryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 20)), _options.RetryBackoffMax.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (0.8 + 0.4 * Random.Shared.NextDouble()));
    }

    /// <summary>The sender's view of one broker: its connection and Produce requests in flight.</summary>
    private sealed class BrokerSlot(BrokerEndpoint endpoint)
    {
        public BrokerEndpoint Endpoint { get; } = endpoint;

        public BrokerConnection? Connection;

        public Task? Connecting;

        public int InFlight;
    }
}
