namespace TypedKafka.Protocol;

/// <summary>A Kafka broker release, e.g. 2.8 or 0.10.2 (like kafka-python's <c>api_version=(2, 8, 0)</c>).</summary>
public readonly record struct KafkaRelease(int Major, int Minor, int Patch = 0) : IComparable<KafkaRelease>
{
    public int CompareTo(KafkaRelease other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor != other.Minor ? Minor.CompareTo(other.Minor) : Patch.CompareTo(other.Patch);

    public static bool operator <(KafkaRelease a, KafkaRelease b) => a.CompareTo(b) < 0;

    public static bool operator >(KafkaRelease a, KafkaRelease b) => a.CompareTo(b) > 0;

    public static bool operator <=(KafkaRelease a, KafkaRelease b) => a.CompareTo(b) <= 0;

    public static bool operator >=(KafkaRelease a, KafkaRelease b) => a.CompareTo(b) >= 0;

    public override string ToString() => Patch == 0 && Major > 0 ? $"{Major}.{Minor}" : $"{Major}.{Minor}.{Patch}";
}

/// <summary>
/// What each broker release supports for the APIs TypedKafka implements, for configurations that pin the
/// broker release instead of asking it (ApiVersions, KIP-35, needs 0.10.0+ anyway).
/// </summary>
/// <remarks>
/// The numbers are the ranges brokers of each release advertise in their ApiVersions answer; they agree
/// with the KIPs that introduced each version, e.g. Fetch v4 = KIP-98 (0.11), v7 = KIP-227 fetch
/// sessions (1.1), v9/v10 = KIP-320/KIP-110 (2.1), v11 = KIP-392 (2.3), v12 = flexible (2.7), v13 = topic
/// ids (3.1), v15 = KIP-903 (3.5), v16 = KIP-951 (3.7), v17 = KIP-853 (3.9); JoinGroup v9 = KIP-800 (3.2);
/// every API gained a version in 2.0 for KIP-219 throttling.
/// Uncertain or special cases:
/// <list type="bullet">
/// <item>4.0 raised minimum versions (KIP-896): Fetch 4, ListOffsets 1, OffsetCommit 2, OffsetFetch 1, JoinGroup 2,
/// OffsetForLeaderEpoch 2. Produce still advertises v0 because librdkafka relied on it (KAFKA-18659) although
/// 4.0 rejects Produce v0-v2 at run time; Metadata v0 likewise stays advertised.</item>
/// <item>ConsumerGroupHeartbeat (KIP-848) is listed from 3.7, where it was early access and only advertised when the
/// new group coordinator was enabled; it became generally available in 4.0 (v1 adds regex subscriptions).</item>
/// <item>Patch releases are treated like their minor release; within 0.10.0 the ranges are what 0.10.0.1 advertises.</item>
/// </list>
/// </remarks>
public static class BrokerReleases
{
    // Column order of the rows below.
    private static readonly ApiKey[] Columns =
    [
        ApiKey.Produce,
        ApiKey.Fetch,
        ApiKey.ListOffsets,
        ApiKey.Metadata,
        ApiKey.OffsetCommit,
        ApiKey.OffsetFetch,
        ApiKey.FindCoordinator,
        ApiKey.JoinGroup,
        ApiKey.Heartbeat,
        ApiKey.LeaveGroup,
        ApiKey.SyncGroup,
        ApiKey.DescribeGroups,
        ApiKey.ListGroups,
        ApiKey.SaslHandshake,
        ApiKey.ApiVersions,
        ApiKey.InitProducerId,
        ApiKey.OffsetForLeaderEpoch,
        ApiKey.SaslAuthenticate,
        ApiKey.ConsumerGroupHeartbeat,
    ];

    // Max version per column, -1 when the release lacks the API.
    private static readonly (KafkaRelease Release, short[] Max)[] Rows =
    [
        Row(new(0, 10, 0), [ 2,  2,  0,  1,  2,  1,  0,  0,  0,  0,  0,  0,  0,  0,  0, -1, -1, -1, -1]),
        Row(new(0, 10, 1), [ 2,  3,  1,  2,  2,  1,  0,  1,  0,  0,  0,  0,  0,  0,  0, -1, -1, -1, -1]),
        Row(new(0, 10, 2), [ 2,  3,  1,  2,  2,  2,  0,  1,  0,  0,  0,  0,  0,  0,  0, -1, -1, -1, -1]),
        Row(new(0, 11), [ 3,  5,  2,  4,  3,  3,  1,  2,  1,  1,  1,  1,  1,  0,  1,  0,  0, -1, -1]),
        Row(new(1, 0), [ 5,  6,  2,  5,  3,  3,  1,  2,  1,  1,  1,  1,  1,  1,  1,  0,  0,  0, -1]),
        Row(new(1, 1), [ 5,  7,  2,  5,  3,  3,  1,  2,  1,  1,  1,  1,  1,  1,  1,  0,  0,  0, -1]),
        Row(new(2, 0), [ 6,  8,  3,  6,  4,  4,  2,  3,  2,  2,  2,  2,  2,  1,  2,  1,  1,  0, -1]),
        Row(new(2, 1), [ 7, 10,  4,  7,  6,  5,  2,  3,  2,  2,  2,  2,  2,  1,  2,  1,  2,  0, -1]),
        Row(new(2, 2), [ 7, 10,  5,  7,  6,  5,  2,  4,  2,  2,  2,  2,  2,  1,  2,  1,  2,  1, -1]),
        Row(new(2, 3), [ 7, 11,  5,  8,  7,  5,  2,  5,  3,  2,  3,  3,  2,  1,  2,  1,  3,  1, -1]),
        Row(new(2, 4), [ 8, 11,  5,  9,  8,  6,  3,  6,  4,  4,  4,  5,  3,  1,  3,  2,  3,  1, -1]),
        Row(new(2, 5), [ 8, 11,  5,  9,  8,  7,  3,  7,  4,  4,  5,  5,  3,  1,  3,  3,  3,  2, -1]),
        Row(new(2, 6), [ 8, 11,  5,  9,  8,  7,  3,  7,  4,  4,  5,  5,  4,  1,  3,  3,  3,  2, -1]),
        Row(new(2, 7), [ 8, 12,  5,  9,  8,  7,  3,  7,  4,  4,  5,  5,  4,  1,  3,  4,  3,  2, -1]),
        Row(new(2, 8), [ 9, 12,  6, 11,  8,  7,  3,  7,  4,  4,  5,  5,  4,  1,  3,  4,  4,  2, -1]),
        Row(new(3, 0), [ 9, 12,  7, 11,  8,  8,  4,  7,  4,  4,  5,  5,  4,  1,  3,  4,  4,  2, -1]),
        Row(new(3, 1), [ 9, 13,  7, 12,  8,  8,  4,  7,  4,  4,  5,  5,  4,  1,  3,  4,  4,  2, -1]),
        Row(new(3, 2), [ 9, 13,  7, 12,  8,  8,  4,  9,  4,  5,  5,  5,  4,  1,  3,  4,  4,  2, -1]),
        Row(new(3, 3), [ 9, 13,  7, 12,  8,  8,  4,  9,  4,  5,  5,  5,  4,  1,  3,  4,  4,  2, -1]),
        Row(new(3, 4), [ 9, 13,  7, 12,  8,  8,  4,  9,  4,  5,  5,  5,  4,  1,  3,  4,  4,  2, -1]),
        Row(new(3, 5), [ 9, 15,  8, 12,  8,  8,  4,  9,  4,  5,  5,  5,  4,  1,  3,  4,  4,  2, -1]),
        Row(new(3, 6), [ 9, 15,  8, 12,  8,  8,  4,  9,  4,  5,  5,  5,  4,  1,  3,  4,  4,  2, -1]),
        Row(new(3, 7), [10, 16,  8, 12,  9,  9,  4,  9,  4,  5,  5,  5,  4,  1,  3,  4,  4,  2,  0]),
        Row(new(3, 8), [11, 16,  8, 12,  9,  9,  5,  9,  4,  5,  5,  5,  5,  1,  3,  5,  4,  2,  0]),
        Row(new(3, 9), [11, 17,  9, 12,  9,  9,  6,  9,  4,  5,  5,  5,  5,  1,  4,  5,  4,  2,  0]),
        Row(new(4, 0), [12, 17, 10, 13,  9,  9,  6,  9,  4,  5,  5,  6,  5,  1,  4,  5,  4,  2,  1]),
    ];

    // Min versions raised by KIP-896 in 4.0; every earlier release starts at v0.
    private static readonly short[] MinFrom40 = [0, 4, 1, 0, 2, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0];

    private static readonly KafkaRelease Kafka40 = new(4, 0);

    /// <summary>Every release in the table, oldest first.</summary>
    public static IReadOnlyList<KafkaRelease> Known { get; } = Rows.Select(r => r.Release).ToArray();

    /// <summary>
    /// The broker's range for <paramref name="apiKey"/> in <paramref name="release"/> (or the newest listed
    /// release not after it); false when that release lacks the API or predates 0.10.0.
    /// </summary>
    public static bool TryGetRange(KafkaRelease release, ApiKey apiKey, out ApiVersionRange range)
    {
        range = default;
        int column = Array.IndexOf(Columns, apiKey);
        if (column < 0) return false;
        int row = -1;
        for (int i = 0; i < Rows.Length && Rows[i].Release <= release; i++) row = i;
        if (row < 0) return false;
        short max = Rows[row].Max[column];
        if (max < 0) return false;
        short min = Rows[row].Release >= Kafka40 ? MinFrom40[column] : (short)0;
        range = new ApiVersionRange(min, max);
        return true;
    }

    /// <summary>All ranges of a release, for building a synthetic ApiVersions answer.</summary>
    public static IReadOnlyDictionary<ApiKey, ApiVersionRange> RangesFor(KafkaRelease release)
    {
        var result = new Dictionary<ApiKey, ApiVersionRange>();
        foreach (var key in Columns)
        {
            if (TryGetRange(release, key, out var range)) result[key] = range;
        }
        return result;
    }

    private static (KafkaRelease, short[]) Row(KafkaRelease release, short[] max) => (release, max);
}
