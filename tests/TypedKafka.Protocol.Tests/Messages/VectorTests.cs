using static TypedKafka.Protocol.Tests.Primitives.Bytes;

namespace TypedKafka.Protocol.Tests.Messages;

/// <summary>
/// Bytes written out by hand from the protocol spec (field by field, see each comment), decoded, checked,
/// and re-encoded to the same bytes. Independent of the generator.
/// </summary>
public class VectorTests
{
    private static T Decode<T>(byte[] bytes, short version)
        where T : class, IKafkaMessage<T>
    {
        var reader = new KafkaReader(bytes);
        var message = T.Read(ref reader, version);
        Assert.True(reader.IsAtEnd, $"{typeof(T).Name} v{version} left {reader.Remaining} byte(s)");
        Assert.Equal(bytes, MessageCatalog.Encode(message, version));
        return message;
    }

    [Fact]
    public void ApiVersionsResponseV0()
    {
        // error_code, [api_key min max]
        byte[] bytes = Of(I16(0), Arr(2), I16(0), I16(0), I16(9), I16(18), I16(0), I16(3));
        var r = Decode<ApiVersionsResponse>(bytes, 0);
        Assert.Equal(2, r.ApiKeys.Count);
        Assert.Equal((18, 0, 3), (r.ApiKeys[1].ApiKey, r.ApiKeys[1].MinVersion, r.ApiKeys[1].MaxVersion));
    }

    [Fact]
    public void ApiVersionsResponseV3WithTaggedFeatures()
    {
        // error_code, compact [api_key min max TAG_BUFFER], throttle_time_ms,
        // TAG_BUFFER: tag 0 SupportedFeatures (compact [name min max TAG_BUFFER]), tag 1 FinalizedFeaturesEpoch int64.
        byte[] features = Of(CArr(1), CStr("metadata.version"), I16(1), I16(20), NoTags);
        byte[] bytes = Of(I16(0), CArr(1), I16(1), I16(0), I16(17), NoTags, I32(5),
            2, 0, UVar((uint)features.Length), features, 1, 8, I64(42));
        var r = Decode<ApiVersionsResponse>(bytes, 3);
        Assert.Equal(17, r.ApiKeys[0].MaxVersion);
        Assert.Equal(5, r.ThrottleTimeMs);
        Assert.Equal("metadata.version", Assert.Single(r.SupportedFeatures).Name);
        Assert.Equal(42, r.FinalizedFeaturesEpoch);
        Assert.Empty(r.FinalizedFeatures);
        Assert.False(r.ZkMigrationReady);
    }

    [Fact]
    public void MetadataResponseV0()
    {
        // [brokers: node_id host port] [topics: error name [partitions: error index leader [replicas] [isr]]]
        byte[] bytes = Of(Arr(1), I32(1), Str("b1"), I32(9092),
            Arr(1), I16(0), Str("t"), Arr(1), I16(0), I32(0), I32(1), Arr(1), I32(1), Arr(1), I32(1));
        var r = Decode<MetadataResponse>(bytes, 0);
        Assert.Equal("b1", r.Brokers[0].Host);
        Assert.Equal(1, r.Topics[0].Partitions[0].LeaderId);
        Assert.Null(r.Brokers[0].Rack);
    }

    [Fact]
    public void MetadataResponseV1()
    {
        // v1 adds broker rack (nullable), controller_id, topic is_internal.
        byte[] bytes = Of(Arr(1), I32(1), Str("b1"), I32(9092), Str(null), I32(1),
            Arr(1), I16(3), Str("missing"), Bool(false), Arr(0));
        var r = Decode<MetadataResponse>(bytes, 1);
        Assert.Equal(1, r.ControllerId);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, (ErrorCode)r.Topics[0].ErrorCode);
    }

    [Fact]
    public void MetadataResponseV12()
    {
        // throttle, compact brokers [id host port rack TAGS], cluster_id, controller_id,
        // compact topics [error name(nullable) topic_id is_internal [partitions: error index leader epoch [r] [isr] [offline] TAGS] authorized_ops TAGS], TAGS
        byte[] bytes = Of(I32(0), CArr(1), I32(1), CStr("b1"), I32(9092), CStr("rack-a"), NoTags,
            CStr("cluster"), I32(1),
            CArr(1), I16(0), CStr("t"), Uuid(1, 2), Bool(false),
            CArr(1), I16(0), I32(0), I32(1), I32(7), CArr(1), I32(1), CArr(1), I32(1), CArr(0), NoTags,
            I32(int.MinValue), NoTags, NoTags);
        var r = Decode<MetadataResponse>(bytes, 12);
        Assert.Equal("rack-a", r.Brokers[0].Rack);
        Assert.Equal(new KafkaUuid(1, 2), r.Topics[0].TopicId);
        Assert.Equal(7, r.Topics[0].Partitions[0].LeaderEpoch);
        Assert.Equal("cluster", r.ClusterId);
    }

    private static readonly byte[] RecordBytes = [0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9];

    [Fact]
    public void FetchResponseV4WithAbortedTransactionsAndRecordsSlice()
    {
        // throttle, [topic [partition error hw lso [aborted: producer_id first_offset] records]]
        byte[] bytes = Of(I32(0), Arr(1), Str("t"), Arr(1), I32(0), I16(0), I64(100), I64(90),
            Arr(1), I64(7), I64(80), Blob(RecordBytes));
        var r = Decode<FetchResponse>(bytes, 4);
        var p = r.Responses[0].Partitions[0];
        Assert.Equal(90, p.LastStableOffset);
        Assert.Equal((7L, 80L), (p.AbortedTransactions![0].ProducerId, p.AbortedTransactions[0].FirstOffset));
        AssertSliceOf(bytes, p.Records!.Value, RecordBytes);
    }

    [Fact]
    public void FetchResponseV11()
    {
        // v7 adds error_code + session_id, v5 log_start_offset, v11 preferred_read_replica; null aborted + null records.
        byte[] bytes = Of(I32(0), I16(0), I32(123), Arr(1), Str("t"), Arr(1), I32(2), I16(1), I64(-1), I64(-1), I64(-1),
            Arr(-1), I32(3), Blob(null));
        var r = Decode<FetchResponse>(bytes, 11);
        var p = r.Responses[0].Partitions[0];
        Assert.Equal(123, r.SessionId);
        Assert.Equal(ErrorCode.OffsetOutOfRange, (ErrorCode)p.ErrorCode);
        Assert.Null(p.AbortedTransactions);
        Assert.Null(p.Records);
        Assert.Equal(3, p.PreferredReadReplica);
    }

    [Fact]
    public void FetchResponseV12FlexibleWithTaggedCurrentLeader()
    {
        // Compact encodings; partition TAGS carry tag 1 CurrentLeader {leader_id epoch TAGS}.
        byte[] leader = Of(I32(4), I32(9), NoTags);
        byte[] bytes = Of(I32(0), I16(0), I32(0), CArr(1), CStr("t"), CArr(1), I32(0), I16(0), I64(10), I64(10), I64(0),
            CArr(1), I64(7), I64(3), NoTags, I32(-1), CBlob(RecordBytes), 1, 1, UVar((uint)leader.Length), leader, NoTags, NoTags);
        var r = Decode<FetchResponse>(bytes, 12);
        var p = r.Responses[0].Partitions[0];
        Assert.Equal((4, 9), (p.CurrentLeader.LeaderId, p.CurrentLeader.LeaderEpoch));
        Assert.Equal(-1, p.DivergingEpoch.Epoch); // absent tagged struct keeps its spec defaults
        Assert.Single(p.AbortedTransactions!);
        AssertSliceOf(bytes, p.Records!.Value, RecordBytes);
    }

    [Fact]
    public void FetchResponseV13UsesTopicIds()
    {
        byte[] bytes = Of(I32(0), I16(0), I32(0), CArr(1), Uuid(5, 6), CArr(1), I32(0), I16(0), I64(10), I64(10), I64(0),
            CArr(-1), I32(-1), CBlob(RecordBytes), NoTags, NoTags, NoTags);
        var r = Decode<FetchResponse>(bytes, 13);
        Assert.Equal(new KafkaUuid(5, 6), r.Responses[0].TopicId);
        Assert.Equal("", r.Responses[0].Topic);
        AssertSliceOf(bytes, r.Responses[0].Partitions[0].Records!.Value, RecordBytes);
    }

    private static void AssertSliceOf(byte[] frame, ReadOnlyMemory<byte> slice, byte[] expected)
    {
        Assert.True(slice.Span.SequenceEqual(expected));
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(slice, out var segment));
        Assert.Same(frame, segment.Array); // no copy of the record data
    }

    [Fact]
    public void ListOffsetsV0AndV1()
    {
        // v0 request: replica_id [topic [partition timestamp max_num_offsets]]
        byte[] request0 = Of(I32(-1), Arr(1), Str("t"), Arr(1), I32(0), I64(-1), I32(1));
        Assert.Equal(1, Decode<ListOffsetsRequest>(request0, 0).Topics[0].Partitions[0].MaxNumOffsets);
        // v1 request drops max_num_offsets.
        byte[] request1 = Of(I32(-1), Arr(1), Str("t"), Arr(1), I32(0), I64(-2));
        Assert.Equal(-2, Decode<ListOffsetsRequest>(request1, 1).Topics[0].Partitions[0].Timestamp);
        // v0 response: [topic [partition error [old_style_offsets]]]
        byte[] response0 = Of(Arr(1), Str("t"), Arr(1), I32(0), I16(0), Arr(2), I64(50), I64(0));
        Assert.Equal([50L, 0L], Decode<ListOffsetsResponse>(response0, 0).Topics[0].Partitions[0].OldStyleOffsets);
        // v1 response: [topic [partition error timestamp offset]]
        byte[] response1 = Of(Arr(1), Str("t"), Arr(1), I32(0), I16(0), I64(-1), I64(50));
        var p = Decode<ListOffsetsResponse>(response1, 1).Topics[0].Partitions[0];
        Assert.Equal((-1L, 50L), (p.Timestamp, p.Offset));
    }

    [Fact]
    public void JoinGroupRequestV0V5V6()
    {
        byte[] metadata = [0, 0, 0, 0, 0, 1, 0, 1, (byte)'t', 0xFF, 0xFF, 0xFF, 0xFF];
        // v0: group session member protocol_type [name metadata]
        byte[] v0 = Of(Str("g"), I32(10000), Str(""), Str("consumer"), Arr(1), Str("range"), Blob(metadata));
        Assert.Equal("range", Decode<JoinGroupRequest>(v0, 0).Protocols[0].Name);
        // v5 adds rebalance_timeout (v1) and group_instance_id (nullable).
        byte[] v5 = Of(Str("g"), I32(10000), I32(300000), Str(""), Str("i-1"), Str("consumer"), Arr(1), Str("range"), Blob(metadata));
        Assert.Equal("i-1", Decode<JoinGroupRequest>(v5, 5).GroupInstanceId);
        // v6 is flexible.
        byte[] v6 = Of(CStr("g"), I32(10000), I32(300000), CStr(""), CStr(null), CStr("consumer"),
            CArr(1), CStr("range"), CBlob(metadata), NoTags, NoTags);
        var r6 = Decode<JoinGroupRequest>(v6, 6);
        Assert.Null(r6.GroupInstanceId);
        Assert.True(r6.Protocols[0].Metadata.Span.SequenceEqual(metadata));
    }

    [Fact]
    public void JoinGroupResponseV0V5V6()
    {
        byte[] v0 = Of(I16(0), I32(1), Str("range"), Str("m1"), Str("m1"), Arr(1), Str("m1"), Blob([1]));
        Assert.Equal("m1", Decode<JoinGroupResponse>(v0, 0).Leader);
        byte[] v5 = Of(I32(0), I16(0), I32(1), Str("range"), Str("m1"), Str("m1"), Arr(1), Str("m1"), Str(null), Blob([1]));
        Assert.Null(Decode<JoinGroupResponse>(v5, 5).Members[0].GroupInstanceId);
        byte[] v6 = Of(I32(0), I16(0), I32(1), CStr("range"), CStr("m1"), CStr("m1"), CArr(1), CStr("m1"), CStr("i"), CBlob([1]), NoTags, NoTags);
        Assert.Equal("i", Decode<JoinGroupResponse>(v6, 6).Members[0].GroupInstanceId);
    }

    [Fact]
    public void OffsetCommitRequestV2()
    {
        // group generation member retention_time [topic [partition offset metadata]]
        byte[] bytes = Of(Str("g"), I32(3), Str("m"), I64(-1), Arr(1), Str("t"), Arr(1), I32(0), I64(42), Str(null));
        var r = Decode<OffsetCommitRequest>(bytes, 2);
        Assert.Equal(3, r.GenerationIdOrMemberEpoch);
        Assert.Equal(42, r.Topics[0].Partitions[0].CommittedOffset);
        Assert.Null(r.Topics[0].Partitions[0].CommittedMetadata);
    }

    [Fact]
    public void FindCoordinatorV0AndV4()
    {
        Assert.Equal("g", Decode<FindCoordinatorRequest>(Of(Str("g")), 0).Key);
        var r0 = Decode<FindCoordinatorResponse>(Of(I16(0), I32(2), Str("host"), I32(9092)), 0);
        Assert.Equal((2, "host", 9092), (r0.NodeId, r0.Host, r0.Port));
        // v4 batches keys (KIP-699): key_type [keys] TAGS
        var q4 = Decode<FindCoordinatorRequest>(Of(I8(0), CArr(2), CStr("a"), CStr("b"), NoTags), 4);
        Assert.Equal(["a", "b"], q4.CoordinatorKeys);
        byte[] v4 = Of(I32(0), CArr(1), CStr("a"), I32(2), CStr("host"), I32(9092), I16(15), CStr("loading"), NoTags, NoTags);
        var c = Decode<FindCoordinatorResponse>(v4, 4).Coordinators[0];
        Assert.Equal(ErrorCode.CoordinatorNotAvailable, (ErrorCode)c.ErrorCode);
        Assert.Equal("loading", c.ErrorMessage);
    }

    [Fact]
    public void ConsumerProtocolSubscriptionV0V1V3()
    {
        // version, [topics], user_data
        byte[] v0 = Of(I16(0), Arr(1), Str("t"), Blob(null));
        var s0 = ConsumerProtocolSubscription.Deserialize(v0, out short version);
        Assert.Equal(0, version);
        Assert.Equal(["t"], s0.Topics);
        Assert.Null(s0.UserData);
        Assert.Equal(v0, s0.Serialize(0));
        // v1 adds owned_partitions [topic [partitions]].
        byte[] v1 = Of(I16(1), Arr(1), Str("t"), Blob([9]), Arr(1), Str("t"), Arr(2), I32(0), I32(1));
        var s1 = ConsumerProtocolSubscription.Deserialize(v1);
        Assert.Equal([0, 1], s1.OwnedPartitions[0].Partitions);
        Assert.Equal(v1, s1.Serialize(1));
        // v2 adds generation_id, v3 rack_id.
        byte[] v3 = Of(I16(3), Arr(1), Str("t"), Blob(null), Arr(0), I32(5), Str("rack"));
        var s3 = ConsumerProtocolSubscription.Deserialize(v3);
        Assert.Equal((5, "rack"), (s3.GenerationId, s3.RackId));
        Assert.Equal(v3, s3.Serialize(3));
        // A newer member's v4 blob is read as v3, ignoring appended fields, like the Java client.
        byte[] v4 = Of(I16(4), Arr(1), Str("t"), Blob(null), Arr(0), I32(5), Str("rack"), I32(12345));
        Assert.Equal("rack", ConsumerProtocolSubscription.Deserialize(v4, out version).RackId);
        Assert.Equal(3, version);
        Assert.Throws<KafkaProtocolException>(() => ConsumerProtocolSubscription.Deserialize(Of(I16(-1))));
    }

    [Fact]
    public void ConsumerProtocolAssignmentV0V3()
    {
        // version, [topic [partitions]], user_data
        byte[] v0 = Of(I16(0), Arr(1), Str("t"), Arr(1), I32(4), Blob(null));
        var a0 = ConsumerProtocolAssignment.Deserialize(v0);
        Assert.Equal(4, a0.AssignedPartitions[0].Partitions[0]);
        Assert.Equal(v0, a0.Serialize(0));
        byte[] v3 = Of(I16(3), Arr(2), Str("a"), Arr(0), Str("b"), Arr(1), I32(1), Blob([7, 7]));
        var a3 = ConsumerProtocolAssignment.Deserialize(v3);
        Assert.Equal("b", a3.AssignedPartitions[1].Topic);
        Assert.Equal(v3, a3.Serialize(3));
    }
}
