namespace TypedKafka;

/// <summary>The base of every exception TypedKafka throws for a Kafka-level failure.</summary>
/// <remarks>Argument mistakes use the BCL's <see cref="ArgumentException"/> family and calls in the
/// wrong state use <see cref="InvalidOperationException"/>; everything else derives from this type.</remarks>
public class KafkaException : Exception
{
    public KafkaException() { }

    public KafkaException(string message) : base(message) { }

    public KafkaException(string message, Exception? innerException) : base(message, innerException) { }
}
