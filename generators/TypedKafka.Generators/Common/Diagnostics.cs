using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace TypedKafka.Generators;

/// <summary>Every diagnostic TypedKafka reports. IDs are stable; each has a page in docs/diagnostics.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "TypedKafka";

    public static readonly DiagnosticDescriptor InvalidTopicName = Create(
        "TK0001", "Invalid Kafka topic name",
        "'{0}' is not a valid Kafka topic name: {1}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedHandlerSignature = Create(
        "TK0002", "Unsupported handler signature",
        "Handler '{0}' cannot be bound: {1}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedMessageType = Create(
        "TK0003", "Message type cannot be deserialized",
        "TypedKafka cannot generate a {0} deserializer for '{1}': {2}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ConflictingMessageTypes = Create(
        "TK0004", "Topic bound to different message types in one group",
        "Topic '{0}' in {1} is bound to '{2}' here and to '{3}' by '{4}'; one group reads one message type per topic",
        DiagnosticSeverity.Error, compilationEnd: true);

    public static readonly DiagnosticDescriptor AsyncVoidHandler = Create(
        "TK0005", "Handler is async void",
        "Handler '{0}' is async void: its exceptions cannot be observed and the record would be committed before it finishes; return Task or ValueTask",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor BlockingCallInHandler = Create(
        "TK0006", "Blocking call inside a handler",
        "'{0}' blocks the partition worker inside handler '{1}'; {2}",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor AvroSchemaMismatch = Create(
        "TK0007", "Avro schema does not match the bound type",
        "'{0}' does not match Avro schema '{1}': {2}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor AvroSchemaInvalid = Create(
        "TK0008", "Avro schema file missing or invalid",
        "Avro schema '{0}' bound to '{1}' cannot be used: {2}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor HandlerNotConstructible = Create(
        "TK0009", "Handler type cannot be created",
        "Handler type '{0}' cannot be created for instance handler '{1}': {2}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor GeneratorFailure = Create(
        "TK0010", "TypedKafka generator failed",
        "The TypedKafka generator failed while processing '{0}' ({1}); no code was generated for it. Please report this with the type that caused it.",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor AvroSchemaCannotReadEarlierVersion = Create(
        "TK0011", "Avro schema cannot read an earlier version",
        "The Avro schema of '{0}' ({1}) cannot read data written with its earlier version '{2}': {3}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SpecificRecordUsesReflection = Create(
        "TK0012", "ISpecificRecord decoded with reflection",
        "'{0}' is decoded by Apache.Avro's SpecificDatumReader (reflection, a copy of the bytes, not trimming- or AOT-safe) because {1}",
        DiagnosticSeverity.Warning);

    public static readonly ImmutableArray<DiagnosticDescriptor> All = ImmutableArray.Create(
        InvalidTopicName, UnsupportedHandlerSignature, UnsupportedMessageType, ConflictingMessageTypes, AsyncVoidHandler,
        BlockingCallInHandler, AvroSchemaMismatch, AvroSchemaInvalid, HandlerNotConstructible, GeneratorFailure,
        AvroSchemaCannotReadEarlierVersion, SpecificRecordUsesReflection);

    public static DiagnosticDescriptor ById(string id) => All.First(d => d.Id == id);

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity, bool compilationEnd = false) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true,
            helpLinkUri: $"https://github.com/typedkafka/typedkafka/blob/main/docs/diagnostics/{id}.md",
            customTags: compilationEnd ? new[] { WellKnownDiagnosticTags.CompilationEnd } : System.Array.Empty<string>());
}

/// <summary>A location without a reference to the syntax tree, so models that carry it stay cacheable.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location) =>
        location is null || location.SourceTree is null ? null : new(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
}

/// <summary>A diagnostic found while parsing, carried beside the model and reported from its own pipeline output.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments) =>
        new(descriptor.Id, LocationInfo.From(location), arguments.ToEquatableArray());

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(DiagnosticDescriptors.ById(Id), Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None, Arguments.Items.Cast<object>().ToArray());
}
