namespace TypedKafka.Fetching;

/// <summary>
/// Everything the consumer knows about one assigned partition. Mutated under the consumer's state lock, except
/// <see cref="Position"/>/<see cref="PositionEpoch"/> while the caller drains a fetch it has taken (see
/// <see cref="PartitionCursor"/>), which publishes them under the lock when it is done.
/// </summary>
internal sealed class PartitionState(TopicPartition partition)
{
    public TopicPartition Partition { get; } = partition;

    /// <summary>The next offset the application gets; -1 while unknown (awaiting a committed offset or a reset).</summary>
    public long Position = -1;

    /// <summary>The leader epoch of the last record handed out (KIP-320), null when unknown.</summary>
    public int? PositionEpoch;

    /// <summary>The next offset to fetch: at or past <see cref="Position"/> by the data buffered and in flight.</summary>
    public long FetchPosition = -1;

    /// <summary>The leader epoch of the last batch fetched, sent as LastFetchedEpoch (Fetch v12+); -1 when unknown.</summary>
    public int LastFetchedEpoch = -1;

    /// <summary>Bumped by every seek, reset and revocation: fetches sent under an older version are discarded.</summary>
    public int Version;

    public bool Paused;

    /// <summary>A reset to perform before fetching (null when none): the strategy from options or an explicit seek to an end.</summary>
    public AutoOffsetReset? PendingReset;

    /// <summary>Set when the position must come from the group's committed offset before falling back to a reset.</summary>
    public bool AwaitingCommitted;

    /// <summary>The <see cref="Version"/> a position lookup (OffsetFetch or ListOffsets) is under way for, or -1. A seek
    /// or reset bumps <see cref="Version"/>, so a lookup made for an older position neither applies its answer nor keeps
    /// the lookup for the new one from starting.</summary>
    public int LookupVersion = -1;

    /// <summary>A lookup for the current position is under way.</summary>
    public bool PositionLookupInFlight => LookupVersion == Version;

    public long? Highwater;
    public long? LastStableOffset;

    /// <summary>KIP-392: the replica to fetch from instead of the leader, until <see cref="PreferredReplicaUntil"/> (Stopwatch ticks).</summary>
    public int PreferredReplica = -1;
    public long PreferredReplicaUntil;

    /// <summary>Fetches answered and not yet drained by the application, oldest first.</summary>
    public readonly Queue<CompletedFetch> Buffered = new();
    public long BufferedBytes;

    /// <summary>The partition is part of a fetch session request in flight.</summary>
    public bool FetchInFlight;

    /// <summary>No fetch or lookup before this Stopwatch timestamp (backoff after an error).</summary>
    public long RetryAt;

    /// <summary>An error to throw from the caller's next poll (no offset and reset None, out of range, not authorized...).</summary>
    public Exception? Error;

    public bool HasPosition => Position >= 0;

    /// <summary>Drops buffered data (returning its buffers) and invalidates fetches in flight.</summary>
    public void Invalidate()
    {
        Version++;
        while (Buffered.TryDequeue(out var fetch)) fetch.Dispose();
        BufferedBytes = 0;
        PreferredReplica = -1;
    }

    /// <summary>Moves to <paramref name="offset"/>, dropping everything fetched for another position.</summary>
    public void SeekTo(long offset, int? epoch = null)
    {
        Invalidate();
        Position = offset;
        FetchPosition = offset;
        PositionEpoch = epoch;
        LastFetchedEpoch = epoch ?? -1;
        PendingReset = null;
        AwaitingCommitted = false;
        Error = null;
        RetryAt = 0;
    }

    /// <summary>Forgets the position; the fetcher finds a new one with <paramref name="reset"/> (or the committed offset first).</summary>
    public void ResetPosition(AutoOffsetReset? reset, bool awaitCommitted)
    {
        Invalidate();
        Position = -1;
        FetchPosition = -1;
        PositionEpoch = null;
        LastFetchedEpoch = -1;
        PendingReset = reset;
        AwaitingCommitted = awaitCommitted;
        Error = null;
        RetryAt = 0;
    }

    public override string ToString() => Partition.ToString();
}
