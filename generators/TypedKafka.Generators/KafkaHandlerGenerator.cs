using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TypedKafka.Generators;

/// <summary>
/// Generates, for every [KafkaTopic] handler of the compilation: the message deserializers (JSON over Utf8JsonReader,
/// Protobuf through the type's parser, Avro), the invokers, the group/topic dispatch switch, and the registration
/// (a module initializer plus an explicit AddKafkaHandlersFrom&lt;Assembly&gt;() extension).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class KafkaHandlerGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var handlers = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                Names.KafkaTopicAttribute,
                static (node, _) => node is MethodDeclarationSyntax or ClassDeclarationSyntax,
                static (ctx, ct) => Parser.ParseTarget(ctx, ct))
            .WithTrackingName(TrackingNames.HandlerTargets);

        var collectedHandlers = handlers.Collect().WithTrackingName(TrackingNames.CollectedHandlers);

        var assembly = context.CompilationProvider
            .Select(static (compilation, _) => Parser.ParseAssembly(compilation))
            .WithTrackingName(TrackingNames.AssemblyInfo);

        var avroTypes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                Names.AvroSchemaAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, ct) => Avro.AvroParser.ParseBoundType(ctx, ct))
            .WithTrackingName(TrackingNames.AvroTypes);

        var schemaFiles = context.AdditionalTextsProvider
            .Where(static file => file.Path.EndsWith(".avsc", System.StringComparison.OrdinalIgnoreCase))
            .Select(static (file, ct) => new Avro.SchemaFile(file.Path.Replace('\\', '/'), file.GetText(ct)?.ToString()))
            .Collect()
            .WithTrackingName(TrackingNames.SchemaFiles);

        var avro = avroTypes.Combine(schemaFiles)
            .Select(static (pair, ct) => Avro.AvroParser.Bind(pair.Left, pair.Right, ct))
            .WithTrackingName(TrackingNames.AvroBound);

        context.RegisterSourceOutput(handlers.SelectMany(static (r, _) => r.Diagnostics), static (spc, d) => spc.ReportDiagnostic(d.ToDiagnostic()));
        context.RegisterSourceOutput(collectedHandlers.Combine(assembly), static (spc, pair) => Emitter.EmitHandlers(spc, pair.Left, pair.Right));
        context.RegisterSourceOutput(avro, static (spc, bound) => Avro.AvroEmitter.Emit(spc, bound));
    }
}

/// <summary>The named steps of the pipeline, so tests can assert which ones an edit re-ran.</summary>
public static class TrackingNames
{
    public const string HandlerTargets = nameof(HandlerTargets);
    public const string CollectedHandlers = nameof(CollectedHandlers);
    public const string AssemblyInfo = nameof(AssemblyInfo);
    public const string AvroTypes = nameof(AvroTypes);
    public const string SchemaFiles = nameof(SchemaFiles);
    public const string AvroBound = nameof(AvroBound);
}
