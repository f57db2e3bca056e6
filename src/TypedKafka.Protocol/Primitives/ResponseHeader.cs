namespace TypedKafka.Protocol;

/// <summary>The response header. v0: correlation id. v1 (flexible responses, KIP-482) adds a tagged-field section.</summary>
public sealed class ResponseHeader
{
    public int CorrelationId { get; set; }

    public List<TaggedField>? UnknownTaggedFields { get; set; }

    public int ComputeSize(short headerVersion)
    {
        CheckVersion(headerVersion);
        return headerVersion >= 1 ? 4 + KafkaWriter.SizeOfTaggedFieldSection(UnknownTaggedFields) : 4;
    }

    public void Write(ref KafkaWriter writer, short headerVersion)
    {
        CheckVersion(headerVersion);
        writer.WriteInt32(CorrelationId);
        if (headerVersion >= 1) writer.WriteUnknownTaggedFields(UnknownTaggedFields);
    }

    public static ResponseHeader Read(ref KafkaReader reader, short headerVersion)
    {
        CheckVersion(headerVersion);
        var header = new ResponseHeader { CorrelationId = reader.ReadInt32() };
        if (headerVersion >= 1) header.UnknownTaggedFields = reader.ReadUnknownTaggedFields();
        return header;
    }

    private static void CheckVersion(short headerVersion)
    {
        if ((uint)headerVersion > 1) throw new ArgumentOutOfRangeException(nameof(headerVersion), headerVersion, "Response header versions are 0 and 1.");
    }
}
