using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TypedKafka.Generators.Avro;

/// <summary>An Avro named type of a specific record's schema and the C# type avrogen generated for it.</summary>
internal sealed record SpecificTypeName(string AvroName, string CSharpType);

/// <summary>
/// What the generator read from an Apache.Avro <c>ISpecificRecord</c>: the schema literal of its <c>_SCHEMA</c> field and
/// the C# types of its records and enums, or why it cannot decode the type itself (then Apache.Avro's reader is used).
/// </summary>
internal sealed record SpecificRecordModel(string SchemaJson, AvroNode Schema, EquatableArray<SpecificTypeName> Types);

/// <summary>
/// Reads an avrogen-style <c>ISpecificRecord</c>: <c>public static Schema _SCHEMA = Schema.Parse("...")</c> with a constant
/// string, one settable property per field named as the field, nested records as <c>ISpecificRecord</c> classes, enums
/// as C# enums and fixed as <c>SpecificFixed</c> classes named by the Avro full name, logical types as Apache.Avro 1.12
/// maps them (<c>AvroDecimal</c>, <c>DateTime</c>, <c>TimeSpan</c>, <c>Guid</c>) and unions other than [null, T] as
/// <c>object</c>. Checks every property's type against the schema so the emitted decoder (which assigns the properties
/// directly, no <c>Put</c>) compiles.
/// </summary>
internal static class SpecificRecordParser
{
    public static (SpecificRecordModel? Model, string? Unsupported) Parse(INamedTypeSymbol type, Compilation compilation, CancellationToken cancellationToken)
    {
        string? json = SchemaLiteral(type, compilation, cancellationToken);
        if (json is null)
            return (null, "its _SCHEMA is not Schema.Parse of a constant string in this compilation");
        AvroNode schema;
        try
        {
            schema = AvroParser.ParseSchema(json);
        }
        catch (FormatException ex)
        {
            return (null, "its schema cannot be read: " + ex.Message);
        }

        if (schema.Kind != "record")
            return (null, "its schema is not a record");
        var named = new Dictionary<string, AvroNode>();
        AvroParser.Collect(schema, named);
        var types = new List<SpecificTypeName>();
        var symbols = new Dictionary<string, INamedTypeSymbol>();
        foreach (var node in named.Values)
        {
            if (node.Kind == "fixed" && node.LogicalType == "decimal")
                continue; // read as AvroDecimal: no C# type of its own
            INamedTypeSymbol? symbol = node == schema ? type : compilation.GetTypeByMetadataName(node.FullName!);
            if (symbol is null)
                return (null, $"no C# type {node.FullName} for Avro {node.Kind} {node.Name}");
            if (node.Kind == "record")
            {
                if (!symbol.AllInterfaces.Any(i => i.MetadataName() == "Avro.Specific.ISpecificRecord"))
                    return (null, $"{symbol.ToDisplayString()} is not an ISpecificRecord");
                if (!symbol.InstanceConstructors.Any(c => c.Parameters.Length == 0 && c.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal))
                    return (null, $"{symbol.ToDisplayString()} has no parameterless constructor");
            }
            else if (node.Kind == "fixed")
            {
                if (!DerivesFrom(symbol, "Avro.Specific.SpecificFixed"))
                    return (null, $"{symbol.ToDisplayString()} is not a SpecificFixed for Avro fixed {node.Name}");
                if (!symbol.InstanceConstructors.Any(c => c.Parameters.Length == 0 && c.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal))
                    return (null, $"{symbol.ToDisplayString()} has no parameterless constructor");
            }
            else if (symbol.TypeKind != TypeKind.Enum || !symbol.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue).Select(f => f.Name).SequenceEqual(node.Symbols))
            {
                return (null, $"{symbol.ToDisplayString()} is not a C# enum with the symbols of Avro enum {node.Name}, in order");
            }

            symbols[node.Name!] = symbol;
            types.Add(new SpecificTypeName(node.Name!, symbol.FullName()));
        }

        // Fields are assigned to properties named as the fields.
        foreach (var node in named.Values.Where(n => n.Kind == "record"))
        {
            var symbol = symbols[node.Name!];
            foreach (var field in node.Fields)
            {
                var property = AllProperties(symbol).FirstOrDefault(p => p.Name == field.Name);
                if (property is null || property.SetMethod is null || property.SetMethod.DeclaredAccessibility != Accessibility.Public || property.SetMethod.IsInitOnly)
                    return (null, $"{symbol.ToDisplayString()} has no public settable property {field.Name}");
                string? mismatch = Check(field.Type, property.Type, named, symbols);
                if (mismatch is not null)
                    return (null, $"{symbol.ToDisplayString()}.{field.Name}: {mismatch}");
            }
        }

        var renamed = Rename(schema);
        return (new SpecificRecordModel(json, renamed, types.OrderBy(t => t.AvroName, StringComparer.Ordinal).ToEquatableArray()), null);
    }

    /// <summary>A union of null and one other type (a nullable property); any other union is an <c>object</c> property.</summary>
    public static bool IsOptional(AvroNode union) => union.Items.Count == 2 && union.Items.Count(b => b.Kind == "null") == 1;

    private static bool DerivesFrom(INamedTypeSymbol symbol, string metadataName)
    {
        for (var t = symbol.BaseType; t is not null; t = t.BaseType)
        {
            if (t.MetadataName() == metadataName)
                return true;
        }

        return false;
    }

    /// <summary>The C# type Apache.Avro's specific reader gives a logical type (metadata name), or null when the node has
    /// none; <paramref name="unsupported"/> is set for a logical type the generator does not read.</summary>
    public static string? LogicalClrType(AvroNode node, out string? unsupported)
    {
        unsupported = null;
        switch (node.LogicalType, node.Kind)
        {
            case (null, _): return null;
            case ("decimal", "bytes" or "fixed"): return "Avro.AvroDecimal";
            case ("date", "int"):
            case ("timestamp-millis", "long"):
            case ("timestamp-micros", "long"):
                return "System.DateTime";
            case ("time-millis", "int"):
            case ("time-micros", "long"):
                return "System.TimeSpan";
            case ("uuid", "string"): return "System.Guid";
            default:
                unsupported = $"logical type {node.LogicalType} on {node.Kind} is not supported";
                return null;
        }
    }

    /// <summary>The C# type the emitted decoder produces for a node (records and enums by avrogen's names).</summary>
    public static string CSharpType(AvroNode node, Dictionary<string, AvroNode> named, Dictionary<string, string> names)
    {
        if (node.Kind != "ref" && LogicalClrType(node, out _) is { } logical)
            return "global::" + logical;
        switch (node.Kind)
        {
            case "boolean": return "bool";
            case "int": return "int";
            case "long": return "long";
            case "float": return "float";
            case "double": return "double";
            case "bytes": return "byte[]";
            case "string": return "string";
            case "record":
            case "enum":
            case "fixed":
                return names[node.Name!];
            case "ref": return CSharpType(named[node.Name!], named, names);
            case "array": return $"global::System.Collections.Generic.List<{CSharpType(node.Items[0], named, names)}>";
            case "map": return $"global::System.Collections.Generic.Dictionary<string, {CSharpType(node.Items[0], named, names)}>";
            case "union": return IsOptional(node) ? CSharpType(node.Items.First(b => b.Kind != "null"), named, names) + "?" : "object";
            default: throw new InvalidOperationException($"Avro type {node.Kind} has no specific-record mapping.");
        }
    }

    private static IEnumerable<IPropertySymbol> AllProperties(INamedTypeSymbol type)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            foreach (var p in t.GetMembers().OfType<IPropertySymbol>())
            {
                if (!p.IsStatic && !p.IsIndexer)
                    yield return p;
            }
        }
    }

    /// <summary>Null when a value of the node's decoded C# type can be assigned to <paramref name="property"/>.</summary>
    private static string? Check(AvroNode node, ITypeSymbol property, Dictionary<string, AvroNode> named, Dictionary<string, INamedTypeSymbol> symbols)
    {
        if (node.Kind == "ref")
            node = named[node.Name!];
        string Expected(string what) => $"is {property.ToDisplayString()}, expected {what}";
        if (LogicalClrType(node, out string? unsupportedLogical) is { } logical)
            return property is INamedTypeSymbol p && p.MetadataName() == logical ? null : Expected(logical);
        if (unsupportedLogical is not null)
            return unsupportedLogical;
        switch (node.Kind)
        {
            case "boolean": return property.SpecialType == SpecialType.System_Boolean ? null : Expected("bool");
            case "int": return property.SpecialType == SpecialType.System_Int32 ? null : Expected("int");
            case "long": return property.SpecialType == SpecialType.System_Int64 ? null : Expected("long");
            case "float": return property.SpecialType == SpecialType.System_Single ? null : Expected("float");
            case "double": return property.SpecialType == SpecialType.System_Double ? null : Expected("double");
            case "string": return property.SpecialType == SpecialType.System_String ? null : Expected("string");
            case "bytes": return property is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte } ? null : Expected("byte[]");
            case "record":
            case "enum":
            case "fixed":
                return SymbolEqualityComparer.Default.Equals(property.WithNullableAnnotation(NullableAnnotation.NotAnnotated), symbols[node.Name!]) ? null : Expected(symbols[node.Name!].ToDisplayString());
            case "array":
            {
                if (property is not INamedTypeSymbol { IsGenericType: true } list
                    || list.OriginalDefinition.MetadataName() is not ("System.Collections.Generic.List`1" or "System.Collections.Generic.IList`1" or "System.Collections.Generic.ICollection`1"
                        or "System.Collections.Generic.IEnumerable`1" or "System.Collections.Generic.IReadOnlyList`1" or "System.Collections.Generic.IReadOnlyCollection`1"))
                    return Expected("IList<T> or List<T>");
                return Check(node.Items[0], list.TypeArguments[0], named, symbols);
            }

            case "map":
            {
                if (property is not INamedTypeSymbol { IsGenericType: true } map
                    || map.OriginalDefinition.MetadataName() is not ("System.Collections.Generic.Dictionary`2" or "System.Collections.Generic.IDictionary`2" or "System.Collections.Generic.IReadOnlyDictionary`2")
                    || map.TypeArguments[0].SpecialType != SpecialType.System_String)
                    return Expected("IDictionary<string, T>");
                return Check(node.Items[0], map.TypeArguments[1], named, symbols);
            }

            case "union":
            {
                var branches = node.Items.Items;
                if (!IsOptional(node))
                {
                    // avrogen makes the property object; SpecificDatumReader puts the branch's value in it.
                    if (branches.Length < 2)
                        return "a union of one branch is not supported";
                    if (property.SpecialType != SpecialType.System_Object)
                        return Expected("object (a union other than [null, T])");
                    foreach (var branch in branches)
                    {
                        var b = branch.Kind == "ref" ? named[branch.Name!] : branch;
                        if (b.Kind is "array" or "map")
                            return $"a union other than [null, T] with an {b.Kind} branch is not supported";
                        if (LogicalClrType(b, out string? unsupportedBranch) is null && unsupportedBranch is not null)
                            return unsupportedBranch;
                    }

                    return null;
                }

                var other = branches.First(b => b.Kind != "null");
                var resolved = other.Kind == "ref" ? named[other.Name!] : other;
                bool valueType = resolved.Kind is "boolean" or "int" or "long" or "float" or "double" or "enum" || LogicalClrType(resolved, out _) is not null;
                if (valueType)
                {
                    return property is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
                        ? Check(other, nullable.TypeArguments[0], named, symbols)
                        : Expected("a nullable value type");
                }

                return Check(other, property, named, symbols);
            }

            default:
                return $"Avro {node.Kind} is not supported";
        }
    }

    /// <summary>avrogen names properties as the fields (a C# keyword gets '@').</summary>
    private static AvroNode Rename(AvroNode node) => node with
    {
        Fields = node.Fields.Select(f => new AvroField(f.Name, SyntaxFacts.GetKeywordKind(f.Name) != SyntaxKind.None ? "@" + f.Name : f.Name, Rename(f.Type))).ToEquatableArray(),
        Items = node.Items.Select(Rename).ToEquatableArray(),
    };

    private static string? SchemaLiteral(INamedTypeSymbol type, Compilation compilation, CancellationToken cancellationToken)
    {
        foreach (var member in type.GetMembers("_SCHEMA"))
        {
            foreach (var reference in member.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax(cancellationToken);
                ExpressionSyntax? initializer = syntax switch
                {
                    VariableDeclaratorSyntax v => v.Initializer?.Value,
                    PropertyDeclarationSyntax p => p.Initializer?.Value ?? p.ExpressionBody?.Expression,
                    _ => null,
                };
                if (initializer is InvocationExpressionSyntax { ArgumentList.Arguments.Count: >= 1 } call
                    && call.Expression.ToString().EndsWith("Schema.Parse", StringComparison.Ordinal))
                {
                    var model = compilation.GetSemanticModel(syntax.SyntaxTree);
                    if (model.GetConstantValue(call.ArgumentList.Arguments[0].Expression, cancellationToken) is { HasValue: true, Value: string text })
                        return text;
                }
            }
        }

        return null;
    }
}
