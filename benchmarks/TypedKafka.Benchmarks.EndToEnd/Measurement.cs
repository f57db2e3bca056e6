using System.Diagnostics;
using System.Globalization;

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

    /// <summary>tk-framework only: the group join, measured apart from the steady state above.</summary>
    public FrameworkTimes? Framework { get; init; }

    /// <summary>What the OS saw of the run (page faults, time blocked on I/O, context switches, thread pool growth):
    /// printed per round, to tell a stall of the machine from one of the consumer.</summary>
    public string System { get; init; } = "";
}

/// <summary>Counters of this process from <c>/proc/self/stat</c> and <c>/proc/self/task/*/status</c>, and of the network
/// namespace's TCP stack from <c>/proc/net/snmp</c> and <c>/proc/net/netstat</c> (the broker's connections included)
/// (Linux; zeros elsewhere).</summary>
internal readonly record struct ProcStat(long MinorFaults, long MajorFaults, long BlockIoTicks, long VoluntarySwitches, long InvoluntarySwitches,
    long TcpRetransmits, long TcpTimeouts, long TcpLossProbes, long TcpSynRetransmits, long TcpPrunes)
{
    public static ProcStat Read()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            // Fields after "(comm) ": state is field 3, minflt 10, majflt 12, delayacct_blkio_ticks 42.
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long Field(int n) => long.Parse(f[n - 3], CultureInfo.InvariantCulture);
            // Context switches are per thread (the process's status shows the main thread's only): summed over the
            // live threads, so a thread that ended during the run drops out.
            long voluntary = 0, involuntary = 0;
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try
                {
                    foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                    {
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)) voluntary += long.Parse(line[24..].Trim(), CultureInfo.InvariantCulture);
                        else if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal)) involuntary += long.Parse(line[27..].Trim(), CultureInfo.InvariantCulture);
                    }
                }
                catch (IOException)
                {
                    // the thread ended meanwhile
                }
            }
            var snmp = NetCounters("/proc/net/snmp");
            var netstat = NetCounters("/proc/net/netstat");
            return new ProcStat(Field(10), Field(12), Field(42), voluntary, involuntary,
                snmp.GetValueOrDefault("Tcp:RetransSegs"), netstat.GetValueOrDefault("TcpExt:TCPTimeouts"), netstat.GetValueOrDefault("TcpExt:TCPLossProbes"),
                netstat.GetValueOrDefault("TcpExt:TCPSynRetrans"), netstat.GetValueOrDefault("TcpExt:PruneCalled"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or DirectoryNotFoundException)
        {
            return default;
        }
    }

    /// <summary>"Prefix:Name" → value, from the header/value line pairs of /proc/net/snmp or /proc/net/netstat.</summary>
    private static Dictionary<string, long> NetCounters(string path)
    {
        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        var lines = File.ReadAllLines(path);
        for (var i = 0; i + 1 < lines.Length; i += 2)
        {
            var names = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var values = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (var k = 1; k < Math.Min(names.Length, values.Length); k++)
            {
                if (long.TryParse(values[k], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) counters[names[0] + names[k]] = v;
            }
        }
        return counters;
    }

    public static ProcStat operator -(ProcStat a, ProcStat b) => new(a.MinorFaults - b.MinorFaults, a.MajorFaults - b.MajorFaults,
        a.BlockIoTicks - b.BlockIoTicks, a.VoluntarySwitches - b.VoluntarySwitches, a.InvoluntarySwitches - b.InvoluntarySwitches,
        a.TcpRetransmits - b.TcpRetransmits, a.TcpTimeouts - b.TcpTimeouts, a.TcpLossProbes - b.TcpLossProbes,
        a.TcpSynRetransmits - b.TcpSynRetransmits, a.TcpPrunes - b.TcpPrunes);

    /// <summary>Block I/O delay ticks are USER_HZ (10 ms).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"faults {MinorFaults:N0} minor / {MajorFaults:N0} major, blocked on I/O {BlockIoTicks * 10} ms, context switches {VoluntarySwitches:N0} voluntary / {InvoluntarySwitches:N0} involuntary; " +
        $"TCP retransmits {TcpRetransmits} (RTO timeouts {TcpTimeouts}, loss probes {TcpLossProbes}, SYN {TcpSynRetransmits}), receive-queue prunes {TcpPrunes}");
}

/// <summary>
/// Takes the figures of one run: wall time (Stopwatch), this process's CPU (<see cref="Process.TotalProcessorTime"/>:
/// every thread, including librdkafka's native ones for Confluent.Kafka), bytes allocated on every managed thread
/// (<see cref="GC.GetTotalAllocatedBytes(bool)"/>, precise), GC counts and pause time, contended lock acquisitions
/// (<see cref="Monitor.LockContentionCount"/>), and the broker child's CPU.
/// </summary>
/// <remarks>The OS counters (<see cref="ProcStat"/>, a few milliseconds to read) are taken when the meter is created,
/// which the runs do before <c>Assign</c>: <c>Start</c> must follow <c>Assign</c> closely, because both clients start
/// fetching at <c>Assign</c> and a slow <c>Start</c> would give them a head start.</remarks>
internal sealed class RunMeter(Func<TimeSpan> brokerCpu)
{
    private readonly Process _self = Process.GetCurrentProcess();
    private readonly ProcStat _proc = ProcStat.Read();
    private readonly int _poolThreads = ThreadPool.ThreadCount;
    private long _started;
    private TimeSpan _cpu;
    private TimeSpan _brokerCpu;
    private long _allocated;
    private int _gen0, _gen1, _gen2;
    private TimeSpan _gcPause;
    private long _contentions;
    private long _jitMethods;
    private TimeSpan _jitTime;

    /// <summary>The <see cref="Stopwatch"/> timestamp taken at the end of <see cref="Start"/>.</summary>
    public long StartedAt => _started;

    /// <summary>Before every run (not measured): waits until the tiered JIT has compiled nothing for 300 ms (at most 5 s;
    /// what the previous runs queued would otherwise be compiled on a background thread during this one), then a full
    /// collection so that every run starts from the same heap state.</summary>
    public static void Settle()
    {
        var deadline = Stopwatch.GetTimestamp() + 5 * Stopwatch.Frequency;
        var methods = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
        var quiet = 0;
        while (quiet < 6 && Stopwatch.GetTimestamp() < deadline)
        {
            Thread.Sleep(50);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
            quiet = now == methods ? quiet + 1 : 0;
            methods = now;
        }
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
        _jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
        _jitTime = System.Runtime.JitInfo.GetCompilationTime(currentThread: false);
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
        var jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false) - _jitMethods;
        var jitTime = System.Runtime.JitInfo.GetCompilationTime(currentThread: false) - _jitTime;
        var proc = ProcStat.Read() - _proc;
        return new RunResult(consumer, records, bytes, elapsed, cpu, allocated,
            GC.CollectionCount(0) - _gen0, GC.CollectionCount(1) - _gen1, GC.CollectionCount(2) - _gen2, broker,
            GC.GetTotalPauseDuration() - _gcPause, Monitor.LockContentionCount - _contentions, notes)
        {
            System = proc + string.Create(CultureInfo.InvariantCulture,
                $", thread pool {_poolThreads} -> {ThreadPool.ThreadCount} threads, JIT {jitMethods} methods in {jitTime.TotalMilliseconds:0} ms (tiering)"),
        };
    }
}
