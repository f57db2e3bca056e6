using System.Reflection;
using TypedKafka.Protocol.CodeGen;

namespace TypedKafka.Protocol.Tests.Messages;

public class RoundTripTests
{
    [Theory]
    [MemberData(nameof(MessageCatalog.MessageVersions), MemberType = typeof(MessageCatalog))]
    public void EveryFieldOfEveryVersionRoundTrips(string name, short version)
    {
        var (spec, type) = MessageCatalog.Get(name);
        var decode = MessageCatalog.Decoder(type);
        for (int seed = 0; seed < 8; seed++)
        {
            var message = (IKafkaMessage)new MessageFactory(new Random(seed * 7919 + version)).Create(spec, type, version);
            byte[] encoded = MessageCatalog.Encode(message, version);
            object decoded = decode(encoded, version);
            DeepAssert.Equivalent(message, decoded);
            Assert.Equal(encoded, MessageCatalog.Encode((IKafkaMessage)decoded, version));
        }
    }

    [Theory]
    [MemberData(nameof(MessageCatalog.MessageVersions), MemberType = typeof(MessageCatalog))]
    public void DefaultInstanceRoundTrips(string name, short version)
    {
        var (_, type) = MessageCatalog.Get(name);
        var message = (IKafkaMessage)Activator.CreateInstance(type)!;
        byte[] encoded;
        try
        {
            encoded = MessageCatalog.Encode(message, version);
        }
        catch (UnsupportedVersionException e) when (e.FieldName is not null)
        {
            // A field whose spec default is null but that is not nullable at this version (e.g. an old
            // non-nullable string) cannot be written from a default instance; Kafka's Java client refuses too.
            Assert.Contains("null", e.Message, StringComparison.Ordinal);
            return;
        }
        DeepAssert.Equivalent(message, MessageCatalog.Decoder(type)(encoded, version));
    }

    [Theory]
    [MemberData(nameof(MessageCatalog.MessageVersions), MemberType = typeof(MessageCatalog))]
    public void UnknownTaggedFieldsArePreservedInFlexibleVersions(string name, short version)
    {
        var (spec, type) = MessageCatalog.Get(name);
        if (!spec.FlexibleVersions.Contains(version)) return;
        var message = (IKafkaMessage)new MessageFactory(new Random(version)).Create(spec, type, version);
        // Tags around the known ones (0-3) so both orderings are exercised.
        var unknown = new List<TaggedField> { new(7, new byte[] { 1, 2, 3 }), new(200, Array.Empty<byte>()), new(70000, new byte[] { 9 }) };
        type.GetProperty("UnknownTaggedFields")!.SetValue(message, unknown);
        byte[] encoded = MessageCatalog.Encode(message, version);
        var decoded = MessageCatalog.Decoder(type)(encoded, version);
        DeepAssert.Equivalent(message, decoded);
    }

    [Theory]
    [MemberData(nameof(MessageCatalog.Messages), MemberType = typeof(MessageCatalog))]
    public void NonIgnorableFieldMissingFromVersionRefusesToWrite(string name)
    {
        var (spec, type) = MessageCatalog.Get(name);
        var factory = new MessageFactory(new Random(1));
        for (short version = spec.ValidVersions.Low; version <= spec.ValidVersions.High; version++)
        {
            foreach (var field in spec.Fields.Where(f => !f.Versions.Contains(version)))
            {
                // Fill the field as its first version would, then write the older/newer version.
                short present = field.Versions.Low <= spec.ValidVersions.High ? Math.Max(field.Versions.Low, spec.ValidVersions.Low) : (short)-1;
                if (present < 0 || !field.Versions.Contains(present)) continue;
                var source = factory.Create(spec, type, present);
                var target = (IKafkaMessage)factory.Create(spec, type, version);
                var property = type.GetProperty(field.Name, BindingFlags.Public | BindingFlags.Instance)!;
                var value = property.GetValue(source);
                if (IsDefault(property, value, type)) continue;
                property.SetValue(target, value);
                if (field.Ignorable)
                {
                    MessageCatalog.Encode(target, version);
                }
                else
                {
                    var e = Assert.Throws<UnsupportedVersionException>(() => MessageCatalog.Encode(target, version));
                    Assert.Equal($"{spec.Name}.{field.Name}", e.FieldName);
                    Assert.Equal(version, e.ApiVersion);
                }
            }
        }
    }

    private static bool IsDefault(PropertyInfo property, object? value, Type type)
    {
        var fresh = property.GetValue(Activator.CreateInstance(type));
        try
        {
            DeepAssert.Equivalent(fresh, value);
            return true;
        }
        catch (Xunit.Sdk.XunitException)
        {
            return false;
        }
    }

    [Fact]
    public void WritingAnUnsupportedVersionThrows()
    {
        var request = new FetchRequest();
        Assert.Throws<UnsupportedVersionException>(() => request.ComputeSize(FetchRequest.HighestSupportedVersion + 1));
        var e = Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(new byte[16]);
            FetchResponse.Read(ref reader, 99);
        });
        Assert.Equal(FetchResponse.ApiKey, e.ApiKey);
        Assert.Equal(99, e.ApiVersion);
    }

    [Fact]
    public void GeneratedTypesFollowTheSpecNames()
    {
        Assert.Equal(1, FetchResponse.ApiKey);
        Assert.Equal(17, FetchResponse.HighestSupportedVersion);
        Assert.Equal(12, FetchResponse.LowestFlexibleVersion);
        Assert.Equal(-1, SaslHandshakeRequest.LowestFlexibleVersion);
        // Struct names that collide with a top-level property get a Data suffix.
        Assert.NotNull(typeof(FetchRequest).GetNestedType("ReplicaStateData"));
        Assert.NotNull(typeof(ConsumerGroupHeartbeatResponse).GetNestedType("AssignmentData"));
        Assert.Equal(typeof(ReadOnlyMemory<byte>?), typeof(FetchResponse.PartitionData).GetProperty("Records")!.PropertyType);
    }
}
