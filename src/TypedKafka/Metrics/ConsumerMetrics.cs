using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TypedKafka.Metrics;

/// <summary>
/// The consumer's figures: records and bytes consumed (totals and rates over the last 30 s), fetch latency, records
/// lag per partition, requests in flight and open connections. Served both by <c>Metrics()</c> and by a
/// <see cref="Meter"/> named <c>TypedKafka</c> whose instruments carry the <c>client.id</c> tag.
/// </summary>
/// <remarks>Thread-safe: counters are updated with interlocked operations, the rate window under <c>_gate</c>.</remarks>
internal sealed class ConsumerMetrics : IDisposable
{
    public const string MeterName = "TypedKafka";
    private const int WindowSeconds = 30;

    private readonly object _gate = new();
    private readonly long[] _recordBuckets = new long[WindowSeconds + 1];
    private readonly long[] _byteBuckets = new long[WindowSeconds + 1];
    private long _bucketSecond;
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _records;
    private long _bytes;
    private long _fetches;
    private double _fetchLatencyTotalMs;
    private double _fetchLatencyMaxMs;
    private readonly Meter _meter;
    private readonly Histogram<double> _fetchLatency;
    private readonly KeyValuePair<string, object?> _clientTag;
    private readonly Func<IEnumerable<(TopicPartition Partition, long Lag)>> _lags;
    private readonly Func<int> _inFlight;
    private readonly Func<int> _connections;

    public ConsumerMetrics(string clientId, Func<IEnumerable<(TopicPartition Partition, long Lag)>> lags, Func<int> inFlight, Func<int> connections)
    {
        _lags = lags;
        _inFlight = inFlight;
        _connections = connections;
        _clientTag = new("client.id", clientId);
        _meter = new Meter(MeterName);
        _meter.CreateObservableCounter("typedkafka.consumer.records_consumed", () => new Measurement<long>(Interlocked.Read(ref _records), _clientTag), "{record}", "Records handed to the application.");
        _meter.CreateObservableCounter("typedkafka.consumer.bytes_consumed", () => new Measurement<long>(Interlocked.Read(ref _bytes), _clientTag), "By", "Key and value bytes handed to the application.");
        _meter.CreateObservableGauge("typedkafka.consumer.records_consumed_rate", () => new Measurement<double>(Rates().Records, _clientTag), "{record}/s", "Records per second over the last 30 s.");
        _meter.CreateObservableGauge("typedkafka.consumer.records_lag", ObserveLag, "{record}", "High watermark minus position, per partition.");
        _meter.CreateObservableUpDownCounter("typedkafka.consumer.requests_in_flight", () => new Measurement<int>(_inFlight(), _clientTag), "{request}", "Requests awaiting a response.");
        _meter.CreateObservableUpDownCounter("typedkafka.consumer.connections", () => new Measurement<int>(_connections(), _clientTag), "{connection}", "Open broker connections.");
        _fetchLatency = _meter.CreateHistogram<double>("typedkafka.consumer.fetch_latency", "ms", "Time from sending a Fetch to its response.");
    }

    /// <summary>Counts records handed to the application.</summary>
    public void OnConsumed(int records, long bytes)
    {
        if (records == 0) return;
        Interlocked.Add(ref _records, records);
        Interlocked.Add(ref _bytes, bytes);
        lock (_gate)
        {
            var slot = Advance();
            _recordBuckets[slot] += records;
            _byteBuckets[slot] += bytes;
        }
    }

    public void OnFetch(TimeSpan latency)
    {
        var ms = latency.TotalMilliseconds;
        lock (_gate)
        {
            _fetches++;
            _fetchLatencyTotalMs += ms;
            if (ms > _fetchLatencyMaxMs) _fetchLatencyMaxMs = ms;
        }
        _fetchLatency.Record(ms, _clientTag);
    }

    /// <summary>group → name → value, as kafka-python's <c>metrics()</c>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Snapshot()
    {
        var (recordRate, byteRate) = Rates();
        Dictionary<string, double> fetch;
        lock (_gate)
        {
            fetch = new Dictionary<string, double>
            {
                ["records-consumed-total"] = Interlocked.Read(ref _records),
                ["bytes-consumed-total"] = Interlocked.Read(ref _bytes),
                ["records-consumed-rate"] = recordRate,
                ["bytes-consumed-rate"] = byteRate,
                ["fetch-total"] = _fetches,
                ["fetch-latency-avg"] = _fetches == 0 ? 0 : _fetchLatencyTotalMs / _fetches,
                ["fetch-latency-max"] = _fetchLatencyMaxMs,
            };
        }
        var lags = _lags().ToList();
        fetch["records-lag-max"] = lags.Count == 0 ? 0 : lags.Max(l => l.Lag);
        var partitions = new Dictionary<string, double>();
        foreach (var (partition, lag) in lags) partitions[$"{partition}.records-lag"] = lag;
        return new Dictionary<string, IReadOnlyDictionary<string, double>>
        {
            ["consumer-fetch-manager-metrics"] = fetch,
            ["consumer-partition-metrics"] = partitions,
            ["consumer-metrics"] = new Dictionary<string, double>
            {
                ["requests-in-flight"] = _inFlight(),
                ["connection-count"] = _connections(),
            },
        };
    }

    private IEnumerable<Measurement<long>> ObserveLag()
    {
        foreach (var (partition, lag) in _lags())
            yield return new Measurement<long>(lag, _clientTag, new("topic", partition.Topic), new("partition", partition.Partition));
    }

    private (double Records, double Bytes) Rates()
    {
        lock (_gate)
        {
            Advance();
            // The window holds the last 30 whole seconds plus the one in progress.
            long records = 0, bytes = 0;
            for (var i = 0; i < _recordBuckets.Length; i++)
            {
                records += _recordBuckets[i];
                bytes += _byteBuckets[i];
            }
            var seconds = Math.Clamp(Stopwatch.GetElapsedTime(_started).TotalSeconds, 1, WindowSeconds + 1);
            return (records / seconds, bytes / seconds);
        }
    }

    /// <summary>Clears buckets of seconds that went by and returns the current one. Called under <c>_gate</c>.</summary>
    private int Advance()
    {
        var now = (long)Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var gap = Math.Min(now - _bucketSecond, WindowSeconds + 1);
        for (var i = 1; i <= gap; i++)
        {
            var slot = (int)((_bucketSecond + i) % (WindowSeconds + 1));
            _recordBuckets[slot] = 0;
            _byteBuckets[slot] = 0;
        }
        _bucketSecond = now;
        return (int)(now % (WindowSeconds + 1));
    }

    public void Dispose() => _meter.Dispose();
}
