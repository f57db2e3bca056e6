using TypedKafka.Generators.Analyzers;
using TypedKafka.Generators.CodeFixes;

namespace TypedKafka.Generators.Tests;

public class AnalyzerTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using TypedKafka;

        """;

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"..\"")]
    [InlineData("\"orders created\"")]
    [InlineData("\"orders/eu\"")]
    public Task TK0001_invalid_topic_names(string topic) => Verify<HandlerAnalyzer>.AnalyzerAsync(Usings + $$"""
        public record Order(int Id);
        public static class H
        {
            [KafkaTopic({|TK0001:{{topic}}|})]
            public static void Handle(Order order) { }
        }
        """);

    [Fact]
    public Task TK0001_topic_longer_than_249_characters() => Verify<HandlerAnalyzer>.AnalyzerAsync(Usings + $$"""
        public record Order(int Id);
        public static class H
        {
            [KafkaTopic("ok.topic_name-1")]
            [KafkaTopic({|TK0001:"{{new string('a', 250)}}"|})]
            public static void Handle(Order order) { }
        }
        """);

    [Fact]
    public Task TK0002_unsupported_signatures() => Verify<HandlerAnalyzer>.AnalyzerAsync(Usings + """
        public record Order(int Id);
        public static class H
        {
            [KafkaTopic("a")] public static Task<int> {|TK0002:ReturnsValue|}(Order order) => Task.FromResult(1);
            [KafkaTopic("b")] public static void {|TK0002:NoMessage|}() { }
            [KafkaTopic("c")] public static void {|TK0002:ExtraParameter|}(Order order, string other) { }
            [KafkaTopic("d")] public static void {|TK0002:BadKey|}(Order order, [KafkaKey] DateTime key) { }
            [KafkaTopic("e")] internal static void {|TK0002:NotPublic|}(Order order) { }
            [KafkaTopic("f")] public static void {|TK0002:ContextFirst|}(MessageContext context) { }
            [KafkaTopic("g")] public static void {|TK0002:BatchWithKey|}(IReadOnlyList<Order> orders, [KafkaKey] string key) { }
            [KafkaTopic("h")] public static void Fine(Order order, [KafkaKey] string key, MessageContext context, CancellationToken token) { }
        }
        [KafkaTopic("i")]
        public class {|TK0002:NoHandleMethod|} { public void Process(Order order) { } }
        """);

    [Fact]
    public Task TK0004_one_topic_two_message_types_in_one_group() => Verify<HandlerAnalyzer>.AnalyzerAsync(Usings + """
        public record Order(int Id);
        public record Refund(int Id);
        public static class H
        {
            [KafkaTopic("orders")] public static void First(Order order) { }
            [KafkaTopic("orders")] public static void {|TK0004:Second|}(Refund refund) { }
            [KafkaTopic("orders", GroupId = "audit")] public static void OtherGroup(Refund refund) { }
            [KafkaTopic("orders")] public static void SameType(Order order) { }
        }
        """);

    [Fact]
    public Task TK0009_handler_type_that_cannot_be_created() => Verify<HandlerAnalyzer>.AnalyzerAsync(Usings + """
        public record Order(int Id);
        [KafkaTopic("a")]
        public abstract class Abstract { public void {|TK0009:Handle|}(Order order) { } }
        [KafkaTopic("b")]
        public class PrivateCtor { private PrivateCtor() { } public void {|TK0009:Handle|}(Order order) { } }
        [KafkaTopic("c")]
        public class TwoCtors { public TwoCtors(int a) { } public TwoCtors(string b) { } public void {|TK0009:Handle|}(Order order) { } }
        [KafkaTopic("d")]
        public class Fine { public Fine(IServiceProvider services, string? optional = null) { } public void Handle(Order order) { } }
        """);

    [Fact]
    public Task TK0005_async_void_is_fixed_to_async_Task() => Verify<HandlerAnalyzer>.CodeFixAsync<AsyncVoidCodeFix>(Usings + """
        public record Order(int Id);
        public static class H
        {
            [KafkaTopic("orders")]
            public static async void {|TK0005:Handle|}(Order order) => await Task.Yield();
        }
        """, Usings + """
        public record Order(int Id);
        public static class H
        {
            [KafkaTopic("orders")]
            public static async Task Handle(Order order) => await Task.Yield();
        }
        """);

    [Fact]
    public Task TK0006_blocking_calls_are_reported_only_inside_handlers() => Verify<BlockingCallAnalyzer>.AnalyzerAsync(Usings + """
        public record Order(int Id);
        [KafkaTopic("orders")]
        public class H
        {
            public void Handle(Order order, Task<int> pending, Task other)
            {
                var x = {|TK0006:pending.Result|};
                {|TK0006:other.Wait()|};
                {|TK0006:other.GetAwaiter().GetResult()|};
                {|TK0006:Thread.Sleep(10)|};
            }

            public void NotAHandler(Task<int> pending) { var y = pending.Result; Thread.Sleep(1); }
        }
        """);

    [Fact]
    public Task TK0006_Result_is_fixed_to_await() => Verify<BlockingCallAnalyzer>.CodeFixAsync<BlockingCallCodeFix>(Usings + """
        public record Order(int Id);
        public static class H
        {
            [KafkaTopic("orders")]
            public static async Task Handle(Order order, Task<int> lookup)
            {
                var total = {|TK0006:lookup.Result|} + 1;
                await Task.Yield();
            }
        }
        """, Usings + """
        public record Order(int Id);
        public static class H
        {
            [KafkaTopic("orders")]
            public static async Task Handle(Order order, Task<int> lookup)
            {
                var total = await lookup + 1;
                await Task.Yield();
            }
        }
        """);

    [Fact]
    public Task TK0006_Thread_Sleep_is_fixed_to_Task_Delay_with_the_token() => Verify<BlockingCallAnalyzer>.CodeFixAsync<BlockingCallCodeFix>(Usings + """
        public record Order(int Id);
        public static class H
        {
            [KafkaTopic("orders")]
            public static async ValueTask Handle(Order order, CancellationToken cancellationToken)
            {
                {|TK0006:Thread.Sleep(100)|};
                await Task.Yield();
            }
        }
        """, Usings + """
        public record Order(int Id);
        public static class H
        {
            [KafkaTopic("orders")]
            public static async ValueTask Handle(Order order, CancellationToken cancellationToken)
            {
                await Task.Delay(100, cancellationToken);
                await Task.Yield();
            }
        }
        """);
}
