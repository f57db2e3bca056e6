using Google.Protobuf;
using TypedKafka.RuntimeTests.Proto;
using static TypedKafka.RuntimeTests.TestSupport;

namespace TypedKafka.RuntimeTests;

/// <summary>Issue 14: the Confluent message indexes of a Protobuf frame must name the handler's message type.</summary>
public class ProtobufMessageIndexTests
{
    private static byte[] Frame(byte[] indexes, byte[] message) => [0, 0, 0, 0, 7, .. indexes, .. message];

    [Fact]
    public void The_first_message_accepts_both_encodings_of_index_0_and_rejects_another_message()
    {
        var order = new ProtoOrder { Id = 5, Sku = "A" }.ToByteArray();
        var deserializer = Deserializer<ProtoOrder>("proto");
        Assert.Equal(5, deserializer.Deserialize(Frame([0], order), false, default).Id);
        Assert.Equal(5, deserializer.Deserialize(Frame([2, 0], order), false, default).Id); // count 1, index 0
        var error = Assert.Throws<InvalidDataException>(() => deserializer.Deserialize(Frame([2, 2], order), false, default)); // [1]
        Assert.Contains("names message [1] of schema id 7", error.Message);
        Assert.Contains("ProtoOrder, which is message [0]", error.Message);
    }

    [Fact]
    public void A_nested_message_needs_its_full_index_path()
    {
        var box = new ProtoShipment.Types.Box { Size = 3 }.ToByteArray();
        var deserializer = Deserializer<ProtoShipment.Types.Box>("proto-box");
        Assert.Equal(3, deserializer.Deserialize(Frame([4, 2, 0], box), false, default).Size); // [1, 0]
        Assert.Throws<InvalidDataException>(() => deserializer.Deserialize(Frame([0], box), false, default)); // [0] is ProtoOrder
        Assert.Throws<InvalidDataException>(() => deserializer.Deserialize(Frame([2, 2], box), false, default)); // [1] is ProtoShipment
        Assert.Equal(3, deserializer.Deserialize(box, false, default).Size); // plain (no frame): nothing to check
    }
}
