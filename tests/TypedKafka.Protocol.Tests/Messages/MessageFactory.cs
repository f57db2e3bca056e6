using System.Collections;
using System.Reflection;
using TypedKafka.Protocol.CodeGen;

namespace TypedKafka.Protocol.Tests.Messages;

/// <summary>
/// Builds a generated message whose every field present at a version holds a random non-default value
/// (absent fields keep their defaults, so writing never loses information). Driven by the definitions,
/// not by the generated code, so it checks the codec against the spec.
/// </summary>
public sealed class MessageFactory(Random random)
{
    public object Create(MessageSpec spec, Type type, short version) => Fill(spec, type, spec.Fields, version);

    private object Fill(MessageSpec spec, Type type, List<FieldSpec> fields, short version)
    {
        object instance = Activator.CreateInstance(type)!;
        foreach (var field in fields)
        {
            if (!field.Versions.Contains(version)) continue;
            var property = type.GetProperty(field.Name, BindingFlags.Public | BindingFlags.Instance)!;
            property.SetValue(instance, Value(spec, type, field, property.PropertyType, version));
        }
        return instance;
    }

    private object? Value(MessageSpec spec, Type owner, FieldSpec field, Type propertyType, short version)
    {
        bool nullable = field.NullableVersions.Contains(version);
        // A null is a non-default value for a nullable field whose default is not null.
        if (nullable && field.Default != "null" && field.Type.Kind != TypeKind.Records && random.Next(4) == 0) return null;
        if (field.Type.Kind == TypeKind.Array)
        {
            var list = (IList)Activator.CreateInstance(propertyType.IsGenericType ? propertyType : Nullable.GetUnderlyingType(propertyType)!)!;
            var elementType = list.GetType().GetGenericArguments()[0];
            int count = 1 + random.Next(2);
            for (int i = 0; i < count; i++) list.Add(Scalar(spec, owner, field.Type.Element!, elementType, version, field.Default));
            return list;
        }
        return Scalar(spec, owner, field.Type, propertyType, version, field.Default);
    }

    private object Scalar(MessageSpec spec, Type owner, TypeRef type, Type clrType, short version, string? defaultText)
    {
        long def = defaultText is null || defaultText == "null" || !long.TryParse(defaultText, out long d) ? 0 : d;
        long Pick(long min, long max)
        {
            long value;
            do value = random.NextInt64(min, max); while (value == def);
            return value;
        }
        switch (type.Kind)
        {
            case TypeKind.Bool: return defaultText != "true";
            case TypeKind.Int8: return (sbyte)Pick(sbyte.MinValue, sbyte.MaxValue);
            case TypeKind.Int16: return (short)Pick(short.MinValue, short.MaxValue);
            case TypeKind.UInt16: return (ushort)Pick(0, ushort.MaxValue);
            case TypeKind.Int32: return (int)Pick(int.MinValue, int.MaxValue);
            case TypeKind.UInt32: return (uint)Pick(0, uint.MaxValue);
            case TypeKind.Int64: return Pick(long.MinValue, long.MaxValue);
            case TypeKind.Float64: return random.NextDouble() + 1;
            case TypeKind.String: return RandomString();
            case TypeKind.Uuid: return new KafkaUuid(random.NextInt64(1, long.MaxValue), random.NextInt64());
            case TypeKind.Bytes:
            case TypeKind.Records:
                var bytes = new byte[1 + random.Next(12)];
                random.NextBytes(bytes);
                return new ReadOnlyMemory<byte>(bytes);
            case TypeKind.Struct:
                var structSpec = spec.Struct(type.StructName!);
                var nested = owner.Assembly.GetType(MessageTypeName(spec) + "+" + structSpec.ClassName, throwOnError: true)!;
                return Fill(spec, nested, structSpec.Fields, version);
            default:
                throw new InvalidOperationException(type.Kind.ToString());
        }
    }

    private static string MessageTypeName(MessageSpec spec) => "TypedKafka.Protocol." + spec.Name;

    private string RandomString()
    {
        // Mix in non-ASCII so UTF-8 byte counts differ from char counts.
        string[] parts = ["topic", "grp", "é", "ü-ß", "消费", "x"];
        int n = random.Next(4);
        var text = string.Concat(Enumerable.Range(0, n).Select(_ => parts[random.Next(parts.Length)]));
        return text.Length == 0 ? "t" + random.Next(100) : text;
    }
}
