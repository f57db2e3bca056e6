namespace TypedKafka;

/// <summary>
/// Malformed data from the wire: a frame, response or record batch that does not follow the Kafka
/// protocol. Says which API and version was being decoded and at which byte position it went wrong.
/// </summary>
public sealed class KafkaProtocolException : KafkaException
{
    public KafkaProtocolException(string message, short apiKey = -1, short apiVersion = -1, long position = -1, Exception? innerException = null)
        : base(Describe(message, apiKey, apiVersion, position), innerException)
    {
        _rawMessage = message;
        ApiKey = apiKey;
        ApiVersion = apiVersion;
        Position = position;
    }

    /// <summary>The Kafka API key of the message being decoded, or -1 when not decoding a message (e.g. a record batch).</summary>
    public short ApiKey { get; }

    /// <summary>The version of the message being decoded, or -1 when not applicable.</summary>
    public short ApiVersion { get; }

    /// <summary>The byte offset, from the start of the decoded buffer, where decoding failed; -1 when unknown.</summary>
    public long Position { get; }

    /// <summary>Returns a copy that also names the API and version, for decoders that learn them only at the top level.</summary>
    public KafkaProtocolException WithApi(short apiKey, short apiVersion) =>
        ApiKey >= 0 ? this : new KafkaProtocolException(RawMessage, apiKey, apiVersion, Position, InnerException);

    private string RawMessage => _rawMessage;
    private readonly string _rawMessage;

    private static string Describe(string message, short apiKey, short apiVersion, long position)
    {
        var where = apiKey >= 0 ? $"API key {apiKey} v{apiVersion}" : null;
        if (position >= 0) where = where is null ? $"byte {position}" : $"{where}, byte {position}";
        return where is null ? message : $"{message} ({where})";
    }
}
