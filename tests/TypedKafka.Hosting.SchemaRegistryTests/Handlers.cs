using System.Collections.Concurrent;

namespace TypedKafka.Hosting.SchemaRegistryTests;

/// <summary>Bound to Schemas/member.avsc (the reader schema); records come with older and newer writer schemas.</summary>
[AvroSchema("Schemas/member.avsc")]
public partial class Member
{
}

public sealed class Sink
{
    public ConcurrentQueue<(long Offset, Member Member)> Received { get; } = new();
}

public sealed class MemberHandler(Sink sink)
{
    [KafkaTopic("members", GroupId = "members", OnDeserializationError = DeserializationErrorPolicy.Skip)]
    public void Handle(Member member, MessageContext context) => sink.Received.Enqueue((context.Offset, member));
}
