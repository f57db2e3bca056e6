namespace TypedKafka;

/// <summary>A connection to a broker could not be made or was lost; the message names the broker and what was pending.
/// The consumer retries these on its own; they reach the application only from calls with a deadline.</summary>
public sealed class KafkaConnectionException : KafkaException
{
    /// <summary>Creates the exception; <paramref name="message"/> names the broker and what was pending.</summary>
    public KafkaConnectionException(string message, Exception? innerException = null) : base(message, innerException) { }
}
