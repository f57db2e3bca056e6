using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using TypedKafka.Generators.Json;
using TypedKafka.Generators.Model;

namespace TypedKafka.Generators;

/// <summary>What the emitter needs to know about the compilation itself.</summary>
internal sealed record AssemblyModel(string AssemblyName, int NamingPolicy, bool HasServiceCollection);

public sealed partial class KafkaHandlerGenerator
{
    internal static class Parser
    {
        public static AssemblyModel ParseAssembly(Compilation compilation)
        {
            int policy = JsonNaming.None;
            if (compilation.Assembly.Attribute(Names.KafkaJsonNamingAttribute) is { } naming && naming.ConstructorArguments.FirstOrDefault().Value is int p)
                policy = p;
            bool hasServices = compilation.GetTypeByMetadataName("Microsoft.Extensions.DependencyInjection.IServiceCollection") is not null
                && compilation.GetTypeByMetadataName("Microsoft.Extensions.DependencyInjection.ServiceDescriptor") is not null;
            return new AssemblyModel(compilation.AssemblyName ?? "Assembly", policy, hasServices);
        }

        public static HandlerTargetResult ParseTarget(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            try
            {
                return Parse(context, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A bug in the generator must not break the user's build with an exception: it becomes TK0010.
                var diagnostic = DiagnosticInfo.Create(DiagnosticDescriptors.GeneratorFailure, context.TargetSymbol.Locations.FirstOrDefault(),
                    context.TargetSymbol.ToDisplayString(), $"{ex.GetType().Name}: {ex.Message}");
                return new HandlerTargetResult(EquatableArray<HandlerModel>.Empty, EquatableArray<JsonTypeModel>.Empty, new[] { diagnostic }.ToEquatableArray());
            }
        }

        private static HandlerTargetResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var handlers = new List<HandlerModel>();
            var types = new Dictionary<string, JsonTypeModel>();
            var diagnostics = new List<DiagnosticInfo>();

            foreach (var attribute in context.Attributes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                string? topic = attribute.ConstructorArguments.FirstOrDefault().Value as string;
                if (HandlerShape.TopicNameError(topic) is not null)
                    continue; // TK0001, reported by HandlerAnalyzer

                string? groupId = null;
                int errorPolicy = 0, wireFormat = 0, maxBatch = 0, ordering = 0, maxConcurrency = 0, maxBatchWait = 0;
                foreach (var named in attribute.NamedArguments)
                {
                    switch (named.Key)
                    {
                        case "GroupId": groupId = named.Value.Value as string; break;
                        case "OnDeserializationError": errorPolicy = named.Value.Value is int e ? e : 0; break;
                        case "WireFormat": wireFormat = named.Value.Value is int f ? f : 0; break;
                        case "MaxBatchSize": maxBatch = named.Value.Value is int b ? b : 0; break;
                        case "Ordering": ordering = named.Value.Value is int o ? o : 0; break;
                        case "MaxConcurrency": maxConcurrency = named.Value.Value is int c ? c : 0; break;
                        case "MaxBatchWaitMs": maxBatchWait = named.Value.Value is int w ? w : 0; break;
                    }
                }

                foreach (var method in HandlerShape.HandlerMethods(context.TargetSymbol))
                {
                    var shape = HandlerShape.Analyze(method);
                    if (!shape.IsValid)
                        continue; // TK0002/TK0005/TK0009, reported by HandlerAnalyzer

                    var messageType = shape.MessageType!;
                    var format = FormatOf(messageType);
                    string id = JsonTypeParser.Id(messageType);
                    if (format == MessageFormat.Json)
                    {
                        var parser = new JsonTypeParser();
                        parser.Resolve(messageType, messageType.Name);
                        if (parser.Error is not null)
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedMessageType,
                                method.Parameters[0].Locations.FirstOrDefault() ?? method.Locations.FirstOrDefault(), "JSON", messageType.DisplayName(), parser.Error));
                            continue;
                        }

                        foreach (var t in parser.Types)
                            types[t.Id] = t;
                        id = types.Values.First(t => t.TypeName == messageType.FullName()).Id;
                    }

                    bool acceptsNull = messageType.NullableAnnotation == NullableAnnotation.Annotated
                        || messageType is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T };
                    var message = new MessageModel(messageType.FullName(), messageType.DisplayName(), format, acceptsNull, id);
                    if (format == MessageFormat.AvroSpecific && messageType is INamedTypeSymbol specificType)
                    {
                        var (specific, unsupported) = Avro.SpecificRecordParser.Parse(specificType, context.SemanticModel.Compilation, cancellationToken);
                        message = message with { Specific = specific, SpecificUnsupported = unsupported };
                        if (unsupported is not null)
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SpecificRecordUsesReflection,
                                method.Parameters[0].Locations.FirstOrDefault() ?? method.Locations.FirstOrDefault(), messageType.DisplayName(), unsupported));
                    }
                    var key = shape.KeyParameter is { } k ? new KeyModel(k.Type.FullNameNullable(), shape.KeyDeserializer!) : null;
                    var factory = shape.Constructor is { } ctor
                        ? new FactoryModel(ctor.Parameters.Select(Dependency).ToEquatableArray())
                        : null;

                    handlers.Add(new HandlerModel(
                        topic!, groupId, errorPolicy, wireFormat, maxBatch,
                        method.ContainingType.FullName(), method.ContainingType.DisplayName(), method.Name,
                        method.IsStatic, shape.IsBatch, message, key, shape.Arguments.ToEquatableArray(), shape.Returns, factory,
                        shape.IsMessageBatch, ordering, maxConcurrency, maxBatchWait));
                }
            }

            return new HandlerTargetResult(
                handlers.ToEquatableArray(),
                types.Values.OrderBy(t => t.Id, StringComparer.Ordinal).ToEquatableArray(),
                diagnostics.ToEquatableArray());
        }

        internal static MessageFormat FormatOf(ITypeSymbol type)
        {
            if (type.AllInterfaces.Any(i => i.OriginalDefinition.MetadataName() == "Google.Protobuf.IMessage`1"))
                return MessageFormat.Protobuf;
            if (type.AllInterfaces.Any(i => i.MetadataName() == "Avro.Specific.ISpecificRecord"))
                return MessageFormat.AvroSpecific;
            if (type.HasAttribute(Names.AvroSchemaAttribute))
                return MessageFormat.AvroSchema;
            return MessageFormat.Json;
        }

        private static DependencyModel Dependency(IParameterSymbol parameter)
        {
            bool optional = parameter.HasExplicitDefaultValue || parameter.NullableAnnotation == NullableAnnotation.Annotated;
            string? defaultLiteral = parameter.HasExplicitDefaultValue && parameter.ExplicitDefaultValue is not null
                ? Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatPrimitive(parameter.ExplicitDefaultValue, quoteStrings: true, useHexadecimalNumbers: false)
                : null;
            return new DependencyModel(parameter.Type.FullName(), optional, defaultLiteral, parameter.Type.Is("System.IServiceProvider"));
        }
    }
}
