namespace TypedKafka;

/// <summary>A record is larger than <see cref="ProducerOptions.MaxRequestSize"/> or than the broker accepts
/// (MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE).</summary>
public sealed class RecordTooLargeException : KafkaException
{
    /// <summary>Creates the exception for a record (or batch) of <paramref name="sizeInBytes"/> bytes.</summary>
    public RecordTooLargeException(string topic, int partition, long sizeInBytes, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Topic = topic;
        Partition = partition;
        SizeInBytes = sizeInBytes;
    }

    /// <summary>The topic the record was for.</summary>
    public string Topic { get; }

    /// <summary>The partition, or -1 when none was chosen yet.</summary>
    public int Partition { get; }

    /// <summary>The size of the record (or of its batch, when the broker refused the batch).</summary>
    public long SizeInBytes { get; }
}

/// <summary>The topic is not in the cluster's metadata after waiting <see cref="ProducerOptions.MaxBlock"/>, or the
/// partition asked for does not exist.</summary>
public sealed class UnknownTopicOrPartitionException : KafkaException
{
    /// <summary>Creates the exception for <paramref name="topic"/> (and <paramref name="partition"/>, when one was asked for).</summary>
    public UnknownTopicOrPartitionException(string topic, int? partition, string message) : base(message)
    {
        Topic = topic;
        Partition = partition;
    }

    /// <summary>The topic the record was for.</summary>
    public string Topic { get; }

    /// <summary>The partition asked for, or null when the topic itself is unknown.</summary>
    public int? Partition { get; }
}
