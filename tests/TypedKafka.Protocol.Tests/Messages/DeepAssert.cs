using System.Collections;
using System.Reflection;

namespace TypedKafka.Protocol.Tests.Messages;

/// <summary>Structural equality of generated messages: lists element-wise, byte slices by content.</summary>
public static class DeepAssert
{
    public static void Equivalent(object? expected, object? actual, string path = "$")
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {Show(expected)} but got {Show(actual)}");
            return;
        }
        var type = expected.GetType();
        Assert.True(type == actual.GetType(), $"{path}: type {type.Name} vs {actual.GetType().Name}");
        switch (expected)
        {
            case ReadOnlyMemory<byte> memory:
                Assert.True(memory.Span.SequenceEqual(((ReadOnlyMemory<byte>)actual).Span), $"{path}: bytes differ");
                return;
            case TaggedField tagged:
                var other = (TaggedField)actual;
                Assert.True(tagged.Tag == other.Tag && tagged.Data.Span.SequenceEqual(other.Data.Span), $"{path}: tagged field differs");
                return;
            case string or KafkaUuid or Enum:
            case var _ when type.IsPrimitive:
                Assert.True(expected.Equals(actual), $"{path}: expected {Show(expected)} but got {Show(actual)}");
                return;
            case IList list:
                var actualList = (IList)actual;
                Assert.True(list.Count == actualList.Count, $"{path}: {list.Count} vs {actualList.Count} elements");
                for (int i = 0; i < list.Count; i++) Equivalent(list[i], actualList[i], $"{path}[{i}]");
                return;
        }
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0) continue;
            Equivalent(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
        }
    }

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        _ => value.ToString() ?? "?",
    };
}
