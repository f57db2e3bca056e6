using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using TypedKafka.Generators.Analyzers;

namespace TypedKafka.Generators.CodeFixes;

/// <summary>TK0006 in async handlers: <c>t.Result</c>, <c>t.Wait()</c>, <c>t.GetAwaiter().GetResult()</c> → <c>await t</c>; <c>Thread.Sleep(x)</c> → <c>await Task.Delay(x)</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(BlockingCallCodeFix)), Shared]
public sealed class BlockingCallCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("TK0006");

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var diagnostic = context.Diagnostics.First();
        if (root is null || !diagnostic.Properties.TryGetValue(BlockingCallAnalyzer.KindProperty, out var kind))
            return;
        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        var method = node.AncestorsAndSelf().OfType<MethodDeclarationSyntax>().FirstOrDefault();
        if (method is null || !method.Modifiers.Any(SyntaxKind.AsyncKeyword))
            return; // turning a synchronous handler async changes its signature: left to the user

        ExpressionSyntax? target = node as ExpressionSyntax;
        ExpressionSyntax? replacement = kind switch
        {
            "Result" when target is MemberAccessExpressionSyntax access => Await(access.Expression),
            "Wait" when target is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } => Await(access.Expression),
            "GetResult" when target is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Expression: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax inner } } } => Await(inner.Expression),
            "Sleep" when target is InvocationExpressionSyntax sleep => Await(Delay(sleep, method)),
            _ => null,
        };
        if (target is null || replacement is null)
            return;

        string title = kind == "Sleep" ? "Use await Task.Delay" : "Use await";
        context.RegisterCodeFix(
            CodeAction.Create(title, ct =>
            {
                var replaced = target.Parent is MemberAccessExpressionSyntax or ElementAccessExpressionSyntax or ConditionalAccessExpressionSyntax
                    ? SyntaxFactory.ParenthesizedExpression(replacement)
                    : replacement;
                return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(target, replaced.WithTriviaFrom(target))));
            }, equivalenceKey: "TK0006" + kind),
            diagnostic);
    }

    private static ExpressionSyntax Await(ExpressionSyntax task) =>
        SyntaxFactory.AwaitExpression(task.WithoutTrivia()).WithAdditionalAnnotations(Simplifier.Annotation);

    private static ExpressionSyntax Delay(InvocationExpressionSyntax sleep, MethodDeclarationSyntax method)
    {
        var arguments = sleep.ArgumentList.Arguments;
        var token = method.ParameterList.Parameters.FirstOrDefault(p => p.Type?.ToString() is "CancellationToken" or "System.Threading.CancellationToken" or "global::System.Threading.CancellationToken");
        if (token is not null)
            arguments = arguments.Add(SyntaxFactory.Argument(SyntaxFactory.IdentifierName(token.Identifier.WithoutTrivia())));
        return SyntaxFactory.InvocationExpression(
                SyntaxFactory.ParseExpression("global::System.Threading.Tasks.Task.Delay").WithAdditionalAnnotations(Simplifier.Annotation),
                SyntaxFactory.ArgumentList(arguments))
            .WithAdditionalAnnotations(Simplifier.Annotation);
    }
}
