using System.Text;
using Google.Protobuf;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TypedKafka.Hosting.Tests.Proto;
using TypedKafka.Testing;

namespace TypedKafka.Hosting.Tests;

/// <summary>Handlers registered with AddTypedKafka in a generic host consume JSON, Protobuf and Avro records from the
/// embedded cluster; commits are observable through CommittedAsync.</summary>
public sealed class HostingEndToEndTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static async Task<KafkaTestCluster> ClusterWithDataAsync(int perTopic, CancellationToken ct)
    {
        var cluster = await KafkaTestCluster.StartAsync(3);
        foreach (var topic in new[] { "invoices", "shipments", "refunds" }) cluster.CreateTopic(topic, 2);
        await cluster.ProduceAsync("invoices", Enumerable.Range(0, perTopic).Select(i =>
            new TestRecord(Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes($$"""{"Id":"inv-{{i}}","Amount":{{i}}.5}""")) { Partition = i % 2 }), ct);
        await cluster.ProduceAsync("shipments", Enumerable.Range(0, perTopic).Select(i =>
            new TestRecord(null, new Shipment { Id = $"s-{i}", Items = i }.ToByteArray()) { Partition = i % 2 }), ct);
        await cluster.ProduceAsync("refunds", Enumerable.Range(0, perTopic).Select(i =>
            new TestRecord(null, AvroRefund(i, $"reason {i}")) { Partition = i % 2 }), ct);
        return cluster;
    }

    /// <summary>Avro binary for {id: long, reason: string}: zigzag varint, then length-prefixed UTF-8.</summary>
    internal static byte[] AvroRefund(long id, string reason)
    {
        var bytes = new List<byte>();
        void Long(long v)
        {
            var z = (ulong)((v << 1) ^ (v >> 63));
            while (z >= 0x80)
            {
                bytes.Add((byte)(z | 0x80));
                z >>= 7;
            }
            bytes.Add((byte)z);
        }
        Long(id);
        var text = Encoding.UTF8.GetBytes(reason);
        Long(text.Length);
        bytes.AddRange(text);
        return [.. bytes];
    }

    private static IHost BuildHost(KafkaTestCluster cluster, Sink sink, Action<TypedKafkaOptions>? configure = null, Dictionary<string, string?>? config = null)
    {
        var builder = Host.CreateApplicationBuilder();
        if (config is not null) builder.Configuration.AddInMemoryCollection(config);
        builder.Services.AddSingleton(sink);
        builder.Services.AddTypedKafka(options =>
        {
            options.BootstrapServers = cluster.BootstrapServers;
            options.GroupId = "e2e";
            options.CommitInterval = TimeSpan.FromMilliseconds(200);
            options.HandlerRetryBackoff = TimeSpan.FromMilliseconds(20);
            options.Consumer.AutoOffsetReset = AutoOffsetReset.Earliest;
            options.Consumer.FetchMaxWait = TimeSpan.FromMilliseconds(100);
            options.Consumer.SessionTimeout = TimeSpan.FromSeconds(6);
            options.Consumer.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
            options.Groups = ["e2e", "refunds-group"]; // the engine tests' handlers have groups of their own
            configure?.Invoke(options);
        });
        return builder.Build();
    }

    [Fact]
    public async Task Handlers_for_json_protobuf_and_avro_consume_everything_and_commit()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await ClusterWithDataAsync(50, cts.Token);
        var sink = new Sink();
        using var host = BuildHost(cluster, sink);
        await host.StartAsync(cts.Token);
        var readiness = host.Services.GetRequiredService<TypedKafkaReadiness>();
        await readiness.WhenReadyAsync(cts.Token);
        Assert.True(readiness.IsReady);
        Assert.Equal(["e2e", "refunds-group"], readiness.Groups.Select(g => g.GroupId).Order());

        await Eventually.TrueAsync(() => sink.Count >= 150, Patience, "every record to be handled", cts.Token);
        await host.StopAsync(cts.Token);

        var received = sink.Received.ToList();
        Assert.Equal(150, received.Count);
        Assert.Equal(150, received.Select(r => (r.Topic, r.Partition, r.Offset)).Distinct().Count());
        var invoices = received.Where(r => r.Topic == "invoices").Select(r => (Invoice)r.Message).OrderBy(i => i.Amount).ToList();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => new Invoice($"inv-{i}", i + 0.5m)), invoices);
        Assert.Equal(Enumerable.Range(0, 50), received.Where(r => r.Topic == "shipments").Select(r => ((Shipment)r.Message).Items).Order());
        var refunds = received.Where(r => r.Topic == "refunds").Select(r => (Refund)r.Message).OrderBy(r => r.Id).ToList();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), refunds.Select(r => r.Id));
        Assert.Equal("reason 7", refunds[7].Reason);
        // Per partition, offsets arrive in order.
        foreach (var group in received.GroupBy(r => (r.Topic, r.Partition)))
            Assert.Equal(group.Select(r => r.Offset).Order(), group.Select(r => r.Offset));

        // Commits: every partition's committed offset is its end.
        foreach (var (groupId, topics) in new[] { ("e2e", new[] { "invoices", "shipments" }), ("refunds-group", new[] { "refunds" }) })
        {
            await using var check = new KafkaConsumer<Ignore, Ignore>(new ConsumerOptions { BootstrapServers = cluster.BootstrapServers, GroupId = groupId });
            foreach (var topic in topics)
            {
                for (var p = 0; p < 2; p++)
                {
                    var committed = await check.CommittedAsync(new TopicPartition(topic, p), cts.Token);
                    Assert.Equal(25, committed?.Offset);
                }
            }
        }
    }

    [Fact]
    public async Task A_failing_handler_is_retried_and_nothing_is_lost()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await ClusterWithDataAsync(10, cts.Token);
        var sink = new Sink();
        sink.FailOnce[("invoices", 3, 1)] = 1;
        sink.FailOnce[("refunds", 0, 0)] = 1;
        using var host = BuildHost(cluster, sink);
        await host.StartAsync(cts.Token);
        await Eventually.TrueAsync(() => sink.Count >= 30, Patience, "every record to be handled", cts.Token);
        await host.StopAsync(cts.Token);
        Assert.Equal(30, sink.Received.Select(r => (r.Topic, r.Partition, r.Offset)).Distinct().Count());
        Assert.Empty(sink.FailOnce);
    }

    [Fact]
    public async Task Configuration_is_bound_from_the_TypedKafka_section_and_bad_values_fail_at_start()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        using var host = BuildHost(cluster, new Sink(), configure: null, config: new()
        {
            ["TypedKafka:CommitInterval"] = "00:00:02",
            ["TypedKafka:Consumer:fetch.max.wait.ms"] = "123",
            ["TypedKafka:Consumer:PartitionAssignmentStrategy:0"] = "RoundRobin",
        });
        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TypedKafkaOptions>>().Value;
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.Consumer.FetchMaxWait); // the callback runs after the section
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.CommitInterval);
        Assert.Equal([PartitionAssignmentStrategy.RoundRobin], options.Consumer.PartitionAssignmentStrategy);

        using var bad = BuildHost(cluster, new Sink(), o => o.Consumer.FetchMaxBytes = -5);
        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => bad.StartAsync(cts.Token));
        Assert.Equal(nameof(ConsumerOptions.FetchMaxBytes), e.ParamName);

        using var unknown = BuildHost(cluster, new Sink(), configure: null, config: new() { ["TypedKafka:Colour"] = "blue" });
        var u = await Assert.ThrowsAnyAsync<ArgumentException>(() => unknown.StartAsync(cts.Token));
        Assert.Contains("TypedKafka:Colour", u.Message);
    }
}
