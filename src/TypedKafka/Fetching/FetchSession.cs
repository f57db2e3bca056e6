namespace TypedKafka.Fetching;

/// <summary>
/// The client side of one broker's incremental fetch session (KIP-227). A full request lists every partition; once the
/// broker has given a session id, later requests list only partitions that are new or changed and name the ones to
/// forget. Errors and disconnects start a new session with a full request.
/// </summary>
/// <remarks>Used by the fetcher for one broker, one request at a time.</remarks>
internal sealed class FetchSession
{
    /// <summary>Session epoch for a request that opens a new session.</summary>
    private const int InitialEpoch = 0;

    /// <summary>Session epoch for a sessionless full fetch (sessions disabled or unsupported).</summary>
    private const int FinalEpoch = -1;

    private Dictionary<TopicPartition, FetchTarget> _partitions = [];

    public int SessionId { get; private set; }

    public int Epoch { get; private set; } = InitialEpoch;

    /// <summary>The request version the session was built with; a different version starts a new session.</summary>
    public short Version { get; private set; } = -1;

    /// <summary>Everything the broker considers part of the session (what the next response may carry).</summary>
    public IReadOnlyDictionary<TopicPartition, FetchTarget> Partitions => _partitions;

    /// <summary>Builds the next request's content from what should be fetched now.</summary>
    /// <param name="next">Every partition to fetch from this broker now.</param>
    /// <param name="version">The Fetch version to be used.</param>
    /// <param name="useSessions">Whether incremental sessions are enabled and the version supports them (v7+).</param>
    public FetchPlan Prepare(IReadOnlyDictionary<TopicPartition, FetchTarget> next, short version, bool useSessions)
    {
        if (!useSessions)
        {
            Reset();
            _partitions = new(next);
            return new FetchPlan(0, FinalEpoch, [.. next.Values], [], next);
        }

        if (version != Version)
        {
            Reset();
            Version = version;
        }

        if (SessionId == 0 || Epoch == InitialEpoch)
        {
            // A full request: opens a session (or, with an id, this is answered by a new one).
            SessionId = 0;
            Epoch = InitialEpoch;
            _partitions = new(next);
            return new FetchPlan(0, InitialEpoch, [.. next.Values], [], next);
        }

        List<FetchTarget> changed = [];
        foreach (var (partition, target) in next)
        {
            if (!_partitions.TryGetValue(partition, out var previous) || previous != target) changed.Add(target);
        }
        List<FetchTarget> forgotten = [];
        foreach (var (partition, previous) in _partitions)
        {
            if (!next.ContainsKey(partition)) forgotten.Add(previous);
        }
        _partitions = new(next);
        return new FetchPlan(SessionId, Epoch, changed, forgotten, next);
    }

    /// <summary>A response arrived with no top-level error: the session id it gives (0 = none was made).</summary>
    public void OnResponse(int sessionId)
    {
        if (sessionId == 0)
        {
            // The broker made no session (cache full, or sessions off on its side): keep sending full requests.
            SessionId = 0;
            Epoch = InitialEpoch;
            return;
        }
        if (SessionId != sessionId) SessionId = sessionId;
        Epoch = Epoch == int.MaxValue ? 1 : Epoch + 1;
    }

    /// <summary>Starts over with a full request (after a session error, a failed request or a disconnect).</summary>
    public void Reset()
    {
        SessionId = 0;
        Epoch = InitialEpoch;
        _partitions = [];
    }
}

/// <summary>What is asked of one partition in a fetch; compared to decide whether an incremental request must list it.</summary>
/// <remarks><see cref="State"/> and <see cref="Version"/> identify the partition state the fetch was made for, so that an
/// answer for a partition that was revoked and assigned again, or seeked, is recognised as stale.</remarks>
internal readonly record struct FetchTarget(TopicPartition Partition, Protocol.KafkaUuid TopicId, long FetchOffset, int CurrentLeaderEpoch, int LastFetchedEpoch, int MaxBytes, PartitionState State, int Version);

/// <summary>One request's session fields and partition lists, plus every partition the response may answer for.</summary>
internal sealed record FetchPlan(int SessionId, int Epoch, IReadOnlyList<FetchTarget> ToSend, IReadOnlyList<FetchTarget> Forgotten, IReadOnlyDictionary<TopicPartition, FetchTarget> Covered);
