using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;

namespace TypedKafka.Generators.Tests;

/// <summary>
/// Compilations for tests, referencing the running net10 runtime's assemblies (TRUSTED_PLATFORM_ASSEMBLIES, which
/// include TypedKafka and TypedKafka.Abstractions) so that no reference pack is downloaded at test time.
/// </summary>
internal static class TestCompilation
{
    public static readonly ImmutableArray<MetadataReference> References =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !Path.GetFileName(p).StartsWith("TypedKafka.Generators", StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();

    /// <summary>No reference pack: the references come from <see cref="References"/>.</summary>
    public static readonly ReferenceAssemblies Offline = new ReferenceAssemblies("net10.0");

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Preview);

    public static CSharpCompilation Create(params string[] sources) =>
        CSharpCompilation.Create("TestAssembly",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver(params AdditionalText[] additionalTexts) =>
        CSharpGeneratorDriver.Create(
            new[] { new KafkaHandlerGenerator().AsSourceGenerator() },
            additionalTexts,
            ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns the output compilation, the generator's diagnostics and the generated sources.</summary>
    public static (Compilation Output, ImmutableArray<Diagnostic> Diagnostics, GeneratorDriverRunResult Result) Run(CSharpCompilation compilation, params AdditionalText[] additionalTexts)
    {
        var driver = Driver(additionalTexts).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return (output, diagnostics, driver.GetRunResult());
    }
}

internal sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    public override string Path { get; } = path;

    public override Microsoft.CodeAnalysis.Text.SourceText GetText(CancellationToken cancellationToken = default) =>
        Microsoft.CodeAnalysis.Text.SourceText.From(text);
}
