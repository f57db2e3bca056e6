using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TypedKafka.Hosting;

namespace TypedKafka.Benchmarks.EndToEnd;

/// <summary>
/// tk-framework: the whole framework path of docs/performance.md, poll → deserialize → dispatch → handler → commit.
/// A generic host (<c>Host.CreateApplicationBuilder</c>) with <c>AddTypedKafka</c> runs <see cref="OrderHandlers.Handle"/>
/// in a consumer group of its own (a new group id per run, so every run reads from the beginning: AutoOffsetReset
/// earliest). The hosting joins the group (one member, every partition), then reads record spans with
/// <c>PollBatchAsync</c>, calls the generated invoker per record (the generated <c>Utf8JsonReader</c> deserializer, then
/// the handler), notes each processed offset and commits them every <see cref="CommitInterval"/> in the background.
/// </summary>
/// <remarks>
/// Two windows are measured: the join (from <c>StartAsync</c> to <see cref="TypedKafkaReadiness"/> reporting the
/// assignment) and the steady state (from the assignment to the last record handled), which is the figure in the
/// table, comparable with the assign-mode consumers whose clock runs from the first poll (whose first fetch also
/// waits for a ListOffsets). Building the host is outside both; stopping it (final commit, leaving the group) too.
/// After the host stopped, the group's committed offsets are read back: they must add up to the records handled.
/// </remarks>
internal sealed class FrameworkRuns(BenchmarkSettings settings, Func<ConsumerOptions> consumerOptions, Func<TimeSpan> brokerCpu)
{
    /// <summary>Shorter than the hosting's default (1 s) so that the measured window (~0.3 s for 1M records) contains
    /// periodic commits, as a longer-running consumer's would; with the default it would contain none.</summary>
    public static readonly TimeSpan CommitInterval = TimeSpan.FromMilliseconds(100);

    public async Task<RunResult> RunAsync(long expected)
    {
        if (settings.Topic != OrderHandlers.Topic)
            throw new InvalidOperationException($"tk-framework runs the handler of topic '{OrderHandlers.Topic}' ([KafkaTopic] needs a constant); --topic is '{settings.Topic}'.");

        // No reload of appsettings*.json: with it, the host watches its content root (the working directory, e.g. the
        // whole repository: ~660 inotify watches) for the whole run. (A key set through ConfigurationManager's indexer
        // before it has a source is dropped, hence the in-memory source.)
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection([new("hostBuilder:reloadConfigOnChange", "false")]);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            Configuration = configuration,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace); // stdout carries the report
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.SetMinimumLevel(settings.LogLevel ?? LogLevel.Warning);
        var groupId = "typedkafka-bench-" + Guid.NewGuid().ToString("N");
        var consumer = consumerOptions();
        builder.Services.AddTypedKafka(options =>
        {
            options.Consumer = consumer;
            options.GroupId = groupId;
            options.CommitInterval = CommitInterval;
            options.Groups = [groupId]; // not the --engine handlers' groups of this assembly
        });
        var host = builder.Build();
        RunResult? result = null;
        try
        {
            var readiness = host.Services.GetRequiredService<TypedKafkaReadiness>();
            FrameworkSink.Reset(expected);
            using var timeout = new CancellationTokenSource(settings.RunTimeout);

            var joinMeter = new RunMeter(brokerCpu);
            var meter = new RunMeter(brokerCpu);
            joinMeter.Start();
            RunResult join;
            long assigned;
            try
            {
                await host.StartAsync(timeout.Token).ConfigureAwait(false);
                await readiness.WhenReadyAsync(timeout.Token).ConfigureAwait(false);
                // The steady state's clock starts here; its CPU/allocation counters a little later (after the join's
                // are read, well under a millisecond, while the worker sends its first OffsetFetch).
                assigned = Stopwatch.GetTimestamp();
                join = joinMeter.Stop("tk-framework join", 0, 0);
                meter.Start();
                await FrameworkSink.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"tk-framework: handled {FrameworkSink.Count:N0} of {expected:N0} records in {settings.RunTimeout.TotalSeconds:0} s " +
                    $"(group {groupId}; ready: {readiness.IsReady}).");
            }
            var measured = meter.Stop("tk-framework", expected, expected * Data.RecordBytes);
            var pool = settings.Breakdown ? "; " + PoolProbe.Describe() : "";
            if (FrameworkSink.Quantity <= 0) throw new InvalidOperationException("tk-framework: no quantity was read.");

            // The clock of the steady state stops at the last record handled (in the handler), not when this thread woke up.
            var steady = Stopwatch.GetElapsedTime(assigned, FrameworkSink.LastTimestamp);
            var firstRecord = Stopwatch.GetElapsedTime(assigned, FrameworkSink.FirstTimestamp);
            var total = Stopwatch.GetElapsedTime(joinMeter.StartedAt, FrameworkSink.LastTimestamp);
            var times = new FrameworkTimes(join.Elapsed, firstRecord, expected / total.TotalSeconds, join.Cpu, join.Allocated);
            result = measured with
            {
                Elapsed = steady,
                Framework = times,
                Notes = string.Create(CultureInfo.InvariantCulture,
                    $"join {join.Elapsed.TotalMilliseconds:0} ms (cpu {join.Cpu.TotalMilliseconds:0} ms, {join.Allocated / 1024.0:0} KB allocated); " +
                    $"first record {firstRecord.TotalMilliseconds:0.0} ms after the assignment; with the join {times.RecordsPerSecondWithJoin:N0} rec/s{pool}"),
            };
        }
        finally
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await host.StopAsync(stopping.Token).ConfigureAwait(false); // final commit, leave the group
            }
            finally
            {
                if (host is IAsyncDisposable asyncHost) await asyncHost.DisposeAsync().ConfigureAwait(false);
                else host.Dispose();
            }
        }
        return result with { Notes = result.Notes + "; " + await CommittedAsync(groupId, expected).ConfigureAwait(false) };
    }

    /// <summary>Reads the group's committed offsets back (outside the measurement): their sum is the number of records
    /// committed, since every partition starts at offset 0.</summary>
    private async Task<string> CommittedAsync(string groupId, long expected)
    {
        var options = consumerOptions();
        options.GroupId = groupId;
        await using var check = new KafkaConsumer<Ignore, Ignore>(options);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var committed = await check.CommittedAsync(Enumerable.Range(0, settings.Partitions).Select(p => new TopicPartition(settings.Topic, p)), timeout.Token).ConfigureAwait(false);
        var sum = committed.Values.Sum(o => o?.Offset ?? 0);
        // A warm-up shorter than the topic stops counting at its target while the handler goes on: more is committed.
        return sum >= expected
            ? string.Create(CultureInfo.InvariantCulture, $"committed {sum:N0}")
            : string.Create(CultureInfo.InvariantCulture, $"COMMITTED ONLY {sum:N0} of {expected:N0}");
    }
}

/// <summary>The extra figures of a tk-framework run: the group join (time, CPU, allocations), the delay from the
/// assignment to the first record handled, and the rate over the join and the records together.</summary>
internal sealed record FrameworkTimes(TimeSpan Join, TimeSpan FirstRecord, double RecordsPerSecondWithJoin, TimeSpan JoinCpu, long JoinAllocated);
