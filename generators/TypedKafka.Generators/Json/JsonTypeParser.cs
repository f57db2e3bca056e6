using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TypedKafka.Generators.Model;

namespace TypedKafka.Generators.Json;

/// <summary>
/// Walks a message type and everything reachable from it, producing one <see cref="JsonTypeModel"/> per type, or the
/// first reason (with the member path) why the type cannot be read the way System.Text.Json would read it.
/// </summary>
internal sealed class JsonTypeParser
{
    private const string JsonSerialization = "System.Text.Json.Serialization.";

    private readonly Dictionary<ITypeSymbol, JsonTypeModel?> _types = new(SymbolEqualityComparer.Default);
    private readonly List<JsonTypeModel> _ordered = new();

    public string? Error { get; private set; }

    public IReadOnlyList<JsonTypeModel> Types => _ordered;

    /// <summary>Resolves the type; returns its id, or null with <see cref="Error"/> set.</summary>
    public string? Resolve(ITypeSymbol type, string path)
    {
        if (Error is not null)
            return null;
        type = type.WithNullableAnnotation(NullableAnnotation.NotAnnotated);
        if (_types.TryGetValue(type, out var known))
            return known?.Id ?? Id(type);

        string id = Id(type);
        var primitive = PrimitiveName(type);
        if (primitive is not null)
            return Add(type, Simple(type, id, JsonKind.Primitive, primitive));

        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            var inner = Resolve(nullable.TypeArguments[0], path);
            return inner is null ? null : Add(type, Simple(type, id, JsonKind.NullableValue, null) with { ElementId = inner, ElementTypeName = nullable.TypeArguments[0].FullName() });
        }

        if (type.TypeKind == TypeKind.Enum && type is INamedTypeSymbol enumType)
            return Add(type, EnumModel(enumType, id));

        if (type is IArrayTypeSymbol array)
        {
            if (array.Rank != 1)
                return Fail(path, $"'{type.ToDisplayString()}' is a multi-dimensional array");
            _types[type] = null;
            var element = Resolve(array.ElementType, path + "[]");
            return element is null ? null : Add(type, Simple(type, id, JsonKind.Array, null) with { ElementId = element, ElementTypeName = array.ElementType.FullNameNullable() });
        }

        if (type is not INamedTypeSymbol named)
            return Fail(path, $"'{type.ToDisplayString()}' is not a class, struct, enum, collection or supported primitive");

        if (named.IsGenericType)
        {
            string definition = named.OriginalDefinition.MetadataName();
            switch (definition)
            {
                case "System.Collections.Generic.List`1":
                case "System.Collections.Generic.IList`1":
                case "System.Collections.Generic.ICollection`1":
                case "System.Collections.Generic.IEnumerable`1":
                case "System.Collections.Generic.IReadOnlyList`1":
                case "System.Collections.Generic.IReadOnlyCollection`1":
                {
                    _types[type] = null;
                    var element = Resolve(named.TypeArguments[0], path + "[]");
                    return element is null ? null : Add(type, Simple(type, id, JsonKind.List, null) with { ElementId = element, ElementTypeName = named.TypeArguments[0].FullNameNullable() });
                }

                case "System.Collections.Generic.Dictionary`2":
                case "System.Collections.Generic.IDictionary`2":
                case "System.Collections.Generic.IReadOnlyDictionary`2":
                {
                    if (named.TypeArguments[0].SpecialType != SpecialType.System_String)
                        return Fail(path, $"'{type.ToDisplayString()}' has keys of type '{named.TypeArguments[0].ToDisplayString()}'; only string keys are supported");
                    _types[type] = null;
                    var element = Resolve(named.TypeArguments[1], path + "{}");
                    return element is null ? null : Add(type, Simple(type, id, JsonKind.Dictionary, null) with { ElementId = element, ElementTypeName = named.TypeArguments[1].FullNameNullable() });
                }
            }
        }

        if (named.SpecialType == SpecialType.System_Object || named.TypeKind is TypeKind.Interface or TypeKind.Delegate or TypeKind.Error or TypeKind.Dynamic)
            return Fail(path, $"'{type.ToDisplayString()}' is {Describe(named)}; only concrete classes, structs, enums and the listed collections are supported");
        if (named.IsAbstract)
            return Fail(path, $"'{type.ToDisplayString()}' is abstract");
        if (named.IsRefLikeType)
            return Fail(path, $"'{type.ToDisplayString()}' is a ref struct");
        if (named.IsGenericType && named.TypeArguments.Any(t => t is ITypeParameterSymbol))
            return Fail(path, $"'{type.ToDisplayString()}' is an open generic type");
        if (IsCollectionLike(named))
            return Fail(path, $"'{type.ToDisplayString()}' is a collection type that is not supported (use T[], List<T>, IList<T>, IReadOnlyList<T>, IEnumerable<T>, Dictionary<string,T> or IReadOnlyDictionary<string,T>)");
        if (named.ContainingNamespace?.ToDisplayString() is "System" or "System.Collections.Generic" or "System.Text.Json" or "System.Text.Json.Nodes")
            return Fail(path, $"'{type.ToDisplayString()}' is not supported by the generated JSON reader");
        if (!named.IsAccessibleFromAssembly())
            return Fail(path, $"'{type.ToDisplayString()}' is private or protected; generated code cannot create it");
        foreach (var a in named.GetAttributes())
        {
            string? n = a.AttributeClass?.MetadataName();
            if (n is JsonSerialization + "JsonConverterAttribute" or JsonSerialization + "JsonPolymorphicAttribute" or JsonSerialization + "JsonDerivedTypeAttribute")
                return Fail(path, $"'{type.ToDisplayString()}' has [{a.AttributeClass!.Name.Replace("Attribute", "")}], which the generated reader cannot honour");
        }

        _types[type] = null; // recursion guard: a type may refer to itself
        var obj = ObjectModel(named, id, path);
        if (obj is null)
            return null;
        return Add(type, obj);
    }

    private JsonTypeModel? ObjectModel(INamedTypeSymbol type, string id, string path)
    {
        // The constructor System.Text.Json would pick: [JsonConstructor]; else a public parameterless one; else the only public one.
        var ctors = type.InstanceConstructors.Where(c => !IsCopyConstructor(c, type)).ToList();
        var marked = ctors.Where(c => c.HasAttribute(JsonSerialization + "JsonConstructorAttribute")).ToList();
        IMethodSymbol? ctor;
        if (marked.Count > 1)
            return FailNull(path, $"'{type.ToDisplayString()}' has more than one [JsonConstructor]");
        if (marked.Count == 1)
        {
            ctor = marked[0];
            if (ctor.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal))
                return FailNull(path, $"the [JsonConstructor] of '{type.ToDisplayString()}' is not accessible");
        }
        else
        {
            var publicCtors = ctors.Where(c => c.DeclaredAccessibility == Accessibility.Public).ToList();
            ctor = publicCtors.FirstOrDefault(c => c.Parameters.Length == 0);
            if (ctor is null && type.IsValueType)
                ctor = null; // default(T)
            else if (ctor is null && publicCtors.Count == 1)
                ctor = publicCtors[0];
            else if (ctor is null)
                return FailNull(path, $"'{type.ToDisplayString()}' has {(publicCtors.Count == 0 ? "no public constructor" : "several public constructors and none is parameterless")}; mark one with [JsonConstructor]");
        }

        // Public instance properties with a public getter, the most derived declaration of each name winning.
        var properties = new List<IPropertySymbol>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var t = type; t is not null && t.SpecialType != SpecialType.System_Object && t.SpecialType != SpecialType.System_ValueType; t = t.BaseType)
        {
            foreach (var p in t.GetMembers().OfType<IPropertySymbol>())
            {
                if (p.IsStatic || p.IsIndexer || p.DeclaredAccessibility != Accessibility.Public || p.GetMethod is not { DeclaredAccessibility: Accessibility.Public })
                    continue;
                if (!seen.Add(p.Name))
                    continue;
                if (p.Name == "EqualityContract" && type.IsRecord)
                    continue;
                properties.Add(p);
            }
        }

        var members = new List<JsonMemberModel>();
        var byName = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in properties)
        {
            if (IsIgnored(p))
                continue;
            if (p.HasAttribute(JsonSerialization + "JsonExtensionDataAttribute"))
                return FailNull($"{path}.{p.Name}", "[JsonExtensionData] is not supported");
            if (p.HasAttribute(JsonSerialization + "JsonConverterAttribute"))
                return FailNull($"{path}.{p.Name}", "[JsonConverter] on a property is not supported");
            if (p.Type.IsRefLikeType)
                continue;

            string? explicitName = p.Attribute(JsonSerialization + "JsonPropertyNameAttribute")?.ConstructorArguments.FirstOrDefault().Value as string;
            var set = p.SetMethod;
            var assignment = set is null || set.DeclaredAccessibility != Accessibility.Public
                ? MemberAssignment.ConstructorOnly
                : p.IsRequired ? MemberAssignment.RequiredInit
                : set.IsInitOnly ? MemberAssignment.Init
                : MemberAssignment.Setter;
            byName[p.Name] = members.Count;
            // An init accessor declared on a non-generic type is called through [UnsafeAccessor] when the property is present;
            // on a generic type (where such accessors need matching generic parameters) it stays in the object initializer.
            string? initTarget = assignment == MemberAssignment.Init && !p.ContainingType.IsGenericType ? p.ContainingType.FullName() : null;
            members.Add(new JsonMemberModel(p.Name, explicitName, "", p.Type.FullNameNullable(), !p.Type.IsValueType, -1, null, assignment,
                p.IsRequired || p.HasAttribute(JsonSerialization + "JsonRequiredAttribute"), initTarget));
        }

        if (ctor is not null)
        {
            for (int i = 0; i < ctor.Parameters.Length; i++)
            {
                var parameter = ctor.Parameters[i];
                if (!byName.TryGetValue(parameter.Name, out int index))
                    return FailNull(path, $"constructor parameter '{parameter.Name}' of '{type.ToDisplayString()}' matches no public property (System.Text.Json binds parameters to properties by name)");
                var member = members[index];
                var property = properties.First(p => p.Name == member.Name);
                if (!SymbolEqualityComparer.Default.Equals(property.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated), parameter.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated)))
                    return FailNull(path, $"constructor parameter '{parameter.Name}' has type '{parameter.Type.ToDisplayString()}' but property '{member.Name}' has type '{property.Type.ToDisplayString()}'");
                if (parameter.RefKind is RefKind.Ref or RefKind.Out)
                    return FailNull(path, $"constructor parameter '{parameter.Name}' is ref or out");
                members[index] = member with { ConstructorIndex = i, ConstructorDefault = DefaultLiteral(parameter) };
            }
        }

        // Drop members that can never be assigned: System.Text.Json skips them too.
        var resolved = new List<JsonMemberModel>();
        foreach (var m in members)
        {
            if (m.ConstructorIndex < 0 && m.Assignment == MemberAssignment.ConstructorOnly)
                continue;
            var property = properties.First(p => p.Name == m.Name);
            string? memberId = Resolve(property.Type, $"{path}.{m.Name}");
            if (memberId is null)
                return null;
            resolved.Add(m with { TypeId = memberId });
        }

        if (ctor is not null && ctor.Parameters.Length > 64)
            return FailNull(path, "constructors with more than 64 parameters are not supported");

        int policy = JsonNaming.Unspecified;
        if (type.Attribute(Names.KafkaJsonNamingAttribute) is { } naming && naming.ConstructorArguments.FirstOrDefault().Value is int p0)
            policy = p0;

        return Simple(type, id, JsonKind.Object, null) with
        {
            Object = new JsonObjectModel(policy, resolved.OrderBy(m => m.ConstructorIndex < 0 ? int.MaxValue : m.ConstructorIndex).ToEquatableArray(), type.IsValueType,
                LocationInfo.From(type.Locations.FirstOrDefault(l => l.IsInSource))),
        };
    }

    private static bool IsIgnored(IPropertySymbol p)
    {
        var ignore = p.Attribute(JsonSerialization + "JsonIgnoreAttribute");
        if (ignore is null)
            return false;
        // JsonIgnoreCondition: Never = 0, Always = 1, WhenWritingDefault = 2, WhenWritingNull = 3. Only Always affects reading.
        var condition = ignore.NamedArguments.FirstOrDefault(a => a.Key == "Condition").Value;
        return condition.IsNull || condition.Value is null || (int)condition.Value! == 1;
    }

    private static bool IsCopyConstructor(IMethodSymbol ctor, INamedTypeSymbol type) =>
        type.IsRecord && ctor.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(ctor.Parameters[0].Type, type);

    private static bool IsCollectionLike(INamedTypeSymbol type) =>
        type.AllInterfaces.Any(i => i.OriginalDefinition.MetadataName() is "System.Collections.Generic.IEnumerable`1" or "System.Collections.IEnumerable")
        && type.SpecialType != SpecialType.System_String;

    private static string Describe(INamedTypeSymbol type) => type.SpecialType == SpecialType.System_Object ? "object" : "an " + type.TypeKind.ToString().ToLowerInvariant();

    private static string? DefaultLiteral(IParameterSymbol parameter)
    {
        string typeName = parameter.Type.FullNameNullable();
        if (!parameter.HasExplicitDefaultValue || parameter.ExplicitDefaultValue is null)
            return parameter.Type.IsValueType ? $"default({typeName})" : $"default({typeName})!";
        object value = parameter.ExplicitDefaultValue;
        if (parameter.Type.TypeKind == TypeKind.Enum)
            return $"({parameter.Type.FullName()})({SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false)})";
        return value switch
        {
            string s => SymbolDisplay.FormatLiteral(s, quote: true),
            bool b => b ? "true" : "false",
            char c => SymbolDisplay.FormatLiteral(c, quote: true),
            float f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "f",
            double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "d",
            decimal m => m.ToString(System.Globalization.CultureInfo.InvariantCulture) + "m",
            _ => $"({parameter.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).FullName()})({SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false)})",
        };
    }

    private static string? PrimitiveName(ITypeSymbol type)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_Boolean: return "Boolean";
            case SpecialType.System_Byte: return "Byte";
            case SpecialType.System_SByte: return "SByte";
            case SpecialType.System_Int16: return "Int16";
            case SpecialType.System_UInt16: return "UInt16";
            case SpecialType.System_Int32: return "Int32";
            case SpecialType.System_UInt32: return "UInt32";
            case SpecialType.System_Int64: return "Int64";
            case SpecialType.System_UInt64: return "UInt64";
            case SpecialType.System_Single: return "Single";
            case SpecialType.System_Double: return "Double";
            case SpecialType.System_Decimal: return "Decimal";
            case SpecialType.System_String: return "String";
            case SpecialType.System_Char: return "Char";
            case SpecialType.System_DateTime: return "DateTime";
        }

        if (type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte })
            return "Bytes";
        if (type is INamedTypeSymbol named)
        {
            switch (named.MetadataName())
            {
                case "System.Guid": return "Guid";
                case "System.DateTimeOffset": return "DateTimeOffset";
                case "System.DateOnly": return "DateOnly";
                case "System.TimeOnly": return "TimeOnly";
                case "System.TimeSpan": return "TimeSpan";
            }
        }

        return null;
    }

    private JsonTypeModel EnumModel(INamedTypeSymbol type, string id)
    {
        var members = type.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue)
            .Select(f => new EnumMemberModel(f.Name,
                f.Attribute(JsonSerialization + "JsonStringEnumMemberNameAttribute")?.ConstructorArguments.FirstOrDefault().Value as string ?? f.Name))
            .ToEquatableArray();
        string underlying = PrimitiveName(type.EnumUnderlyingType!) ?? "Int32";
        bool flags = type.HasAttribute("System.FlagsAttribute");
        return Simple(type, id, JsonKind.Enum, null) with { EnumMembers = members, EnumUnderlying = underlying, IsFlags = flags };
    }

    private static JsonTypeModel Simple(ITypeSymbol type, string id, JsonKind kind, string? primitive) =>
        new(id, type.FullName(), type.DisplayName(), kind, type.IsValueType, primitive, null, null, EquatableArray<EnumMemberModel>.Empty, null, false, null);

    private string Add(ITypeSymbol type, JsonTypeModel model)
    {
        _types[type] = model;
        _ordered.Add(model);
        return model.Id;
    }

    private string? Fail(string path, string reason)
    {
        Error ??= $"{path}: {reason}";
        return null;
    }

    private JsonTypeModel? FailNull(string path, string reason)
    {
        Fail(path, reason);
        return null;
    }

    public static string Id(ITypeSymbol type) => Names.Sanitize(type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
}
