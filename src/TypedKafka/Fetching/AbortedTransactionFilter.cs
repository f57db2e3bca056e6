using TypedKafka.Protocol;

namespace TypedKafka.Fetching;

/// <summary>
/// read_committed filtering of one partition's fetched data: the broker lists the aborted transactions that overlap the
/// data (producer id and first offset); batches of a producer are skipped from that first offset until the producer's
/// abort marker. Batches must be presented in offset order.
/// </summary>
internal sealed class AbortedTransactionFilter
{
    private readonly FetchResponse.AbortedTransaction[] _pending;
    private int _next;
    private readonly HashSet<long> _abortedProducers = [];

    public AbortedTransactionFilter(IReadOnlyList<FetchResponse.AbortedTransaction> aborted)
    {
        _pending = [.. aborted.OrderBy(a => a.FirstOffset)];
    }

    /// <summary>True when <paramref name="batch"/> (a non-control batch) belongs to an aborted transaction.</summary>
    public bool IsAborted(in RecordBatchInfo batch)
    {
        Admit(batch.LastOffset);
        return batch.IsTransactional && _abortedProducers.Contains(batch.ProducerId);
    }

    /// <summary>A control batch was read: an abort marker ends the producer's aborted transaction.</summary>
    public void OnControlBatch(in RecordBatchInfo batch, ControlRecordType type)
    {
        Admit(batch.LastOffset);
        if (type == ControlRecordType.Abort) _abortedProducers.Remove(batch.ProducerId);
    }

    private void Admit(long lastOffset)
    {
        while (_next < _pending.Length && _pending[_next].FirstOffset <= lastOffset)
        {
            _abortedProducers.Add(_pending[_next].ProducerId);
            _next++;
        }
    }
}
