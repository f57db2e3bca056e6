using Microsoft.Extensions.DependencyInjection;

namespace TypedKafka.Hosting.Engine;

/// <summary>
/// The service provider of one handler call: a DI scope created on the first service asked for and disposed when the
/// call ends, so scoped services live for one record (or one batch) and a handler that asks for nothing (a static
/// method) costs no scope. Reused by its worker from call to call.
/// </summary>
internal sealed class CallScope(Processor processor) : IServiceProvider
{
    private readonly IServiceScopeFactory _factory = processor.Services.GetRequiredService<IServiceScopeFactory>();
    private AsyncServiceScope? _scope;

    public object? GetService(Type serviceType)
    {
        _scope ??= _factory.CreateAsyncScope();
        return _scope.Value.ServiceProvider.GetService(serviceType);
    }

    /// <summary>Ends the call's scope, if one was created.</summary>
    public ValueTask EndAsync()
    {
        if (_scope is not { } scope) return ValueTask.CompletedTask;
        _scope = null;
        return scope.DisposeAsync();
    }
}
