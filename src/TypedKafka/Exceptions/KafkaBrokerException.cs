using TypedKafka.Protocol;

namespace TypedKafka;

/// <summary>A broker answered with a Kafka error code. <see cref="IsRetriable"/> says whether trying again may succeed.</summary>
public sealed class KafkaBrokerException : KafkaException
{
    /// <summary>Creates the exception for the broker's <paramref name="errorCode"/>.</summary>
    public KafkaBrokerException(ErrorCode errorCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
    }

    /// <summary>The error code the broker returned.</summary>
    public ErrorCode ErrorCode { get; }

    /// <summary>True when Kafka classifies the error as transient (e.g. a leader election in progress).</summary>
    public bool IsRetriable => ErrorCodes.IsRetriable(ErrorCode);
}
