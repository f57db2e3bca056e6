namespace TypedKafka.Protocol;

/// <summary>
/// The request header. v0: api key, version, correlation id. v1 adds the client id. v2 (flexible
/// request versions, KIP-482) adds a tagged-field section.
/// </summary>
/// <remarks>
/// The client id stays a classic int16-length nullable string even in v2: the broker must be able to
/// read it before it knows whether it understands the request's version.
/// </remarks>
public sealed class RequestHeader
{
    public short RequestApiKey { get; set; }

    public short RequestApiVersion { get; set; }

    public int CorrelationId { get; set; }

    public string? ClientId { get; set; }

    public List<TaggedField>? UnknownTaggedFields { get; set; }

    public int ComputeSize(short headerVersion)
    {
        CheckVersion(headerVersion);
        int size = 8;
        if (headerVersion >= 1) size += KafkaWriter.SizeOfNullableString(ClientId, compact: false);
        if (headerVersion >= 2) size += KafkaWriter.SizeOfTaggedFieldSection(UnknownTaggedFields);
        return size;
    }

    public void Write(ref KafkaWriter writer, short headerVersion)
    {
        CheckVersion(headerVersion);
        writer.WriteInt16(RequestApiKey);
        writer.WriteInt16(RequestApiVersion);
        writer.WriteInt32(CorrelationId);
        if (headerVersion >= 1) writer.WriteNullableString(ClientId);
        if (headerVersion >= 2) writer.WriteUnknownTaggedFields(UnknownTaggedFields);
    }

    public static RequestHeader Read(ref KafkaReader reader, short headerVersion)
    {
        CheckVersion(headerVersion);
        var header = new RequestHeader
        {
            RequestApiKey = reader.ReadInt16(),
            RequestApiVersion = reader.ReadInt16(),
            CorrelationId = reader.ReadInt32(),
        };
        if (headerVersion >= 1) header.ClientId = reader.ReadNullableString();
        if (headerVersion >= 2) header.UnknownTaggedFields = reader.ReadUnknownTaggedFields();
        return header;
    }

    /// <summary>
    /// Reads a request header whose version is not known in advance, as a broker does: the api key and
    /// version come first and decide the header version.
    /// </summary>
    public static RequestHeader Read(ref KafkaReader reader)
    {
        if (reader.Remaining < 4) reader.ThrowMalformed("Request header is truncated");
        var span = reader.ReadRawSpan(4);
        short apiKey = (short)((span[0] << 8) | span[1]);
        short apiVersion = (short)((span[2] << 8) | span[3]);
        reader.SetContext(apiKey, apiVersion);
        short headerVersion = HeaderVersions.RequestHeaderVersion(apiKey, apiVersion);
        var header = new RequestHeader { RequestApiKey = apiKey, RequestApiVersion = apiVersion, CorrelationId = reader.ReadInt32() };
        if (headerVersion >= 1) header.ClientId = reader.ReadNullableString();
        if (headerVersion >= 2) header.UnknownTaggedFields = reader.ReadUnknownTaggedFields();
        return header;
    }

    private static void CheckVersion(short headerVersion)
    {
        if ((uint)headerVersion > 2) throw new ArgumentOutOfRangeException(nameof(headerVersion), headerVersion, "Request header versions are 0 to 2.");
    }
}
