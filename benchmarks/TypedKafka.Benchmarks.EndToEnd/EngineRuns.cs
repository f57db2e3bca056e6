using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TypedKafka.Hosting;

namespace TypedKafka.Benchmarks.EndToEnd;

/// <summary>
/// The engine's handlers (<c>--engine</c>), each in a group of its own on <see cref="Topic"/> (32 partitions, keys
/// k0..k63, two per partition): a 5 ms asynchronous "I/O" call per record under each ordering, and a handler slower than
/// the fetcher for the backpressure run.
/// </summary>
public static class EngineHandlers
{
    public const string Topic = "engine-io";
    public const int Keys = 64;

    [KafkaTopic(Topic, GroupId = "bench-io-partition")]
    public static Task HandlePartitionAsync(Order order, CancellationToken ct) => EngineSink.IoAsync(ct);

    [KafkaTopic(Topic, GroupId = "bench-io-key", Ordering = KafkaOrdering.Key, MaxConcurrency = 64)]
    public static Task HandleKeyAsync(Order order, CancellationToken ct) => EngineSink.IoAsync(ct);

    [KafkaTopic(Topic, GroupId = "bench-io-unordered", Ordering = KafkaOrdering.Unordered, MaxConcurrency = 64)]
    public static Task HandleUnorderedAsync(Order order, CancellationToken ct) => EngineSink.IoAsync(ct);

    [KafkaTopic(Topic, GroupId = "bench-slow", Ordering = KafkaOrdering.Unordered, MaxConcurrency = 16)]
    public static Task HandleSlowAsync(Order order, CancellationToken ct) => EngineSink.SlowAsync(ct);
}

/// <summary>Counts the engine handlers' calls and measures the real latency of their <c>Task.Delay</c>.</summary>
internal static class EngineSink
{
    private static long _count;
    private static long _latencyTicks;
    private static long _measureFrom;
    private static long _measureTo = long.MaxValue;
    private static long _firstTimestamp;
    private static long _lastTimestamp;
    private static TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static Task Done => _done.Task;

    public static long Count => Volatile.Read(ref _count);

    /// <summary>Counts records from <paramref name="from"/> (the window's start, after the join and ramp-up) to <paramref name="to"/>.</summary>
    public static void Reset(long from, long to)
    {
        _count = 0;
        _latencyTicks = 0;
        _measureFrom = from;
        _measureTo = to;
        _firstTimestamp = 0;
        _lastTimestamp = 0;
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Records per second inside the window, and the mean measured handler latency.</summary>
    public static (double RecordsPerSecond, TimeSpan Latency) Result()
    {
        var seconds = Stopwatch.GetElapsedTime(_firstTimestamp, _lastTimestamp).TotalSeconds;
        var counted = _measureTo - _measureFrom;
        return (counted / seconds, TimeSpan.FromTicks(Volatile.Read(ref _latencyTicks) / Math.Max(1, Count)));
    }

    public static async Task IoAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(5, ct).ConfigureAwait(false);
        Interlocked.Add(ref _latencyTicks, Stopwatch.GetElapsedTime(started).Ticks);
        Count1();
    }

    public static async Task SlowAsync(CancellationToken ct)
    {
        await Task.Delay(1, ct).ConfigureAwait(false);
        Count1();
    }

    private static void Count1()
    {
        var n = Interlocked.Increment(ref _count);
        if (n == _measureFrom) _firstTimestamp = Stopwatch.GetTimestamp();
        if (n == _measureTo)
        {
            _lastTimestamp = Stopwatch.GetTimestamp();
            _done.TrySetResult();
        }
    }
}

/// <summary>
/// <c>--engine</c>: the I/O-bound runs (records/s per ordering against the bound concurrency ÷ measured latency) and the
/// backpressure runs (a handler slower than the fetcher: peak records in flight and peak working set per
/// <see cref="TypedKafkaOptions.MaxInFlightRecords"/>). One host per run, only that run's group (<c>Groups</c>).
/// </summary>
internal sealed class EngineRuns(Func<ConsumerOptions> consumerOptions)
{
    public const int Partitions = 32;
    public const int Records = 150_000;

    public async Task<string> RunAsync()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| engine run (5 ms handler, 32 partitions, 64 keys) | concurrency | measured handler latency | bound (concurrency ÷ latency) | records/s | of the bound |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var (group, label, concurrency, records) in new[]
        {
            ("bench-io-partition", "Partition", Partitions, 12_000L),
            ("bench-io-key", "Key, MaxConcurrency 64", 64, 24_000L),
            ("bench-io-unordered", "Unordered, MaxConcurrency 64", 64, 24_000L),
        })
        {
            RunMeter.Settle();
            var from = records / 6; // skip the join and the ramp-up
            EngineSink.Reset(from, records);
            await using (var host = await StartAsync(group, o => { }).ConfigureAwait(false))
            {
                await EngineSink.Done.WaitAsync(TimeSpan.FromSeconds(120)).ConfigureAwait(false);
            }
            var (rate, latency) = EngineSink.Result();
            var bound = concurrency / latency.TotalSeconds;
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {label} | {concurrency} | {latency.TotalMilliseconds:0.00} ms | {bound:N0} | {rate:N0} | {rate / bound:0.00} |"));
            Console.Error.WriteLine($"  engine {label}: {rate:N0} rec/s, latency {latency.TotalMilliseconds:0.00} ms, {rate / bound:0.00} of the bound");
        }

        sb.AppendLine();
        sb.AppendLine("| slow handler (`Task.Delay(1)`, Unordered ×16; the fetcher brings ~1M rec/s) | MaxInFlightRecords | peak records in flight | peak bytes held by the engine's record chunks | peak working set growth | records/s |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var max in new[] { 1_000, 10_000, 100_000 })
        {
            RunMeter.Settle();
            const long total = 40_000; // three runs of one group read 120,000 of the 150,000 records
            EngineSink.Reset(1, total);
            using var process = Process.GetCurrentProcess();
            process.Refresh();
            var baseline = process.WorkingSet64;
            var peakSet = baseline;
            var peakInFlight = 0;
            var peakChunks = 0L;
            await using (var host = await StartAsync("bench-slow", o => o.MaxInFlightRecords = max).ConfigureAwait(false))
            {
                var readiness = host.Services.GetRequiredService<TypedKafkaReadiness>();
                while (!EngineSink.Done.IsCompleted)
                {
                    await Task.WhenAny(EngineSink.Done, Task.Delay(20)).ConfigureAwait(false);
                    process.Refresh();
                    peakSet = Math.Max(peakSet, process.WorkingSet64);
                    peakInFlight = Math.Max(peakInFlight, readiness.Groups.Sum(g => g.RecordsInFlight));
                    peakChunks = Math.Max(peakChunks, TypedKafka.Hosting.Engine.RecordChunk.BytesHeld);
                }
            }
            var (rate, _) = EngineSink.Result();
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| | {max:N0} | {peakInFlight:N0} | {peakChunks / 1048576.0:0.0} MiB | {(peakSet - baseline) / 1048576.0:0.0} MiB | {rate:N0} |"));
            Console.Error.WriteLine($"  engine slow, MaxInFlightRecords {max:N0}: peak in flight {peakInFlight:N0}, chunks {peakChunks / 1048576.0:0.0} MiB, working set +{(peakSet - baseline) / 1048576.0:0.0} MiB");
        }
        return sb.ToString();
    }

    private async Task<AsyncHost> StartAsync(string group, Action<TypedKafkaOptions> configure)
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection([new("hostBuilder:reloadConfigOnChange", "false")]);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], Configuration = configuration });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var consumer = consumerOptions();
        builder.Services.AddTypedKafka(options =>
        {
            options.Consumer = consumer;
            options.Groups = [group];
            configure(options);
        });
        var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        return new AsyncHost(host);
    }

    /// <summary>Stops and disposes the host; each run's group starts from the beginning of the topic (a group of its own
    /// that never ran before: the committed offsets of earlier runs belong to other groups, except bench-slow's, which is
    /// why its runs read past the offsets committed by the previous one).</summary>
    private sealed class AsyncHost(IHost host) : IAsyncDisposable
    {
        public IServiceProvider Services => host.Services;

        public async ValueTask DisposeAsync()
        {
            await host.StopAsync().ConfigureAwait(false);
            host.Dispose();
        }
    }
}
