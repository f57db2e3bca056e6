using Microsoft.CodeAnalysis;

namespace TypedKafka.Generators.Tests;

/// <summary>Issue 14: ISpecificRecord types with fixed and logical types get generated decoders; the fallback to
/// Apache.Avro's reflective reader is reported as TK0012. (Minimal stand-ins for the Apache.Avro types the generator
/// looks for by name: this project does not reference Apache.Avro.)</summary>
public class SpecificRecordGeneratorTests
{
    private const string AvroStandIns = """
        namespace Avro
        {
            public class Schema { public static Schema Parse(string json) => new Schema(); }
            public struct AvroDecimal { }
        }
        namespace Avro.Specific
        {
            public interface ISpecificRecord { Avro.Schema Schema { get; } object Get(int fieldPos); void Put(int fieldPos, object fieldValue); }
            public abstract class SpecificFixed { protected SpecificFixed(uint size) { Value = new byte[size]; } public byte[] Value { get; set; } }
        }

        """;

    private const string Record = """
        namespace Shop
        {
            public sealed class Md5 : Avro.Specific.SpecificFixed { public Md5() : base(16) { } }

            public sealed class Stamp : Avro.Specific.ISpecificRecord
            {
                public static Avro.Schema _SCHEMA = Avro.Schema.Parse(SCHEMA_TEXT);
                public Avro.Schema Schema => _SCHEMA;
                public Md5 hash { get; set; } = null!;
                public Avro.AvroDecimal amount { get; set; }
                public System.DateTime day { get; set; }
                public System.TimeSpan clock { get; set; }
                public System.DateTime? at { get; set; }
                public System.Guid id { get; set; }
                public object Get(int fieldPos) => null!;
                public void Put(int fieldPos, object fieldValue) { }
            }

            public static class H { [TypedKafka.KafkaTopic("stamps")] public static void Handle(Stamp stamp) { } }
        }
        """;

    private const string Schema = "\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"Stamp\\\",\\\"namespace\\\":\\\"Shop\\\",\\\"fields\\\":["
        + "{\\\"name\\\":\\\"hash\\\",\\\"type\\\":{\\\"type\\\":\\\"fixed\\\",\\\"name\\\":\\\"Md5\\\",\\\"size\\\":16}},"
        + "{\\\"name\\\":\\\"amount\\\",\\\"type\\\":{\\\"type\\\":\\\"bytes\\\",\\\"logicalType\\\":\\\"decimal\\\",\\\"precision\\\":9,\\\"scale\\\":2}},"
        + "{\\\"name\\\":\\\"day\\\",\\\"type\\\":{\\\"type\\\":\\\"int\\\",\\\"logicalType\\\":\\\"date\\\"}},"
        + "{\\\"name\\\":\\\"clock\\\",\\\"type\\\":{\\\"type\\\":\\\"long\\\",\\\"logicalType\\\":\\\"time-micros\\\"}},"
        + "{\\\"name\\\":\\\"at\\\",\\\"type\\\":[\\\"null\\\",{\\\"type\\\":\\\"long\\\",\\\"logicalType\\\":\\\"timestamp-micros\\\"}]},"
        + "{\\\"name\\\":\\\"id\\\",\\\"type\\\":{\\\"type\\\":\\\"string\\\",\\\"logicalType\\\":\\\"uuid\\\"}}]}\"";

    private static (IReadOnlyList<Diagnostic> Diagnostics, string Deserializers) Run(string schemaExpression)
    {
        var (_, diagnostics, result) = TestCompilation.Run(TestCompilation.Create(AvroStandIns + Record.Replace("SCHEMA_TEXT", schemaExpression)));
        string deserializers = result.Results.Single().GeneratedSources.Single(s => s.HintName == "TypedKafka.Deserializers.g.cs").SourceText.ToString();
        return (diagnostics, deserializers);
    }

    [Fact]
    public void Fixed_and_logical_types_are_decoded_by_generated_code()
    {
        var (diagnostics, source) = Run(Schema);
        Assert.Empty(diagnostics);
        Assert.DoesNotContain("SpecificDatumReader", source);
        Assert.Contains("var result = new global::Shop.Md5();", source);
        Assert.Contains("new global::Avro.AvroDecimal(new global::System.Numerics.BigInteger(reader.ReadBytesSpan(), false, true), 2)", source);
        Assert.Contains("ToUtcDateTimeFromDays(reader.ReadInt())", source);
        Assert.Contains("ToTimeSpanFromMicros(reader.ReadLong())", source);
        Assert.Contains("default(global::System.DateTime?) : global::TypedKafka.AvroBinaryReader.ToUtcDateTimeFromMicros(reader.ReadLong())", source);
        Assert.Contains("global::System.Guid.Parse(reader.ReadString())", source);
    }

    [Fact]
    public void A_schema_that_is_not_a_constant_falls_back_with_warning_TK0012()
    {
        var (diagnostics, source) = Run("System.Environment.GetEnvironmentVariable(\"SCHEMA\")!");
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("TK0012", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Contains("'Shop.Stamp' is decoded by Apache.Avro's SpecificDatumReader", diagnostic.GetMessage());
        Assert.Contains("not Schema.Parse of a constant string", diagnostic.GetMessage());
        Assert.Contains("SpecificDatumReader", source);
    }

    [Fact]
    public void A_wide_union_is_an_object_read_by_generated_code_unless_it_has_an_array_branch()
    {
        string union = Schema.Replace("[\\\"null\\\",{\\\"type\\\":\\\"long\\\",\\\"logicalType\\\":\\\"timestamp-micros\\\"}]", "[\\\"null\\\",\\\"string\\\",\\\"int\\\"]");
        Assert.NotEqual(Schema, union);
        string record = "public System.DateTime? at { get; set; }";
        var (_, diagnostics, result) = TestCompilation.Run(TestCompilation.Create(AvroStandIns + Record.Replace("SCHEMA_TEXT", union).Replace(record, "public object at { get; set; } = null!;")));
        Assert.Empty(diagnostics);
        string source = result.Results.Single().GeneratedSources.Single(s => s.HintName == "TypedKafka.Deserializers.g.cs").SourceText.ToString();
        Assert.DoesNotContain("SpecificDatumReader", source);
        Assert.Contains("private static object? ReadUnion_", source);

        string withArray = union.Replace("\\\"int\\\"]", "{\\\"type\\\":\\\"array\\\",\\\"items\\\":\\\"int\\\"}]");
        Assert.NotEqual(union, withArray);
        (_, diagnostics, _) = TestCompilation.Run(TestCompilation.Create(AvroStandIns + Record.Replace("SCHEMA_TEXT", withArray).Replace(record, "public object at { get; set; } = null!;")));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("TK0012", diagnostic.Id);
        Assert.Contains("Shop.Stamp.at: a union other than [null, T] with an array branch is not supported", diagnostic.GetMessage());
    }

    [Fact]
    public void A_property_of_the_wrong_type_for_a_logical_type_is_named_in_TK0012()
    {
        var (diagnostics, _) = Run(Schema.Replace("time-micros", "timestamp-micros"));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("TK0012", diagnostic.Id);
        Assert.Contains("Shop.Stamp.clock: is System.TimeSpan, expected System.DateTime", diagnostic.GetMessage());
    }
}
