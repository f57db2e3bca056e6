using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using TypedKafka.Generators.Json;
using TypedKafka.Generators.Model;

namespace TypedKafka.Generators;

public sealed partial class KafkaHandlerGenerator
{
    internal static class Emitter
    {
        private const string Span = "global::System.ReadOnlySpan<byte>";
        private const string Context = "global::TypedKafka.MessageContext";
        private const string Services = "global::System.IServiceProvider";
        private const string Token = "global::System.Threading.CancellationToken";
        private const string ValueTask = "global::System.Threading.Tasks.ValueTask";
        private const string Runtime = "global::TypedKafka.KafkaHandlerRuntime";

        public static void EmitHandlers(SourceProductionContext context, ImmutableArray<HandlerTargetResult> targets, AssemblyModel assembly)
        {
            try
            {
                var handlers = targets.SelectMany(t => t.Handlers).OrderBy(h => h.SortKey, StringComparer.Ordinal).ToList();
                if (handlers.Count == 0)
                    return;

                var jsonTypes = targets.SelectMany(t => t.JsonTypes).GroupBy(t => t.Id).Select(g => g.First()).OrderBy(t => t.Id, StringComparer.Ordinal).ToList();
                var messages = handlers.Select(h => h.Message).GroupBy(m => (m.Id, m.Format)).Select(g => g.First()).OrderBy(m => m.Id, StringComparer.Ordinal).ToList();

                var diagnostics = new List<DiagnosticInfo>();
                var jsonMessages = messages.Where(m => m.Format == MessageFormat.Json).ToList();
                if (jsonMessages.Count > 0)
                    context.AddSource("TypedKafka.Json.g.cs", JsonEmitter.Emit(jsonTypes, jsonMessages, assembly.NamingPolicy, diagnostics));
                foreach (var d in diagnostics)
                    context.ReportDiagnostic(d.ToDiagnostic());

                var binary = messages.Where(m => m.Format is MessageFormat.Protobuf or MessageFormat.AvroSpecific).ToList();
                if (binary.Count > 0)
                    context.AddSource("TypedKafka.Deserializers.g.cs", EmitBinaryDeserializers(binary));

                context.AddSource("TypedKafka.Handlers.g.cs", EmitCatalog(handlers, assembly));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.GeneratorFailure, Location.None, "the handler catalog", $"{ex.GetType().Name}: {ex.Message}"));
            }
        }

        public static string DeserializerClass(MessageModel message) => message.Format switch
        {
            MessageFormat.Json => "global::TypedKafka.Generated.KafkaJsonDeserializer_" + message.Id,
            MessageFormat.Protobuf => "global::TypedKafka.Generated.KafkaProtobufDeserializer_" + message.Id,
            MessageFormat.AvroSpecific => "global::TypedKafka.Generated.KafkaAvroSpecificDeserializer_" + message.Id,
            _ => "global::TypedKafka.Generated.KafkaAvroDeserializer_" + message.Id,
        };

        private static string FormatName(MessageFormat format) => format switch
        {
            MessageFormat.Json => "Json",
            MessageFormat.Protobuf => "Protobuf",
            _ => "Avro",
        };

        private static string EmitBinaryDeserializers(List<MessageModel> messages)
        {
            var w = new CodeWriter().Header();
            w.Open("namespace TypedKafka.Generated");
            bool first = true;
            foreach (var m in messages)
            {
                if (!first)
                    w.Line();
                first = false;
                string cls = DeserializerClass(m).Substring("global::TypedKafka.Generated.".Length);
                if (m.Format == MessageFormat.Protobuf)
                {
                    w.Line($"/// <summary>Parses <c>{m.Display}</c> with its generated Protobuf parser, straight from the span.</summary>");
                    w.Line(CodeWriter.GeneratedCode);
                    w.Open($"internal sealed class {cls} : global::TypedKafka.IDeserializer<{m.TypeName}>");
                    w.Line("private readonly global::TypedKafka.KafkaWireFormat _wireFormat;");
                    w.Line();
                    w.Line($"public {cls}(global::TypedKafka.KafkaWireFormat wireFormat = global::TypedKafka.KafkaWireFormat.Auto) => _wireFormat = wireFormat;");
                    w.Line();
                    w.Open($"public {m.TypeName} Deserialize({Span} data, bool isNull, in global::TypedKafka.SerializationContext context)");
                    w.Line("if (isNull)");
                    w.Line("    return default!;");
                    w.Line($"return {m.TypeName}.Parser.ParseFrom(global::TypedKafka.KafkaProtobuf.Unframe(data, _wireFormat, MessageIndexes, {JsonEmitter.Str(m.Display)}));");
                    w.Close();
                    w.Line();
                    w.Line("/// <summary>The message's Confluent message indexes: its index in the .proto file, then in each enclosing message.</summary>");
                    w.Line("private static readonly int[] MessageIndexes = Indexes();");
                    w.Line();
                    w.Open("private static int[] Indexes()");
                    w.Line("var path = new global::System.Collections.Generic.List<int>();");
                    w.Line($"for (var d = {m.TypeName}.Descriptor; d is not null; d = d.ContainingType)");
                    w.Line("    path.Insert(0, d.Index);");
                    w.Line("return path.ToArray();");
                    w.Close();
                    w.Close();
                }
                else if (m.Specific is { } specific)
                {
                    Avro.AvroEmitter.EmitSpecificDecoder(w, cls, m.TypeName, m.Display, specific);
                }
                else
                {
                    w.Line($"// {m.Display} is not decoded by generated code: {m.SpecificUnsupported}.");
                    w.Line($"/// <summary>Reads <c>{m.Display}</c> (an Apache.Avro ISpecificRecord) with Apache.Avro's SpecificDatumReader; copies the bytes once into a stream.</summary>");
                    w.Line(CodeWriter.GeneratedCode);
                    w.Open($"internal sealed class {cls} : global::TypedKafka.IDeserializer<{m.TypeName}>");
                    w.Line($"private static readonly global::Avro.Schema Schema = new {m.TypeName}().Schema;");
                    w.Line($"private readonly global::Avro.Specific.SpecificDatumReader<{m.TypeName}> _reader = new(Schema, Schema);");
                    w.Line("private readonly global::TypedKafka.KafkaWireFormat _wireFormat;");
                    w.Line();
                    w.Line($"public {cls}(global::TypedKafka.KafkaWireFormat wireFormat = global::TypedKafka.KafkaWireFormat.Auto) => _wireFormat = wireFormat;");
                    w.Line();
                    w.Open($"public {m.TypeName} Deserialize({Span} data, bool isNull, in global::TypedKafka.SerializationContext context)");
                    w.Line("if (isNull)");
                    w.Line("    return default!;");
                    w.Line("if (_wireFormat != global::TypedKafka.KafkaWireFormat.Plain && global::TypedKafka.ConfluentWireFormat.TryReadHeader(data, out _, out var framed))");
                    w.Line("{");
                    w.Line("    // Avro has no reserved first byte: try the frame first, and fall back to plain bytes in Auto mode.");
                    w.Line("    if (TryRead(framed, out var message))");
                    w.Line("        return message;");
                    w.Line("    if (_wireFormat == global::TypedKafka.KafkaWireFormat.Confluent)");
                    w.Line("        return Read(framed);");
                    w.Line("}");
                    w.Line("else if (_wireFormat == global::TypedKafka.KafkaWireFormat.Confluent)");
                    w.Line("    throw new global::System.IO.InvalidDataException(\"The value does not start with the Confluent Schema Registry prefix.\");");
                    w.Line("return Read(data);");
                    w.Close();
                    w.Line();
                    w.Open($"private bool TryRead({Span} data, out {m.TypeName} message)");
                    w.Line("try");
                    w.Line("{");
                    w.Line("    message = Read(data);");
                    w.Line("    return true;");
                    w.Line("}");
                    w.Line("catch (global::System.Exception)");
                    w.Line("{");
                    w.Line("    message = default!;");
                    w.Line("    return false;");
                    w.Line("}");
                    w.Close();
                    w.Line();
                    w.Open($"private {m.TypeName} Read({Span} data)");
                    w.Line("using var stream = new global::System.IO.MemoryStream(data.ToArray(), writable: false);");
                    w.Line("var message = _reader.Read(default!, new global::Avro.IO.BinaryDecoder(stream));");
                    w.Line("if (stream.Position != stream.Length)");
                    w.Line("    throw new global::System.IO.InvalidDataException($\"{stream.Length - stream.Position} byte(s) left after the Avro record.\");");
                    w.Line("return message;");
                    w.Close();
                    w.Close();
                }
            }

            w.Close();
            return w.ToString();
        }

        private static string EmitCatalog(List<HandlerModel> handlers, AssemblyModel assembly)
        {
            string asm = Names.Sanitize(assembly.AssemblyName);
            string catalog = "KafkaHandlerCatalog_" + asm;
            var w = new CodeWriter().Header();
            w.Open("namespace TypedKafka.Generated");
            w.Line($"/// <summary>The Kafka handlers of {assembly.AssemblyName}: descriptors, invokers and the group/topic dispatch.</summary>");
            w.Line(CodeWriter.GeneratedCode);
            w.Open($"internal sealed class {catalog} : global::TypedKafka.KafkaHandlerCatalog");
            w.Line("private readonly global::TypedKafka.KafkaHandlerDescriptor[] _handlers;");
            w.Line();
            w.Open($"private {catalog}()");
            w.Line("_handlers = new global::TypedKafka.KafkaHandlerDescriptor[]");
            w.Line("{");
            for (int i = 0; i < handlers.Count; i++)
            {
                var h = handlers[i];
                string invoker = h.IsBatch ? "null" : $"Invoke{i}";
                string batch = h.IsBatch ? $"CreateBatch{i}" : "null";
                w.Line($"    new global::TypedKafka.KafkaHandlerDescriptor({JsonEmitter.Str(h.Topic)}, {(h.GroupId is null ? "null" : JsonEmitter.Str(h.GroupId))},");
                w.Line($"        typeof({h.Message.TypeName}), {(h.Key is null ? "null" : $"typeof({h.Key.TypeName.TrimEnd('?')})")}, global::TypedKafka.KafkaMessageFormat.{FormatName(h.Message.Format)},");
                w.Line($"        typeof({h.HandlerTypeName}), {JsonEmitter.Str(h.MethodName)},");
                w.Line($"        global::TypedKafka.DeserializationErrorPolicy.{(h.ErrorPolicy == 1 ? "Skip" : "Stop")}, global::TypedKafka.KafkaWireFormat.{WireFormatName(h.WireFormat)},");
                w.Line($"        Value{i}, {invoker}, {batch}, {h.MaxBatchSize}, global::TypedKafka.KafkaOrdering.{OrderingName(h.Ordering)}, {h.MaxConcurrency}, {h.MaxBatchWaitMs}),");
            }

            w.Line("};");
            w.Close();
            w.Line();
            w.Line($"public override string AssemblyName => {JsonEmitter.Str(assembly.AssemblyName)};");
            w.Line();
            w.Line("public override global::System.Collections.Generic.IReadOnlyList<global::TypedKafka.KafkaHandlerDescriptor> Handlers => _handlers;");
            w.Line();

            var routes = handlers.Select((h, i) => (h, i)).Where(x => !x.h.IsBatch)
                .GroupBy(x => (x.h.GroupId, x.h.Topic))
                .OrderBy(g => g.Key.GroupId ?? "", StringComparer.Ordinal).ThenBy(g => g.Key.Topic, StringComparer.Ordinal)
                .ToList();
            var groups = routes.GroupBy(r => r.Key.GroupId).ToList();
            string RouteName(IGrouping<(string?, string), (HandlerModel h, int i)> route) =>
                route.Count() == 1 ? $"Invoke{route.First().i}" : $"Route_{Names.Sanitize(route.Key.Item1 ?? "default")}_{Names.Sanitize(route.Key.Item2)}";

            // TryGetInvoker
            w.Open("public override bool TryGetInvoker(string? groupId, string topic, [global::System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out global::TypedKafka.KafkaRecordInvoker? invoker)");
            w.Open("switch (groupId)");
            foreach (var group in groups)
            {
                w.Line(group.Key is null ? "case null:" : $"case {JsonEmitter.Str(group.Key)}:");
                w.Line("    switch (topic)");
                w.Line("    {");
                foreach (var route in group)
                {
                    w.Line($"        case {JsonEmitter.Str(route.Key.Topic)}:");
                    w.Line($"            invoker = {RouteName(route)}Delegate;");
                    w.Line("            return true;");
                }

                w.Line("    }");
                w.Line("    break;");
            }

            w.Close();
            w.Line("invoker = null;");
            w.Line("return false;");
            w.Close();
            w.Line();

            // TryDispatch
            w.Open($"public override bool TryDispatch(string? groupId, string topic, {Span} key, bool keyIsNull, {Span} value, bool valueIsNull, {Context} context, {Services} services, {Token} cancellationToken, out {ValueTask} completion)");
            w.Open("switch (groupId)");
            foreach (var group in groups)
            {
                w.Line(group.Key is null ? "case null:" : $"case {JsonEmitter.Str(group.Key)}:");
                w.Line("    switch (topic)");
                w.Line("    {");
                foreach (var route in group)
                {
                    w.Line($"        case {JsonEmitter.Str(route.Key.Topic)}:");
                    w.Line($"            completion = {RouteName(route)}(key, keyIsNull, value, valueIsNull, context, services, cancellationToken);");
                    w.Line("            return true;");
                }

                w.Line("    }");
                w.Line("    break;");
            }

            w.Close();
            w.Line("completion = default;");
            w.Line("return false;");
            w.Close();

            foreach (var route in routes)
            {
                w.Line();
                w.Line($"private static readonly global::TypedKafka.KafkaRecordInvoker {RouteName(route)}Delegate = {RouteName(route)};");
                if (route.Count() == 1)
                    continue;
                // Several handlers of one topic in one group: deserialize for each (the spans die with this call), then run them in order.
                var members = route.ToList();
                w.Line();
                w.Line($"// {route.Key.Topic} ({route.Key.Item1 ?? "default group"}): {members.Count} handlers, run one after the other in declaration order.");
                w.Open($"private static {ValueTask} {RouteName(route)}({Span} key, bool keyIsNull, {Span} value, bool valueIsNull, {Context} context, {Services} services, {Token} cancellationToken)");
                foreach (var (h, i) in members)
                {
                    w.Line($"var message{i} = {Runtime}.DeserializeValue(Value{i}, {Bool(h.Message.AcceptsNull)}, key, keyIsNull, value, valueIsNull, context);");
                    if (h.Key is not null)
                        w.Line($"var key{i} = {Runtime}.DeserializeKey(global::TypedKafka.Deserializers.{h.Key.Deserializer}, key, keyIsNull, value, valueIsNull, context);");
                }

                w.Line($"return {RouteName(route)}_Run({string.Join(", ", members.Select(x => $"message{x.i}" + (x.h.Key is null ? "" : $", key{x.i}")))}, context, services, cancellationToken);");
                w.Close();
                w.Line();
                var parameters = members.Select(x => $"{x.h.Message.TypeName} message{x.i}" + (x.h.Key is null ? "" : $", {x.h.Key.TypeName} key{x.i}"));
                w.Open($"private static async {ValueTask} {RouteName(route)}_Run({string.Join(", ", parameters)}, {Context} context, {Services} services, {Token} cancellationToken)");
                foreach (var (h, i) in members)
                    w.Line($"await Call{i}(message{i}{(h.Key is null ? "" : $", key{i}!")}, context, services, cancellationToken).ConfigureAwait(false);");
                w.Close();
            }

            for (int i = 0; i < handlers.Count; i++)
                EmitHandler(w, handlers[i], i);

            foreach (var h in handlers.Where(h => !h.IsStatic).GroupBy(h => h.HandlerTypeName).Select(g => g.First()).OrderBy(h => h.HandlerTypeName, StringComparer.Ordinal))
                EmitFactory(w, h);

            w.Line();
            w.Line("// Declared last: static fields initialize in text order, and the constructor reads the fields above.");
            w.Line($"public static readonly {catalog} Instance = new {catalog}();");
            w.Close();
            w.Line();
            w.Line($"/// <summary>Registers the catalog of {assembly.AssemblyName} in <see cref=\"global::TypedKafka.KafkaHandlerRegistry\"/> when the module loads.</summary>");
            w.Line(CodeWriter.GeneratedCode);
            w.Open($"internal static class KafkaHandlerRegistration_{asm}");
            w.Line("[global::System.Runtime.CompilerServices.ModuleInitializer]");
            w.Line($"internal static void Register() => global::TypedKafka.KafkaHandlerRegistry.Register({catalog}.Instance);");
            w.Close();
            w.Close();

            if (assembly.HasServiceCollection)
            {
                w.Line();
                w.Open("namespace Microsoft.Extensions.DependencyInjection");
                w.Line($"/// <summary>Explicit registration of the Kafka handlers compiled into {assembly.AssemblyName}.</summary>");
                w.Line(CodeWriter.GeneratedCode);
                w.Open($"public static class TypedKafkaHandlers_{asm}_Extensions");
                w.Line("/// <summary>");
                w.Line($"/// Adds the handler catalog of {assembly.AssemblyName} to the services (as a <see cref=\"global::TypedKafka.KafkaHandlerCatalog\"/> singleton)");
                w.Line("/// and to <see cref=\"global::TypedKafka.KafkaHandlerRegistry\"/>. Idempotent.");
                w.Line("/// </summary>");
                w.Open($"public static global::Microsoft.Extensions.DependencyInjection.IServiceCollection AddKafkaHandlersFrom{asm}(this global::Microsoft.Extensions.DependencyInjection.IServiceCollection services)");
                w.Line($"var catalog = global::TypedKafka.Generated.{catalog}.Instance;");
                w.Line("global::TypedKafka.KafkaHandlerRegistry.Register(catalog);");
                w.Open("foreach (var descriptor in services)");
                w.Line("if (descriptor.ServiceType == typeof(global::TypedKafka.KafkaHandlerCatalog) && ReferenceEquals(descriptor.ImplementationInstance, catalog))");
                w.Line("    return services;");
                w.Close();
                w.Line("services.Add(global::Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Singleton(typeof(global::TypedKafka.KafkaHandlerCatalog), catalog));");
                w.Line("return services;");
                w.Close();
                w.Close();
                w.Close();
            }

            return w.ToString();
        }

        private static void EmitHandler(CodeWriter w, HandlerModel h, int i)
        {
            w.Line();
            string signature = string.Join(", ", h.Arguments.Select(a => a switch
            {
                HandlerArgument.Message => h.IsMessageBatch ? $"IReadOnlyList<KafkaMessage<{h.Message.Display}>>" : h.IsBatch ? $"IReadOnlyList<{h.Message.Display}>" : h.Message.Display,
                HandlerArgument.Context => "MessageContext",
                HandlerArgument.CancellationToken => "CancellationToken",
                _ => "[KafkaKey] " + h.Key!.TypeName.Replace("global::", ""),
            }));
            w.Line($"// Handler {i}: topic {h.Topic}, {(h.GroupId is null ? "default group" : "group " + h.GroupId)} -> {h.HandlerTypeDisplay}.{h.MethodName}({signature}) [{FormatName(h.Message.Format)}]");
            w.Line($"private static readonly {DeserializerClass(h.Message)} Value{i} = new {DeserializerClass(h.Message)}(global::TypedKafka.KafkaWireFormat.{WireFormatName(h.WireFormat)});");
            w.Line();
            string target = h.IsStatic ? h.HandlerTypeName : $"Create_{Names.Sanitize(h.HandlerTypeName)}(services)";
            string args = string.Join(", ", h.Arguments.Select(a => a switch
            {
                HandlerArgument.Message => h.IsBatch ? "messages" : "message",
                HandlerArgument.Context => "context",
                HandlerArgument.CancellationToken => "cancellationToken",
                _ => "key",
            }));
            string call = $"{target}.{h.MethodName}({args})";

            if (h.IsBatch)
            {
                string buffer = h.IsMessageBatch ? "KafkaMessageBatchBuffer" : "KafkaBatchBuffer";
                string element = h.IsMessageBatch ? $"global::TypedKafka.KafkaMessage<{h.Message.TypeName}>" : h.Message.TypeName;
                w.Line($"private static global::TypedKafka.KafkaBatchBuffer CreateBatch{i}() =>");
                w.Line($"    new global::TypedKafka.{buffer}<{h.Message.TypeName}>(Value{i}, {Bool(h.Message.AcceptsNull)}, CallBatch{i});");
                w.Line();
                w.Open($"private static {ValueTask} CallBatch{i}(global::System.Collections.Generic.IReadOnlyList<{element}> messages, {Context} context, {Services} services, {Token} cancellationToken)");
                EmitReturn(w, h, call);
                w.Close();
                return;
            }

            w.Open($"private static {ValueTask} Invoke{i}({Span} key, bool keyIsNull, {Span} value, bool valueIsNull, {Context} context, {Services} services, {Token} cancellationToken)");
            w.Line($"var message = {Runtime}.DeserializeValue(Value{i}, {Bool(h.Message.AcceptsNull)}, key, keyIsNull, value, valueIsNull, context);");
            if (h.Key is not null)
            {
                w.Line($"var recordKey = {Runtime}.DeserializeKey(global::TypedKafka.Deserializers.{h.Key.Deserializer}, key, keyIsNull, value, valueIsNull, context);");
                w.Line($"return Call{i}(message, recordKey!, context, services, cancellationToken);");
            }
            else
            {
                w.Line($"return Call{i}(message, context, services, cancellationToken);");
            }

            w.Close();
            w.Line();
            string keyParameter = h.Key is null ? "" : $"{h.Key.TypeName} key, ";
            w.Open($"private static {ValueTask} Call{i}({h.Message.TypeName} message, {keyParameter}{Context} context, {Services} services, {Token} cancellationToken)");
            EmitReturn(w, h, call);
            w.Close();
        }

        private static void EmitReturn(CodeWriter w, HandlerModel h, string call)
        {
            switch (h.Returns)
            {
                case ReturnKind.Void:
                    w.Line(call + ";");
                    w.Line("return default;");
                    break;
                case ReturnKind.Task:
                    w.Line($"return new {ValueTask}({call});");
                    break;
                default:
                    w.Line($"return {call};");
                    break;
            }
        }

        private static void EmitFactory(CodeWriter w, HandlerModel h)
        {
            w.Line();
            w.Line($"// {h.HandlerTypeDisplay}: taken from the services when registered there (its lifetime then applies), else built from its constructor per record.");
            w.Open($"private static {h.HandlerTypeName} Create_{Names.Sanitize(h.HandlerTypeName)}({Services} services)");
            w.Line($"if (services.GetService(typeof({h.HandlerTypeName})) is {h.HandlerTypeName} registered)");
            w.Line("    return registered;");
            var deps = h.Factory!.Parameters;
            if (deps.Count == 0)
            {
                w.Line($"return new {h.HandlerTypeName}();");
            }
            else
            {
                w.Line($"return new {h.HandlerTypeName}(");
                for (int d = 0; d < deps.Count; d++)
                {
                    var dep = deps[d];
                    string expr = dep.IsServiceProvider
                        ? "services"
                        : dep.Optional
                            ? $"services.GetService(typeof({dep.TypeName})) is {dep.TypeName} p{d} ? p{d} : {(dep.DefaultLiteral is null ? "default!" : $"({dep.TypeName})({dep.DefaultLiteral})")}"
                            : $"services.GetService(typeof({dep.TypeName})) is {dep.TypeName} p{d} ? p{d} : {Runtime}.ThrowMissingService<{dep.TypeName}>(typeof({h.HandlerTypeName}), typeof({dep.TypeName}))";
                    w.Line($"    {expr}{(d == deps.Count - 1 ? ");" : ",")}");
                }
            }

            w.Close();
        }

        private static string Bool(bool value) => value ? "true" : "false";

        private static string OrderingName(int value) => value switch { 1 => "Key", 2 => "Unordered", _ => "Partition" };

        private static string WireFormatName(int value) => value switch { 1 => "Confluent", 2 => "Plain", _ => "Auto" };
    }
}
