using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using TypedKafka.Consumer;
using TypedKafka.Fetching;

namespace TypedKafka.Benchmarks.EndToEnd;

/// <summary>
/// Diagnostics for <c>--stalls</c>: watches a TypedKafka run from a thread of its own (every 10 ms) and, when the caller has received no record
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
    private readonly Thread _loop;
    private TimeSpan _maxTickGap;
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
        // A thread of its own, not a thread-pool timer: a stall of the thread pool (starvation) must not stall the probe.
        _loop = new Thread(Watch) { IsBackground = true, Name = "stall probe" };
        _loop.Start();
    }

    private void Watch()
    {
        var last = _progress();
        var since = DateTime.UtcNow;
        var tick = _clock.Elapsed;
        while (!_stop.Token.WaitHandle.WaitOne(10))
        {
            // A long gap between two ticks of this thread means the whole process (or the machine) stood still.
            var previous = tick;
            tick = _clock.Elapsed;
            if (tick - previous > _maxTickGap) _maxTickGap = tick - previous;
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
                Console.Error.WriteLine($"[{_name}] no record for {Threshold.TotalMilliseconds:0} ms after {now:N0} records ({Process()}):\n{Snapshot()}");
            }
        }
    }

    /// <summary>What the process is doing: thread pool threads and queued work items, GC count, page faults.</summary>
    private static string Process() => string.Create(CultureInfo.InvariantCulture,
        $"thread pool {ThreadPool.ThreadCount} threads, {ThreadPool.PendingWorkItemCount} queued; gen0 GCs {GC.CollectionCount(0)}; {ProcStat.Read()}");

    /// <summary>Counts the stall in progress as over (the run ended, or records arrived again; at most one tick late).</summary>
    private void EndStall()
    {
        if (!_inStall) return;
        _stalled += DateTime.UtcNow - _stallStarted;
        _inStall = false;
    }

    /// <summary>A one-line summary for the run's notes.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"stalls >= {Threshold.TotalMilliseconds:0} ms: {_stalls} ({_stalled.TotalMilliseconds:0} ms); longest gap between two probe ticks {_maxTickGap.TotalMilliseconds:0} ms");

    /// <summary>One line every tick: records read, fetches answered, and per broker the partitions in its Fetch in flight
    /// (how many of them are at the high watermark) and the data buffered for its partitions.</summary>
    private string TimelineLine(long records)
    {
        var sb = new StringBuilder();
        var fetches = _core.MetricsCollector.Snapshot()["consumer-fetch-manager-metrics"]["fetch-total"];
        sb.Append(CultureInfo.InvariantCulture, $"[{_name}] t={_clock.Elapsed.TotalMilliseconds,6:0} ms records {records,9:N0} fetches {fetches,4:0} pool {ThreadPool.ThreadCount}/{ThreadPool.PendingWorkItemCount}");
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
        sb.Append(" | ").Append(PoolProbe.Describe());
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
        _loop.Join();
        EndStall();
        _stop.Dispose();
    }
}
