using System.Text;
using TypedKafka.Protocol;
using static TypedKafka.Tests.ByteLevel.ByteLevelKit;
using static TypedKafka.Tests.ByteLevel.FakeRecords;

namespace TypedKafka.Tests.ByteLevel;

/// <summary>A record the application's deserializer cannot read: the records before it come first, then a
/// RecordDeserializationException with everything needed to skip it, and a seek past it loses nothing else.</summary>
public sealed class PoisonRecordTests
{
    [Theory]
    [InlineData(CompressionCodec.None)]
    [InlineData(CompressionCodec.Zstd)]
    public async Task A_value_that_fails_to_deserialize_is_reported_with_its_bytes_and_a_seek_past_it_loses_nothing(CompressionCodec codec)
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        broker.Cluster.Log(Topic).Append(Concat(
            Values(0, ["v0", "v1", "v2", "poison", "v4"], codec),
            Values(5, ["v5", "v6"], codec)));
        await using var consumer = NewConsumer(broker, valueDeserializer: new ThrowingOn("poison"));

        var (before, error) = await ConsumeUntilErrorAsync(consumer);

        AssertOffsets(before, [0, 1, 2]);
        var poison = Assert.IsType<RecordDeserializationException>(error);
        Assert.Equal(Topic, poison.Topic);
        Assert.Equal(0, poison.Partition);
        Assert.Equal(3, poison.Offset);
        Assert.False(poison.IsKey);
        Assert.Equal("poison", Encoding.UTF8.GetString(poison.RawValue!.Value.Span));
        Assert.Equal("k3", Encoding.UTF8.GetString(poison.RawKey!.Value.Span));
        Assert.IsType<FormatException>(poison.InnerException);
        Assert.Equal(3, await consumer.PositionAsync(P0));

        // Polling again reports the same record again: nothing is skipped silently.
        var again = await Assert.ThrowsAsync<RecordDeserializationException>(async () => await consumer.PollAsync(TimeSpan.FromSeconds(1)));
        Assert.Equal(3, again.Offset);

        consumer.Seek(P0, poison.Offset + 1);
        var after = await ConsumeAsync(consumer, 3);
        AssertOffsets(after, [4, 5, 6]);
        Assert.Equal(["v4", "v5", "v6"], after.Select(r => r.Value));
        Assert.Empty(await PollQuietlyAsync(consumer, TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task With_maxRecords_the_records_before_the_poison_come_over_several_polls()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        broker.Cluster.Log(Topic).Append(Values(0, ["v0", "v1", "v2", "v3", "poison", "v5"]));
        await using var consumer = NewConsumer(broker, valueDeserializer: new ThrowingOn("poison"));

        var first = await consumer.PollAsync(Patience, maxRecords: 3);
        AssertOffsets(first, [0, 1, 2]);
        var second = await consumer.PollAsync(Patience, maxRecords: 3);
        AssertOffsets(second, [3]);
        var error = await Assert.ThrowsAsync<RecordDeserializationException>(async () => await consumer.PollAsync(Patience, maxRecords: 3));
        Assert.Equal(4, error.Offset);

        consumer.Seek(P0, 5);
        AssertOffsets(await ConsumeAsync(consumer, 1), [5]);
    }
}
