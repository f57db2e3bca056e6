namespace TypedKafka;

/// <summary>
/// A version of a Kafka API is not available: the broker and TypedKafka have no version in common, or
/// a message cannot be written at the requested version without losing information: a field the
/// version lacks holds a non-default value and the spec does not mark it ignorable (or the version is
/// outside the codec's range). Kafka's Java client throws its UnsupportedVersionException in the same case.
/// </summary>
public sealed class UnsupportedVersionException : KafkaException
{
    public UnsupportedVersionException(string message, short apiKey, short apiVersion, string? fieldName = null)
        : base(message)
    {
        ApiKey = apiKey;
        ApiVersion = apiVersion;
        FieldName = fieldName;
    }

    /// <summary>Creates the exception for a version problem not tied to one message field.</summary>
    public UnsupportedVersionException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ApiKey = -1;
        ApiVersion = -1;
    }

    /// <summary>The API key involved, or -1.</summary>
    public short ApiKey { get; }

    public short ApiVersion { get; }

    /// <summary>The spec name of the offending field, e.g. <c>FetchRequest.ClusterId</c>; null when the version itself is the problem.</summary>
    public string? FieldName { get; }

    internal static UnsupportedVersionException NonDefaultField(string messageName, string fieldName, short apiKey, short version) =>
        new($"{messageName}.{fieldName} is set to a non-default value but {messageName} v{version} has no such field " +
            "and the spec does not allow dropping it; use a version that has it or leave it at its default.",
            apiKey, version, $"{messageName}.{fieldName}");

    internal static UnsupportedVersionException NullNotAllowed(string messageName, string fieldName, short apiKey, short version) =>
        new($"{messageName}.{fieldName} is null but is not nullable in {messageName} v{version}.", apiKey, version, $"{messageName}.{fieldName}");

    internal static UnsupportedVersionException Version(string messageName, short apiKey, short version, short lowest, short highest) =>
        new($"{messageName} v{version} is not supported (supported: v{lowest} to v{highest}).", apiKey, version);
}
