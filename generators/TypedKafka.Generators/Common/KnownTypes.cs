using System.Linq;
using Microsoft.CodeAnalysis;

namespace TypedKafka.Generators;

internal static class Names
{
    public const string KafkaTopicAttribute = "TypedKafka.KafkaTopicAttribute";
    public const string KafkaKeyAttribute = "TypedKafka.KafkaKeyAttribute";
    public const string AvroSchemaAttribute = "TypedKafka.AvroSchemaAttribute";
    public const string KafkaJsonNamingAttribute = "TypedKafka.KafkaJsonNamingAttribute";
    public const string MessageContext = "TypedKafka.MessageContext";
    public const string KafkaMessageT = "TypedKafka.KafkaMessage`1";

    public static readonly SymbolDisplayFormat FullyQualified = SymbolDisplayFormat.FullyQualifiedFormat;

    public static readonly SymbolDisplayFormat FullyQualifiedNullable =
        SymbolDisplayFormat.FullyQualifiedFormat.AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    public static readonly SymbolDisplayFormat Display = SymbolDisplayFormat.CSharpErrorMessageFormat;

    public static string FullName(this ITypeSymbol type) => type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(FullyQualified);

    public static string FullNameNullable(this ITypeSymbol type) => type.ToDisplayString(FullyQualifiedNullable);

    public static string DisplayName(this ITypeSymbol type) => type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(Display);

    /// <summary>"Namespace.Type" with generic arity, for metadata comparisons.</summary>
    public static string MetadataName(this INamedTypeSymbol type)
    {
        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() + "." : "";
        return ns + type.MetadataName;
    }

    public static bool Is(this ITypeSymbol? type, string metadataName) =>
        type is INamedTypeSymbol named && named.OriginalDefinition.MetadataName() == metadataName;

    public static AttributeData? Attribute(this ISymbol symbol, string metadataName) =>
        symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass is { } c && c.MetadataName() == metadataName);

    public static bool HasAttribute(this ISymbol symbol, string metadataName) => symbol.Attribute(metadataName) is not null;

    /// <summary>True when generated code in the same assembly can name the type (public/internal all the way out).</summary>
    public static bool IsAccessibleFromAssembly(this ISymbol symbol)
    {
        for (var s = symbol; s is not null && s is not INamespaceSymbol; s = s.ContainingSymbol)
        {
            if (s.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal))
                return false;
        }

        return true;
    }

    public static string Sanitize(string text)
    {
        var chars = new System.Text.StringBuilder(text.Length);
        foreach (char c in text.StartsWith("global::", System.StringComparison.Ordinal) ? text.Substring(8) : text)
        {
            if (char.IsLetterOrDigit(c))
                chars.Append(c);
            else if (c == '<')
                chars.Append("_Of_");
            else if (c == '[')
                chars.Append("_Array");
            else if (c == '?')
                chars.Append("_Nullable");
            else if (c is '>' or ']' or ' ')
                continue;
            else
                chars.Append('_');
        }

        return chars.ToString();
    }
}
