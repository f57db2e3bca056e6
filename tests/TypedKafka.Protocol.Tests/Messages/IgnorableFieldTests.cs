namespace TypedKafka.Protocol.Tests.Messages;

public class IgnorableFieldTests
{
    [Fact]
    public void StaticMembershipCannotBeSilentlyDroppedBeforeJoinGroupV5()
    {
        var request = new JoinGroupRequest { GroupId = "g", ProtocolType = "consumer", GroupInstanceId = "instance-1" };
        var e = Assert.Throws<UnsupportedVersionException>(() => request.ComputeSize(4));
        Assert.Equal("JoinGroupRequest.GroupInstanceId", e.FieldName);
        Assert.Equal(JoinGroupRequest.ApiKey, e.ApiKey);
        Assert.Contains("v4", e.Message, StringComparison.Ordinal);
        Assert.True(request.ComputeSize(5) > 0);
    }

    [Fact]
    public void IgnorableFieldsAreDroppedSilently()
    {
        // RebalanceTimeoutMs (1+) and Reason (8+) are ignorable.
        var request = new JoinGroupRequest { GroupId = "g", ProtocolType = "consumer", RebalanceTimeoutMs = 30000, Reason = "why" };
        var bytes = MessageCatalog.Encode(request, 0);
        var reader = new KafkaReader(bytes);
        var decoded = JoinGroupRequest.Read(ref reader, 0);
        Assert.Equal(-1, decoded.RebalanceTimeoutMs);
        Assert.Null(decoded.Reason);
    }

    [Fact]
    public void NonIgnorableTaggedFieldAndDefaultsFromSpec()
    {
        var fetch = new FetchRequest();
        Assert.Equal(-1, fetch.ReplicaId);
        Assert.Equal(0x7fffffff, fetch.MaxBytes);
        Assert.Equal("", fetch.RackId);
        Assert.Null(fetch.ClusterId);
        Assert.True(new MetadataRequest().AllowAutoTopicCreation);

        // ReplicaState is tagged from v15 and not ignorable.
        fetch.ReplicaState.ReplicaEpoch = 5;
        var e = Assert.Throws<UnsupportedVersionException>(() => fetch.ComputeSize(14));
        Assert.Equal("FetchRequest.ReplicaState", e.FieldName);
        Assert.True(fetch.ComputeSize(15) > 0);

        // AllowAutoTopicCreation (4+) is not ignorable: false cannot be expressed before v4.
        var metadata = new MetadataRequest { AllowAutoTopicCreation = false };
        Assert.Throws<UnsupportedVersionException>(() => metadata.ComputeSize(3));
    }

    [Fact]
    public void NullInANonNullableVersionIsRefused()
    {
        // Topics became nullable in Metadata v1; v0 has no way to say "all topics" with null.
        var request = new MetadataRequest { Topics = null };
        var e = Assert.Throws<UnsupportedVersionException>(() => request.ComputeSize(0));
        Assert.Equal("MetadataRequest.Topics", e.FieldName);
        Assert.Equal(4 + 0 + 0, new MetadataRequest { Topics = null }.ComputeSize(1));
    }
}
