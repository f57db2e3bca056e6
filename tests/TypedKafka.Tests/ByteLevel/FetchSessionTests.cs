using TypedKafka.Protocol;
using static TypedKafka.Tests.ByteLevel.ByteLevelKit;
using static TypedKafka.Tests.ByteLevel.FakeRecords;

namespace TypedKafka.Tests.ByteLevel;

/// <summary>Incremental fetch sessions (KIP-227) against a broker that keeps sessions: (id 0, epoch 0) opens one with a
/// full request; then (id, 1), (id, 2)... list only what changed; FETCH_SESSION_ID_NOT_FOUND starts over; epoch -1 is a
/// sessionless full fetch.</summary>
public sealed class FetchSessionTests
{
    private static IReadOnlyList<(int Partition, long Offset)> Listed(FetchRequest request) =>
        [.. request.Topics.SelectMany(t => t.Partitions).Select(p => (p.Partition, p.FetchOffset)).OrderBy(p => p.Partition)];

    [Fact]
    public async Task The_first_fetch_opens_a_session_and_later_ones_list_only_changed_partitions_with_increasing_epochs()
    {
        await using var broker = new FakeKafkaBroker { FetchSessions = true };
        broker.Cluster.AddTopic(Topic, partitions: 2);
        broker.Cluster.Log(Topic, 0).Append(Batch(0, 5, "a"));
        await using var consumer = NewConsumer(broker, assign: [P0, P1]);

        AssertOffsets(await ConsumeAsync(consumer, 5), Range(0, 5));
        // p1 gets data while it is in the session but not listed in the requests: the broker still sends it.
        broker.Cluster.Log(Topic, 1).Append(Batch(0, 3, "b"));
        var more = await ConsumeAsync(consumer, 3);
        Assert.Equal(["b0", "b1", "b2"], more.Select(r => r.Value));
        await WaitForRequestAsync(broker, ApiKey.Fetch, r => Listed(r.Fetch).Contains((1, 3)), "p1's new offset in a request");
        await WaitForRequestAsync(broker, ApiKey.Fetch, r => r.Fetch.SessionEpoch > 0 && Listed(r.Fetch).Count == 0, "a request with nothing changed");

        var fetches = broker.Fetches;
        var first = fetches[0];
        Assert.Equal(0, first.SessionId);
        Assert.Equal(0, first.SessionEpoch);
        Assert.Equal([(0, 0L), (1, 0L)], Listed(first));

        var sessionId = 1001; // the fake broker's first session id on node 1
        var incremental = fetches.Skip(1).ToList();
        Assert.All(incremental, f => Assert.Equal(sessionId, f.SessionId));
        Assert.Equal([.. Enumerable.Range(1, incremental.Count)], incremental.Select(f => f.SessionEpoch));
        Assert.All(incremental, f => Assert.Empty(f.ForgottenTopicsData));
        // After the first answer only p0 moved: the second request lists p0 alone, at its new offset.
        Assert.Equal([(0, 5L)], Listed(incremental[0]));
        // Requests that nothing changed for list no partition at all.
        Assert.Contains(incremental, f => Listed(f).Count == 0);
        Assert.DoesNotContain(incremental, f => Listed(f).Any(p => p == (1, 0L)));
    }

    [Theory]
    [InlineData(ErrorCode.FetchSessionIdNotFound)]
    [InlineData(ErrorCode.InvalidFetchSessionEpoch)]
    public async Task A_top_level_session_error_makes_the_next_request_a_full_one_with_epoch_0(ErrorCode error)
    {
        await using var broker = new FakeKafkaBroker { FetchSessions = true };
        broker.Cluster.AddTopic(Topic, partitions: 2);
        broker.Cluster.Log(Topic, 0).Append(Batch(0, 2, "a"));
        await using var consumer = NewConsumer(broker, assign: [P0, P1]);
        AssertOffsets(await ConsumeAsync(consumer, 2), [0, 1]);
        await WaitForRequestAsync(broker, ApiKey.Fetch, r => r.Fetch.SessionEpoch >= 2, "an incremental fetch");

        if (error == ErrorCode.FetchSessionIdNotFound)
        {
            broker.EvictFetchSessions(); // the broker itself answers FETCH_SESSION_ID_NOT_FOUND to the next request
        }
        else
        {
            var refused = 0;
            broker.Intercept = r => r.Api == ApiKey.Fetch && r.Fetch.SessionEpoch > 0 && Interlocked.Increment(ref refused) == 1
                ? Reply.With(new FetchResponse { ErrorCode = (short)error })
                : null;
        }
        broker.Cluster.Log(Topic, 1).Append(Batch(0, 2, "b"));
        var records = await ConsumeAsync(consumer, 2);
        await WaitForRequestAsync(broker, ApiKey.Fetch, r => r.Fetch.SessionId == 1002, "a request in the new session");

        Assert.Equal(["b0", "b1"], records.Select(r => r.Value));
        var fetches = broker.Fetches.ToList();
        var restart = fetches.FindIndex(1, f => f.SessionId == 0 && f.SessionEpoch == 0);
        Assert.True(restart > 0, "a second full request (id 0, epoch 0) was sent");
        Assert.Equal(1001, fetches[restart - 1].SessionId); // the refused incremental request
        Assert.True(fetches[restart - 1].SessionEpoch > 0);
        Assert.Equal([(0, 2L), (1, 0L)], Listed(fetches[restart])); // full: every partition again
        Assert.Equal(1002, fetches[restart + 1].SessionId);
        Assert.Equal(1, fetches[restart + 1].SessionEpoch);
    }

    [Fact]
    public async Task Disabled_sessions_send_epoch_minus_1_and_every_partition_in_every_request()
    {
        await using var broker = new FakeKafkaBroker { FetchSessions = true };
        broker.Cluster.AddTopic(Topic, partitions: 2);
        broker.Cluster.Log(Topic, 0).Append(Batch(0, 3));
        await using var consumer = NewConsumer(broker, o => o.EnableIncrementalFetchSessions = false, assign: [P0, P1]);

        AssertOffsets(await ConsumeAsync(consumer, 3), [0, 1, 2]);
        await WaitForRequestAsync(broker, ApiKey.Fetch, r => Listed(r.Fetch).Contains((0, 3)), "a fetch at the new offset");

        Assert.All(broker.Fetches, f =>
        {
            Assert.Equal(0, f.SessionId);
            Assert.Equal(-1, f.SessionEpoch);
            Assert.Equal(2, Listed(f).Count);
        });
    }

    [Fact]
    public async Task A_broker_that_makes_no_session_keeps_getting_full_requests_with_epoch_0()
    {
        await using var broker = new FakeKafkaBroker(); // answers SessionId 0: no session was created
        broker.Cluster.AddTopic(Topic, partitions: 2);
        broker.Cluster.Log(Topic, 0).Append(Batch(0, 3));
        await using var consumer = NewConsumer(broker, assign: [P0, P1]);

        AssertOffsets(await ConsumeAsync(consumer, 3), [0, 1, 2]);
        await WaitForRequestAsync(broker, ApiKey.Fetch, r => Listed(r.Fetch).Contains((0, 3)), "a fetch at the new offset");

        Assert.All(broker.Fetches, f =>
        {
            Assert.Equal(0, f.SessionId);
            Assert.Equal(0, f.SessionEpoch);
            Assert.Equal(2, Listed(f).Count);
        });
    }
}
