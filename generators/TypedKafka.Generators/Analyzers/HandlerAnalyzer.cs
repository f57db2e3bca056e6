using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TypedKafka.Generators.Analyzers;

/// <summary>
/// Checks [KafkaTopic] handlers without needing generated code: topic names (TK0001), signatures (TK0002), one message
/// type per topic and group (TK0004), async void (TK0005) and whether an instance handler can be created (TK0009).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HandlerAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.InvalidTopicName,
        DiagnosticDescriptors.UnsupportedHandlerSignature,
        DiagnosticDescriptors.ConflictingMessageTypes,
        DiagnosticDescriptors.AsyncVoidHandler,
        DiagnosticDescriptors.HandlerNotConstructible);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (start.Compilation.GetTypeByMetadataName(Names.KafkaTopicAttribute) is null)
                return;
            var bindings = new ConcurrentBag<Binding>();
            start.RegisterSymbolAction(c => AnalyzeSymbol(c, bindings), SymbolKind.Method, SymbolKind.NamedType);
            start.RegisterCompilationEndAction(c => ReportConflicts(c, bindings));
        });
    }

    private sealed record Binding(string? GroupId, string Topic, ITypeSymbol MessageType, string Handler, Location Location);

    private static void AnalyzeSymbol(SymbolAnalysisContext context, ConcurrentBag<Binding> bindings)
    {
        var attributes = context.Symbol.GetAttributes().Where(a => a.AttributeClass?.MetadataName() == Names.KafkaTopicAttribute).ToList();
        if (attributes.Count == 0)
            return;

        foreach (var attribute in attributes)
        {
            string? topic = attribute.ConstructorArguments.FirstOrDefault().Value as string;
            if (HandlerShape.TopicNameError(topic) is { } error)
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidTopicName, TopicLocation(attribute, context), topic ?? "", error));
        }

        var methods = HandlerShape.HandlerMethods(context.Symbol).ToList();
        if (context.Symbol is INamedTypeSymbol type && methods.Count == 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnsupportedHandlerSignature, type.Locations.FirstOrDefault(), type.Name,
                "a class marked [KafkaTopic] needs at least one public Handle or HandleAsync method"));
            return;
        }

        foreach (var method in methods)
        {
            var location = method.Locations.FirstOrDefault();
            string name = $"{method.ContainingType.Name}.{method.Name}";
            var shape = HandlerShape.Analyze(method);
            if (shape.IsAsyncVoid)
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.AsyncVoidHandler, location, name));
            else if (shape.Error is not null)
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnsupportedHandlerSignature, location, name, shape.Error));
            else if (shape.ConstructionError is not null)
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.HandlerNotConstructible, location, method.ContainingType.Name, name, shape.ConstructionError));

            if (shape.MessageType is null || location is null)
                continue;
            foreach (var attribute in attributes)
            {
                if (attribute.ConstructorArguments.FirstOrDefault().Value is string topic)
                {
                    string? group = attribute.NamedArguments.FirstOrDefault(a => a.Key == "GroupId").Value.Value as string;
                    bindings.Add(new Binding(group, topic, shape.MessageType.WithNullableAnnotation(NullableAnnotation.NotAnnotated), name, location));
                }
            }
        }
    }

    private static void ReportConflicts(CompilationAnalysisContext context, ConcurrentBag<Binding> bindings)
    {
        foreach (var route in bindings.GroupBy(b => (b.GroupId, b.Topic)))
        {
            var ordered = route.OrderBy(b => b.Location.SourceTree?.FilePath, System.StringComparer.Ordinal).ThenBy(b => b.Location.SourceSpan.Start).ToList();
            var first = ordered[0];
            foreach (var other in ordered.Skip(1))
            {
                if (SymbolEqualityComparer.Default.Equals(other.MessageType, first.MessageType))
                    continue;
                string group = route.Key.GroupId is null ? "the default group" : $"group '{route.Key.GroupId}'";
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ConflictingMessageTypes, other.Location,
                    route.Key.Topic, group, other.MessageType.ToDisplayString(), first.MessageType.ToDisplayString(), first.Handler));
            }
        }
    }

    private static Location? TopicLocation(AttributeData attribute, SymbolAnalysisContext context)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken) is AttributeSyntax syntax)
            return syntax.ArgumentList?.Arguments.FirstOrDefault()?.GetLocation() ?? syntax.GetLocation();
        return context.Symbol.Locations.FirstOrDefault();
    }
}
