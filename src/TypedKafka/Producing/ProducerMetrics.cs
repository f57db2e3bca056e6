using System.Diagnostics.Metrics;

namespace TypedKafka.Producing;

/// <summary>
/// The producer's figures on the <c>TypedKafka</c> meter (the consumer's), tagged with <c>client.id</c>: records
/// acknowledged (<c>messaging.client.sent.messages</c>), request bytes, records failed, batch retries and epoch bumps.
/// Updated once per batch or request, never per record.
/// </summary>
internal sealed class ProducerMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _bumps;
    private readonly KeyValuePair<string, object?> _clientTag;
    private long _sentTotal;

    public ProducerMetrics(string clientId)
    {
        _clientTag = new("client.id", clientId);
        _meter = new Meter(Metrics.ConsumerMetrics.MeterName);
        _sent = _meter.CreateCounter<long>("messaging.client.sent.messages", "{message}", "Records the broker acknowledged.");
        _bytes = _meter.CreateCounter<long>("typedkafka.producer.bytes_sent", "By", "Bytes of record batches sent in Produce requests (retries included).");
        _errors = _meter.CreateCounter<long>("typedkafka.producer.record_errors", "{record}", "Records that failed (their ProduceAsync threw).");
        _retries = _meter.CreateCounter<long>("typedkafka.producer.batch_retries", "{batch}", "Batches sent again after a retriable failure.");
        _bumps = _meter.CreateCounter<long>("typedkafka.producer.epoch_bumps", "{bump}", "Producer epoch bumps or new producer ids after a lost sequence (KIP-360).");
    }

    /// <summary>Records acknowledged so far.</summary>
    public long SentTotal => Interlocked.Read(ref _sentTotal);

    public void OnSent(int records)
    {
        Interlocked.Add(ref _sentTotal, records);
        _sent.Add(records, _clientTag);
    }

    public void OnRequest(long bytes) => _bytes.Add(bytes, _clientTag);

    public void OnErrors(int records)
    {
        if (records > 0) _errors.Add(records, _clientTag);
    }

    public void OnRetries(int batches)
    {
        Interlocked.Add(ref _retriesTotal, batches);
        _retries.Add(batches, _clientTag);
    }

    private long _retriesTotal;

    /// <summary>Batch retries so far.</summary>
    public long RetriesTotal => Interlocked.Read(ref _retriesTotal);

    public void OnEpochBump() => _bumps.Add(1, _clientTag);

    public void Dispose() => _meter.Dispose();
}
