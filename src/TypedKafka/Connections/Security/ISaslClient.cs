namespace TypedKafka.Connections;

/// <summary>
/// The client side of one SASL exchange (RFC 4422), carried by SaslAuthenticate requests (KIP-152). The authenticator
/// sends <see cref="InitialResponseAsync"/>, then feeds every successful SaslAuthenticate answer to
/// <see cref="Evaluate"/> until it returns null. A broker error ends the exchange before that.
/// </summary>
internal interface ISaslClient
{
    /// <summary>The mechanism's registered name, e.g. <c>SCRAM-SHA-512</c>.</summary>
    string Mechanism { get; }

    /// <summary>The first message (all of Kafka's mechanisms are client-first).</summary>
    ValueTask<byte[]> InitialResponseAsync(CancellationToken cancellationToken);

    /// <summary>Takes the broker's answer to the last message; returns the next message to send, or null when the
    /// exchange is complete and the broker is authenticated where the mechanism allows it.</summary>
    /// <exception cref="SaslMechanismException">The broker's message is malformed or fails verification.</exception>
    byte[]? Evaluate(ReadOnlySpan<byte> serverMessage);

    /// <summary>What the mechanism learnt of a failure from the broker's messages (e.g. the OAUTHBEARER error JSON),
    /// to add to the broker's error; null when nothing.</summary>
    string? FailureDetail { get; }
}

/// <summary>A SASL mechanism refused to go on (bad broker message, failed server verification, bad local input). The
/// message never contains a password or token; the authenticator adds the broker and mechanism.</summary>
internal sealed class SaslMechanismException(string message, Exception? innerException = null) : Exception(message, innerException);
