using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TypedKafka.Generators.Avro;

internal static class AvroParser
{
    public static AvroBoundType? ParseBoundType(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type)
            return null;
        string file = context.Attributes.FirstOrDefault()?.ConstructorArguments.FirstOrDefault().Value as string ?? "";
        bool partial = type.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) is ClassDeclarationSyntax c && c.Modifiers.Any(SyntaxKind.PartialKeyword));
        var properties = type.GetMembers().OfType<IPropertySymbol>()
            .Where(p => !p.IsStatic && p.DeclaredAccessibility == Accessibility.Public && !p.IsImplicitlyDeclared)
            .Select(p => new DeclaredProperty(p.Name, p.Type.FullNameNullable(), p.SetMethod is { DeclaredAccessibility: Accessibility.Public, IsInitOnly: false }))
            .ToEquatableArray();
        bool parameterless = type.InstanceConstructors.Any(c => c.Parameters.Length == 0 && c.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal);
        return new AvroBoundType(
            type.FullName(), type.DisplayName(),
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            type.Name,
            type.DeclaredAccessibility == Accessibility.Public ? "public" : "internal",
            partial, type.ContainingType is null, parameterless, file, properties,
            LocationInfo.From(type.Locations.FirstOrDefault()));
    }

    public static AvroBoundModel Bind(AvroBoundType? type, ImmutableArray<SchemaFile> files, CancellationToken cancellationToken)
    {
        if (type is null)
            return new AvroBoundModel(null, null, EquatableArray<string>.Empty, EquatableArray<DiagnosticInfo>.Empty);
        var diagnostics = new List<DiagnosticInfo>();
        AvroBoundModel Fail(string descriptor, string reason)
        {
            var args = descriptor == "TK0008" ? new[] { type.SchemaFile, type.Display, reason } : new[] { type.Display, type.SchemaFile, reason };
            diagnostics.Add(new DiagnosticInfo(descriptor, type.Location, args.ToEquatableArray()));
            return new AvroBoundModel(type, null, EquatableArray<string>.Empty, diagnostics.ToEquatableArray());
        }

        try
        {
            string wanted = type.SchemaFile.Replace('\\', '/');
            var file = files.FirstOrDefault(f => f.Path == wanted || f.Path.EndsWith("/" + wanted.TrimStart('/'), StringComparison.Ordinal));
            if (file is null)
                return Fail("TK0008", "no AdditionalFiles item has that path (add <AdditionalFiles Include=\"...avsc\" /> to the project)");
            if (file.Text is null)
                return Fail("TK0008", "the file could not be read");

            AvroNode schema;
            object? schemaJson;
            try
            {
                schemaJson = MiniJson.Parse(file.Text);
                schema = new SchemaReader().Read(schemaJson, null);
            }
            catch (FormatException ex)
            {
                return Fail("TK0008", ex.Message);
            }

            if (schema.Kind != "record")
                return Fail("TK0008", $"the top-level schema is a {schema.Kind}; a bound type needs a record");
            if (!type.IsTopLevel)
                return Fail("TK0007", "the bound class must be a top-level class");
            if (!type.HasParameterlessConstructor)
                return Fail("TK0007", "the bound class needs a parameterless constructor");

            var generated = new List<string>();
            var named = new Dictionary<string, AvroNode>();
            Collect(schema, named);
            bool hasNestedTypes = named.Values.Any(n => n != schema && n.Kind is "record" or "enum");
            if (hasNestedTypes && !type.IsPartial)
                return Fail("TK0007", "the schema has nested records or enums, which the generator declares inside the class; make it partial");

            foreach (var field in schema.Fields)
            {
                string expected;
                try
                {
                    expected = AvroTypes.CSharpType(field.Type, type, schema, named);
                }
                catch (FormatException ex)
                {
                    return Fail("TK0008", $"field '{field.Name}': {ex.Message}");
                }

                var declared = type.Properties.FirstOrDefault(p => p.Name == field.PropertyName);
                if (declared is null)
                {
                    if (!type.IsPartial)
                        return Fail("TK0007", $"field '{field.Name}' has no property '{field.PropertyName}' (declare it as {expected}, or make the class partial so the generator adds it)");
                    generated.Add(field.PropertyName);
                    continue;
                }

                if (declared.TypeName != expected)
                    return Fail("TK0007", $"property '{declared.Name}' is {declared.TypeName} but field '{field.Name}' is {Describe(field.Type)}, read as {expected}");
                if (!declared.Settable)
                    return Fail("TK0007", $"property '{declared.Name}' needs a public setter");
            }

            CheckPreviousVersions(type, file, schemaJson, files, diagnostics);
            return new AvroBoundModel(type, schema, generated.ToEquatableArray(), diagnostics.ToEquatableArray()) { SchemaJson = file.Text };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            diagnostics.Add(new DiagnosticInfo("TK0010", type.Location, new[] { type.Display, $"{ex.GetType().Name}: {ex.Message}" }.ToEquatableArray()));
            return new AvroBoundModel(type, null, EquatableArray<string>.Empty, diagnostics.ToEquatableArray());
        }
    }

    /// <summary>
    /// TK0011: the schema may list its earlier versions (files of the project, relative to it or by path suffix) in the
    /// attribute "typedkafka.previousVersions"; each must be readable with the current schema.
    /// </summary>
    private static void CheckPreviousVersions(AvroBoundType type, SchemaFile file, object? schemaJson, ImmutableArray<SchemaFile> files, List<DiagnosticInfo> diagnostics)
    {
        if (schemaJson is not Dictionary<string, object?> root || !root.TryGetValue(SchemaCompatibility.PreviousVersionsAttribute, out var listed))
            return;
        if (listed is not List<object?> previous || previous.Any(p => p is not string))
        {
            diagnostics.Add(new DiagnosticInfo("TK0008", type.Location, new[] { type.SchemaFile, type.Display, $"\"{SchemaCompatibility.PreviousVersionsAttribute}\" must be an array of file paths" }.ToEquatableArray()));
            return;
        }

        string directory = file.Path.Contains('/') ? file.Path.Substring(0, file.Path.LastIndexOf('/') + 1) : "";
        foreach (string path in previous.Cast<string>())
        {
            string wanted = path.Replace('\\', '/');
            var earlier = files.FirstOrDefault(f => f.Path == directory + wanted)
                ?? files.FirstOrDefault(f => f.Path == wanted || f.Path.EndsWith("/" + wanted.TrimStart('/'), StringComparison.Ordinal));
            if (earlier?.Text is null)
            {
                diagnostics.Add(new DiagnosticInfo("TK0008", type.Location, new[] { path, type.Display, $"it is listed as an earlier version of {type.SchemaFile} but no AdditionalFiles item has that path" }.ToEquatableArray()));
                continue;
            }

            string? problem;
            try
            {
                problem = SchemaCompatibility.Check(MiniJson.Parse(earlier.Text), schemaJson);
            }
            catch (FormatException ex)
            {
                diagnostics.Add(new DiagnosticInfo("TK0008", type.Location, new[] { path, type.Display, ex.Message }.ToEquatableArray()));
                continue;
            }

            if (problem is not null)
                diagnostics.Add(new DiagnosticInfo("TK0011", type.Location, new[] { type.Display, type.SchemaFile, path, problem }.ToEquatableArray()));
        }
    }

    /// <summary>Parses schema JSON into nodes; a <see cref="FormatException"/> says what is wrong.</summary>
    public static AvroNode ParseSchema(string text) => new SchemaReader().Read(MiniJson.Parse(text), null);

    private static string Describe(AvroNode node) => node.LogicalType is null ? (node.Name ?? node.Kind) : $"{node.Kind} ({node.LogicalType})";

    public static void Collect(AvroNode node, Dictionary<string, AvroNode> named)
    {
        if (node.Kind is "record" or "enum" or "fixed" && node.Name is not null && !named.ContainsKey(node.Name))
            named[node.Name] = node;
        foreach (var f in node.Fields)
            Collect(f.Type, named);
        foreach (var i in node.Items)
            Collect(i, named);
    }

    /// <summary>Turns schema JSON into <see cref="AvroNode"/>s, resolving names within the file.</summary>
    private sealed class SchemaReader
    {
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);

        public AvroNode Read(object? json, string? enclosingNamespace)
        {
            switch (json)
            {
                case string name:
                    return Primitive(name) ?? Reference(name, enclosingNamespace);
                case List<object?> union:
                    if (union.Count == 0)
                        throw new FormatException("an empty union");
                    return Node("union", null, null, items: union.Select(u => Read(u, enclosingNamespace)).ToList());
                case Dictionary<string, object?> obj:
                    return ReadObject(obj, enclosingNamespace);
                default:
                    throw new FormatException("a schema must be a name, an object or a union array");
            }
        }

        private AvroNode ReadObject(Dictionary<string, object?> obj, string? enclosingNamespace)
        {
            string type = obj.TryGetValue("type", out var t) && t is string s ? s : throw new FormatException("a schema object needs a \"type\" name");
            string? logical = obj.TryGetValue("logicalType", out var l) ? l as string : null;
            switch (type)
            {
                case "record":
                case "error":
                {
                    var (name, ns) = FullName(obj, enclosingNamespace);
                    if (!obj.TryGetValue("fields", out var f) || f is not List<object?> fields)
                        throw new FormatException($"record {name} has no \"fields\" array");
                    var result = new List<AvroField>();
                    foreach (var fieldJson in fields)
                    {
                        if (fieldJson is not Dictionary<string, object?> field || field.TryGetValue("name", out var n) is false || n is not string fieldName)
                            throw new FormatException($"a field of {name} has no name");
                        if (!field.TryGetValue("type", out var fieldType))
                            throw new FormatException($"field {fieldName} of {name} has no type");
                        result.Add(new AvroField(fieldName, PropertyName(fieldName), Read(fieldType, ns)));
                    }

                    return Node("record", name, null, fields: result) with { Namespace = ns };
                }

                case "enum":
                {
                    var (name, ns) = FullName(obj, enclosingNamespace);
                    if (!obj.TryGetValue("symbols", out var sy) || sy is not List<object?> symbols || symbols.Any(x => x is not string))
                        throw new FormatException($"enum {name} has no \"symbols\" array of strings");
                    return Node("enum", name, null, symbols: symbols.Cast<string>().ToList()) with { Namespace = ns };
                }

                case "fixed":
                {
                    var (name, ns) = FullName(obj, enclosingNamespace);
                    int size = obj.TryGetValue("size", out var z) && z is double d ? (int)d : throw new FormatException($"fixed {name} has no size");
                    return Node("fixed", name, logical, size: size, scale: Scale(obj)) with { Namespace = ns };
                }

                case "array":
                    return Node("array", null, null, items: new List<AvroNode> { Read(obj.TryGetValue("items", out var i) ? i : throw new FormatException("array without \"items\""), enclosingNamespace) });
                case "map":
                    return Node("map", null, null, items: new List<AvroNode> { Read(obj.TryGetValue("values", out var v) ? v : throw new FormatException("map without \"values\""), enclosingNamespace) });
                default:
                    var primitive = Primitive(type) ?? throw new FormatException($"unknown type \"{type}\"");
                    return primitive with { LogicalType = logical, Scale = Scale(obj) };
            }
        }

        private static int Scale(Dictionary<string, object?> obj) => obj.TryGetValue("scale", out var s) && s is double d ? (int)d : 0;

        private (string Name, string? Namespace) FullName(Dictionary<string, object?> obj, string? enclosingNamespace)
        {
            string name = obj.TryGetValue("name", out var n) && n is string s ? s : throw new FormatException("a named type has no name");
            string? ns = obj.TryGetValue("namespace", out var x) && x is string nsText ? nsText : enclosingNamespace;
            if ((name.IndexOf('.') >= 0))
            {
                ns = name.Substring(0, name.LastIndexOf('.'));
                name = name.Substring(name.LastIndexOf('.') + 1);
            }

            if (!_names.Add((ns is null ? "" : ns + ".") + name))
                throw new FormatException($"the name {name} is defined twice");
            return (name, ns);
        }

        private AvroNode Reference(string name, string? enclosingNamespace)
        {
            string simple = (name.IndexOf('.') >= 0) ? name.Substring(name.LastIndexOf('.') + 1) : name;
            string full = (name.IndexOf('.') >= 0) ? name : (enclosingNamespace is null ? "" : enclosingNamespace + ".") + name;
            if (!_names.Contains(full) && !_names.Contains(name))
                throw new FormatException($"unknown type \"{name}\" (named types must be defined before use, in the same file)");
            return Node("ref", simple, null);
        }

        private static AvroNode? Primitive(string name) =>
            name is "null" or "boolean" or "int" or "long" or "float" or "double" or "bytes" or "string" ? Node(name, null, null) : null;

        private static AvroNode Node(string kind, string? name, string? logical, int size = 0, int scale = 0,
            List<AvroField>? fields = null, List<string>? symbols = null, List<AvroNode>? items = null) =>
            new(kind, name, logical, size, scale,
                (fields ?? new List<AvroField>()).ToEquatableArray(),
                (symbols ?? new List<string>()).ToEquatableArray(),
                (items ?? new List<AvroNode>()).ToEquatableArray());

        private static string PropertyName(string field)
        {
            var parts = field.Split(new[] { '_' }, StringSplitOptions.RemoveEmptyEntries);
            string name = string.Concat(parts.Select(p => char.ToUpperInvariant(p[0]) + p.Substring(1)));
            return name.Length == 0 || !SyntaxFacts.IsValidIdentifier(name) ? "Field_" + Names.Sanitize(field) : name;
        }
    }
}

/// <summary>How Avro types map to C# types.</summary>
internal static class AvroTypes
{
    /// <summary>A nested record/enum is declared inside the bound class; a clash with a field's property gets the suffix "Type".</summary>
    public static string NestedName(AvroNode node, AvroNode root, AvroBoundType bound) =>
        root.Fields.Any(f => f.PropertyName == node.Name) || node.Name == bound.Name ? node.Name + "Type" : node.Name!;

    public static string CSharpType(AvroNode node, AvroBoundType bound, AvroNode root, Dictionary<string, AvroNode> named)
    {
        switch (node.Kind)
        {
            case "boolean": return "bool";
            case "int": return node.LogicalType == "date" ? "global::System.DateOnly" : "int";
            case "long": return node.LogicalType is "timestamp-millis" or "timestamp-micros" ? "global::System.DateTimeOffset" : "long";
            case "float": return "float";
            case "double": return "double";
            case "bytes": return node.LogicalType == "decimal" ? "decimal" : "byte[]";
            case "string": return node.LogicalType == "uuid" ? "global::System.Guid" : "string";
            case "fixed": return node.LogicalType == "decimal" ? "decimal" : "byte[]";
            case "record":
            case "enum":
                return node == root || node.Name == root.Name ? bound.TypeName : $"{bound.TypeName}.{NestedName(node, root, bound)}";
            case "ref":
                return CSharpType(named[node.Name!], bound, root, named);
            case "array": return $"global::System.Collections.Generic.List<{CSharpType(node.Items[0], bound, root, named)}>";
            case "map": return $"global::System.Collections.Generic.Dictionary<string, {CSharpType(node.Items[0], bound, root, named)}>";
            case "union":
                var branches = node.Items.Items;
                if (branches.Length == 2 && branches.Count(b => b.Kind == "null") == 1)
                    return CSharpType(branches.First(b => b.Kind != "null"), bound, root, named) + "?";
                throw new FormatException("only unions of null and one other type ([\"null\", T]) are supported");
            case "null":
                throw new FormatException("a field of type null is not supported");
            default:
                throw new FormatException($"type {node.Kind} is not supported");
        }
    }
}
