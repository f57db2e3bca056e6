using System.Diagnostics;

namespace TypedKafka.Benchmarks.EndToEnd;

/// <summary>One run of one consumer: what it read, and what it cost from the first poll to the last record.</summary>
internal sealed record RunResult(
    string Consumer,
    long Records,
    long Bytes,
    TimeSpan Elapsed,
    TimeSpan Cpu,
    long Allocated,
    int Gen0,
    int Gen1,
    int Gen2,
    TimeSpan BrokerCpu,
    TimeSpan GcPause,
    long LockContentions,
    string Notes)
{
    public double RecordsPerSecond => Records / Elapsed.TotalSeconds;

    /// <summary>Key + value bytes per second, in MB (10^6 bytes).</summary>
    public double MegabytesPerSecond => Bytes / 1e6 / Elapsed.TotalSeconds;

    public double CpuMicrosPerRecord => Cpu.TotalMilliseconds * 1000 / Records;

    public double AllocatedPerRecord => (double)Allocated / Records;

    /// <summary>The broker process's CPU over the run, as a share of one core.</summary>
    public double BrokerCoreShare => BrokerCpu.TotalSeconds / Elapsed.TotalSeconds;
}

/// <summary>
/// Takes the figures of one run: wall time (Stopwatch), this process's CPU (<see cref="Process.TotalProcessorTime"/>:
/// every thread, including librdkafka's native ones for Confluent.Kafka), bytes allocated on every managed thread
/// (<see cref="GC.GetTotalAllocatedBytes(bool)"/>, precise), GC counts and pause time, contended lock acquisitions
/// (<see cref="Monitor.LockContentionCount"/>), and the broker child's CPU.
/// </summary>
internal sealed class RunMeter(Func<TimeSpan> brokerCpu)
{
    private readonly Process _self = Process.GetCurrentProcess();
    private long _started;
    private TimeSpan _cpu;
    private TimeSpan _brokerCpu;
    private long _allocated;
    private int _gen0, _gen1, _gen2;
    private TimeSpan _gcPause;
    private long _contentions;

    /// <summary>A full collection so that every run starts from the same heap state (not measured).</summary>
    public static void Settle()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>Call right before the first poll.</summary>
    public void Start()
    {
        _gen0 = GC.CollectionCount(0);
        _gen1 = GC.CollectionCount(1);
        _gen2 = GC.CollectionCount(2);
        _gcPause = GC.GetTotalPauseDuration();
        _contentions = Monitor.LockContentionCount;
        _brokerCpu = brokerCpu();
        _self.Refresh();
        _cpu = _self.TotalProcessorTime;
        _allocated = GC.GetTotalAllocatedBytes(precise: true);
        _started = Stopwatch.GetTimestamp();
    }

    /// <summary>Call right after the last record was handled.</summary>
    public RunResult Stop(string consumer, long records, long bytes, string notes = "")
    {
        var elapsed = Stopwatch.GetElapsedTime(_started);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocated;
        _self.Refresh();
        var cpu = _self.TotalProcessorTime - _cpu;
        var broker = brokerCpu() - _brokerCpu;
        return new RunResult(consumer, records, bytes, elapsed, cpu, allocated,
            GC.CollectionCount(0) - _gen0, GC.CollectionCount(1) - _gen1, GC.CollectionCount(2) - _gen2, broker,
            GC.GetTotalPauseDuration() - _gcPause, Monitor.LockContentionCount - _contentions, notes);
    }
}
