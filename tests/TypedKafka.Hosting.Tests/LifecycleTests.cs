using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TypedKafka.Testing;
using static TypedKafka.Hosting.Tests.EngineTestSupport;

namespace TypedKafka.Hosting.Tests;

/// <summary>Shutdown, failing records, backpressure, fatal errors and the Groups filter, end to end.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task Shutdown_lets_the_handler_in_flight_finish_uncancelled_commits_it_and_logs_no_exception()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("shutdown", 1);
        await cluster.ProduceAsync("shutdown", Enumerable.Range(0, 20).Select(i => Seq("k", i, 0)), cts.Token);
        var probe = new Probe();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probe.Behaviour = async (context, _, _) =>
        {
            if (context.Offset != 5) return;
            inFlight.TrySetResult();
            await release.Task; // deliberately ignores the token: the engine must not need to cancel it
        };
        var logs = new LogSink();
        using var host = BuildHost(cluster, "g-shutdown", probe, logs: logs);
        await host.StartAsync(cts.Token);
        await inFlight.Task.WaitAsync(cts.Token);
        var engine = host.Engine("g-shutdown");

        var stopping = host.StopAsync(cts.Token);
        await Eventually.TrueAsync(() => engine.ShuttingDown, Patience, "the shutdown to begin", cts.Token);
        Assert.False(stopping.IsCompleted);
        release.SetResult();
        await stopping;

        var handled = probe.Handled.ToList();
        Assert.Equal(Enumerable.Range(0, 6), handled.Select(h => h.N)); // 6..19 were queued, never started
        Assert.False(handled.Single(h => h.N == 5).Cancelled);
        Assert.Equal(6, await CommittedAsync(cluster, "g-shutdown", new("shutdown", 0), cts.Token));
        Assert.DoesNotContain(logs.Entries, e => e.Exception is not null || e.Level >= LogLevel.Error);
    }

    [Theory]
    [InlineData("stuck-partition", "g-stuck-partition")]
    [InlineData("stuck-key", "g-stuck-key")]
    public async Task An_always_failing_record_holds_only_its_partition_or_key_and_the_member_stays_past_max_poll_interval(string topic, string group)
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic(topic, 3);
        // Partition 0 has keys "bad" and "good" interleaved (N = its offset); "bad" N = 4 always fails.
        await cluster.ProduceAsync(topic, Enumerable.Range(0, 90).Select(i => Seq(i % 3 == 0 ? (i / 3 % 2 == 0 ? "bad" : "good") : $"k{i % 3}", i / 3, i % 3)), cts.Token);
        var probe = new Probe();
        probe.Behaviour = (_, message, _) => message is { Key: "bad", N: 4 }
            ? Task.FromException(new InvalidOperationException("always fails"))
            : Task.CompletedTask;
        var maxPoll = TimeSpan.FromSeconds(3);
        using var host = BuildHost(cluster, group, probe, o =>
        {
            o.Consumer.MaxPollInterval = maxPoll;
            o.Consumer.SessionTimeout = TimeSpan.FromSeconds(3);
            o.Consumer.HeartbeatInterval = TimeSpan.FromMilliseconds(300);
        });
        var clock = Stopwatch.StartNew();
        await host.StartAsync(cts.Token);
        await Eventually.TrueAsync(() => probe.Handled.Count(h => h.Partition != 0) == 60, Patience, "partitions 1 and 2 to be handled", cts.Token);
        var engine = host.Engine(group);
        // Stay past max.poll.interval while the record keeps failing: the member must keep its assignment.
        await Eventually.TrueAsync(() => clock.Elapsed > maxPoll * 2, Patience, "two max.poll.intervals to pass", cts.Token);
        var status = host.Readiness().Group(group)!;
        Assert.Equal(3, status.Assignment.Count);
        Assert.Equal(0, engine.Losses);
        Assert.Equal(0, engine.Revocations);
        Assert.NotNull(status.OldestFailing);
        Assert.Equal(new TopicPartition(topic, 0), status.OldestFailing!.Partition);
        Assert.Equal(4, status.OldestFailing.Offset); // partition 0 holds bad 0, good 1, bad 2, good 3, bad 4, ...
        Assert.True(status.OldestFailing.Attempts > 3);

        var partition0 = probe.Handled.Where(h => h.Partition == 0).ToList();
        if (topic == "stuck-key")
        {
            // Key ordering: "good" flows past the failing "bad" record; "bad" stops at it.
            Assert.Equal(Enumerable.Range(0, 15).Select(i => 2 * i + 1), partition0.Where(h => h.Key == "good").Select(h => h.N));
            Assert.Equal([0, 2], partition0.Where(h => h.Key == "bad").Select(h => h.N));
        }
        else
        {
            // Partition ordering: the partition waits at the failing record.
            Assert.Equal(Enumerable.Range(0, 4).Select(i => (long)i), partition0.Select(h => h.Offset));
        }
        Assert.Equal(4, await CommittedAsync(cluster, group, new(topic, 0), cts.Token));
        Assert.Equal(30, await CommittedAsync(cluster, group, new(topic, 1), cts.Token));
        await host.StopAsync(cts.Token);
    }

    [Fact]
    public async Task Backpressure_pauses_partitions_past_MaxInFlightRecords_and_discards_nothing()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("pressure", 2);
        for (var b = 0; b < 40; b++) // 40 produce calls of 10 records: each fetch brings at most 10 per partition
            await cluster.ProduceAsync("pressure", Enumerable.Range(b * 10, 10).Select(i => Seq($"k{i}", i, i % 2)), cts.Token);
        var probe = new Probe();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probe.Behaviour = (_, _, _) => release.Task;
        const int max = 50;
        using var host = BuildHost(cluster, "g-pressure", probe, o => o.MaxInFlightRecords = max);
        await host.StartAsync(cts.Token);
        var engine = host.Engine("g-pressure");
        await Eventually.TrueAsync(() => host.Readiness().Group("g-pressure")!.Paused.Count == 2, Patience, "both partitions to be paused", cts.Token);
        Assert.InRange(engine.InFlight, max / 2, max); // each partition holds up to its share; the rest waits in the consumer
        release.SetResult();
        await Eventually.TrueAsync(() => probe.Count >= 400, Patience, "every record to be handled", cts.Token);
        await host.StopAsync(cts.Token);

        Assert.Equal(Enumerable.Range(0, 400), probe.Handled.Select(h => h.N).Order());
        Assert.InRange(engine.PeakInFlight, max / 2, max); // never more than MaxInFlightRecords
    }

    [Theory]
    [InlineData(FatalErrorAction.StopHost)]
    [InlineData(FatalErrorAction.Restart)]
    public async Task A_fatal_error_stops_the_host_or_restarts_the_group(FatalErrorAction action)
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("poison", 1);
        await cluster.ProduceAsync("poison", [Seq("k", 0, 0), new TestRecord(null, "not json"u8.ToArray()) { Partition = 0 }, Seq("k", 2, 0)], cts.Token);
        var probe = new Probe();
        var logs = new LogSink();
        using var host = BuildHost(cluster, "g-poison", probe, o =>
        {
            o.OnFatalError = action;
            o.RestartBackoff = TimeSpan.FromMilliseconds(100);
        }, logs);
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        await host.StartAsync(cts.Token);
        if (action == FatalErrorAction.StopHost)
        {
            await Eventually.TrueAsync(() => lifetime.ApplicationStopping.IsCancellationRequested, Patience, "the application to stop", cts.Token);
            Assert.Contains(logs.Entries, e => e.Level == LogLevel.Critical && e.Message.Contains("poison-0@1"));
        }
        else
        {
            await Eventually.TrueAsync(() => host.Readiness().Group("g-poison") is { Restarts: >= 2 }, Patience, "the group to restart twice", cts.Token);
            Assert.False(lifetime.ApplicationStopping.IsCancellationRequested);
            Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("rebuilt") && e.Message.Contains("poison-0@1"));
        }
        await host.StopAsync(cts.Token);
        // The record before the poison one was handled (once per run) and committed; the poison one never.
        Assert.All(probe.Handled, h => Assert.Equal(0, h.N));
        Assert.Equal(1, await CommittedAsync(cluster, "g-poison", new("poison", 0), cts.Token));
    }

    [Fact]
    public async Task Groups_runs_only_the_named_groups_and_an_unknown_id_fails_at_start()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        using var host = BuildHost(cluster, "g-key", new Probe(), o => o.Groups = ["g-key", "g-unordered"]);
        await host.StartAsync(cts.Token);
        await Eventually.TrueAsync(() => host.Readiness().Groups.Count == 2, Patience, "two groups to report", cts.Token);
        Assert.Equal(["g-key", "g-unordered"], host.Readiness().Groups.Select(g => g.GroupId).Order());
        await host.StopAsync(cts.Token);

        using var bad = BuildHost(cluster, "g-key", new Probe(), o => o.Groups = ["g-key", "no-such-group"]);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => bad.StartAsync(cts.Token));
        Assert.Contains("'no-such-group'", e.Message);
        Assert.Equal(nameof(TypedKafkaOptions.Groups), e.ParamName);
    }
}

/// <summary>Scoped services live for one handler call.</summary>
public sealed class ScopeTests
{
    [Fact]
    public async Task Each_handler_call_gets_its_own_scope_disposed_when_the_call_ends()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("scoped", 2);
        await cluster.ProduceAsync("scoped", Enumerable.Range(0, 50).Select(i => Seq($"k{i}", i, i % 2)), cts.Token);
        var probe = new Probe();
        using var host = BuildHost(cluster, "g-scoped", probe, configureServices: s => s.AddScoped<ScopedThing>());
        await host.StartAsync(cts.Token);
        await Eventually.TrueAsync(() => probe.Count >= 50, Patience, "50 records handled", cts.Token);
        await host.StopAsync(cts.Token);

        Assert.Equal(50, ScopedHandler.Seen.Count);
        Assert.Equal(50, ScopedThing.Created);
        Assert.Equal(50, ScopedThing.Disposed);
    }
}
