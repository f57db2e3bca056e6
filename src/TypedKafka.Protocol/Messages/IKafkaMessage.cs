namespace TypedKafka.Protocol;

/// <summary>A message body that knows its encoded size and how to write itself at a given version.</summary>
public interface IKafkaMessage
{
    /// <summary>Bytes <see cref="Write"/> will produce at <paramref name="version"/>.</summary>
    int ComputeSize(short version);

    /// <summary>Writes the body; throws <see cref="UnsupportedVersionException"/> when a set field cannot be expressed at that version.</summary>
    void Write(ref KafkaWriter writer, short version);
}

/// <summary>A message body that can be decoded; implemented by every generated message.</summary>
public interface IKafkaMessage<TSelf> : IKafkaMessage
    where TSelf : class, IKafkaMessage<TSelf>
{
    static abstract TSelf Read(ref KafkaReader reader, short version);
}

/// <summary>A request or response body of one Kafka API.</summary>
public interface IKafkaApiMessage : IKafkaMessage
{
    ApiKey ApiKey { get; }

    short LowestSupportedVersion { get; }

    short HighestSupportedVersion { get; }

    /// <summary>First version encoded with compact types and tagged fields (KIP-482); -1 if none.</summary>
    short LowestFlexibleVersion { get; }
}

/// <summary>Static access to an API message's key, for generic code such as <see cref="KafkaFrames.DecodeResponse{TResponse}(ReadOnlyMemory{byte}, short, out int)"/>.</summary>
public interface IKafkaApiMessage<TSelf> : IKafkaApiMessage, IKafkaMessage<TSelf>
    where TSelf : class, IKafkaApiMessage<TSelf>
{
    static abstract ApiKey MessageApiKey { get; }
}

/// <summary>A request body, e.g. <see cref="FetchRequest"/>.</summary>
public interface IKafkaRequest : IKafkaApiMessage;

/// <summary>A response body, e.g. <see cref="FetchResponse"/>.</summary>
public interface IKafkaResponse : IKafkaApiMessage;
