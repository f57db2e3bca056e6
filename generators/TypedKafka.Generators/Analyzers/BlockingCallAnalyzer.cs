using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace TypedKafka.Generators.Analyzers;

/// <summary>
/// TK0006: a handler that blocks (Task.Result, Task.Wait(), GetAwaiter().GetResult(), Thread.Sleep) holds its partition
/// worker's thread and, for sync-over-async, risks thread-pool starvation under load.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BlockingCallAnalyzer : DiagnosticAnalyzer
{
    public const string KindProperty = "Kind";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.BlockingCallInHandler);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (start.Compilation.GetTypeByMetadataName(Names.KafkaTopicAttribute) is null)
                return;
            start.RegisterOperationAction(AnalyzePropertyReference, OperationKind.PropertyReference);
            start.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
        });
    }

    private static void AnalyzePropertyReference(OperationAnalysisContext context)
    {
        var operation = (IPropertyReferenceOperation)context.Operation;
        if (operation.Property.Name != "Result" || !IsTaskLike(operation.Property.ContainingType))
            return;
        Report(context, operation.Syntax.GetLocation(), ".Result", "await the task instead", "Result");
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context)
    {
        var operation = (IInvocationOperation)context.Operation;
        var method = operation.TargetMethod;
        if (method.Name == "Sleep" && method.ContainingType.Is("System.Threading.Thread"))
            Report(context, operation.Syntax.GetLocation(), "Thread.Sleep", "use await Task.Delay(...) with the handler's CancellationToken", "Sleep");
        else if (method.Name == "Wait" && IsTaskLike(method.ContainingType))
            Report(context, operation.Syntax.GetLocation(), ".Wait()", "await the task instead", "Wait");
        else if (method.Name == "GetResult" && method.ContainingType.Name is "TaskAwaiter" or "ValueTaskAwaiter" or "ConfiguredTaskAwaiter" or "ConfiguredValueTaskAwaiter"
            && operation.Instance is IInvocationOperation { TargetMethod.Name: "GetAwaiter" })
            Report(context, operation.Syntax.GetLocation(), ".GetAwaiter().GetResult()", "await the task instead", "GetResult");
    }

    private static bool IsTaskLike(INamedTypeSymbol? type) =>
        type is not null && type.OriginalDefinition.MetadataName() is "System.Threading.Tasks.Task" or "System.Threading.Tasks.Task`1" or "System.Threading.Tasks.ValueTask" or "System.Threading.Tasks.ValueTask`1";

    private static void Report(OperationAnalysisContext context, Location location, string call, string advice, string kind)
    {
        if (context.ContainingSymbol is not IMethodSymbol method || !IsHandler(method))
            return;
        var properties = ImmutableDictionary<string, string?>.Empty.Add(KindProperty, kind);
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.BlockingCallInHandler, location, properties, call, $"{method.ContainingType.Name}.{method.Name}", advice));
    }

    private static bool IsHandler(IMethodSymbol method)
    {
        if (method.HasAttribute(Names.KafkaTopicAttribute))
            return true;
        return method.Name is "Handle" or "HandleAsync" && method.DeclaredAccessibility == Accessibility.Public && method.ContainingType.HasAttribute(Names.KafkaTopicAttribute);
    }
}
