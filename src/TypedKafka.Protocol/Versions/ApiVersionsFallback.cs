namespace TypedKafka.Protocol;

/// <summary>
/// Decoding an ApiVersions response when the broker may not have understood our request version.
/// </summary>
/// <remarks>
/// A broker that does not support the ApiVersions version it received answers with an ApiVersions
/// <em>v0</em> body (error code UNSUPPORTED_VERSION = 35, plus, since Kafka 2.4 / KIP-511, its own
/// supported ApiVersions range) regardless of the version asked, and always with response header v0.
/// So the body must be checked for that error before it is decoded at the version we asked for.
/// </remarks>
public static class ApiVersionsFallback
{
    /// <summary>Decodes an ApiVersions response body; <paramref name="decodedVersion"/> is 0 when the broker fell back.</summary>
    public static ApiVersionsResponse Read(ref KafkaReader reader, short requestVersion, out short decodedVersion)
    {
        decodedVersion = requestVersion;
        if (requestVersion > 0 && reader.Remaining >= 2)
        {
            var probe = reader;
            if (probe.ReadInt16() == (short)ErrorCode.UnsupportedVersion)
            {
                decodedVersion = 0;
                var attempt = reader;
                try
                {
                    var refusal = ApiVersionsResponse.Read(ref attempt, 0);
                    reader = attempt;
                    return refusal;
                }
                catch (KafkaProtocolException)
                {
                    // A refusal that is not the v0 body Kafka brokers send (librdkafka's mock writes a one-byte count
                    // and a throttle time): keep the refusal, without a range, so the caller retries at v0.
                    reader.Skip(reader.Remaining);
                    return new ApiVersionsResponse { ErrorCode = (short)ErrorCode.UnsupportedVersion };
                }
            }
        }
        return ApiVersionsResponse.Read(ref reader, decodedVersion);
    }

    /// <summary>Decodes a whole ApiVersions response frame (header v0 + body), falling back to v0 as the broker did.</summary>
    public static ApiVersionsResponse DecodeFrame(ReadOnlyMemory<byte> frame, short requestVersion, out int correlationId, out short decodedVersion)
    {
        var reader = new KafkaReader(frame, ApiVersionsResponse.ApiKey, requestVersion);
        correlationId = ResponseHeader.Read(ref reader, 0).CorrelationId;
        return Read(ref reader, requestVersion, out decodedVersion);
    }
}
