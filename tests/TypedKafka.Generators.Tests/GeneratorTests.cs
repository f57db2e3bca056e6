using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TypedKafka.Generators.Tests;

public class GeneratorTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using TypedKafka;

        """;

    /// <summary>The sample whose emitted sources are kept as baselines.</summary>
    private const string Sample = Usings + """
        namespace Shop;

        public enum Channel { Web, Store }

        public sealed record Line(string Sku, int Quantity);

        public sealed record Order(long Id, string Sku, int Qty, decimal Price, string? Note)
        {
            public Channel Channel { get; init; }
            public List<Line>? Lines { get; set; }
            public required string Currency { get; init; }
        }

        public interface IAudit { void Write(string text); }

        [KafkaTopic("orders")]
        public sealed class OrderHandler(IAudit audit)
        {
            public ValueTask HandleAsync(Order order, MessageContext context, CancellationToken cancellationToken)
            {
                audit.Write(context.ToString());
                return ValueTask.CompletedTask;
            }
        }

        public static class Other
        {
            [KafkaTopic("orders", GroupId = "audit", OnDeserializationError = DeserializationErrorPolicy.Skip)]
            public static void Audit(Order order, [KafkaKey] string key) { }

            [KafkaTopic("order-batches")]
            public static Task Batch(IReadOnlyList<Order> orders) => Task.CompletedTask;
        }
        """;

    [Fact]
    public void Emitted_sources_match_the_baselines_and_compile()
    {
        var (output, diagnostics, result) = TestCompilation.Run(TestCompilation.Create(Sample));
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        var sources = result.Results.Single().GeneratedSources;
        Assert.Equal(new[] { "TypedKafka.Handlers.g.cs", "TypedKafka.Json.g.cs" }, sources.Select(s => s.HintName).Order());
        foreach (var source in sources)
            Baseline.Check(source.HintName, source.SourceText.ToString());
    }

    [Fact]
    public void Emitted_sources_are_deterministic()
    {
        string Emit(params string[] sources) => string.Join("\n", TestCompilation.Run(TestCompilation.Create(sources)).Result.Results.Single().GeneratedSources
            .OrderBy(s => s.HintName).Select(s => s.SourceText.ToString()));
        var parts = Sample.Split("public interface IAudit");
        Assert.Equal(Emit(Sample), Emit(Sample));
        Assert.Equal(Emit(Sample), Emit(parts[0], Usings + "namespace Shop;\npublic interface IAudit" + parts[1]));
    }

    [Theory]
    [InlineData("public sealed record Msg(object Payload);", "Msg.Payload: 'object' is object")]
    [InlineData("public sealed record Msg(Dictionary<int, string> Map);", "Msg.Map: 'System.Collections.Generic.Dictionary<int, string>' has keys of type 'int'")]
    [InlineData("public sealed record Msg(IComparable Value);", "Msg.Value: 'System.IComparable' is an interface")]
    [InlineData("public sealed record Msg(HashSet<int> Values);", "Msg.Values: 'System.Collections.Generic.HashSet<int>' is a collection type that is not supported")]
    [InlineData("public sealed class Msg { public Msg(int a) { } public Msg(string b) { } public int A { get; set; } }", "has several public constructors")]
    [InlineData("public sealed class Msg { public Msg(int other) { } public int A { get; set; } }", "constructor parameter 'other' of 'Msg' matches no public property")]
    [InlineData("public sealed record Msg(int[,] Grid);", "Msg.Grid: 'int[*,*]' is a multi-dimensional array")]
    public void TK0003_names_the_member_and_the_reason(string type, string expected)
    {
        var (_, diagnostics, result) = TestCompilation.Run(TestCompilation.Create(Usings + type + """

            public static class H { [KafkaTopic("t")] public static void Handle(Msg message) { } }
            """));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("TK0003", diagnostic.Id);
        Assert.Contains(expected, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(result.Results.Single().GeneratedSources);
    }

    [Fact]
    public void TK0003_duplicate_json_names_after_the_naming_policy()
    {
        var (_, diagnostics, _) = TestCompilation.Run(TestCompilation.Create(Usings + """
            [assembly: KafkaJsonNaming(KafkaJsonNamingPolicy.SnakeCaseLower)]
            public sealed class Msg { public int OrderId { get; set; } public int Order_Id { get; set; } }
            public static class H { [KafkaTopic("t")] public static void Handle(Msg message) { } }
            """));
        Assert.Contains(diagnostics, d => d.Id == "TK0003" && d.GetMessage().Contains("'order_id'"));
    }

    private const string Schema = """
        {"type":"record","name":"Payment","fields":[{"name":"id","type":"long"},{"name":"memo","type":["null","string"]}]}
        """;

    [Theory]
    [InlineData("[AvroSchema(\"payment.avsc\")] public class Payment { public long Id { get; set; } public int Memo { get; set; } }", "TK0007", "property 'Memo' is int")]
    [InlineData("[AvroSchema(\"payment.avsc\")] public class Payment { public long Id { get; set; } }", "TK0007", "field 'memo' has no property 'Memo'")]
    [InlineData("[AvroSchema(\"missing.avsc\")] public partial class Payment { }", "TK0008", "no AdditionalFiles item")]
    [InlineData("[AvroSchema(\"payment.avsc\")] public partial class Payment { public long Id { get; set; } public string? Memo { get; set; } }", null, null)]
    public void Avro_schema_binding_is_checked(string type, string? id, string? expected)
    {
        var (output, diagnostics, _) = TestCompilation.Run(
            TestCompilation.Create(Usings + type + "\npublic static class H { [KafkaTopic(\"p\")] public static void Handle(Payment p) { } }"),
            new InMemoryAdditionalText("/src/schemas/payment.avsc", Schema));
        if (id is null)
        {
            Assert.Empty(diagnostics);
            Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            return;
        }

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Contains(expected!, diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void TK0008_for_a_malformed_or_unsupported_schema()
    {
        var (_, diagnostics, _) = TestCompilation.Run(
            TestCompilation.Create(Usings + "[AvroSchema(\"bad.avsc\")] public partial class Bad { }\n[AvroSchema(\"union.avsc\")] public partial class U { }"),
            new InMemoryAdditionalText("bad.avsc", "{\"type\":\"record\",\"name\":"),
            new InMemoryAdditionalText("union.avsc", "{\"type\":\"record\",\"name\":\"U\",\"fields\":[{\"name\":\"v\",\"type\":[\"int\",\"string\"]}]}"));
        Assert.Equal(2, diagnostics.Count(d => d.Id == "TK0008"));
    }

    [Fact]
    public void Invalid_handlers_are_skipped_without_generator_errors()
    {
        var (output, diagnostics, _) = TestCompilation.Run(TestCompilation.Create(Usings + """
            public record Order(int Id);
            public static class H
            {
                [KafkaTopic("bad topic")] public static void A(Order o) { }
                [KafkaTopic("b")] public static async void B(Order o) { await Task.Yield(); }
                [KafkaTopic("c")] public static int C(Order o) => 1;
                [KafkaTopic("d")] public static void D(Order o) { }
            }
            """));
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Unrelated_edit_is_served_from_the_cache()
    {
        var compilation = TestCompilation.Create(Sample, "namespace Shop; public class Unrelated { public int A; }");
        var driver = TestCompilation.Driver().RunGenerators(compilation);
        var unrelated = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(unrelated,
            CSharpSyntaxTree.ParseText("namespace Shop; public class Unrelated { public int A; public int B; }", TestCompilation.ParseOptions, path: unrelated.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var step in new[] { TrackingNames.HandlerTargets, TrackingNames.CollectedHandlers, TrackingNames.AssemblyInfo })
        {
            var outputs = result.TrackedSteps[step].SelectMany(s => s.Outputs).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
        }

        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Fact]
    public void Editing_a_handler_reruns_its_step()
    {
        var compilation = TestCompilation.Create(Sample);
        var driver = TestCompilation.Driver().RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(Sample.Replace("\"order-batches\"", "\"order-batches-v2\""), TestCompilation.ParseOptions, path: tree.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps[TrackingNames.HandlerTargets].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("order-batches-v2", result.GeneratedSources.Single(s => s.HintName == "TypedKafka.Handlers.g.cs").SourceText.ToString());
    }

    [Theory]
    [InlineData("Id")]
    [InlineData("OrderId")]
    [InlineData("URLValue")]
    [InlineData("IOStream")]
    [InlineData("ABC")]
    [InlineData("already_snake")]
    [InlineData("camelCase")]
    [InlineData("Order2Line")]
    [InlineData("X")]
    [InlineData("HTTPServer2Go")]
    [InlineData("Äpfel")]
    [InlineData("Has Space")]
    [InlineData("_Leading")]
    public void Naming_policies_match_System_Text_Json(string name)
    {
        Assert.Equal(JsonNamingPolicy.CamelCase.ConvertName(name), JsonNaming.Apply(JsonNaming.CamelCase, name));
        Assert.Equal(JsonNamingPolicy.SnakeCaseLower.ConvertName(name), JsonNaming.Apply(JsonNaming.SnakeCaseLower, name));
        Assert.Equal(JsonNamingPolicy.SnakeCaseUpper.ConvertName(name), JsonNaming.Apply(JsonNaming.SnakeCaseUpper, name));
        Assert.Equal(JsonNamingPolicy.KebabCaseLower.ConvertName(name), JsonNaming.Apply(JsonNaming.KebabCaseLower, name));
        Assert.Equal(JsonNamingPolicy.KebabCaseUpper.ConvertName(name), JsonNaming.Apply(JsonNaming.KebabCaseUpper, name));
    }

    [Fact]
    public void Every_diagnostic_has_a_documentation_page_and_a_release_entry()
    {
        string root = Baseline.RepositoryRoot();
        string unshipped = File.ReadAllText(Path.Combine(root, "generators/TypedKafka.Generators/AnalyzerReleases.Unshipped.md"));
        foreach (var descriptor in DiagnosticDescriptors.All)
        {
            Assert.True(File.Exists(Path.Combine(root, "docs/diagnostics", descriptor.Id + ".md")), descriptor.Id);
            Assert.EndsWith($"docs/diagnostics/{descriptor.Id}.md", descriptor.HelpLinkUri);
            Assert.Contains(descriptor.Id + " |", unshipped);
        }
    }
}

/// <summary>Emitted-source baselines in Baselines/*.txt; set TYPEDKAFKA_UPDATE_BASELINES=1 to rewrite them.</summary>
internal static class Baseline
{
    public static void Check(string hintName, string actual)
    {
        string file = Path.Combine(RepositoryRoot(), "tests", "TypedKafka.Generators.Tests", "Baselines", hintName + ".txt");
        actual = actual.Replace("\r\n", "\n");
        if (Environment.GetEnvironmentVariable("TYPEDKAFKA_UPDATE_BASELINES") == "1")
        {
            File.WriteAllText(file, actual);
            return;
        }

        string copied = Path.Combine(AppContext.BaseDirectory, "Baselines", hintName + ".txt");
        string path = File.Exists(file) ? file : copied;
        Assert.True(File.Exists(path), $"No baseline {hintName}.txt: run the tests once with TYPEDKAFKA_UPDATE_BASELINES=1 and review the file.");
        Assert.Equal(File.ReadAllText(path).Replace("\r\n", "\n"), actual);
    }

    public static string RepositoryRoot() => FindRepositoryRoot();

    // Walks up from the test binaries to the folder holding TypedKafka.sln. ([CallerFilePath] is not used: CI builds
    // map source paths to /_/ for determinism.)
    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TypedKafka.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No TypedKafka.sln above {AppContext.BaseDirectory}.");
    }
}

/// <summary>TK0011: an .avsc names its earlier versions; the generator checks the current schema can read each.</summary>
public class AvroPreviousVersionTests
{
    private const string Usings = "using TypedKafka;\n";

    private static string Current(string extraField, string previous = "\"v1.avsc\"") => $$$"""
        {"type":"record","name":"Account","namespace":"Bank","typedkafka.previousVersions":[{{{previous}}}],"fields":[
          {"name":"id","type":"long"},
          {"name":"owner","type":"string","aliases":["holder"]},
          {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["Checking","Savings"]}},
          {"name":"note","type":["null","string"],"default":null}{{{extraField}}}]}
        """;

    private const string V1 = """
        {"type":"record","name":"Account","namespace":"Bank","fields":[
          {"name":"id","type":"int"},{"name":"holder","type":"bytes"},
          {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["Savings","Checking"]}},
          {"name":"dropped","type":{"type":"array","items":"double"}}]}
        """;

    private static IReadOnlyList<Microsoft.CodeAnalysis.Diagnostic> Run(string current, string v1) =>
        TestCompilation.Run(
            TestCompilation.Create(Usings + "[AvroSchema(\"account.avsc\")] public partial class Account { }\npublic static class H { [KafkaTopic(\"a\")] public static void Handle(Account a) { } }"),
            new InMemoryAdditionalText("/src/schemas/account.avsc", current),
            new InMemoryAdditionalText("/src/schemas/v1.avsc", v1)).Item2;

    [Fact]
    public void A_compatible_earlier_version_gives_no_diagnostic()
    {
        Assert.Empty(Run(Current(",{\"name\":\"limit\",\"type\":\"double\",\"default\":0}"), V1));
    }

    [Theory]
    [InlineData(",{\"name\":\"limit\",\"type\":\"double\"}", "Account.limit: the earlier version has no field limit and the field has no default")]
    [InlineData(",{\"name\":\"dropped\",\"type\":{\"type\":\"array\",\"items\":\"float\"}}", "Account.dropped[]: the earlier double cannot be read as float")]
    public void TK0011_names_the_field_and_the_earlier_file(string extraField, string expected)
    {
        var diagnostic = Assert.Single(Run(Current(extraField), V1));
        Assert.Equal("TK0011", diagnostic.Id);
        Assert.Contains("'v1.avsc'", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains(expected, diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void TK0011_for_an_enum_symbol_and_a_union_branch_the_current_schema_cannot_read()
    {
        string v1 = V1.Replace("[\"Savings\",\"Checking\"]", "[\"Savings\",\"Checking\",\"Loan\"]");
        Assert.Contains("lacks the earlier symbol(s) Loan", Assert.Single(Run(Current(""), v1)).GetMessage(), StringComparison.Ordinal);
        string v1Union = V1.Replace("{\"name\":\"id\",\"type\":\"int\"}", "{\"name\":\"id\",\"type\":[\"int\",\"string\"]}");
        Assert.Contains("Account.id: the earlier string cannot be read as long", Assert.Single(Run(Current(""), v1Union)).GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_listed_file_that_is_not_in_the_project_is_TK0008()
    {
        var diagnostic = Assert.Single(Run(Current("", "\"missing.avsc\""), V1));
        Assert.Equal("TK0008", diagnostic.Id);
        Assert.Contains("earlier version", diagnostic.GetMessage(), StringComparison.Ordinal);
    }
}
