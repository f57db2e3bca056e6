namespace TypedKafka.Protocol;

/// <summary>Chooses the version of each API to use with a broker.</summary>
public static class VersionNegotiation
{
    /// <summary>
    /// The highest version both TypedKafka and the broker (per its ApiVersions answer) support, or null
    /// when the broker lacks the API or the ranges do not overlap.
    /// </summary>
    public static short? PickVersion(ApiKey apiKey, ApiVersionsResponse brokerVersions)
    {
        ArgumentNullException.ThrowIfNull(brokerVersions);
        if (!SupportedVersions.TryGet(apiKey, out var ours)) return null;
        var theirs = FindBrokerRange(apiKey, brokerVersions);
        return theirs?.HighestCommon(ours);
    }

    /// <summary>As <see cref="PickVersion(ApiKey, ApiVersionsResponse)"/>, for a broker pinned to a known release instead of asked.</summary>
    public static short? PickVersion(ApiKey apiKey, KafkaRelease pinnedBroker)
    {
        if (!SupportedVersions.TryGet(apiKey, out var ours)) return null;
        return BrokerReleases.TryGetRange(pinnedBroker, apiKey, out var theirs) ? theirs.HighestCommon(ours) : null;
    }

    /// <summary>The broker's advertised range for <paramref name="apiKey"/>, or null.</summary>
    public static ApiVersionRange? FindBrokerRange(ApiKey apiKey, ApiVersionsResponse brokerVersions)
    {
        ArgumentNullException.ThrowIfNull(brokerVersions);
        foreach (var entry in brokerVersions.ApiKeys)
        {
            if (entry.ApiKey == (short)apiKey) return new ApiVersionRange(entry.MinVersion, entry.MaxVersion);
        }
        return null;
    }

    /// <summary>
    /// After a broker refused our ApiVersions request with UNSUPPORTED_VERSION (KIP-511), it answered in
    /// v0 format and listed its own ApiVersions range: retry with the highest version both support, or v0
    /// when it did not list one (brokers before 2.4 do not) or the ranges do not overlap.
    /// </summary>
    public static short ApiVersionsRetryVersion(ApiVersionsResponse unsupportedVersionAnswer)
    {
        ArgumentNullException.ThrowIfNull(unsupportedVersionAnswer);
        var ours = SupportedVersions.All[ApiKey.ApiVersions];
        return FindBrokerRange(ApiKey.ApiVersions, unsupportedVersionAnswer)?.HighestCommon(ours) ?? 0;
    }
}
