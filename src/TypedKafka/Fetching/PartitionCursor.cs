using TypedKafka.Protocol;

namespace TypedKafka.Fetching;

/// <summary>
/// Reads the records of one <see cref="CompletedFetch"/> for the application: skips control batches and (read_committed)
/// aborted transactions, and tracks the position the application has reached. Used by one caller at a time.
/// </summary>
internal sealed class PartitionCursor : IDisposable
{
    private readonly CompletedFetch _fetch;
    private readonly RecordSetReader _reader;
    private readonly RecordReadOptions _options;
    private readonly AbortedTransactionFilter? _aborted;
    private RecordBatchInfo _batch;
    private bool _inBatch;

    public PartitionCursor(CompletedFetch fetch, RecordReadOptions options, bool readCommitted, long position, int? positionEpoch)
    {
        _fetch = fetch;
        _options = options;
        _reader = new RecordSetReader(fetch.Records, options, position);
        _aborted = readCommitted && fetch.Aborted is { Count: > 0 } list ? new AbortedTransactionFilter(list) : null;
        Position = position;
        PositionEpoch = positionEpoch;
    }

    public TopicPartition Partition => _fetch.State.Partition;

    /// <summary>The next offset the application gets from this partition.</summary>
    public long Position { get; private set; }

    public int? PositionEpoch { get; private set; }

    /// <summary>True when every batch has been read.</summary>
    public bool IsExhausted { get; private set; }

    /// <summary>Records and bytes handed out since the last <see cref="TakeCounts"/> (for metrics).</summary>
    public int RecordsRead { get; private set; }
    public long BytesRead { get; private set; }

    public (int Records, long Bytes) TakeCounts()
    {
        var counts = (RecordsRead, BytesRead);
        RecordsRead = 0;
        BytesRead = 0;
        return counts;
    }

    /// <summary>The next record for the application; false when this fetch has no more.</summary>
    /// <exception cref="KafkaProtocolException">A batch is corrupt; the position stays before it.</exception>
    public bool TryReadNext(out Record record)
    {
        try
        {
            while (true)
            {
                if (_inBatch)
                {
                    if (_reader.TryReadNextRecord(out record))
                    {
                        Position = record.Offset + 1;
                        if (_batch.Magic >= 2) PositionEpoch = _batch.PartitionLeaderEpoch >= 0 ? _batch.PartitionLeaderEpoch : null;
                        RecordsRead++;
                        BytesRead += record.Key.Length + record.Value.Length;
                        return true;
                    }
                    // Compaction may have removed the batch's last records: its next offset still applies.
                    Position = Math.Max(Position, _batch.NextOffset);
                    _inBatch = false;
                }

                if (!_reader.TryReadNextBatch(out _batch))
                {
                    IsExhausted = true;
                    // Data past a truncated tail is refetched from the fetcher's next offset; nothing is lost.
                    record = default;
                    return false;
                }

                if (_batch.IsControl)
                {
                    var type = _reader.TryReadNextRecord(out var marker) ? marker.ControlType : ControlRecordType.Unknown;
                    _aborted?.OnControlBatch(_batch, type);
                    Position = Math.Max(Position, _batch.NextOffset);
                    continue;
                }

                if (_aborted is not null && _aborted.IsAborted(_batch))
                {
                    Position = Math.Max(Position, _batch.NextOffset);
                    continue;
                }

                _inBatch = true;
            }
        }
        catch (KafkaProtocolException e)
        {
            IsExhausted = true;
            _inBatch = false;
            throw new KafkaProtocolException(
                $"Corrupt data from {Partition} at offset {Math.Max(Position, _batch.BaseOffset)} (position {Position}): {e.Message}. " +
                "Seek past it to continue.",
                (short)ApiKey.Fetch, _fetch.ApiVersion, e.Position, e);
        }
    }

    /// <summary>Moves back so that <paramref name="offset"/> (a record just read from this fetch) is read again.</summary>
    public void Rewind(long offset, int? epoch)
    {
        _reader.Reset(_fetch.Records, _options, offset);
        _inBatch = false;
        IsExhausted = false;
        Position = offset;
        PositionEpoch = epoch;
    }

    public void Dispose() => _reader.Dispose();
}
