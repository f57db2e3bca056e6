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

namespace TypedKafka.Generators.CodeFixes;

/// <summary>TK0005: async void → async Task.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AsyncVoidCodeFix)), Shared]
public sealed class AsyncVoidCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("TK0005");

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var diagnostic = context.Diagnostics.First();
        if (root?.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.AncestorsAndSelf().OfType<MethodDeclarationSyntax>().FirstOrDefault() is not { } method)
            return;
        context.RegisterCodeFix(
            CodeAction.Create("Return Task", ct =>
            {
                var task = SyntaxFactory.ParseTypeName("global::System.Threading.Tasks.Task")
                    .WithTriviaFrom(method.ReturnType)
                    .WithAdditionalAnnotations(Simplifier.Annotation);
                return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(method, method.WithReturnType(task))));
            }, equivalenceKey: "TK0005"),
            diagnostic);
    }
}
