namespace TypedKafka.Protocol.Tests.Errors;

public class ErrorCodeTests
{
    [Fact]
    public void EveryDefinedCodeHasANameAndADescription()
    {
        var values = Enum.GetValues<ErrorCode>();
        Assert.Equal(135, values.Length); // -1, 0, 1..133
        Assert.Equal(values.Length, ErrorCodes.All.Count);
        foreach (var code in values)
        {
            Assert.True(ErrorCodes.IsKnown(code));
            string name = ErrorCodes.KafkaName(code);
            Assert.Matches("^[A-Z0-9_]+$", name);
            // The enum member is the PascalCase form of Kafka's name.
            Assert.Equal(string.Concat(name.Split('_').Select(p => p[0] + p[1..].ToLowerInvariant())), code.ToString());
            Assert.False(string.IsNullOrWhiteSpace(ErrorCodes.Describe(code)));
        }
        Assert.Equal(values.Length, values.Select(ErrorCodes.Describe).Distinct().Count());
    }

    [Theory]
    [InlineData(-1, "UNKNOWN_SERVER_ERROR")]
    [InlineData(0, "NONE")]
    [InlineData(1, "OFFSET_OUT_OF_RANGE")]
    [InlineData(3, "UNKNOWN_TOPIC_OR_PARTITION")]
    [InlineData(6, "NOT_LEADER_OR_FOLLOWER")]
    [InlineData(35, "UNSUPPORTED_VERSION")]
    [InlineData(79, "MEMBER_ID_REQUIRED")]
    [InlineData(113, "STALE_MEMBER_EPOCH")]
    [InlineData(133, "SHARE_SESSION_LIMIT_REACHED")]
    public void KnownCodes(short code, string name)
    {
        Assert.Equal(name, ErrorCodes.KafkaName((ErrorCode)code));
    }

    [Theory]
    [InlineData(ErrorCode.CorruptMessage, true)]
    [InlineData(ErrorCode.UnknownTopicOrPartition, true)]
    [InlineData(ErrorCode.LeaderNotAvailable, true)]
    [InlineData(ErrorCode.NotLeaderOrFollower, true)]
    [InlineData(ErrorCode.RequestTimedOut, true)]
    [InlineData(ErrorCode.NetworkException, true)]
    [InlineData(ErrorCode.CoordinatorLoadInProgress, true)]
    [InlineData(ErrorCode.CoordinatorNotAvailable, true)]
    [InlineData(ErrorCode.NotCoordinator, true)]
    [InlineData(ErrorCode.NotEnoughReplicas, true)]
    [InlineData(ErrorCode.FencedLeaderEpoch, true)]
    [InlineData(ErrorCode.UnknownLeaderEpoch, true)]
    [InlineData(ErrorCode.OffsetNotAvailable, true)]
    [InlineData(ErrorCode.UnstableOffsetCommit, true)]
    [InlineData(ErrorCode.ThrottlingQuotaExceeded, true)]
    [InlineData(ErrorCode.UnknownTopicId, true)]
    [InlineData(ErrorCode.FetchSessionIdNotFound, true)]
    [InlineData(ErrorCode.UnknownServerError, false)]
    [InlineData(ErrorCode.None, false)]
    [InlineData(ErrorCode.OffsetOutOfRange, false)]
    [InlineData(ErrorCode.BrokerNotAvailable, false)]
    [InlineData(ErrorCode.MessageTooLarge, false)]
    [InlineData(ErrorCode.IllegalGeneration, false)]
    [InlineData(ErrorCode.UnknownMemberId, false)]
    [InlineData(ErrorCode.RebalanceInProgress, false)]
    [InlineData(ErrorCode.TopicAuthorizationFailed, false)]
    [InlineData(ErrorCode.UnsupportedVersion, false)]
    [InlineData(ErrorCode.FencedInstanceId, false)]
    [InlineData(ErrorCode.FencedMemberEpoch, false)]
    public void RetriableMatchesTheJavaClient(ErrorCode code, bool retriable)
    {
        Assert.Equal(retriable, ErrorCodes.IsRetriable(code));
    }

    [Fact]
    public void UnknownCodesNeverThrow()
    {
        var unknown = ErrorCodes.FromWire(4242);
        Assert.False(ErrorCodes.IsKnown(unknown));
        Assert.False(ErrorCodes.IsRetriable(unknown));
        Assert.Equal("UNKNOWN_ERROR_CODE_4242", ErrorCodes.KafkaName(unknown));
        Assert.Contains("4242", ErrorCodes.Describe(unknown), StringComparison.Ordinal);
        Assert.Equal("UNKNOWN_ERROR_CODE_-77", ErrorCodes.KafkaName((ErrorCode)(-77)));
    }
}
