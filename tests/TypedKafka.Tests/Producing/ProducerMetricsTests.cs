using System.Diagnostics.Metrics;
using TypedKafka.Testing;

namespace TypedKafka.Tests.Producing;

public class ProducerMetricsTests
{
    [Fact]
    public async Task Acknowledged_records_are_counted_on_the_TypedKafka_meter_as_messaging_client_sent_messages()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("metered", 2);
        var sent = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "TypedKafka" && instrument.Name == "messaging.client.sent.messages") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "client.id" && (string?)tag.Value == "metered-producer") Interlocked.Add(ref sent, value);
        });
        listener.Start();
        await using var producer = new KafkaProducer<string, string>(new ProducerOptions { BootstrapServers = cluster.BootstrapServers, ClientId = "metered-producer" });
        var pending = Enumerable.Range(0, 500).Select(i => producer.ProduceAsync("metered", $"k{i}", "v").AsTask()).ToList();
        await Task.WhenAll(pending);
        Assert.Equal(500, Interlocked.Read(ref sent));
    }
}
