namespace TypedKafka.Protocol;

public static partial class ApiKeys
{
    /// <summary>Whether <paramref name="apiVersion"/> of the API uses compact encodings and tagged fields (KIP-482).</summary>
    public static bool IsFlexible(short apiKey, short apiVersion)
    {
        short first = FirstFlexibleVersion(apiKey);
        return first >= 0 && apiVersion >= first;
    }

    /// <summary>Kafka's name for the key (e.g. "Fetch"), or "Unknown(123)" for keys newer than the definitions.</summary>
    public static string Name(short apiKey) =>
        Enum.IsDefined((ApiKey)apiKey) ? ((ApiKey)apiKey).ToString() : $"Unknown({apiKey})";
}
