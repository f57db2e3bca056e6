using TypedKafka.Protocol;

namespace TypedKafka.Connections;

internal sealed partial class BrokerConnection
{
    /// <summary>
    /// Agrees API versions with the broker: from a pinned release (kafka-python's <c>api_version</c>), or by asking
    /// with ApiVersions at our highest version and, when the broker refuses that version (it then answers in v0
    /// format with UNSUPPORTED_VERSION and, since KIP-511, its own range), asking again at a version it accepts.
    /// </summary>
    private async Task<ApiVersionSet> NegotiateVersionsAsync(CancellationToken cancellationToken)
    {
        if (_settings.PinnedBrokerVersion is Version pinned)
            return ApiVersionSet.FromRelease(new KafkaRelease(pinned.Major, pinned.Minor, Math.Max(pinned.Build, 0)));

        var version = ApiVersionsRequest.HighestSupportedVersion;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var request = new ApiVersionsRequest();
            if (version >= 3)
            {
                request.ClientSoftwareName = "typedkafka";
                request.ClientSoftwareVersion = typeof(BrokerConnection).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
            }
            var frame = await SendAsync(request, version, pooled: false, _settings.ApiVersionTimeout, cancellationToken).ConfigureAwait(false);
            ApiVersionsResponse response;
            short decoded;
            try
            {
                var reader = new KafkaReader(frame.Body, ApiVersionsRequest.ApiKey, version);
                response = ApiVersionsFallback.Read(ref reader, version, out decoded);
            }
            catch (KafkaProtocolException e)
            {
                throw e.WithApi(ApiVersionsRequest.ApiKey, version);
            }
            finally
            {
                frame.Release();
            }
            var error = (ErrorCode)response.ErrorCode;
            if (error == ErrorCode.None) return ApiVersionSet.FromResponse(response);
            if (error == ErrorCode.UnsupportedVersion && decoded == 0)
            {
                var retry = VersionNegotiation.ApiVersionsRetryVersion(response);
                if (retry < version)
                {
                    version = retry;
                    continue;
                }
            }
            throw new KafkaBrokerException(error, $"{Endpoint} answered ApiVersions v{version} with {ErrorCodes.KafkaName(error)}: {ErrorCodes.Describe(error)}");
        }
        throw new UnsupportedVersionException($"{Endpoint} accepted no ApiVersions request version.", ApiVersionsRequest.ApiKey, version);
    }
}
