namespace TypedKafka.Protocol;

/// <summary>Which request and response header version a given API version travels with.</summary>
public static class HeaderVersions
{
    /// <summary>
    /// Flexible request versions use header v2, others v1. ControlledShutdown v0 is the one request
    /// that predates the client id and uses v0.
    /// </summary>
    public static short RequestHeaderVersion(short apiKey, short apiVersion)
    {
        if (ApiKeys.IsFlexible(apiKey, apiVersion)) return 2;
        if (apiKey == (short)ApiKey.ControlledShutdown && apiVersion == 0) return 0;
        return 1;
    }

    /// <summary>
    /// Flexible response versions use header v1, others v0, except ApiVersions: its response header is
    /// always v0 because a client that sent a version the broker does not know must still be able to
    /// read the (v0-format) error answer (KIP-511).
    /// </summary>
    public static short ResponseHeaderVersion(short apiKey, short apiVersion)
    {
        if (apiKey == (short)ApiKey.ApiVersions) return 0;
        return ApiKeys.IsFlexible(apiKey, apiVersion) ? (short)1 : (short)0;
    }
}
