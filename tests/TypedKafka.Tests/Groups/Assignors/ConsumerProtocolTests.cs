using TypedKafka.Groups.Assignors;
using static TypedKafka.Tests.Groups.Assignors.AssignorTestKit;

namespace TypedKafka.Tests.Groups.Assignors;

/// <summary>
/// The consumer protocol blobs against bytes written by hand from the schema (int16 version, then
/// topics [STRING], user_data NULLABLE_BYTES, owned_partitions [topic STRING, partitions [INT32]] (v1+),
/// generation_id INT32 (v2+), rack_id NULLABLE_STRING (v3+); assignments: [topic, [INT32]], user_data).
/// </summary>
public sealed class ConsumerProtocolTests
{
    private static MemberSubscription FullSubscription() => new(["orders", "audit"])
    {
        OwnedPartitions = [Tp("orders", 2), Tp("audit", 0), Tp("orders", 0)],
        GenerationId = 7,
        RackId = "rack-a",
        UserData = new byte[] { 1, 2, 3 },
    };

    [Fact]
    public void V3_subscription_is_encoded_as_the_Java_client_does()
    {
        // Java 3.x: topics sorted, owned partitions sorted by topic then partition and grouped per topic.
        byte[] expected = Of(I16(3),
            Arr(2), Str("audit"), Str("orders"),
            Blob([1, 2, 3]),
            Arr(2), Str("audit"), Arr(1), I32(0), Str("orders"), Arr(2), I32(0), I32(2),
            I32(7),
            Str("rack-a"));
        Assert.Equal(expected, ConsumerProtocol.EncodeSubscription(FullSubscription()));
    }

    [Fact]
    public void Java_v1_subscription_with_owned_partitions_decodes()
    {
        // What a Java 2.4..3.0 cooperative member sends: v1 with owned partitions and a 4-byte generation user data.
        byte[] bytes = Of(I16(1),
            Arr(1), Str("t"),
            Blob(I32(4)),
            Arr(1), Str("t"), Arr(3), I32(0), I32(1), I32(5));
        var s = ConsumerProtocol.DecodeSubscription(bytes, "instance-1", out short version);
        Assert.Equal(1, version);
        Assert.Equal(["t"], s.Topics);
        Assert.Equal([Tp("t", 0), Tp("t", 1), Tp("t", 5)], s.OwnedPartitions);
        Assert.Equal(MemberSubscription.NoGeneration, s.GenerationId);
        Assert.Null(s.RackId);
        Assert.Equal("instance-1", s.GroupInstanceId);
        Assert.Equal(I32(4), s.UserData!.Value.ToArray());
    }

    [Fact]
    public void V0_subscription_with_sticky_user_data_decodes()
    {
        // A Java eager "sticky" member: v0 would carry only topics and the StickyAssignorUserData v1 blob.
        byte[] userData = Of(Arr(1), Str("t"), Arr(2), I32(0), I32(1), I32(3));
        byte[] bytes = Of(I16(0), Arr(1), Str("t"), Blob(userData));
        var s = ConsumerProtocol.DecodeSubscription(bytes);
        Assert.Empty(s.OwnedPartitions);
        Assert.True(StickyUserData.TryDecode(s.UserData!.Value, out var previous, out int generation));
        Assert.Equal([Tp("t", 0), Tp("t", 1)], previous);
        Assert.Equal(3, generation);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Subscription_round_trips_at_every_version(short version)
    {
        byte[] bytes = ConsumerProtocol.EncodeSubscription(FullSubscription(), version);
        var decoded = ConsumerProtocol.DecodeSubscription(bytes, null, out short read);
        Assert.Equal(version, read);
        Assert.Equal(["audit", "orders"], decoded.Topics);
        Assert.Equal([1, 2, 3], decoded.UserData!.Value.ToArray());
        Assert.Equal(version >= 1 ? [Tp("audit", 0), Tp("orders", 0), Tp("orders", 2)] : [], decoded.OwnedPartitions);
        Assert.Equal(version >= 2 ? 7 : -1, decoded.GenerationId);
        Assert.Equal(version >= 3 ? "rack-a" : null, decoded.RackId);
        Assert.Equal(bytes, ConsumerProtocol.EncodeSubscription(decoded, version));
    }

    [Fact]
    public void Subscription_v0_bytes_match_the_schema()
    {
        byte[] expected = Of(I16(0), Arr(1), Str("t"), Blob(null));
        Assert.Equal(expected, ConsumerProtocol.EncodeSubscription(new MemberSubscription(["t"]) { OwnedPartitions = [Tp("t", 1)], GenerationId = 3 }, 0));
    }

    [Fact]
    public void Subscription_v2_bytes_match_the_schema()
    {
        byte[] expected = Of(I16(2), Arr(1), Str("t"), Blob(null), Arr(0), I32(-1));
        Assert.Equal(expected, ConsumerProtocol.EncodeSubscription(new MemberSubscription(["t"]) { RackId = "ignored at v2" }, 2));
    }

    [Fact]
    public void Empty_rack_is_sent_and_read_as_null()
    {
        byte[] bytes = ConsumerProtocol.EncodeSubscription(new MemberSubscription(["t"]) { RackId = "" });
        Assert.Equal(Of(I16(3), Arr(1), Str("t"), Blob(null), Arr(0), I32(-1), NullStr), bytes);
        Assert.Null(ConsumerProtocol.DecodeSubscription(Of(I16(3), Arr(1), Str("t"), Blob(null), Arr(0), I32(2), Str(""))).RackId);
    }

    [Fact]
    public void Newer_subscription_version_is_read_as_v3_ignoring_appended_fields()
    {
        byte[] bytes = Of(I16(9), Arr(1), Str("t"), Blob(null), Arr(0), I32(12), Str("r"), I32(99), Str("future"));
        var s = ConsumerProtocol.DecodeSubscription(bytes, null, out short version);
        Assert.Equal(3, version);
        Assert.Equal((12, "r"), (s.GenerationId, s.RackId));
        Assert.Null(s.UserData);
    }

    [Fact]
    public void Null_and_empty_user_data_stay_distinct()
    {
        Assert.Null(ConsumerProtocol.DecodeSubscription(Of(I16(0), Arr(0), Blob(null))).UserData);
        Assert.Equal(0, ConsumerProtocol.DecodeSubscription(Of(I16(0), Arr(0), Blob([]))).UserData!.Value.Length);
        Assert.Null(ConsumerProtocol.DecodeAssignment(Of(I16(0), Arr(0), Blob(null))).UserData);
        Assert.Equal(0, ConsumerProtocol.DecodeAssignment(Of(I16(0), Arr(0), Blob([]))).UserData!.Value.Length);
    }

    [Fact]
    public void Decoded_user_data_is_a_copy()
    {
        byte[] bytes = Of(I16(0), Arr(0), Blob([5, 6]));
        var s = ConsumerProtocol.DecodeSubscription(bytes);
        bytes[^1] = 0;
        Assert.Equal([5, 6], s.UserData!.Value.ToArray());
    }

    [Fact]
    public void Assignment_bytes_match_the_schema_and_group_by_topic_in_order()
    {
        byte[] expected = Of(I16(3),
            Arr(2), Str("b"), Arr(2), I32(1), I32(0), Str("a"), Arr(1), I32(4),
            Blob([9]));
        Assert.Equal(expected, ConsumerProtocol.EncodeAssignment([Tp("b", 1), Tp("a", 4), Tp("b", 0)], new byte[] { 9 }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Assignment_round_trips_at_every_version(short version)
    {
        TopicPartition[] partitions = [Tp("a", 0), Tp("a", 3), Tp("b", 1)];
        byte[] bytes = ConsumerProtocol.EncodeAssignment(partitions, null, version);
        Assert.Equal(Of(I16(version), Arr(2), Str("a"), Arr(2), I32(0), I32(3), Str("b"), Arr(1), I32(1), Blob(null)), bytes);
        var decoded = ConsumerProtocol.DecodeAssignment(bytes, out short read);
        Assert.Equal(version, read);
        Assert.Equal(partitions, decoded.Partitions);
        Assert.Null(decoded.UserData);
    }

    [Fact]
    public void Empty_assignment_and_newer_version()
    {
        Assert.Equal(Of(I16(3), Arr(0), Blob(null)), ConsumerProtocol.EncodeAssignment([]));
        var decoded = ConsumerProtocol.DecodeAssignment(Of(I16(5), Arr(1), Str("t"), Arr(1), I32(2), Blob([1]), I16(0)), out short version);
        Assert.Equal(3, version);
        Assert.Equal([Tp("t", 2)], decoded.Partitions);
        Assert.Equal([1], decoded.UserData!.Value.ToArray());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(4)]
    public void Encoding_an_unknown_version_is_an_argument_error(short version)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ConsumerProtocol.EncodeSubscription(new MemberSubscription(["t"]), version));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConsumerProtocol.EncodeAssignment([], null, version));
    }

    [Fact]
    public void Every_truncation_of_a_subscription_is_a_protocol_error()
    {
        byte[] bytes = ConsumerProtocol.EncodeSubscription(FullSubscription());
        for (int length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes.AsMemory(0, length);
            Assert.Throws<KafkaProtocolException>(() => ConsumerProtocol.DecodeSubscription(prefix));
        }
    }

    [Fact]
    public void Every_truncation_of_an_assignment_is_a_protocol_error()
    {
        byte[] bytes = ConsumerProtocol.EncodeAssignment([Tp("a", 0), Tp("b", 7)], new byte[] { 1, 2 });
        for (int length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes.AsMemory(0, length);
            Assert.Throws<KafkaProtocolException>(() => ConsumerProtocol.DecodeAssignment(prefix));
        }
    }

    public static TheoryData<byte[]> MalformedSubscriptions() => new()
    {
        Of(I16(-1), Arr(0), Blob(null)),                                  // negative version
        Of(I16(0), Arr(-1), Blob(null)),                                  // null topics array
        Of(I16(0), Arr(-2), Blob(null)),                                  // negative array length
        Of(I16(0), Arr(int.MaxValue), Blob(null)),                        // count larger than the data
        Of(I16(0), Arr(1), NullStr, Blob(null)),                          // null topic name
        Of(I16(0), Arr(1), I16(50), 0x61, Blob(null)),                    // string longer than the data
        Of(I16(0), Arr(0), I32(-7)),                                      // invalid bytes length
        Of(I16(0), Arr(0), I32(100), 1, 2),                               // user data longer than the data
        Of(I16(1), Arr(0), Blob(null), Arr(1), NullStr, Arr(0)),          // null owned topic
        Of(I16(1), Arr(0), Blob(null), Arr(1), Str("t"), Arr(-1)),        // null owned partitions
        Of(I16(1), Arr(0), Blob(null), Arr(1), Str("t"), Arr(3), I32(0)), // owned partitions cut short
        Of(I16(3), Arr(0), Blob(null), Arr(0), I32(1), I16(-3)),          // invalid rack length
    };

    [Theory]
    [MemberData(nameof(MalformedSubscriptions))]
    public void Malformed_subscription_is_a_protocol_error(byte[] bytes)
    {
        Assert.Throws<KafkaProtocolException>(() => ConsumerProtocol.DecodeSubscription(bytes));
    }

    public static TheoryData<byte[]> MalformedAssignments() => new()
    {
        Of(I16(-2), Arr(0), Blob(null)),
        Of(I16(0), Arr(-1), Blob(null)),
        Of(I16(0), Arr(1000), Blob(null)),
        Of(I16(0), Arr(1), NullStr, Arr(0), Blob(null)),
        Of(I16(0), Arr(1), Str("t"), Arr(-1), Blob(null)),
        Of(I16(0), Arr(1), Str("t"), Arr(2), I32(0), Blob(null)),
        Of(I16(0), Arr(0), I32(-2)),
    };

    [Theory]
    [MemberData(nameof(MalformedAssignments))]
    public void Malformed_assignment_is_a_protocol_error(byte[] bytes)
    {
        Assert.Throws<KafkaProtocolException>(() => ConsumerProtocol.DecodeAssignment(bytes));
    }

    [Fact]
    public void Random_bytes_never_throw_anything_but_a_protocol_error()
    {
        var random = new Random(20240501);
        byte[] valid = ConsumerProtocol.EncodeSubscription(FullSubscription());
        for (int i = 0; i < 2000; i++)
        {
            byte[] bytes = (byte[])valid.Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            try { ConsumerProtocol.DecodeSubscription(bytes); } catch (KafkaProtocolException) { }
            try { ConsumerProtocol.DecodeAssignment(bytes); } catch (KafkaProtocolException) { }
        }
    }
}
