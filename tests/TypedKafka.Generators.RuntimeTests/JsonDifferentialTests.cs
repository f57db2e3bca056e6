using System.Globalization;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;
using static TypedKafka.RuntimeTests.TestSupport;

namespace TypedKafka.RuntimeTests;

/// <summary>
/// The generated JSON reader against System.Text.Json's source-generated context with the equivalent options
/// (camelCase names, JsonStringEnumConverter, everything else default): on seeded random documents, valid and
/// malformed, both must produce equal objects (compared by re-serializing them with System.Text.Json) or both fail.
/// </summary>
public class JsonDifferentialTests(ITestOutputHelper output)
{
    private const int Documents = 5000;

    [Fact]
    public void Generated_reader_agrees_with_System_Text_Json_on_5000_seeded_documents()
    {
        var ours = Deserializer<DiffDoc>("diff");
        var context = new SerializationContext("diff", 0, false, Array.Empty<Header>());
        var random = new Random(20240229);
        var mismatches = new List<string>();
        int bothFailed = 0, bothSucceeded = 0;
        for (int i = 0; i < Documents; i++)
        {
            string json = new DocumentWriter(random).Document();
            byte[] bytes = Encoding.UTF8.GetBytes(json);
            (DiffDoc? Value, Exception? Error) mine, reference;
            try { mine = (ours.Deserialize(bytes, false, context), null); } catch (Exception e) { mine = (null, e); }
            try { reference = (JsonSerializer.Deserialize(bytes, ReferenceJsonContext.Default.DiffDoc), null); } catch (Exception e) { reference = (null, e); }

            if (mine.Error is not null && reference.Error is not null)
            {
                bothFailed++;
                continue;
            }

            if (mine.Error is not null || reference.Error is not null)
            {
                mismatches.Add($"#{i}: generated {(mine.Error is null ? "succeeded" : "failed: " + mine.Error.Message)}; STJ {(reference.Error is null ? "succeeded" : "failed: " + reference.Error.Message)}\n  {json}");
                continue;
            }

            string a = JsonSerializer.Serialize(mine.Value, ComparisonJsonContext.Default.DiffDoc);
            string b = JsonSerializer.Serialize(reference.Value, ComparisonJsonContext.Default.DiffDoc);
            if (a != b)
                mismatches.Add($"#{i}: different objects\n  input     {json}\n  generated {a}\n  STJ       {b}");
            else
                bothSucceeded++;
        }

        output.WriteLine($"{bothSucceeded} documents read equally, {bothFailed} rejected by both, {mismatches.Count} mismatches");
        foreach (var m in mismatches.Take(10))
            output.WriteLine(m);
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches.Take(5)));
        Assert.True(bothSucceeded > Documents / 4, $"only {bothSucceeded} valid documents: the generator of test data is too destructive");
        Assert.True(bothFailed > Documents / 10, $"only {bothFailed} invalid documents: the generator of test data is too gentle");
    }

    [Theory]
    [InlineData("""{"carrier_name":"DHL","ship_date":"2024-03-01","cut_off":"17:30:00","duration":"1.02:03:04.5","origin":{"x":1,"y":2},"label":"AQID","lines":["a","b"],"sizes":[1,2],"stops":{"a":{"x":3,"y":4}}}""")]
    [InlineData("""{"ship_date":"2024-03-01","duration":"00:00:01"}""")]
    [InlineData("""{"carrier_name":null,"cut_off":null,"origin":{},"label":null}""")]
    [InlineData("""{"ship_date":"2024-3-1"}""")]
    [InlineData("""{"duration":"1:2"}""")]
    [InlineData("""{"origin":null}""")]
    [InlineData("""{"cut_off":"24:00:00"}""")]
    [InlineData("""{"label":"not base64!"}""")]
    public void Snake_case_type_with_dates_structs_and_interfaces_matches_System_Text_Json(string json)
    {
        // Reflection-based System.Text.Json: its source-generated metadata loses the initializer of the init-only CarrierName.
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        };
        (Shipment? Value, Exception? Error) mine, reference;
        try { mine = (Json<Shipment>("shipments", json), null); } catch (Exception e) { mine = (null, e); }
        try { reference = (JsonSerializer.Deserialize<Shipment>(json, options), null); } catch (Exception e) { reference = (null, e); }
        Assert.Equal(reference.Error is null, mine.Error is null);
        if (mine.Value is not null)
        {
            Assert.Equal(
                JsonSerializer.Serialize(reference.Value, ReferenceSnakeContext.Default.Shipment),
                JsonSerializer.Serialize(mine.Value, ReferenceSnakeContext.Default.Shipment));
        }
    }

    [Theory]
    [InlineData("""{"type":"a","payload":{"id":1,"sku":"x","qty":1,"price":1,"note":null},"previous":{"type":"b","payload":{"id":2,"sku":"y","qty":2,"price":2.5,"note":"n"},"previous":null}}""")]
    [InlineData("""{"type":"a"}""")]
    [InlineData("""null""")]
    [InlineData("""[]""")]
    [InlineData("""{"type":"a"} {}""")]
    [InlineData(" ")]
    public void Recursive_type_matches_System_Text_Json(string json)
    {
        (Envelope? Value, Exception? Error) mine, reference;
        try { mine = (Json<Envelope>("envelopes", json), null); } catch (Exception e) { mine = (null, e); }
        try { reference = (JsonSerializer.Deserialize(json, ReferenceJsonContext.Default.Envelope), null); } catch (Exception e) { reference = (null, e); }
        Assert.Equal(reference.Error is null, mine.Error is null);
        Assert.Equal(JsonSerializer.Serialize(reference.Value, ReferenceJsonContext.Default.Envelope), JsonSerializer.Serialize(mine.Value, ReferenceJsonContext.Default.Envelope));
    }

    /// <summary>Writes random DiffDoc-shaped JSON: mostly valid, sometimes with wrong types, limits, escapes, duplicates and breakage.</summary>
    private sealed class DocumentWriter(Random random)
    {
        private static readonly string[] Strings = ["", "plain", "caf\\u00e9", "\\ud83d\\ude00 emoji", "tab\\tnew\\nline", "quote\\\"d", "\\u0041BC", "\\ud800 lone", "日本語", "\\/slash", "ABC-12345"];
        private static readonly string[] StatusValues = ["\"Active\"", "\"active\"", "\"SUSPENDED\"", "\"Unknown\"", "0", "1", "5", "7", "-1", "\"Bogus\"", "\"1\"", "\"\"", "\"Active, Suspended\"", "1.5", "true"];
        private static readonly string[] PermissionValues = ["\"Read\"", "\"Read, Write\"", "\"write\"", "3", "0", "\"None\"", "\"Read,Write\"", "\"Execute\""];

        public string Document()
        {
            if (random.Next(200) == 0)
                return random.Next(2) == 0 ? "null" : "[]";
            var properties = new List<string>();
            foreach (var (name, value) in Fields())
            {
                if (random.Next(10) < 8 || name == "code" && random.Next(40) > 0)
                    properties.Add($"\"{Rename(name)}\":{value()}");
            }

            if (random.Next(5) == 0)
                properties.Add($"\"unknown{random.Next(3)}\":{Unknown(0)}");
            if (random.Next(6) == 0 && properties.Count > 0)
                properties.Add(properties[random.Next(properties.Count)].Split(':')[0] + ":" + Int());
            Shuffle(properties);
            string json = "{" + string.Join(random.Next(8) == 0 ? " , " : ",", properties) + "}";
            return random.Next(8) == 0 ? Break(json) : json;
        }

        private IEnumerable<(string, Func<string>)> Fields() =>
        [
            ("id", Int), ("name", () => Nullable(Str)), ("score", Double), ("status", () => Pick2(StatusValues[..9], StatusValues[9..])),
            ("numbers", () => Nullable(() => Array(Int))), ("tags", () => Nullable(() => Map(() => Nullable(Str)))),
            ("child", () => Nullable(() => Child(0))), ("amount", Decimal), ("big", Long), ("flag", Bool),
            ("ref", () => Nullable(Guid)), ("when", () => Nullable(Date)), ("small", Byte), ("unsigned", UInt), ("ratio", Double),
            ("values", () => Nullable(() => Array(Int))), ("items", () => Nullable(() => Array(() => Nullable(() => Child(1))))),
            ("permissions", () => Pick2(PermissionValues[..6], PermissionValues[6..])), ("letter", Char), ("stamp", () => Nullable(Date)), ("level", Short),
            ("extra", () => Nullable(Str)), ("code", Str), ("renamed_value", () => Nullable(Int)), ("ignored", () => Unknown(0)), ("counter", ULong),
        ];

        private string Child(int depth)
        {
            var parts = new List<string>();
            if (random.Next(3) > 0) parts.Add($"\"label\":{Nullable(Str)}");
            if (random.Next(3) == 0 && depth < 3) parts.Add($"\"children\":{Nullable(() => Array(() => Child(depth + 1)))}");
            if (random.Next(2) == 0) parts.Add($"\"depth\":{Short()}");
            if (random.Next(3) == 0) parts.Add($"\"weights\":{Nullable(() => Map(Double))}");
            if (random.Next(3) == 0) parts.Add($"\"tiny\":{Pick2(["-128", "127", "0"], ["128", "-129", "null"])}");
            if (random.Next(6) == 0) parts.Add($"\"Label\":{Str()}");
            Shuffle(parts);
            return "{" + string.Join(",", parts) + "}";
        }

        private string Rename(string name) => random.Next(40) switch
        {
            0 => char.ToUpperInvariant(name[0]) + name[1..],
            1 => name.ToUpperInvariant(),
            2 => string.Concat(name.Select(c => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture))),
            _ => name,
        };

        private string Int() => Wrong() ?? Pick2(["0", "-1", "42", "2147483647", "-2147483648", "-0", "12345"], ["2147483648", "1.0", "1e2", "007", "\"12\""]);

        private string Long() => Wrong() ?? Pick2(["0", "9223372036854775807", "-9223372036854775808", "123456789012"], ["9223372036854775808", "1.5"]);

        private string Short() => Wrong() ?? Pick2(["0", "32767", "-32768", "7"], ["32768"]);

        private string Byte() => Wrong() ?? Pick2(["0", "255", "17"], ["256", "-1"]);

        private string UInt() => Wrong() ?? Pick2(["0", "4294967295", "3"], ["4294967296", "-1"]);

        private string ULong() => Wrong() ?? Pick2(["0", "18446744073709551615", "99"], ["18446744073709551616", "-1"]);

        private string Double() => Wrong() ?? Pick2(["0", "-0.0", "1.5", "1e308", "-1.7976931348623157E+308", "4.9e-324", "3.14159", "1E-7", "123456789.123456789"], ["1e309", "\"NaN\""]);

        private string Decimal() => Wrong() ?? Pick2(["0", "19.99", "-0.01", "79228162514264337593543950335", "1e2", "0.0000000000000000000000000001", "1.23456789012345678901234567890"], ["79228162514264337593543950336"]);

        private string Bool() => Wrong() ?? Pick2(["true", "false"], ["\"true\"", "1"]);

        private string Char() => Wrong() ?? Pick2(["\"a\"", "\"\\u00e9\""], ["\"ab\"", "\"\"", "\"\\ud83d\\ude00\"", "65"]);

        private string Guid() => Wrong() ?? Pick(["\"" + new Guid(random.Next(), (short)random.Next(), (short)random.Next(), new byte[8]).ToString() + "\"", "\"not-a-guid\"", "\"{00000000-0000-0000-0000-000000000001}\"", "\"00000000000000000000000000000001\""]);

        private string Date() => Wrong() ?? Pick2(["\"2024-02-29T12:30:00Z\"", "\"2024-02-29T12:30:00.1234567+02:00\"", "\"2024-02-29\"", "\"2024-02-29T12:30\""], ["\"2024-02-30T00:00:00Z\"", "\"yesterday\"", "\"2024-02-29T24:00:00Z\""]);

        private string Str() => Wrong() ?? "\"" + Pick2(Strings[..7], Strings[7..]) + "\"";

        private string? Wrong() => random.Next(400) == 0 ? Pick(["\"text\"", "12", "true", "{}", "[]", "null", "{\"a\":1}"]) : null;

        private string Nullable(Func<string> value) => random.Next(6) == 0 ? "null" : value();

        private string Array(Func<string> item) => "[" + string.Join(",", Enumerable.Range(0, random.Next(5)).Select(_ => item())) + "]";

        private string Map(Func<string> value)
        {
            var keys = Enumerable.Range(0, random.Next(4)).Select(_ => "\"" + Pick(["k", "k", "key", "\\u006b", "", "日本"]) + "\":" + value());
            return "{" + string.Join(",", keys) + "}";
        }

        private string Unknown(int depth) => random.Next(depth > 2 ? 3 : 5) switch
        {
            0 => Int(),
            1 => Str(),
            2 => "null",
            3 => "[" + Unknown(depth + 1) + "," + Unknown(depth + 1) + "]",
            _ => "{\"x\":" + Unknown(depth + 1) + ",\"y\":[" + Unknown(depth + 1) + "]}",
        };

        private string Break(string json) => random.Next(6) switch
        {
            0 => json[..random.Next(json.Length)],
            1 => json.Insert(random.Next(json.Length), Pick([",", "}", "]", ":", "\"", "x", "/*c*/"])),
            2 => json.Remove(random.Next(json.Length), 1),
            3 => json + Pick([" x", ",", " {}", "\n", "  "]),
            4 => json.Replace("}", ",}"),
            _ => Pick(["\u00ef\u00bb\u00bf" + json, " " + json + " ", json.Replace(":", " : ")]),
        };

        private string Pick(string[] values) => values[random.Next(values.Length)];

        private string Pick2(string[] valid, string[] edge) => random.Next(60) == 0 ? Pick(edge) : Pick(valid);

        private void Shuffle<T>(List<T> items)
        {
            for (int i = items.Count - 1; i > 0; i--)
            {
                int j = random.Next(i + 1);
                (items[i], items[j]) = (items[j], items[i]);
            }
        }
    }
}
