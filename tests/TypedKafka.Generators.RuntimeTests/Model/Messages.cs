using System.Text.Json.Serialization;

[assembly: TypedKafka.KafkaJsonNaming(TypedKafka.KafkaJsonNamingPolicy.CamelCase)]

namespace TypedKafka.RuntimeTests;

/// <summary>The 100-byte benchmark record: {"id":..,"sku":"ABC-nnnnn","qty":..,"price":..,"note":"..."}.</summary>
public sealed record Order(long Id, string Sku, int Qty, decimal Price, string? Note);

public enum Status
{
    Unknown = 0,
    Active = 1,
    Suspended = 5,
}

[Flags]
public enum Permissions
{
    None = 0,
    Read = 1,
    Write = 2,
}

/// <summary>The differential-test document: most member shapes the JSON generator supports.</summary>
public sealed record DiffDoc(
    int Id,
    string? Name,
    double Score,
    Status Status,
    List<int>? Numbers,
    Dictionary<string, string?>? Tags,
    DiffChild? Child,
    decimal Amount,
    long Big,
    bool Flag,
    Guid? Ref,
    DateTimeOffset? When,
    byte Small,
    uint Unsigned,
    float Ratio,
    int[]? Values,
    IReadOnlyList<DiffChild?>? Items,
    Permissions Permissions,
    char Letter,
    DateTime? Stamp,
    short Level = 7)
{
    public string? Extra { get; set; }

    public required string Code { get; init; }

    [JsonPropertyName("renamed_value")]
    public int? RenamedValue { get; set; }

    [JsonIgnore]
    public string? Ignored { get; set; }

    public ulong Counter { get; set; }
}

public sealed class DiffChild
{
    public string? Label { get; set; }

    public IReadOnlyList<DiffChild>? Children { get; set; }

    public short Depth { get; set; }

    public IReadOnlyDictionary<string, double>? Weights { get; set; }

    public sbyte Tiny { get; set; } = -1;
}

/// <summary>Types that exercise the less common paths: init-only properties with defaults, structs, naming per type, date/time types.</summary>
[KafkaJsonNaming(KafkaJsonNamingPolicy.SnakeCaseLower)]
public sealed class Shipment
{
    public string CarrierName { get; init; } = "unknown";

    public DateOnly ShipDate { get; set; }

    public TimeOnly? CutOff { get; set; }

    public TimeSpan Duration { get; set; }

    public Point Origin { get; set; }

    public byte[]? Label { get; set; }

    public IList<string>? Lines { get; set; }

    public IEnumerable<int>? Sizes { get; set; }

    public IDictionary<string, Point>? Stops { get; set; }
}

public struct Point
{
    public int X { get; set; }

    public int Y { get; set; }
}

public sealed record Envelope(string Type, Order Payload, Envelope? Previous);

/// <summary>An Apache.Avro specific record, hand-written as avrogen would write it.</summary>
public sealed class AvroPing : Avro.Specific.ISpecificRecord
{
    public static readonly Avro.Schema _SCHEMA = Avro.Schema.Parse(
        "{\"type\":\"record\",\"name\":\"AvroPing\",\"namespace\":\"TypedKafka.RuntimeTests\",\"fields\":[{\"name\":\"seq\",\"type\":\"long\"},{\"name\":\"source\",\"type\":\"string\"}]}");

    public long seq { get; set; }

    public string source { get; set; } = "";

    public Avro.Schema Schema => _SCHEMA;

    public object Get(int fieldPos) => fieldPos switch
    {
        0 => seq,
        1 => source,
        _ => throw new Avro.AvroRuntimeException("Bad index " + fieldPos),
    };

    public void Put(int fieldPos, object fieldValue)
    {
        switch (fieldPos)
        {
            case 0: seq = (long)fieldValue; break;
            case 1: source = (string)fieldValue; break;
            default: throw new Avro.AvroRuntimeException("Bad index " + fieldPos);
        }
    }
}

/// <summary>Bound to Schemas/payment.avsc: the generator adds the properties, the nested types and the decoder.</summary>
[AvroSchema("Schemas/payment.avsc")]
public partial class Payment
{
}

/// <summary>Declared defaults (issue 14): constructor parameter defaults of every kind a JSON member can have.</summary>
public sealed record DefaultsOrder(
    string Id,
    string Channel = "web",
    int Priority = 3,
    Status State = Status.Active,
    double? Ratio = 0.5,
    decimal Fee = 1.25m,
    char Grade = 'b',
    string? Note = null,
    long Big = -9_000_000_000,
    Permissions Access = Permissions.Read | Permissions.Write);

/// <summary>Declared defaults (issue 14): property initializers on init-only, settable and required members.</summary>
public sealed class DefaultsAccount
{
    public bool Active { get; init; } = true;

    public string Region { get; set; } = "eu";

    public int Retries { get; init; } = 3;

    public required string Owner { get; init; }

    public List<string>? Tags { get; init; } = ["new"];

    public Point Origin { get; init; } = new() { X = 4, Y = 2 };

    public DefaultsLimits Limits { get; init; } = new();
}

/// <summary>A struct with an init-only member that has an initializer (a struct's parameterless constructor runs it).</summary>
public struct DefaultsLimits
{
    public DefaultsLimits()
    {
    }

    public int Max { get; init; } = 100;

    public int Min { get; set; } = 1;
}

/// <summary>Bound to Schemas/customer.avsc, the reader of the Avro schema resolution differential test.</summary>
[AvroSchema("Schemas/customer.avsc")]
public partial class Customer
{
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(DiffDoc))]
[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(Envelope))]
[JsonSerializable(typeof(DefaultsOrder))]
[JsonSerializable(typeof(DefaultsAccount))]
internal sealed partial class ReferenceJsonContext : JsonSerializerContext
{
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(Shipment))]
internal sealed partial class ReferenceSnakeContext : JsonSerializerContext
{
}

/// <summary>Only for comparing results: writes infinities (a float read from 1e308 is one) instead of throwing.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(DiffDoc))]
internal sealed partial class ComparisonJsonContext : JsonSerializerContext
{
}
