using TypedKafka.Consumer;
using TypedKafka.Fetching;
using TypedKafka.Protocol;

namespace TypedKafka;

/// <summary>
/// Fetched records of one partition as span views, from <c>KafkaConsumer.PollBatchAsync</c>: nothing is allocated per
/// record and no deserializer runs. Valid until the next call on the consumer that returned it (which reuses it).
/// Reading a record advances the partition's position past it; <see cref="Rewind"/> moves back to a record read from
/// this batch (e.g. when its handler failed).
/// </summary>
public sealed class ConsumerBatch
{
    private readonly ConsumerCore _core;
    private PartitionCursor? _cursor;

    internal ConsumerBatch(ConsumerCore core)
    {
        _core = core;
    }

    /// <summary>The partition the records belong to.</summary>
    public TopicPartition Partition { get; private set; }

    /// <summary>The next offset this batch will hand out (the partition's position once the batch is closed).</summary>
    public long Position => _cursor?.Position ?? -1;

    /// <summary>Reads the next record; its spans are valid until the next call on this batch or the consumer.
    /// Control records and aborted transactions (read_committed) are skipped.</summary>
    /// <exception cref="KafkaProtocolException">The data is corrupt; the position stays before it.</exception>
    /// <exception cref="InvalidOperationException">The batch was closed by a later call on the consumer.</exception>
    public bool TryReadNext(out Record record)
    {
        var cursor = _cursor ?? throw new InvalidOperationException("This batch is closed: a later call on the consumer replaced it.");
        try
        {
            return cursor.TryReadNext(out record);
        }
        catch (KafkaProtocolException)
        {
            _cursor = null;
            _core.Fail(cursor);
            throw;
        }
    }

    /// <summary>Moves back so that the record at <paramref name="offset"/> (read from this batch) is read again, by this
    /// batch or after the next poll.</summary>
    public void Rewind(long offset)
    {
        var cursor = _cursor ?? throw new InvalidOperationException("This batch is closed: a later call on the consumer replaced it.");
        if (offset > cursor.Position) throw new ArgumentOutOfRangeException(nameof(offset), offset, $"Offset {offset} has not been read yet (position {cursor.Position}).");
        cursor.Rewind(offset, null);
    }

    internal void Open(PartitionCursor cursor)
    {
        _cursor = cursor;
        Partition = cursor.Partition;
    }

    /// <summary>Publishes the position reached. Called by the consumer before anything else it does.</summary>
    internal void Close()
    {
        if (_cursor is null) return;
        var cursor = _cursor;
        _cursor = null;
        _core.Complete(cursor);
    }

    /// <summary>Copies a record's headers out of the fetch buffer (empty headers share one empty list).</summary>
    public static IReadOnlyList<Header> CopyHeaders(in Record record)
    {
        var headers = record.Headers;
        if (headers.Count == 0) return Array.Empty<Header>();
        var list = new Header[headers.Count];
        var i = 0;
        foreach (var header in headers)
        {
            list[i++] = header.IsValueNull
                ? new Header(header.GetKeyString(), ReadOnlyMemory<byte>.Empty) { IsValueNull = true }
                : new Header(header.GetKeyString(), header.Value.ToArray());
        }
        return list;
    }
}
