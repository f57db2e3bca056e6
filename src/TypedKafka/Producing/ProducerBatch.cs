using System.Buffers;
using System.Diagnostics;
using TypedKafka.Protocol;

namespace TypedKafka.Producing;

/// <summary>
/// One record batch of one partition, from its first record to its acknowledgement: the encoded records (pooled), the
/// completion of each record, and the idempotence and retry state of the batch.
/// </summary>
/// <remarks>Guarded by the producer's <c>_gate</c>, except <see cref="Writer"/> once <see cref="Closed"/> (then only the
/// sender loop touches it, to compress and stamp).</remarks>
internal sealed class ProducerBatch
{
    private RecordCompletion[] _completions;

    private readonly ArrayPool<RecordCompletion> _completionPool;

    public ProducerBatch(PartitionQueue queue, long id, int capacity, TimeSpan deliveryTimeout, ArrayPool<byte> bufferPool, ArrayPool<RecordCompletion> completionPool)
    {
        Queue = queue;
        Id = id;
        Writer = new PooledRecordBatchWriter(capacity, bufferPool);
        _completionPool = completionPool;
        _completions = completionPool.Rent(128);
        CreatedAt = Stopwatch.GetTimestamp();
        DeadlineAt = CreatedAt + (long)(deliveryTimeout.TotalSeconds * Stopwatch.Frequency);
    }

    public PartitionQueue Queue { get; }

    /// <summary>Increases with every batch the producer makes: orders retries when there are no sequence numbers.</summary>
    public long Id { get; }

    public PooledRecordBatchWriter Writer { get; }

    public long CreatedAt { get; }

    public long DeadlineAt { get; }

    public int Count => Writer.Count;

    /// <summary>Bytes counted against <see cref="ProducerOptions.BufferMemory"/>.</summary>
    public long BufferedBytes { get; set; }

    /// <summary>No more records are appended (full, lingered long enough, flushed).</summary>
    public bool Closed { get; set; }

    /// <summary>The sequence number of the first record, -1 until the batch is first drained (idempotence only).</summary>
    public int BaseSequence { get; set; } = -1;

    /// <summary>The producer id and epoch the batch was stamped with; a bump makes them stale.</summary>
    public long StampedProducerId { get; set; } = long.MinValue;

    public short StampedEpoch { get; set; } = -1;

    public int StampedSequence { get; set; } = int.MinValue;

    public int Attempts { get; set; }

    /// <summary>A send failed without an answer (lost connection, timeout): the broker may have written the batch.
    /// Only a later answer for the same sequence resolves it; it must not be re-sequenced before.</summary>
    public bool Unresolved { get; set; }

    /// <summary>Consecutive OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID answers while this batch was the oldest unacknowledged one.</summary>
    public int SequenceRejections { get; set; }

    public Exception? LastError { get; set; }

    public void Add(RecordCompletion completion)
    {
        var index = Writer.Count - 1;
        if (index >= _completions.Length)
        {
            var bigger = _completionPool.Rent(_completions.Length * 2);
            Array.Copy(_completions, bigger, _completions.Length);
            _completionPool.Return(_completions, clearArray: true);
            _completions = bigger;
        }
        _completions[index] = completion;
    }

    /// <summary>Completes every record (outside the producer's lock) and returns the buffers.</summary>
    public void Complete(long baseOffset, long logAppendTime)
    {
        var topic = Queue.Partition.Topic;
        var partition = Queue.Partition.Partition;
        var count = Count;
        for (var i = 0; i < count; i++)
        {
            var completion = _completions[i];
            var offset = baseOffset < 0 ? -1 : baseOffset + i;
            completion.SetResult(new DeliveryResult(topic, partition, offset, logAppendTime >= 0 ? logAppendTime : completion.Timestamp));
        }
        Release(count);
    }

    /// <summary>Fails every record (outside the producer's lock) and returns the buffers.</summary>
    public void Fail(Exception error)
    {
        var count = Count;
        for (var i = 0; i < count; i++) _completions[i].SetException(error);
        Release(count);
    }

    private void Release(int count)
    {
        Array.Clear(_completions, 0, count);
        _completionPool.Return(_completions);
        _completions = [];
        Writer.Dispose();
    }

    public override string ToString() => $"batch of {Count} records for {Queue.Partition} (sequence {BaseSequence}, attempt {Attempts})";
}

/// <summary>The producer's state for one partition: the batch being filled, closed batches in order, batches in flight
/// (oldest first) and those waiting to be retried, and the next sequence number.</summary>
/// <remarks>Guarded by the producer's <c>_gate</c>.</remarks>
internal sealed class PartitionQueue(TopicPartition partition)
{
    public TopicPartition Partition { get; } = partition;

    public ProducerBatch? Open { get; set; }

    public Queue<ProducerBatch> Ready { get; set; } = new();

    public List<ProducerBatch> InFlight { get; } = [];

    /// <summary>Batches whose send failed retriably; put back at the head of <see cref="Ready"/> (in order) once nothing
    /// of this partition is in flight, so that a retry never overtakes an older batch.</summary>
    public List<ProducerBatch> Failed { get; } = [];

    public int NextSequence { get; set; }

    /// <summary>When the partition may send again after a retriable failure (a Stopwatch timestamp).</summary>
    public long RetryAt { get; set; }

    public bool IsEmpty => Open is null && Ready.Count == 0 && InFlight.Count == 0 && Failed.Count == 0;
}

/// <summary>The producer's state for one topic: one queue per partition and the sticky partition for null keys (KIP-480).</summary>
internal sealed class TopicQueues(string name, PartitionQueue[] partitions)
{
    public string Name { get; } = name;

    public PartitionQueue[] Partitions { get; set; } = partitions;

    /// <summary>Where null-keyed records go until that partition's batch closes; -1 picks a new one.</summary>
    public int StickyPartition { get; set; } = -1;
}
