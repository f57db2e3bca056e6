using Avro.Generic;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TypedKafka.Testing;
using TypedKafka.Testing.SchemaRegistry;

namespace TypedKafka.Hosting.SchemaRegistryTests;

/// <summary>
/// Issue 14 end to end: Confluent.SchemaRegistry.Serdes.Avro writes records with an older, the current and a newer
/// schema of Member (and one incompatible schema) interleaved on one topic, registering them in an in-process registry;
/// the [KafkaTopic] handler under AddTypedKafka receives each correctly, each schema id is fetched once, the
/// incompatible record follows the handler's Skip policy, and a record whose schema cannot be fetched (the registry
/// hangs) is retried rather than skipped, then handled once the registry answers.
/// </summary>
public sealed class SchemaEvolutionEndToEndTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private const string Older = """{"type":"record","name":"Member","namespace":"com.example.club","fields":[{"name":"id","type":"int"},{"name":"name","type":"string"}]}""";

    private const string Newer = """
        {"type":"record","name":"Member","namespace":"com.example.club","fields":[
          {"name":"id","type":"long"},{"name":"name","type":"string"},
          {"name":"tier","type":{"type":"enum","name":"Tier","symbols":["Basic","Gold","Platinum"]}},
          {"name":"email","type":["null","string"]},{"name":"nickname","type":"string"}]}
        """;

    private const string Incompatible = """{"type":"record","name":"Member","namespace":"com.example.club","fields":[{"name":"id","type":"string"},{"name":"name","type":"string"}]}""";

    private const string Later = """{"type":"record","name":"Member","namespace":"com.example.club","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"joined","type":"long"}]}""";

    [Fact]
    public async Task Records_of_several_writer_schemas_reach_the_handler_resolved_and_a_hanging_registry_delays_instead_of_skipping()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var registry = new TestSchemaRegistry();
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("members", 1);

        using var confluentClient = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registry.Url });
        var serializer = new AvroSerializer<GenericRecord>(confluentClient, new AvroSerializerConfig { AutoRegisterSchemas = true });
        var current = (Avro.RecordSchema)Avro.Schema.Parse(TypedKafka.Generated.KafkaAvroDeserializer_TypedKafka_Hosting_SchemaRegistryTests_Member.ReaderSchemaJson);
        var older = (Avro.RecordSchema)Avro.Schema.Parse(Older);
        var newer = (Avro.RecordSchema)Avro.Schema.Parse(Newer);
        var incompatible = (Avro.RecordSchema)Avro.Schema.Parse(Incompatible);

        var records = new List<TestRecord>();
        for (int i = 0; i < 30; i++)
        {
            GenericRecord record;
            if (i == 10)
            {
                record = new GenericRecord(incompatible);
                record.Add("id", "ten");
                record.Add("name", "m10");
            }
            else if (i % 3 == 0)
            {
                record = new GenericRecord(older);
                record.Add("id", i);
                record.Add("name", $"m{i}");
            }
            else if (i % 3 == 1)
            {
                record = new GenericRecord(current);
                record.Add("id", (long)i);
                record.Add("name", $"m{i}");
                record.Add("tier", new GenericEnum((Avro.EnumSchema)current["tier"].Schema, "Gold"));
                record.Add("email", $"m{i}@example.com");
            }
            else
            {
                record = new GenericRecord(newer);
                record.Add("id", (long)i);
                record.Add("name", $"m{i}");
                record.Add("tier", new GenericEnum((Avro.EnumSchema)newer["tier"].Schema, "Platinum"));
                record.Add("email", null);
                record.Add("nickname", $"n{i}");
            }

            byte[] value = await serializer.SerializeAsync(record, new Confluent.Kafka.SerializationContext(Confluent.Kafka.MessageComponentType.Value, "members"));
            records.Add(new TestRecord(null, value));
        }

        await cluster.ProduceAsync("members", records, cts.Token);
        int[] ids = [1, 2, 3, 4]; // the in-process registry numbers schemas in the order the serializer registered them
        Assert.True(registry.Count("POST /subjects/members-value/versions") >= 4);

        var sink = new Sink();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(sink);
        builder.Services.AddTypedKafka(options =>
        {
            options.BootstrapServers = cluster.BootstrapServers;
            options.CommitInterval = TimeSpan.FromMilliseconds(200);
            options.HandlerRetryBackoff = TimeSpan.FromMilliseconds(20);
            options.MaxHandlerRetryBackoff = TimeSpan.FromMilliseconds(200);
            options.Consumer.AutoOffsetReset = AutoOffsetReset.Earliest;
            options.Consumer.FetchMaxWait = TimeSpan.FromMilliseconds(100);
            options.Consumer.SessionTimeout = TimeSpan.FromSeconds(6);
            options.Consumer.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
            options.SchemaRegistry = new TypedKafka.SchemaRegistry.SchemaRegistryOptions
            {
                Url = registry.Url,
                // Generous for a loaded machine: an answer slower than this is asked for again, and the test
                // asserts one request per schema id. The hanging phase below waits for two such timeouts.
                RequestTimeout = TimeSpan.FromSeconds(3),
                MaxRetries = 0,
                RetryBackoff = TimeSpan.FromMilliseconds(10),
                MaxRetryBackoff = TimeSpan.FromMilliseconds(50),
            };
        });
        using var host = builder.Build();
        await host.StartAsync(cts.Token);

        await Eventually.TrueAsync(() => sink.Received.Count >= 29, Patience, "the 29 compatible records to be handled", cts.Token);
        var received = sink.Received.ToList();
        Assert.Equal(29, received.Count);
        Assert.Equal(Enumerable.Range(0, 30).Where(i => i != 10).Select(i => (long)i), received.Select(r => r.Offset)); // in order; offset 10 skipped
        foreach (var (offset, member) in received)
        {
            Assert.Equal(offset, member.Id);
            Assert.Equal($"m{offset}", member.Name);
            switch (offset % 3)
            {
                case 0: // older writer: int id promoted, tier and email from the reader's defaults
                    Assert.Equal(Member.TierType.Basic, member.Tier);
                    Assert.Null(member.Email);
                    break;
                case 1: // the reader's own schema
                    Assert.Equal(Member.TierType.Gold, member.Tier);
                    Assert.Equal($"m{offset}@example.com", member.Email);
                    break;
                default: // newer writer: unknown symbol Platinum -> the enum's default, nickname skipped
                    Assert.Equal(Member.TierType.Basic, member.Tier);
                    Assert.Null(member.Email);
                    break;
            }
        }

        foreach (int id in ids)
            Assert.Equal(1, registry.Count($"GET /schemas/ids/{id}"));

        // The registry stops answering; a record with a schema id not yet cached waits (retried), it is not skipped.
        registry.Hang = true;
        var later = (Avro.RecordSchema)Avro.Schema.Parse(Later);
        var record30 = new GenericRecord(later);
        record30.Add("id", 30L);
        record30.Add("name", "m30");
        record30.Add("joined", 1_700_000_000_000L);
        byte[] value30 = await serializer.SerializeAsync(record30, new Confluent.Kafka.SerializationContext(Confluent.Kafka.MessageComponentType.Value, "members"));
        await cluster.ProduceAsync("members", [new TestRecord(null, value30)], cts.Token);
        await Eventually.TrueAsync(() => registry.Count("GET /schemas/ids/5") >= 2, Patience, "the new schema id to be asked for again after a timeout", cts.Token);
        Assert.Equal(29, sink.Received.Count);

        registry.Hang = false;
        await Eventually.TrueAsync(() => sink.Received.Count >= 30, Patience, "the record to be handled once the registry answers", cts.Token);
        var last = sink.Received.Last();
        Assert.Equal((30L, 30L, "m30"), (last.Offset, last.Member.Id, last.Member.Name));
        await host.StopAsync(cts.Token);
    }
}
