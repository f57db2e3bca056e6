using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using TypedKafka.Consumer;
using TypedKafka.Fetching;

namespace TypedKafka.Benchmarks.EndToEnd;

/// <summary>
/// Diagnostics for <c>--stalls</c>: watches a TypedKafka run from a timer and, when the caller has received no record
/// for <see cref="Threshold"/>, prints what the fetcher is doing: for each broker whether its one Fetch is in flight,
/// and for each partition its position, fetch position, high watermark and buffered bytes. Reads the consumer's
/// internal state (TypedKafka grants this assembly internals; the private fields are reached by reflection) without
/// its lock: a racy snapshot, good enough to see why nothing arrives. Not used by the measured runs.
/// </summary>
internal sealed class StallProbe : IAsyncDisposable
{
    private static readonly TimeSpan Threshold = TimeSpan.FromMilliseconds(100);
    private static readonly FieldInfo OrderField = typeof(ConsumerCore).GetField("_order", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new MissingFieldException(nameof(ConsumerCore), "_order");
    private static readonly FieldInfo NodesField = typeof(ConsumerCore).GetField("_nodes", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new MissingFieldException(nameof(ConsumerCore), "_nodes");

    private readonly ConsumerCore _core;
    private readonly string _name;
    private readonly Func<long> _progress;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _stalls;
    private TimeSpan _stalled;
    private DateTime _stallStarted;
    private bool _inStall;
    private bool _disposed;

    private readonly bool _timeline;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public StallProbe(ConsumerCore core, string name, Func<long> progress, bool timeline)
    {
        _core = core;
        _timeline = timeline;
        _name = name;
        _progress = progress;
        _loop = Task.Run(WatchAsync);
    }

    private async Task WatchAsync()
    {
        var last = _progress();
        var since = DateTime.UtcNow;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                var now = _progress();
                if (_timeline) Console.Error.WriteLine(TimelineLine(now));
                if (now != last)
                {
                    EndStall();
                    last = now;
                    since = DateTime.UtcNow;
                    continue;
                }
                if (!_inStall && now > 0 && DateTime.UtcNow - since >= Threshold)
                {
                    _inStall = true;
                    _stallStarted = since;
                    _stalls++;
                    Console.Error.WriteLine($"[{_name}] no record for {Threshold.TotalMilliseconds:0} ms after {now:N0} records:\n{Snapshot()}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Counts the stall in progress as over (the run ended, or records arrived again; at most one tick late).</summary>
    private void EndStall()
    {
        if (!_inStall) return;
        _stalled += DateTime.UtcNow - _stallStarted;
        _inStall = false;
    }

    /// <summary>A one-line summary for the run's notes.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture, $"stalls >= {Threshold.TotalMilliseconds:0} ms: {_stalls} ({_stalled.TotalMilliseconds:0} ms)");

    /// <summary>One line every tick: records read, fetches answered, and per broker the partitions in its Fetch in flight
    /// (how many of them are at the high watermark) and the data buffered for its partitions.</summary>
    private string TimelineLine(long records)
    {
        var sb = new StringBuilder();
        var fetches = _core.MetricsCollector.Snapshot()["consumer-fetch-manager-metrics"]["fetch-total"];
        sb.Append(CultureInfo.InvariantCulture, $"[{_name}] t={_clock.Elapsed.TotalMilliseconds,6:0} ms records {records,9:N0} fetches {fetches,4:0}");
        var view = _core.Metadata.Current;
        if (OrderField.GetValue(_core) is List<PartitionState> order)
        {
            foreach (var group in order.ToArray().GroupBy(s => view.LeaderFor(s.Partition)?.NodeId ?? -1).OrderBy(g => g.Key))
            {
                int inFlight = 0, inFlightAtEnd = 0, held = 0;
                long buffered = 0;
                foreach (var s in group)
                {
                    buffered += s.BufferedBytes;
                    if (s.FetchInFlight)
                    {
                        inFlight++;
                        if (s.Highwater is long hw && s.FetchPosition >= hw) inFlightAtEnd++;
                    }
                    else if (s.BufferedBytes >= _core.Options.MaxPartitionFetchBytes) held++;
                }
                sb.Append(CultureInfo.InvariantCulture, $" | b{group.Key}: fetching {inFlight} ({inFlightAtEnd} at hw), held by buffer {held}, buffered {buffered / 1024,5}K");
            }
        }
        return sb.ToString();
    }

    private string Snapshot()
    {
        var sb = new StringBuilder();
        var view = _core.Metadata.Current;
        if (NodesField.GetValue(_core) is IDictionary nodes)
        {
            foreach (DictionaryEntry entry in nodes)
            {
                var inFlight = entry.Value!.GetType().GetField("InFlight")!.GetValue(entry.Value);
                sb.Append(CultureInfo.InvariantCulture, $"  broker {entry.Key}: fetch in flight {inFlight}\n");
            }
        }
        if (OrderField.GetValue(_core) is List<PartitionState> order)
        {
            foreach (var group in order.ToArray().GroupBy(s => view.LeaderFor(s.Partition)?.NodeId ?? -1).OrderBy(g => g.Key))
            {
                sb.Append(CultureInfo.InvariantCulture, $"  leader {group.Key}:");
                foreach (var s in group)
                {
                    var atEnd = s.Highwater is long hw && s.FetchPosition >= hw;
                    sb.Append(CultureInfo.InvariantCulture,
                        $" p{s.Partition.Partition}[pos {s.Position} fetch {s.FetchPosition}{(atEnd ? "=hw" : "")} buf {s.BufferedBytes / 1024}K/{s.Buffered.Count}{(s.FetchInFlight ? " IN-FLIGHT" : "")}]");
                }
                sb.Append('\n');
            }
        }
        return sb.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        EndStall();
        _stop.Dispose();
    }
}
