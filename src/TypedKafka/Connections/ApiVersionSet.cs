using TypedKafka.Protocol;

namespace TypedKafka.Connections;

/// <summary>The versions to use with one broker: for each API, the highest version both sides support.</summary>
internal sealed class ApiVersionSet
{
    private readonly Dictionary<ApiKey, short> _picked;
    private readonly Dictionary<ApiKey, ApiVersionRange> _broker;

    public static ApiVersionSet Empty { get; } = new([], [], "nothing negotiated yet");

    private ApiVersionSet(Dictionary<ApiKey, short> picked, Dictionary<ApiKey, ApiVersionRange> broker, string source)
    {
        _picked = picked;
        _broker = broker;
        Source = source;
    }

    /// <summary>Where the broker's ranges came from (its ApiVersions answer, or a pinned release).</summary>
    public string Source { get; }

    public static ApiVersionSet FromResponse(ApiVersionsResponse response)
    {
        var picked = new Dictionary<ApiKey, short>();
        var broker = new Dictionary<ApiKey, ApiVersionRange>();
        foreach (var entry in response.ApiKeys)
        {
            var key = (ApiKey)entry.ApiKey;
            broker[key] = new ApiVersionRange(entry.MinVersion, entry.MaxVersion);
            if (VersionNegotiation.PickVersion(key, response) is short v) picked[key] = v;
        }
        return new ApiVersionSet(picked, broker, "the broker's ApiVersions answer");
    }

    public static ApiVersionSet FromRelease(KafkaRelease release)
    {
        var picked = new Dictionary<ApiKey, short>();
        var broker = new Dictionary<ApiKey, ApiVersionRange>(BrokerReleases.RangesFor(release));
        foreach (var key in broker.Keys)
        {
            if (VersionNegotiation.PickVersion(key, release) is short v) picked[key] = v;
        }
        return new ApiVersionSet(picked, broker, $"the pinned broker version {release}");
    }

    /// <summary>The version to use for <paramref name="api"/>, or null when there is none in common.</summary>
    public short? Find(ApiKey api) => _picked.TryGetValue(api, out var v) ? v : null;

    /// <summary>The version to use for <paramref name="api"/>, capped at <paramref name="max"/>.</summary>
    /// <exception cref="UnsupportedVersionException">No version in common (names both ranges).</exception>
    public short Pick(ApiKey api, short? max = null, string? broker = null)
    {
        if (_picked.TryGetValue(api, out var v) && (max is null || SupportedVersions.All[api].Min <= max))
            return max is short cap && cap < v ? Math.Max(cap, SupportedVersions.All[api].Min) : v;
        var theirs = _broker.TryGetValue(api, out var range) ? range.ToString() : "no versions";
        var ours = SupportedVersions.TryGet(api, out var o) ? o.ToString() : "no versions";
        throw new UnsupportedVersionException(
            $"{broker ?? "The broker"} supports {theirs} of {api} (per {Source}) and TypedKafka supports {ours}: no version in common.",
            (short)api, -1);
    }
}
