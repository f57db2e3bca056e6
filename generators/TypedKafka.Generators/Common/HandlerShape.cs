using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using TypedKafka.Generators.Model;

namespace TypedKafka.Generators;

/// <summary>
/// The rules for what a handler may look like, shared by the analyzer (which reports them) and the generator (which
/// skips handlers that break them, so that it never emits code that does not compile).
/// </summary>
internal sealed class HandlerShape
{
    public bool IsValid => Error is null && ConstructionError is null && !IsAsyncVoid;

    public string? Error { get; private set; }

    public string? ConstructionError { get; private set; }

    public bool IsAsyncVoid { get; private set; }

    public ITypeSymbol? MessageType { get; private set; }

    public bool IsBatch { get; private set; }

    /// <summary>A batch handler taking <c>IReadOnlyList&lt;KafkaMessage&lt;T&gt;&gt;</c> (values with their contexts).</summary>
    public bool IsMessageBatch { get; private set; }

    public IParameterSymbol? KeyParameter { get; private set; }

    public string? KeyDeserializer { get; private set; }

    public List<HandlerArgument> Arguments { get; } = new();

    public ReturnKind Returns { get; private set; }

    public IMethodSymbol? Constructor { get; private set; }

    /// <summary>The handler methods a [KafkaTopic] target stands for: the method itself, or a class's public Handle/HandleAsync methods.</summary>
    public static IEnumerable<IMethodSymbol> HandlerMethods(ISymbol target) => target switch
    {
        IMethodSymbol method => new[] { method },
        INamedTypeSymbol type => type.GetMembers().OfType<IMethodSymbol>()
            .Where(m => m.MethodKind == MethodKind.Ordinary && m.DeclaredAccessibility == Accessibility.Public && m.Name is "Handle" or "HandleAsync"),
        _ => Enumerable.Empty<IMethodSymbol>(),
    };

    public static string KeyTypesText => "string, byte[], int, long or Guid";

    public static HandlerShape Analyze(IMethodSymbol method)
    {
        var shape = new HandlerShape();
        shape.Check(method);
        return shape;
    }

    private void Check(IMethodSymbol method)
    {
        var type = method.ContainingType;
        if (method.DeclaredAccessibility != Accessibility.Public)
        {
            Error = "a handler method must be public";
            return;
        }

        if (!type.IsAccessibleFromAssembly())
        {
            Error = $"its type '{type.Name}' must be public or internal (nested types too)";
            return;
        }

        if (method.IsGenericMethod || type.IsGenericType)
        {
            Error = "generic handlers (or handlers in generic types) are not supported";
            return;
        }

        if (method.IsAsync && method.ReturnsVoid)
        {
            IsAsyncVoid = true;
            return;
        }

        if (method.ReturnsVoid)
            Returns = ReturnKind.Void;
        else if (method.ReturnType.Is("System.Threading.Tasks.Task"))
            Returns = ReturnKind.Task;
        else if (method.ReturnType.Is("System.Threading.Tasks.ValueTask"))
            Returns = ReturnKind.ValueTask;
        else
        {
            Error = $"it returns '{method.ReturnType.ToDisplayString()}'; a handler returns void, Task or ValueTask";
            return;
        }

        if (method.Parameters.Length == 0)
        {
            Error = "it has no parameters; the first parameter receives the message";
            return;
        }

        bool seenContext = false, seenToken = false;
        for (int i = 0; i < method.Parameters.Length; i++)
        {
            var p = method.Parameters[i];
            if (p.RefKind is RefKind.Ref or RefKind.Out || p.IsParams)
            {
                Error = $"parameter '{p.Name}' is ref, out or params";
                return;
            }

            if (i == 0)
            {
                if (p.Type.Is(Names.MessageContext) || p.Type.Is("System.Threading.CancellationToken") || p.HasAttribute(Names.KafkaKeyAttribute))
                {
                    Error = "the first parameter must be the message";
                    return;
                }

                if (p.Type is ITypeParameterSymbol || p.Type.TypeKind is TypeKind.Error or TypeKind.Pointer or TypeKind.FunctionPointer || p.Type.SpecialType == SpecialType.System_Object)
                {
                    Error = $"the message type '{p.Type.ToDisplayString()}' is not a concrete type";
                    return;
                }

                if (p.Type is INamedTypeSymbol { IsGenericType: true } list && list.OriginalDefinition.MetadataName() == "System.Collections.Generic.IReadOnlyList`1")
                {
                    IsBatch = true;
                    MessageType = list.TypeArguments[0];
                    if (MessageType is INamedTypeSymbol { IsGenericType: true } wrapped && wrapped.OriginalDefinition.MetadataName() == Names.KafkaMessageT)
                    {
                        IsMessageBatch = true;
                        MessageType = wrapped.TypeArguments[0];
                    }
                }
                else
                {
                    MessageType = p.Type;
                }

                if (MessageType is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T })
                {
                    Error = "the message type is a Nullable<T>; take the struct itself (a null value is then a deserialization error)";
                    return;
                }

                Arguments.Add(HandlerArgument.Message);
                continue;
            }

            if (p.HasAttribute(Names.KafkaKeyAttribute))
            {
                if (KeyParameter is not null)
                {
                    Error = "only one parameter may be [KafkaKey]";
                    return;
                }

                KeyDeserializer = KeyDeserializerFor(p.Type);
                if (KeyDeserializer is null)
                {
                    Error = $"the [KafkaKey] parameter '{p.Name}' has type '{p.Type.ToDisplayString()}'; keys are read as {KeyTypesText}";
                    return;
                }

                if (IsBatch)
                {
                    Error = "a batch handler (IReadOnlyList<T>) cannot take a [KafkaKey] parameter";
                    return;
                }

                KeyParameter = p;
                Arguments.Add(HandlerArgument.Key);
            }
            else if (p.Type.Is(Names.MessageContext) && !seenContext)
            {
                seenContext = true;
                Arguments.Add(HandlerArgument.Context);
            }
            else if (p.Type.Is("System.Threading.CancellationToken") && !seenToken)
            {
                seenToken = true;
                Arguments.Add(HandlerArgument.CancellationToken);
            }
            else
            {
                Error = $"parameter '{p.Name}' of type '{p.Type.ToDisplayString()}' is not supported; after the message a handler takes MessageContext, CancellationToken and one [KafkaKey] parameter, each at most once";
                return;
            }
        }

        if (!method.IsStatic)
            ChooseConstructor(type);
    }

    private void ChooseConstructor(INamedTypeSymbol type)
    {
        if (type.TypeKind != TypeKind.Class || type.IsAbstract || type.IsStatic)
        {
            ConstructionError = "an instance handler's type must be a non-abstract class (or make the method static)";
            return;
        }

        var candidates = type.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public).ToList();
        if (candidates.Count == 0)
        {
            ConstructionError = "it has no public constructor";
            return;
        }

        int max = candidates.Max(c => c.Parameters.Length);
        var longest = candidates.Where(c => c.Parameters.Length == max).ToList();
        if (longest.Count > 1)
        {
            ConstructionError = $"it has {longest.Count} public constructors with {max} parameters; keep one as the longest";
            return;
        }

        var ctor = longest[0];
        foreach (var p in ctor.Parameters)
        {
            if (p.RefKind != RefKind.None || p.Type.IsRefLikeType || p.Type is ITypeParameterSymbol || p.Type.TypeKind == TypeKind.Pointer)
            {
                ConstructionError = $"constructor parameter '{p.Name}' cannot be resolved from the service provider";
                return;
            }
        }

        Constructor = ctor;
    }

    private static string? KeyDeserializerFor(ITypeSymbol type)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_String: return "Utf8";
            case SpecialType.System_Int32: return "Int32";
            case SpecialType.System_Int64: return "Int64";
        }

        if (type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte })
            return "ByteArray";
        if (type.Is("System.Guid"))
            return "Guid";
        return null;
    }

    /// <summary>Kafka's rules for topic names; null when valid, else why not.</summary>
    public static string? TopicNameError(string? topic)
    {
        if (string.IsNullOrEmpty(topic))
            return "a topic name cannot be empty";
        if (topic == "." || topic == "..")
            return "\".\" and \"..\" are reserved";
        if (topic!.Length > 249)
            return $"it is {topic.Length} characters long; the limit is 249";
        foreach (char c in topic)
        {
            if (!(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '.' or '_' or '-'))
                return $"'{c}' is not allowed; only ASCII letters, digits, '.', '_' and '-' are";
        }

        return null;
    }
}
